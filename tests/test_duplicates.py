"""duplicate_groups: identical bytes grouped, one Copy per file on disk (not per name)."""

from __future__ import annotations

import os

from drumnet.library.duplicates import Copy, duplicate_groups


def test_duplicate_groups(tmp_path):
    for name, content in [("a.wav", b"1"), ("b.wav", b"2"), ("sub/c.wav", b"1"), ("d.wav", b"1")]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(content)
    groups = duplicate_groups([tmp_path])
    assert groups == [[Copy(str(tmp_path / n)) for n in ("a.wav", "d.wav", "sub/c.wav")]]


def test_names_of_one_file_are_one_copy_not_duplicates(tmp_path):
    """A symlink and its target, or two hard links, are one file: deleting one of them as a
    "duplicate" would lose the sound (or free nothing)."""
    (tmp_path / "a.wav").write_bytes(b"1")
    (tmp_path / "b-link.wav").symlink_to(tmp_path / "a.wav")
    os.link(tmp_path / "a.wav", tmp_path / "c-hard.wav")
    assert duplicate_groups([tmp_path]) == []  # all one file: nothing to report
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "0-link.wav").symlink_to(tmp_path / "a.wav")  # found before a.wav
    (tmp_path / "sub" / "copy.wav").write_bytes(b"1")  # a real copy
    (group,) = duplicate_groups([tmp_path])
    names = ("b-link.wav", "c-hard.wav", "sub/0-link.wav")
    assert group == [
        Copy(str(tmp_path / "a.wav"), tuple(str(tmp_path / n) for n in names)),
        Copy(str(tmp_path / "sub" / "copy.wav")),
    ]
