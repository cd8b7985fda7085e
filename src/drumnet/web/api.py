"""The JSON endpoints of the browser app, over `BrowseState` and the library API.

    GET  /api/info                    classes, pads, the `unsure` threshold, the model
    GET  /api/status                  what the background work is doing (the page polls it)
    GET  /api/sounds?since=N          rows [id, name, folder, label, confidence, corrected, warning]
    GET  /api/sounds/{id}/audio       the file's bytes (HTTP Range requests answered; AIFF as WAV)
    GET  /api/sounds/{id}/similar     the sounds most like it (cosine of embeddings)
    GET  /api/peaks?ids=1,2,3         a small waveform per sound: peaks 0-255 and the seconds drawn
    GET  /api/map                     the 2-D layout: ids, x, y in [0, 1]
    POST /api/corrections             {ids, label}: through the index's corrections (`drumnet label`)
    POST /api/kit/suggest             {fixed: {pad: id}} -> {pads: {pad: id}}
    POST /api/kit/export              {pads: {pad: id}, out, formats, name}: library.kit_export

Sounds are named by id only: no request carries a path to read. Every POST needs the page's
token and a JSON body (`server.Guard`); errors are {"error": "one line"}.
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections import OrderedDict
from threading import Lock

import numpy as np
import soundfile as sf
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from drumnet.audio.decode import read_head
from drumnet.audio.prepare import to_mono
from drumnet.audio.sound import load_sound
from drumnet.errors import AudioError
from drumnet.library.index import Index
from drumnet.library.kit import PADS, Candidate, suggest_kit
from drumnet.library.kit_export import FORMATS, KitError, export_kit
from drumnet.taxonomy import CLASSES, DRUM_CLASSES, LOOP
from drumnet.web.state import ROW_FIELDS, BrowseState

router = APIRouter(prefix="/api")
UNSURE_BELOW = 0.7  # the page's `unsure` filter: answers at 0.7+ are right ~90 % (README)
PEAK_POINTS = 96  # columns of a list row's waveform
PEAK_SECONDS = 10.0  # at most this much of a file is drawn
PEAK_FLOOR_DB = 60.0  # trailing audio this far below the peak is not drawn
PEAK_CACHE = 50_000  # sounds whose peaks are kept (about 100 bytes each)
MAX_IDS = 500  # ids in one /api/peaks or /api/corrections request
LABELS = (*CLASSES, LOOP)
# Served as they are (with range requests); other files (AIFF) are sent as WAV, their first
# TRANSCODE_SECONDS: Chromium and Firefox play no AIFF.
PLAYABLE = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3"})
TRANSCODE_SECONDS = 120.0


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def state_of(request: Request) -> BrowseState:
    return request.app.state.browse


@router.get("/info")
def info(request: Request) -> dict:
    state = state_of(request)
    return {
        "classes": list(LABELS),
        "pads": [pad.__dict__ for pad in PADS],
        "formats": list(FORMATS),
        "unsure_below": UNSURE_BELOW,
        "model": state.model.model_id,
        "fields": list(ROW_FIELDS),
    }


@router.get("/status")
def status(request: Request) -> dict:
    state = state_of(request)
    return {**state.status.to_record(), "sounds": len(state.rows)}


@router.get("/sounds")
def sounds(request: Request, since: int = 0) -> JSONResponse:
    state = state_of(request)
    with state.lock:
        rows = [row.to_list() for row in state.rows[max(0, since) :]]
    # A JSONResponse as it is: FastAPI's own encoding of 50,000 rows takes ten times longer.
    return JSONResponse({"fields": list(ROW_FIELDS), "since": max(0, since), "rows": rows})


@router.api_route("/sounds/{sound_id}/audio", methods=["GET", "HEAD"], response_model=None)
def audio(request: Request, sound_id: int) -> Response:
    row = state_of(request).row(sound_id)
    if row is None:
        return error(404, f"no sound {sound_id}")
    if not os.path.isfile(row.path):
        return error(410, "the file is gone or moved since it was classified")
    if os.path.splitext(row.path)[1].lower() not in PLAYABLE:
        try:
            return Response(as_wav(row.path), media_type="audio/wav")
        except (AudioError, OSError) as exc:
            return error(422, f"cannot decode it: {getattr(exc, 'reason', None) or exc}")
    media = mimetypes.guess_type(row.path)[0] or "application/octet-stream"
    return FileResponse(row.path, media_type=media, headers={"Cache-Control": "no-cache"})


def as_wav(path: str) -> bytes:
    """The first TRANSCODE_SECONDS of a file as 16-bit WAV bytes (for AIFF, which browsers do
    not play). Raises AudioError or OSError."""
    frames, rate, _, _ = read_head(path, TRANSCODE_SECONDS)
    out = io.BytesIO()
    sf.write(out, frames, rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


class _Peaks:
    """A small LRU of computed waveforms: id -> (peaks bytes, seconds drawn)."""

    def __init__(self, size: int = PEAK_CACHE):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
            return self.items.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_PEAKS = _Peaks()


def waveform_peaks(path: str, points: int = PEAK_POINTS) -> tuple[bytes, float]:
    """(peaks: `points` bytes, 0-255 of the sound's peak; seconds drawn) of a file's first
    PEAK_SECONDS, its tail below PEAK_FLOOR_DB left out. Raises AudioError or OSError."""
    frames, rate, _, _ = read_head(path, PEAK_SECONDS)
    x = np.abs(to_mono(frames))
    top = float(x.max()) if x.size else 0.0
    if top <= 0:
        return bytes(points), len(x) / rate
    loud = np.flatnonzero(x >= top * 10 ** (-PEAK_FLOOR_DB / 20))
    x = x[: loud[-1] + 1]
    edges = np.linspace(0, len(x), min(points, len(x)) + 1).astype(int)[:-1]
    peaks = np.maximum.reduceat(x, edges) / top  # (<= points,)
    return np.round(peaks * 255).astype(np.uint8).tobytes(), len(x) / rate


@router.get("/peaks")
def peaks(request: Request, ids: str = "") -> dict:
    state = state_of(request)
    try:
        wanted = [int(i) for i in ids.split(",") if i.strip()][:MAX_IDS]
    except ValueError:
        return error(400, "ids: give numbers separated by commas")
    out = {}
    for sound_id in wanted:
        row = state.row(sound_id)
        if row is None:
            continue
        found = _PEAKS.get((sound_id, row.path))
        if found is None:
            try:
                found = waveform_peaks(row.path)
            except (AudioError, OSError):
                found = (b"", 0.0)
            _PEAKS.put((sound_id, row.path), found)
        out[str(sound_id)] = {"peaks": list(found[0]), "seconds": round(found[1], 4)}
    return out


@router.get("/map")
def layout(request: Request) -> JSONResponse:
    state = state_of(request)
    if state.layout is None:
        return JSONResponse({"ready": False, "ids": [], "x": [], "y": []})
    placed = np.flatnonzero(~np.isnan(state.layout[:, 0]))
    xy = np.round(state.layout[placed].astype(np.float64), 4)
    body = {"ready": True, "ids": placed.tolist(), "x": xy[:, 0].tolist(), "y": xy[:, 1].tolist()}
    return JSONResponse(body)


@router.get("/sounds/{sound_id}/similar")
def similar(request: Request, sound_id: int, top: int = 20) -> dict:
    from drumnet.library.similar import top_k

    state = state_of(request)
    row = state.row(sound_id)
    if row is None:
        return error(404, f"no sound {sound_id}")
    if state.vectors is None or not state.has_vector[sound_id]:
        return error(409, "no embedding for this sound yet (still working, or silent)")
    scores = state.vectors @ state.vectors[sound_id]  # (N,) cosines
    scores[~state.has_vector] = -np.inf
    same = [r.id for r in state.rows if r.hash is not None and r.hash == row.hash]
    scores[[sound_id, *same]] = -np.inf  # itself and its copies are no answer
    best = [i for i in top_k(scores, max(1, min(top, 200))).tolist() if np.isfinite(scores[i])]
    return {
        "id": sound_id,
        "matches": [{"id": i, "similarity": round(float(scores[i]), 4)} for i in best],
    }


@router.get("/review")
def review(request: Request, top: int = 20) -> dict:
    """The sounds whose correction would teach drumnet most (`drumnet review`'s order): doubtful
    answers, spread over the library's kinds of sound, most useful first."""
    from drumnet.library.review import reason, review_order
    from drumnet.taxonomy import LOOP

    state = state_of(request)
    if state.vectors is None:
        return error(409, "the library is still being heard; ask again when it is ready")
    with state.lock:
        rows = list(state.rows)
    eligible = [
        r for r in rows
        if state.has_vector[r.id] and r.top2 and not r.corrected
        and r.label != LOOP and r.warning != "silent"
    ]  # fmt: skip
    done = [r.id for r in rows if r.corrected and state.has_vector[r.id]]
    if not eligible:
        return {"suggestions": []}
    probs = np.array([[r.top2[0][1], r.top2[1][1]] for r in eligible])
    ranked = review_order(
        state.vectors[[r.id for r in eligible]], probs, max(1, min(top, 200)),
        corrected=state.vectors[done] if done else None,
    )  # fmt: skip
    out = []
    for i in ranked.order.tolist():
        r, similar = eligible[i], int(ranked.cluster_size[ranked.cluster[i]]) - 1
        why = reason(dict(r.top2), False, similar)
        out.append({"id": r.id, "label": r.label, "confidence": r.confidence, "reason": why})
    return {"suggestions": out}


class CorrectionBody(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_IDS)
    label: str


@router.post("/corrections")
def correct(request: Request, body: CorrectionBody) -> dict:
    state = state_of(request)
    if body.label not in LABELS:
        return error(400, f"unknown class {body.label!r}; choose from {', '.join(LABELS)}")
    done, failed = [], []
    with Index(state.index_path) as index:
        for sound_id in dict.fromkeys(body.ids):
            row = state.row(sound_id)
            if row is None:
                failed.append({"id": sound_id, "error": "no such sound"})
                continue
            try:
                load_sound(row.path)  # as `drumnet label`: only audio drumnet reads is labelled
                index.correct(row.path, body.label)
            except (AudioError, OSError) as exc:
                reason = exc.reason if isinstance(exc, AudioError) else exc.strerror or str(exc)
                failed.append({"id": sound_id, "error": reason})
                continue
            with state.lock:
                row.label, row.confidence, row.corrected = body.label, 1.0, True
            done.append(sound_id)
    return {"corrected": done, "label": body.label, "failed": failed}


def _candidate(state: BrowseState, sound_id: int) -> Candidate | None:
    row = state.row(sound_id)
    if row is None:
        return None
    vector = None
    if state.vectors is not None and state.has_vector[sound_id]:
        vector = state.vectors[sound_id]
    return Candidate(row.path, row.label, row.confidence, vector, row.id)


class SuggestBody(BaseModel):
    fixed: dict[str, int] = Field(default_factory=dict)


@router.post("/kit/suggest")
def kit_suggest(request: Request, body: SuggestBody) -> dict:
    state = state_of(request)
    fixed = {pad: _candidate(state, i) for pad, i in body.fixed.items()}
    if None in fixed.values() or not set(fixed) <= {p.name for p in PADS}:
        return error(400, "fixed: give {pad: id} with pads and ids that exist")
    usable = (
        _candidate(state, row.id)
        for row in list(state.rows)
        if row.label in DRUM_CLASSES and row.warning not in ("silent", "multi-hit")
    )
    kit = suggest_kit(usable, fixed)
    return {"pads": {pad: c.id for pad, c in kit.items()}}


class ExportBody(BaseModel):
    pads: dict[str, int]
    out: str = Field(min_length=1)
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    name: str = "drumnet kit"


@router.post("/kit/export")
def kit_export(request: Request, body: ExportBody) -> dict:
    state = state_of(request)
    if not os.path.isabs(os.path.expanduser(body.out)):
        return error(400, "out: give the kit folder's full path, e.g. ~/Kits/mine")
    rows = {pad: state.row(i) for pad, i in body.pads.items()}
    if None in rows.values():
        return error(400, "pads: an id the library does not have")
    try:
        done = export_kit({p: r.path for p, r in rows.items()}, body.out, body.formats, body.name)
    except (KitError, ValueError) as exc:
        return error(400, str(exc))
    return {**done.to_record(), "pads": body.pads}
