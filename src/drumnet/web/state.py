"""What the browser app knows about the library: its sounds, their embeddings and the map.

`BrowseState.start()` classifies and embeds the PATHs in a background thread (reusing the
library index, so a second launch reads everything from it), while the page polls `status()`
and reads the sounds found so far. Sounds are known by an id, their place in `rows`; a request
names an id, never a path. The index is opened in the thread that uses it (SQLite connections
are per thread); a correction opens its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from drumnet.audio.scan import iter_audio_files
from drumnet.library.index import Index
from drumnet.web.layout import cached_layout

MAX_ERRORS = 200  # failed files listed in the status; the count goes on


@dataclass
class Row:
    """One sound of the library as the page shows it."""

    id: int
    path: str
    label: str
    confidence: float
    hash: str | None
    warning: str | None = None
    corrected: bool = False
    folder: str = ""  # as the page shows it: from the PATH it was found under, that included
    # The model's two likeliest classes and their probabilities (review ranks by their margin)
    top2: tuple[tuple[str, float], tuple[str, float]] | None = None

    def to_list(self) -> list:
        """[id, name, folder, label, confidence, corrected, warning]: rows are sent as lists
        (50,000 dicts would repeat every key 50,000 times)."""
        return [
            self.id,
            shown_text(os.path.basename(self.path)),
            shown_text(self.folder),
            self.label,
            round(self.confidence, 4),
            self.corrected,
            self.warning,
        ]


def shown_text(name: str) -> str:
    """A file name as the page shows it: a byte that is not UTF-8 (a surrogate escape of
    os.fsdecode) becomes U+FFFD, which JSON can carry; the file is still found by its id."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shown_folder(path: str, roots: list[str]) -> str:
    """A file's folder from the PATH it lies under, that PATH's own name included
    (`lib/Pack A` for lib/Pack A/x.wav), else its full folder."""
    folder = os.path.dirname(path)
    for root in roots:
        if path == root:  # a file named on the command line
            return os.path.basename(folder) or folder
        if path.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.relpath(folder, os.path.dirname(root)) if root != os.sep else folder
    return folder


ROW_FIELDS = ("id", "name", "folder", "label", "confidence", "corrected", "warning")


@dataclass
class Status:
    phase: str = "starting"  # scanning, classifying, embedding, mapping, ready, failed
    done: int = 0
    total: int | None = None
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # "path: reason", the first MAX_ERRORS
    message: str = ""

    def to_record(self) -> dict:
        return {**self.__dict__, "ready": self.phase == "ready"}


class BrowseState:
    """The library under `paths` as classified by `model` (a DrumClassifier)."""

    def __init__(
        self,
        paths: Iterable[str | os.PathLike],
        model,
        workers: int = 2,
        threads: int | None = None,
        index_path: str | os.PathLike | None = None,
    ):
        self.paths = [os.fspath(p) for p in paths]
        self.roots = [os.path.abspath(p) for p in self.paths]
        self.model = model
        self.workers, self.threads = workers, threads
        self.index_path = index_path
        self.rows: list[Row] = []
        self.status = Status()
        self.vectors: np.ndarray | None = None  # (N, D) float32 unit rows; zeros: no embedding
        self.has_vector: np.ndarray | None = None  # (N,) bool
        self.layout: np.ndarray | None = None  # (N, 2) float32 in [0, 1]; NaN: not placed
        self.lock = threading.Lock()  # guards rows' labels against a correction mid-read
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="drumnet-browse", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float = 300.0) -> bool:
        """Block until the work is done (ready or failed); False on timeout."""
        end = time.monotonic() + timeout
        while self.status.phase not in ("ready", "failed"):
            if time.monotonic() > end:
                return False
            time.sleep(0.05)
        return True

    def run(self) -> None:
        """Classify, embed and lay out; any failure becomes the status, not a traceback."""
        try:
            with Index(self.index_path) as index:
                self.status.phase = "scanning"
                self.status.total = sum(
                    1 for p in iter_audio_files(self.paths) if isinstance(p, str)
                )
                self._classify(index)
                if not self._stop.is_set():
                    self._embed(index)
            if not self._stop.is_set():
                self.status.phase = "mapping"
                self.layout = cached_layout(self.vectors, self.has_vector, self.model.model_id)
                self.status.phase = "ready"
        except Exception as exc:  # noqa: BLE001 -- shown in the page, the server stays up
            self.status.message = f"{type(exc).__name__}: {exc}"
            self.status.phase = "failed"

    def _fail(self, path: str, reason: str) -> None:
        self.status.failed += 1
        if len(self.status.errors) < MAX_ERRORS:
            self.status.errors.append(f"{path}: {reason}")

    def _classify(self, index: Index) -> None:
        from drumnet.inference.pipeline import classify_paths

        self.status.phase = "classifying"
        results = classify_paths(
            self.paths, self.model, workers=self.workers, index=index, threads=self.threads
        )
        try:
            for r in results:
                self.status.done += 1
                if not r.ok:
                    self._fail(r.path, r.error)
                    continue
                row = Row(len(self.rows), os.path.abspath(r.path), r.label, r.confidence, r.hash)
                row.warning, row.corrected = r.warning, r.corrected
                if r.scores and len(r.scores) > 1:
                    two = sorted(r.scores.items(), key=lambda kv: -kv[1])[:2]
                    row.top2 = (two[0], two[1])
                row.folder = shown_folder(row.path, self.roots)
                self.rows.append(row)
                if self._stop.is_set():
                    break
        finally:
            results.close()

    def _embed(self, index: Index) -> None:
        from drumnet.library.embed import embed_paths

        self.status.phase, self.status.done = "embedding", 0
        self.status.total = len(self.rows)
        ids = {row.path: row.id for row in self.rows}
        vectors: np.ndarray | None = None
        found = embed_paths(
            [row.path for row in self.rows], self.model, self.workers, index=index,
            threads=self.threads,
        )  # fmt: skip
        try:
            for e in found:
                self.status.done += 1
                if e.ok and os.path.abspath(e.path) in ids:
                    if vectors is None:
                        vectors = np.zeros((len(self.rows), e.vector.size), np.float32)
                    vectors[ids[os.path.abspath(e.path)]] = e.vector
                if self._stop.is_set():
                    break
        finally:
            found.close()
        if vectors is None:
            vectors = np.zeros((len(self.rows), 1), np.float32)
        # has_vector first: a request that sees `vectors` set may index has_vector at once.
        self.has_vector = np.linalg.norm(vectors, axis=1) > 0
        self.vectors = vectors

    def row(self, sound_id: int) -> Row | None:
        """The row with this id, or None (an id the library does not have)."""
        return self.rows[sound_id] if 0 <= sound_id < len(self.rows) else None
