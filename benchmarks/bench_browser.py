"""The browser app at scale: page load and map render with 5,000 and 50,000 sounds.

    python benchmarks/bench_browser.py            # prints the figures as JSON

The library is fake (rows, embeddings and a PCA layout made up here, their paths a few real
WAVs written to a temporary folder), so this measures the app, not classification: the JSON
endpoints, the page in Debian's headless chromium (software rendering, as on a machine with
no GPU), and the map's Canvas 2D drawing and hover look-up. Needs /usr/bin/chromium.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import soundfile as sf

from drumnet.taxonomy import CLASSES
from drumnet.training.synth.drums import synth_drum
from drumnet.web.layout import pca_layout
from drumnet.web.server import bind, create_app, host_names
from drumnet.web.state import BrowseState, Row

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARGS += ["--disable-component-update", "--disable-sync", "--no-first-run"]
DIM = 414  # the shipped ensemble's embedding: 5 x 64 network values + 94 descriptors
RATE = 44100  # Hz


def fake_state(n: int, root: Path, seed: int = 0) -> tuple[BrowseState, float]:
    """A ready BrowseState of n sounds in clusters by class; (state, PCA seconds)."""
    rng = np.random.default_rng(seed)
    files = []
    for i, label in enumerate(CLASSES):
        path = root / f"{label}.wav"
        sf.write(str(path), synth_drum(label, np.random.default_rng(i), RATE), RATE)
        files.append(str(path))
    labels = rng.integers(0, len(CLASSES), n)
    centres = rng.normal(size=(len(CLASSES), DIM))
    vectors = centres[labels] + 0.8 * rng.normal(size=(n, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    state = BrowseState([str(root)], SimpleNamespace(model_id="bench"))
    for i, label in enumerate(labels.tolist()):
        row = Row(i, files[label], CLASSES[label], float(rng.uniform(0.3, 1.0)), f"{i:032x}")
        row.folder = f"Pack {i % 97}/{CLASSES[label]}"
        state.rows.append(row)
    state.vectors, state.has_vector = vectors, np.ones(n, bool)
    started = time.perf_counter()
    state.layout = pca_layout(vectors)
    seconds = time.perf_counter() - started
    state.status.phase, state.status.done, state.status.total = "ready", n, n
    return state, seconds


def _timed_get(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, len(body)


# Hover over 40 drawn points (lit pixels of the canvas), each a new point: the look-up in the
# grid, a redraw with its ring and the start of its sound. The median in ms.
HOVER = """() => {
  const c = document.getElementById('map'), box = c.getBoundingClientRect();
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, lit = [];
  for (let i = 0; i < d.length && lit.length < 4000; i += 4 * 7) {
    if (d[i + 3] > 0) lit.push([(i / 4) % c.width, Math.floor(i / 4 / c.width)]);
  }
  const times = [];
  for (let k = 0; k < 40 && lit.length; k++) {
    const [x, y] = lit[Math.floor((k * lit.length) / 40)];
    const t = performance.now();
    c.dispatchEvent(new MouseEvent('mousemove', {
      clientX: box.left + x / devicePixelRatio, clientY: box.top + y / devicePixelRatio,
      bubbles: true}));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}"""


def measure(n: int, page, root: Path) -> dict:
    """Figures for one library size, on a server of its own."""
    import uvicorn

    state, pca_seconds = fake_state(n, root)
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(state, host_names("127.0.0.1", port), "bench")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        while not server.started:
            time.sleep(0.05)
        _timed_get(url + "api/status")  # the first request starts the server's thread pool
        sounds_ms, sounds_bytes = _timed_get(url + "api/sounds")
        map_ms, map_bytes = _timed_get(url + "api/map")
        loads = []
        for _ in range(3):
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=120_000)
            page.wait_for_selector("#list .row canvas")
            loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        page.click("nav button[data-view=map]")
        page.wait_for_function(f"document.getElementById('map').dataset.points === '{n}'")
        first_map = time.perf_counter() - started
        draws = []
        for _ in range(5):  # the points drawn again, as after a zoom
            page.dispatch_event("#map", "dblclick")
            draws.append(float(page.get_attribute("#map", "data-render-ms")))
        hover_ms = page.evaluate(HOVER)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    return {
        "sounds": n,
        "pca_seconds": round(pca_seconds, 3),
        "api_sounds_ms": round(sounds_ms, 1),
        "api_sounds_kb": round(sounds_bytes / 1024),
        "api_map_ms": round(map_ms, 1),
        "api_map_kb": round(map_bytes / 1024),
        "page_load_seconds": round(statistics.median(loads), 3),
        "map_first_render_seconds": round(first_map, 3),
        "map_draw_ms": round(statistics.median(draws), 1),
        "map_hover_ms": round(hover_ms, 2),
    }


def run(sizes: tuple[int, ...] = (5_000, 50_000), tmpdir: str | Path | None = None) -> dict:
    """{"sizes": [figures per size]}; see `measure` for the figures (times in the units named)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(dir=tmpdir) as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            out = [measure(n, page, Path(tmp)) for n in sizes]
        finally:
            browser.close()
    return {"browser": "chromium (headless, software rendering)", "sizes": out}


def main() -> None:
    print(json.dumps(run(), indent=1))


if __name__ == "__main__":
    main()
