"""The test suite's own cache: no test writes into the user's index (issue 23, item 6)."""

from __future__ import annotations

import os
from pathlib import Path

from drumnet.cache import cache_dir, data_dir
from drumnet.cli import main
from drumnet.library.index import default_index_path

# Read at import, before any fixture: where the user's own index and fetched data are.
USER_INDEX = default_index_path()
USER_DATA = data_dir(create=False)


def _state(path: Path) -> tuple | None:
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


def test_every_test_has_its_own_cache_but_the_fetched_data(tmp_path):
    assert default_index_path().is_relative_to(tmp_path)
    assert cache_dir("tensors").is_relative_to(tmp_path)
    assert data_dir(create=False) == USER_DATA and not USER_DATA.is_relative_to(tmp_path)


def test_a_command_writes_its_index_in_the_test_cache(tmp_path, write_drum, capsys):
    before = _state(USER_INDEX)
    wav = write_drum(tmp_path / "k.wav", "kick")
    assert main(["label", str(wav), "kick"]) == 0
    assert (tmp_path / "cache" / "index.sqlite").is_file()
    assert _state(USER_INDEX) == before


def test_data_dir_follows_its_own_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("DRUMNET_DATA", str(tmp_path / "data"))
    assert data_dir("debian") == tmp_path / "data" / "debian"
    monkeypatch.delenv("DRUMNET_DATA")
    assert data_dir("debian", create=False) == cache_dir("debian", create=False)
    assert os.environ["DRUMNET_CACHE"] == str(tmp_path / "cache")
