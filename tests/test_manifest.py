"""The organize manifest: each line on the disk whole or not at all."""

from __future__ import annotations

import errno

import pytest

from drumnet.library.manifest import Manifest, read_manifest


class HalfWrites:
    """A raw file whose writes stop halfway with ENOSPC once `full` is set."""

    def __init__(self, f):
        self.f, self.full = f, False

    def __getattr__(self, name):
        return getattr(self.f, name)

    def write(self, data):
        if self.full:
            self.f.write(bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.f.write(data)


def test_a_line_cut_short_by_a_full_disk_is_cut_off_again(tmp_path):
    manifest = Manifest(tmp_path, {"dest": str(tmp_path)})
    manifest.write({"action": "mkdir", "dest": str(tmp_path / "kick")})
    manifest.file = HalfWrites(manifest.file)
    manifest.file.full = True
    with pytest.raises(OSError, match="No space"):
        manifest.write({"action": "mkdir", "dest": str(tmp_path / "hihat")})
    manifest.file.full = False  # space again: the next line starts on a line of its own
    manifest.write({"action": "mkdir", "dest": str(tmp_path / "tom")})
    manifest.close()
    lines = manifest.path.read_text().splitlines()
    assert len(lines) == 3 and "hihat" not in manifest.path.read_text()
    assert [r["dest"] for r in read_manifest(manifest.path)[1:]] == [
        str(tmp_path / "kick"),
        str(tmp_path / "tom"),
    ]
