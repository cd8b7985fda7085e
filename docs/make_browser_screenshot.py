"""Rebuild the README's picture of `drumnet browse`: a synthesised library in headless chromium.

    python docs/make_browser_screenshot.py   # writes docs/browser.png and docs/browser-map.png

Three packs of synthesised one-shots (drumnet.training.synth) in a temporary folder, classified
by the shipped default model into a temporary cache, served on a free loopback port and shot
with Playwright driving Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44100  # Hz
PACKS = {"808 Machine": 1.0, "Acoustic Room": 0.0, "Tape Kit": 0.5}  # pack -> electronic
NAMES = {"kick": "Kick", "snare": "Snare", "hihat": "Hat", "tom": "Tom", "cymbal": "Crash"}
NAMES |= {"clap": "Clap", "rim": "Rim", "perc": "Perc"}
OUT = Path(__file__).parent


def write_library(root: Path, per_class: int = 4) -> None:
    from drumnet.training.synth.colour import random_colour
    from drumnet.training.synth.drums import synth_drum

    for p, pack in enumerate(PACKS):
        colour = random_colour(np.random.default_rng([5, p]))
        for c, (label, name) in enumerate(NAMES.items()):
            for i in range(per_class):
                rng = np.random.default_rng([5, p, c, i])
                path = root / pack / f"{name} {i + 1:02d}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(path), synth_drum(label, rng, RATE, colour), RATE, subtype="PCM_16")


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DRUMNET_CACHE"] = str(Path(tmp) / "cache")
        from drumnet.inference.classifier import load_model
        from drumnet.web.server import bind, create_app, host_names
        from drumnet.web.state import BrowseState

        write_library(Path(tmp) / "Samples")
        state = BrowseState([Path(tmp) / "Samples"], load_model(), workers=0)
        state.start()
        state.wait()
        sock = bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        app = create_app(state, host_names("127.0.0.1", port), "screenshot")
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("body[data-ready=true]")
            page.select_option("#sort", "folder")
            page.click("#list .row >> nth=5")
            page.click("#find-similar")
            page.wait_for_selector("#similar li")
            page.wait_for_timeout(500)  # the waveforms
            page.screenshot(path=str(OUT / "browser.png"))
            page.click("nav button[data-view=map]")
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / "browser-map.png"))
            browser.close()
        server.should_exit = True
        state.stop()
    print(f"wrote {OUT / 'browser.png'} and {OUT / 'browser-map.png'}")


if __name__ == "__main__":
    main()
