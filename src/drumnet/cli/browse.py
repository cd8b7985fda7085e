"""`drumnet browse PATH...`: the library in the browser (drumnet.web; docs/browser.md).

The first line on stdout is the page's URL; the server runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import sys

from drumnet.cli.args import non_negative_int


def cmd_browse(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    from drumnet.cli.common import load_cli_model
    from drumnet.web.server import is_loopback, serve

    if not is_loopback(args.host):
        print(
            f"drumnet browse: warning: listening on {args.host}: anyone who can reach this "
            "machine can listen to your library (writes still need the page's token)",
            file=sys.stderr,
        )
    model = load_cli_model(args, "browse")
    if model is None:
        return 2
    return serve(
        args.paths,
        model,
        host=args.host,
        port=args.port,
        open_browser=not args.no_open,
        workers=args.workers,
        threads=args.threads,
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "browse",
        help="browse, listen, correct and build a kit in the browser",
        description="Classify PATHs (reusing the library index) and serve a local page to "
        "browse them: a list and a map by sound, find similar, correct labels, build and "
        "export a kit. Listens on 127.0.0.1 only unless --host says otherwise. The first "
        "line printed is the page's URL; Ctrl-C stops the server.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders (recursive)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=non_negative_int, default=8765, help="default 8765; 0: any free port"
    )
    p.add_argument("--no-open", action="store_true", help="do not open a browser")
    p.add_argument("--model", help="model name or .safetensors file (default: the ensemble)")
    p.add_argument("--workers", type=int, default=2, help="decoding processes (default 2)")
    p.add_argument("--threads", type=int, metavar="N", help="torch threads for the network")
    p.set_defaults(func=cmd_browse)
