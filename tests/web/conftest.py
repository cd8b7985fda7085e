"""A small synthesised library, classified once per module, and a live server over it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from library_fixtures import write_library

from drumnet.inference.classifier import load_model
from drumnet.web.server import bind, create_app, host_names
from drumnet.web.state import BrowseState

CHROMIUM = "/usr/bin/chromium"  # Debian's; the Makefile installs it where it can (root)
TOKEN = "test-token"


@pytest.fixture(scope="session")
def model():
    return load_model("default")  # one net: fast enough for tests


@pytest.fixture(scope="module")
def web_cache(tmp_path_factory):
    """DRUMNET_CACHE pointed at an empty folder for the module (the index, the layouts)."""
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("cache")
        mp.setenv("DRUMNET_CACHE", str(cache))
        yield cache


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return write_library(tmp_path_factory.mktemp("web") / "lib")


@pytest.fixture(scope="module")
def state(library, model, web_cache) -> BrowseState:
    browse = BrowseState([library], model, workers=0, threads=1)
    browse.start()
    assert browse.wait(300), "the library was not classified in time"
    assert browse.status.phase == "ready", browse.status.message
    yield browse
    browse.stop()


@pytest.fixture(scope="module")
def live_server(state):
    """(url, state): uvicorn serving `state` on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(state, host_names("127.0.0.1", port), TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/", state
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright on Debian's chromium, never a downloaded browser."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: `apt-get install chromium` (make install does as root)")
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--autoplay-policy=no-user-gesture-required",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The page's Content-Security-Policy forbids eval, which Playwright's wait_for_function
    # uses for its predicates: bypassed in tests only.
    return {**browser_context_args, "bypass_csp": True}
