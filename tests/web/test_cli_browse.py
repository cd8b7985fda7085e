"""`drumnet browse` as a person runs it: the URL first, loopback only, SIGTERM stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from drumnet.web.server import Guard, host_names, is_loopback

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def get(url: str, host: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.slow
def test_browse_serves_the_url_it_prints_and_stops_on_sigterm(library, tmp_path):
    env = {**os.environ, "DRUMNET_CACHE": str(tmp_path / "cache"), "PYTHONPATH": SRC}
    code = "import sys; from drumnet.cli import main; sys.exit(main())"
    args = ["browse", str(library), "--port", "0", "--no-open", "--model", "default"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args, "--workers", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert int(url.rsplit(":", 1)[1].rstrip("/")) > 0  # the port it really got
        for _ in range(600):
            _, body = get(url + "api/status")
            if body.get("phase") in ("ready", "failed"):
                break
            time.sleep(0.1)
        assert body["phase"] == "ready" and body["sounds"] == 24 and body["failed"] == 1
        assert get(url + "api/status", host="attacker.example")[0] == 400
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_host_names_and_loopback():
    assert host_names("127.0.0.1", 8765) == ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"]
    assert host_names("192.168.1.5", 80) == ["192.168.1.5:80"]
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_guard_refusals():
    guard = Guard(None, ["127.0.0.1:9"], "t")
    ok = {"host": "127.0.0.1:9"}
    assert guard.refusal("GET", ok) is None
    assert guard.refusal("GET", {"host": "localhost.attacker.example:9"})[0] == 400
    assert guard.refusal("GET", {}) is not None  # no Host header at all
    write = {**ok, "x-drumnet-token": "t", "content-type": "application/json"}
    assert guard.refusal("POST", write) is None
    assert guard.refusal("DELETE", {**write, "x-drumnet-token": "x"})[0] == 403
    assert guard.refusal("POST", {**write, "content-type": "text/plain"})[0] == 415
    assert guard.refusal("POST", {**write, "origin": "http://127.0.0.1:9"}) is None
    assert guard.refusal("POST", {**write, "origin": "null"})[0] == 403


def test_listening_everywhere_answers_to_loopback_and_this_machines_name():
    import socket

    names = host_names("0.0.0.0", 80)
    assert names[0] == "127.0.0.1:80" and f"{socket.gethostname().lower()}:80" in names
    assert "evil.example:80" not in names


def test_a_name_that_is_not_utf8_still_travels_as_json():
    from drumnet.web.state import Row

    path = os.fsdecode(b"/lib/Pack \xff/kick \xfe.wav")
    row = Row(0, path, "kick", 0.9, None, folder=os.fsdecode(b"lib/Pack \xff"))
    text = json.dumps(row.to_list(), ensure_ascii=False).encode("utf-8")
    assert "kick \ufffd.wav" in text.decode()


@pytest.mark.slow  # a fresh interpreter importing the command line: seconds on a busy machine
def test_the_command_line_starts_without_the_web_stack():
    code = (
        "import sys; from drumnet.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
