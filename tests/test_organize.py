"""organize: SRC untouched, nothing overwritten, manifest, undo keeps what people changed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_classify import train_kick_hat

from drumnet.index import Index
from drumnet.organize import Organizer, organize, read_manifest, undo


@pytest.fixture(scope="module")
def kick_hat():
    return train_kick_hat()


@pytest.fixture
def src(tmp_path, write_drum) -> Path:
    root = tmp_path / "src"
    for i in range(2):
        write_drum(root / "Pack A" / f"k{i}.wav", "kick", seed=200 + i)
        write_drum(root / "Pack B" / f"h{i}.wav", "hat", seed=200 + i)
    (root / "broken.wav").write_bytes(b"RIFF....WAVE")
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> blake2b of every file (or link target) under root."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            out[str(path.relative_to(root))] = "link:" + os.readlink(path)
        elif path.is_file():
            out[str(path.relative_to(root))] = hashlib.blake2b(path.read_bytes()).hexdigest()
        else:
            out[str(path.relative_to(root)) + "/"] = "dir"
    return out


def run(src, dest, model, **kw) -> tuple[list, Path | None]:
    org = Organizer(src, dest, kw.pop("mode", "copy"), kw.pop("dry_run", False))
    from drumnet.classify import classify_paths

    placements = list(org.run(classify_paths([src], model, workers=0, **kw)))
    return placements, org.manifest_path


@pytest.mark.parametrize("mode", ["copy", "hardlink", "symlink"])
def test_organize_places_by_class_and_undo_restores(tmp_path, src, kick_hat, mode):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "mine.txt").write_text("the user's own file")
    before_src, before_dest = snapshot(src), snapshot(dest)
    placements, manifest = run(src, dest, kick_hat, mode=mode)
    assert snapshot(src) == before_src  # SRC byte for byte unchanged
    placed = {Path(p.result.path).name: p.dest for p in placements if p.dest}
    assert placed["k0.wav"] == str(dest / "kick" / "Pack A" / "k0.wav")
    assert placed["h1.wav"] == str(dest / "hihat" / "Pack B" / "h1.wav")
    failed = [p for p in placements if p.dest is None]
    assert [Path(p.result.path).name for p in failed] == ["broken.wav"]
    assert (dest / "kick" / "Pack A" / "k0.wav").read_bytes() == (
        src / "Pack A" / "k0.wav"
    ).read_bytes()
    records = read_manifest(manifest)
    assert sum(r.get("action") == "place" for r in records) == 4
    report = undo(manifest)
    assert len(report.removed) == 4 and not report.kept
    assert snapshot(dest) == before_dest and snapshot(src) == before_src


def test_collisions_never_overwrite(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    (dest / "kick" / "Pack A").mkdir(parents=True)
    (dest / "kick" / "Pack A" / "k0.wav").write_bytes(b"precious")
    _, first = run(src, dest, kick_hat)
    _, second = run(src, dest, kick_hat)  # the same library again
    assert (dest / "kick" / "Pack A" / "k0.wav").read_bytes() == b"precious"
    names = sorted(p.name for p in (dest / "kick" / "Pack A").iterdir())
    assert names == ["k0 (2).wav", "k0 (3).wav", "k0.wav", "k1 (2).wav", "k1.wav"]
    assert first != second  # one manifest per run
    undo(second)
    undo(first)
    assert sorted(p.name for p in dest.rglob("*")) == ["Pack A", "k0.wav", "kick"]


def test_undo_keeps_changed_files_and_their_folders(tmp_path, src, kick_hat):
    dest = tmp_path / "new" / "dest"  # organize creates both folders, undo removes both
    _, manifest = run(src, dest, kick_hat)
    changed = dest / "hihat" / "Pack B" / "h0.wav"
    changed.write_bytes(b"edited by hand")
    report = undo(manifest)
    assert report.kept == (str(changed),) and len(report.removed) == 3
    assert changed.read_bytes() == b"edited by hand"
    left = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    assert left == sorted(["hihat", "hihat/Pack B", "hihat/Pack B/h0.wav", manifest.name])
    changed.unlink()
    undo(manifest)  # once the changed file is gone, the rest goes too
    assert not (tmp_path / "new").exists()


def test_dry_run_creates_nothing(tmp_path, src, kick_hat):
    placements, manifest = run(src, tmp_path / "dest", kick_hat, dry_run=True)
    assert manifest is None and not (tmp_path / "dest").exists()
    assert len({p.dest for p in placements if p.dest}) == 4


def test_unsure_corrections_and_refusals(tmp_path, src, kick_hat):
    sf.write(str(src / "quiet.wav"), np.zeros(4410), 44100, subtype="PCM_16")
    with Index(tmp_path / "i.sqlite") as index:
        index.correct(src / "Pack B" / "h1.wav", "tom")  # (kicks all share one content)
        placements = list(organize(src, tmp_path / "dest", model=kick_hat, index=index))
    by_name = {Path(p.result.path).name: p.dest for p in placements}
    assert by_name["h1.wav"] == str(tmp_path / "dest" / "tom" / "Pack B" / "h1.wav")
    assert by_name["h0.wav"] == str(tmp_path / "dest" / "hihat" / "Pack B" / "h0.wav")
    assert by_name["quiet.wav"] == str(tmp_path / "dest" / "unsure" / "quiet.wav")
    assert by_name["k0.wav"] == str(tmp_path / "dest" / "kick" / "Pack A" / "k0.wav")
    with pytest.raises(ValueError, match="inside SRC"):
        Organizer(src, src / "sorted")
    with pytest.raises(ValueError, match="mode"):
        Organizer(src, tmp_path / "d", mode="move")
