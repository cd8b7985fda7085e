"""Where drumnet keeps what it builds and what it fetches.

The cache (`cache_dir`): $DRUMNET_CACHE, else ~/.cache/drumnet; it holds the library index,
decoded tensors and synthesised sounds. Fetched third-party data (`data_dir`: the Debian
packages the training sets come from) lives in the cache too unless $DRUMNET_DATA names another
folder, so that one set of downloads can serve several caches (the test suite gives every test
its own cache but reads the kits fetched once).
"""

from __future__ import annotations

import os
from pathlib import Path


def _folder(base: Path, sub: str | None, create: bool) -> Path:
    path = base / sub if sub else base
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(sub: str | None = None, create: bool = True) -> Path:
    """The cache folder (or a sub-folder of it); never inside a user's library."""
    root = os.environ.get("DRUMNET_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "drumnet"
    return _folder(base, sub, create)


def data_dir(sub: str | None = None, create: bool = True) -> Path:
    """The folder fetched data goes to (or a sub-folder): $DRUMNET_DATA, else the cache."""
    root = os.environ.get("DRUMNET_DATA")
    return _folder(Path(root).expanduser(), sub, create) if root else cache_dir(sub, create)
