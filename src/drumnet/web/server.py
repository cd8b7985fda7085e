"""The browser app's server: `create_app` (FastAPI) and `serve` (uvicorn on a socket we bind).

Safe by default (docs/browser.md): it listens on 127.0.0.1 unless told otherwise; `Guard`
answers 400 to a request whose Host header is not this server's own host:port (a page on
another site that rebinds its DNS name to 127.0.0.1 still sends its own name), 403 to a
request that changes anything (any method but GET and HEAD) without the per-launch token in
`X-Drumnet-Token` or from another Origin, and 415 to one whose body is not JSON, so no form on
another page can forge one. The token is written into the page, which only this origin reads.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
import sys
import threading
import webbrowser
from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from drumnet.web.api import router
from drumnet.web.state import BrowseState

STATIC = Path(__file__).parent / "static"
TOKEN_HEADER = "x-drumnet-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        (
            b"default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
            b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        ),
    ),
]


class Guard:
    """ASGI middleware: the Host check, and the token and JSON body on every write."""

    def __init__(self, app, allowed_hosts: Iterable[str], token: str):
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}
        self.origins = {f"http://{h}" for h in self.allowed}
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":  # the app has none: refuse them all
            return await send({"type": "websocket.close", "code": 1008})
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope.get("method", "GET"), headers)
        if refusal is not None:
            status, message = refusal
            return await JSONResponse({"error": message}, status_code=status)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    def refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, why) for a request to refuse, else None."""
        if headers.get("host", "").lower() not in self.allowed:
            return 400, "unexpected Host header: open the address drumnet browse printed"
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            return 403, "request from another site refused"
        if method in SAFE_METHODS:
            return None
        if not hmac.compare_digest(headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            return 403, "missing or wrong X-Drumnet-Token: reload the page drumnet browse served"
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 415, "send the request body as application/json"
        return None


def create_app(state: BrowseState, allowed_hosts: Iterable[str], token: str) -> FastAPI:
    """The app over `state`; requests must name one of `allowed_hosts` ('127.0.0.1:8765')."""
    app = FastAPI(title="drumnet", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.browse = state
    app.include_router(router)
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{token}}", token)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard, allowed_hosts=list(allowed_hosts), token=token)
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def host_names(host: str, port: int) -> list[str]:
    """The Host headers this server answers to, the one to print first: host:port, and for a
    loopback address the other names of this machine's loopback (a browser may say localhost).
    Listening on every address (0.0.0.0, ::), the loopback names, this machine's name and the
    addresses it resolves to: the names a browser elsewhere can reach it by."""
    if host in ("0.0.0.0", "::", ""):
        names = [f"{n}:{port}" for n in LOOPBACK_NAMES]
        machine = {socket.gethostname(), socket.getfqdn()}
        for name in sorted(machine):
            try:
                found = {info[4][0] for info in socket.getaddrinfo(name, None)}
            except OSError:
                found = set()
            for address in sorted({name} | found):
                names.append(f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
        return list(dict.fromkeys(n.lower() for n in names))
    shown = f"[{host}]" if ":" in host else host
    names = [f"{shown}:{port}"]
    if is_loopback(host):
        names += [f"{n}:{port}" for n in LOOPBACK_NAMES]
    return list(dict.fromkeys(n.lower() for n in names))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); OSError if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(False)
    return sock


def serve(
    paths: Iterable[str | os.PathLike],
    model,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    workers: int = 2,
    threads: int | None = None,
) -> int:
    """Serve the library under `paths` until Ctrl-C or SIGTERM; the URL is the first line on
    stdout. Returns the exit status (1: the port could not be had)."""
    import uvicorn

    from drumnet.library.index import Index

    Index().close()  # an index it cannot use stops the command now (IndexUnavailable), not later
    try:
        sock = bind(host, port)
    except OSError as exc:
        print(f"drumnet browse: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    names = host_names(host, port)
    url = f"http://{names[0]}/"
    state = BrowseState(paths, model, workers, threads)
    app = create_app(state, names, secrets.token_urlsafe(32))
    print(url, flush=True)
    state.start()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    if open_browser:
        threading.Timer(0.3, webbrowser.open, (url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # the signal uvicorn re-raises after shutting down
        pass
    finally:
        state.stop()
        sock.close()
    print("drumnet browse: stopped", file=sys.stderr)
    return 0
