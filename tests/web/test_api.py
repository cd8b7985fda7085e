"""The browser app's JSON API: the Host check, the token on writes, audio by id only, and the
library operations behind it (corrections, similar, the map, kit export)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from drumnet.cli import main
from drumnet.library.kit import PAD_BY_NAME
from drumnet.web.server import create_app
from drumnet.web.state import BrowseState

TOKEN = "api-test-token"
WRITE = {"X-Drumnet-Token": TOKEN}


@pytest.fixture(scope="module")
def client(state):
    app = create_app(state, ["testserver"], TOKEN)
    with TestClient(app) as c:
        yield c


def rows(client) -> list[dict]:
    got = client.get("/api/sounds").json()
    return [dict(zip(got["fields"], row)) for row in got["rows"]]


def first(client, label: str) -> dict:
    return next(r for r in rows(client) if r["label"] == label and not r["corrected"])


def test_status_lists_every_sound_and_the_broken_file(client, library):
    status = client.get("/api/status").json()
    assert status["ready"] and status["phase"] == "ready"
    assert status["sounds"] == len(list(library.rglob("*_*.wav"))) == 24
    assert status["failed"] == 1 and "broken.wav" in status["errors"][0]
    row = rows(client)[0]
    assert set(row) == {"id", "name", "folder", "label", "confidence", "corrected", "warning"}
    assert row["folder"] in ("lib/Pack A", "lib/Pack B")


def test_page_carries_the_token_and_security_headers(client):
    page = client.get("/")
    assert page.status_code == 200 and f'content="{TOKEN}"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1", "testserver:1"])
def test_a_foreign_host_header_is_refused(client, host):
    got = client.get("/api/status", headers={"Host": host})
    assert got.status_code == 400 and "Host" in got.json()["error"]
    assert client.get("/", headers={"Host": host}).status_code == 400


def test_writes_need_the_token_a_json_body_and_our_origin(client):
    some = first(client, "kick")
    body = {"ids": [some["id"]], "label": "snare"}
    assert client.post("/api/corrections", json=body).status_code == 403
    bad = {"X-Drumnet-Token": "guess"}
    assert client.post("/api/corrections", json=body, headers=bad).status_code == 403
    form = client.post(
        "/api/corrections",
        content="ids=1&label=snare",
        headers={**WRITE, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    foreign = client.post(
        "/api/corrections", json=body, headers={**WRITE, "Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert client.post("/api/kit/export", json={"pads": {}, "out": "/tmp/x"}).status_code == 403
    assert first(client, "kick")["id"] == some["id"]  # nothing changed


@pytest.mark.parametrize(
    "url",
    [
        "/api/sounds/..%2F..%2F..%2Fetc%2Fpasswd/audio",
        "/api/sounds/%2Fetc%2Fpasswd/audio",
        "/api/sounds/-1/audio",
        "/api/sounds/99999/audio",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/../server.py",
        "/api/peaks?ids=/etc/passwd",
    ],
)
def test_no_request_reaches_a_file_by_path(client, url):
    got = client.get(url)
    assert got.status_code in (400, 404, 422)
    assert b"root:" not in got.content and b"import" not in got.content


def test_no_endpoint_takes_a_path():
    from drumnet.web.api import router

    for route in router.routes:
        assert "path" not in {
            p.name for p in route.dependant.path_params + route.dependant.query_params
        }


def test_audio_by_id_answers_range_requests(client, state):
    row = state.rows[0]
    data = Path(row.path).read_bytes()
    whole = client.get(f"/api/sounds/{row.id}/audio")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"].startswith("audio/")
    part = client.get(f"/api/sounds/{row.id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"


def test_peaks_are_small_waveforms(client):
    got = client.get("/api/peaks?ids=0,1,99999").json()
    assert set(got) == {"0", "1"}
    for wave in got.values():
        assert 0 < len(wave["peaks"]) <= 96 and max(wave["peaks"]) == 255
        assert all(0 <= v <= 255 for v in wave["peaks"]) and wave["seconds"] > 0


def test_map_places_every_sound_with_an_embedding(client, state):
    got = client.get("/api/map").json()
    assert got["ready"] and sorted(got["ids"]) == [r.id for r in state.rows]
    assert all(0 <= v <= 1 for v in got["x"] + got["y"])


def test_similar_ranks_other_sounds(client):
    kick = first(client, "kick")
    got = client.get(f"/api/sounds/{kick['id']}/similar?top=5").json()
    ids = [m["id"] for m in got["matches"]]
    assert len(ids) == 5 and kick["id"] not in ids
    sims = [m["similarity"] for m in got["matches"]]
    assert sims == sorted(sims, reverse=True)
    assert client.get("/api/sounds/99999/similar").status_code == 404


def test_a_correction_lands_in_the_index_and_classify_reports_it(client, state, capsys):
    hat = first(client, "hihat")
    got = client.post("/api/corrections", json={"ids": [hat["id"]], "label": "perc"}, headers=WRITE)
    assert got.status_code == 200 and got.json()["corrected"] == [hat["id"]]
    row = next(r for r in rows(client) if r["id"] == hat["id"])
    assert row["label"] == "perc" and row["corrected"]
    path = state.rows[hat["id"]].path
    capsys.readouterr()
    assert (
        main(["classify", path, "--model", "default", "--workers", "0", "--format", "jsonl"]) == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert record["label"] == "perc" and record["corrected"] is True
    two = [r["id"] for r in rows(client) if r["label"] == "cymbal"][:2]
    got = client.post("/api/corrections", json={"ids": two, "label": "cymbal"}, headers=WRITE)
    assert got.json()["corrected"] == two and all(state.rows[i].corrected for i in two)
    bad = client.post("/api/corrections", json={"ids": [0], "label": "banjo"}, headers=WRITE)
    assert bad.status_code == 400 and "banjo" in bad.json()["error"]


def test_kit_suggest_and_export(client, state, tmp_path):
    before = {r.path: hashlib.blake2b(Path(r.path).read_bytes()).hexdigest() for r in state.rows}
    pads = client.post("/api/kit/suggest", json={}, headers=WRITE).json()["pads"]
    assert {"kick", "snare", "closed-hat"} <= set(pads)
    for pad, sound_id in pads.items():
        assert state.rows[sound_id].label == PAD_BY_NAME[pad].label
    kick = first(client, "kick")["id"]
    fixed = client.post("/api/kit/suggest", json={"fixed": {"kick": kick}}, headers=WRITE)
    assert fixed.json()["pads"]["kick"] == kick
    out = tmp_path / "kit"
    body = {"pads": pads, "out": str(out), "formats": ["sfz", "hydrogen"], "name": "test kit"}
    done = client.post("/api/kit/export", json=body, headers=WRITE)
    assert done.status_code == 200, done.text
    record = done.json()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*record["samples"].values(), "test_kit.sfz", "drumkit.xml"]
    )
    again = client.post("/api/kit/export", json=body, headers=WRITE)
    assert again.status_code == 400 and "already holds" in again.json()["error"]
    relative = client.post("/api/kit/export", json={**body, "out": "kit"}, headers=WRITE)
    assert relative.status_code == 400
    after = {r.path: hashlib.blake2b(Path(r.path).read_bytes()).hexdigest() for r in state.rows}
    assert after == before


def test_an_empty_library_is_ready_with_nothing_to_show(tmp_path, model, web_cache):
    empty = BrowseState([tmp_path], model, workers=0)
    empty.start()
    assert empty.wait(60) and empty.status.phase == "ready"
    with TestClient(create_app(empty, ["testserver"], TOKEN)) as c:
        assert c.get("/api/sounds").json()["rows"] == []
        assert c.get("/api/map").json()["ids"] == []
        assert c.post("/api/kit/suggest", json={}, headers=WRITE).json()["pads"] == {}


def test_websockets_are_refused(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/api/status") as ws:
        ws.receive_text()


def test_aiff_is_sent_as_wav_that_browsers_play(tmp_path, model, web_cache):
    import io

    import numpy as np
    import soundfile as sf

    t = np.arange(22050) / 44100
    sf.write(
        str(tmp_path / "tom.aiff"), 0.5 * np.sin(2 * np.pi * 110 * t) * np.exp(-t / 0.1), 44100
    )
    aiff = BrowseState([tmp_path], model, workers=0)
    aiff.start()
    assert aiff.wait(60) and len(aiff.rows) == 1
    with TestClient(create_app(aiff, ["testserver"], TOKEN)) as c:
        got = c.get("/api/sounds/0/audio")
    assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
    wave, rate = sf.read(io.BytesIO(got.content))
    assert rate == 44100 and len(wave) == 22050


def test_review_suggests_doubtful_uncorrected_sounds_one_per_kind(client, state):
    got = client.get("/api/review?top=4").json()["suggestions"]
    assert 1 <= len(got) <= 4
    known = {r["id"]: r for r in rows(client)}
    assert all(s["id"] in known and not known[s["id"]]["corrected"] for s in got)
    assert len({s["id"] for s in got}) == len(got)  # no sound twice
    assert all(s["reason"] for s in got)
    corrected = (
        next(r["id"] for r in rows(client) if r["corrected"])
        if any(r["corrected"] for r in rows(client))
        else None
    )
    everything = client.get("/api/review?top=200").json()["suggestions"]
    assert corrected is None or corrected not in {s["id"] for s in everything}
