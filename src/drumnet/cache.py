"""Where drumnet keeps what it fetches and builds: $DRUMNET_CACHE, else ~/.cache/drumnet."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(sub: str | None = None, create: bool = True) -> Path:
    """The cache folder (or a sub-folder of it); never inside a user's library."""
    root = os.environ.get("DRUMNET_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "drumnet"
    path = base / sub if sub else base
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
