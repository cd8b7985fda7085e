"""undo: removes exactly what a run placed and is unchanged; keeps and reports the rest."""
# ruff: noqa: F811  (test arguments are the pytest fixtures imported from test_organize)

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_organize import kick_hat, kick_hat_file, run, snapshot, src  # noqa: F401  (fixtures)

from drumnet.cli import main
from drumnet.library.hashing import file_hash
from drumnet.library.undo import undo


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


def _bad_manifests(dest: Path, outside: Path) -> dict[str, bytes | None]:
    """Name -> contents (None: a folder) of files `--undo` must refuse."""
    header = json.dumps({"format": "drumnet-organize", "version": 1, "dest": str(dest)}) + "\n"
    place = {"action": "place", "src": "/s.wav", "dest": str(outside), "mode": "copy"}
    place.update(size=outside.stat().st_size, hash=file_hash(outside))
    return {
        "folder": None,
        "number": b"1\n",
        "list": b"[1, 2]\n",
        "binary": b"\xff\xfe\x00\x01RIFF",
        "missing keys": (header + '{"action": "place"}\n').encode(),
        "outside DEST": (header + json.dumps(place) + "\n").encode(),
    }


@pytest.mark.parametrize(
    "kind", ["folder", "number", "list", "binary", "missing keys", "outside DEST"]
)
def test_undo_refuses_what_is_not_a_manifest(tmp_path, kind, capsys):
    dest, outside = tmp_path / "dest", tmp_path / "outside.wav"
    dest.mkdir()
    outside.write_bytes(b"the user's file, which a bad record must not delete")
    manifest = dest / "drumnet-manifest-bad.jsonl"
    content = _bad_manifests(dest, outside)[kind]
    manifest.mkdir() if content is None else manifest.write_bytes(content)
    before = snapshot(tmp_path)
    assert main(["organize", "--undo", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"drumnet organize: error: {manifest}: not a drumnet organize manifest (")
    assert err.count("\n") == 1 and snapshot(tmp_path) == before


@pytest.mark.parametrize("dest_exists", [True, False])
def test_runs_undone_oldest_first_restore_dest(tmp_path, src, kick_hat, dest_exists, write_drum):
    dest = tmp_path / "new" / "dest"  # when missing, the first run creates both folders
    if dest_exists:
        (dest / "kick").mkdir(parents=True)
        (dest / "kick" / "mine.wav").write_bytes(b"the user's own kick")
    before = snapshot(tmp_path / "new")
    _, first = run(src, dest, kick_hat)
    write_drum(src / "Pack A" / "k9.wav", "kick", seed=209)  # new since the first run
    placed, second = run(src, dest, kick_hat)
    assert [Path(p.dest).name for p in placed if p.outcome == "placed"] == ["k9.wav"]
    undo(first)  # its folders still hold the second run's file: handed over to it
    assert (dest / "kick" / "Pack A" / "k9.wav").exists()
    undo(second)
    assert snapshot(tmp_path / "new") == before


def test_undo_goes_on_past_a_file_it_cannot_remove(tmp_path, src, kick_hat, monkeypatch):
    dest = tmp_path / "dest"
    _, manifest = run(src, dest, kick_hat)
    stuck = str(dest / "kick" / "Pack A" / "k0.wav")
    unlink = os.unlink

    def read_only(path, *a, **kw):
        if os.fspath(path) == stuck:
            raise PermissionError(13, "Permission denied")
        return unlink(path, *a, **kw)

    monkeypatch.setattr(os, "unlink", read_only)
    report = undo(manifest)
    assert report.failed == ((stuck, "Permission denied"),) and len(report.removed) == 3
    assert manifest.exists()  # kept, so the stuck file can still be undone later
    monkeypatch.setattr(os, "unlink", unlink)
    assert undo(manifest).removed == (stuck,) and not dest.exists()


def test_cli_undo_takes_a_manifest_once_and_names_a_missing_one(
    tmp_path, src, kick_hat_file, capsys
):
    dest = tmp_path / "dest"
    main(["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"])
    (manifest,) = dest.glob("drumnet-manifest-*.jsonl")
    assert main(["organize", "--undo", str(manifest), str(manifest)]) == 0
    assert not dest.exists()
    capsys.readouterr()
    assert main(["organize", "--undo", str(manifest)]) == 2
    assert "no such manifest" in capsys.readouterr().err


def test_cli_undo_dry_run_removes_nothing(tmp_path, src, kick_hat_file, capsys):
    dest = tmp_path / "dest"
    main(["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"])
    (manifest,) = dest.glob("drumnet-manifest-*.jsonl")
    before = snapshot(dest)
    capsys.readouterr()
    relative = os.path.relpath(manifest)  # as a shell glob in the working folder gives it
    assert main(["organize", "--dry-run", "--undo", relative]) == 0
    assert snapshot(dest) == before
    out = capsys.readouterr().out
    assert f"would remove {dest / 'kick' / 'Pack A' / 'k0.wav'}" in out
    # DEST and its four class and pack folders would all go: the run made them.
    assert "would remove 4 files and 5 folders; kept 0 changed files; 0 already gone" in out


def test_undo_leaves_a_file_a_later_run_placed_again(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    _, first = run(src, dest, kick_hat)
    k0 = dest / "kick" / "Pack A" / "k0.wav"
    os.unlink(k0)
    _, second = run(src, dest, kick_hat)  # puts k0 back: it is the second run's now
    report = undo(first)
    assert report.later == (str(k0),) and k0.exists() and len(report.removed) == 3
    assert undo(second).removed == (str(k0),) and not dest.exists()


def test_undo_of_a_damaged_manifest_keeps_it_and_says_so(tmp_path, src, kick_hat_file, capsys):
    dest = tmp_path / "dest"
    main(["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"])
    (manifest,) = dest.glob("drumnet-manifest-*.jsonl")
    manifest.write_bytes(manifest.read_bytes()[:-60])  # the last record cut short
    assert main(["organize", "--undo", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert "1 line could not be read" in err and manifest.exists()
    assert len(list(dest.rglob("*.wav"))) == 1  # the file of the unreadable record


@pytest.mark.parametrize("mode", ["copy", "hardlink", "symlink"])
def test_undo_keeps_what_may_be_the_last_of_a_sound(tmp_path, src, kick_hat, kick_hat_file, mode):
    dest = tmp_path / "dest"
    _, manifest = run(src, dest, kick_hat, mode=mode)
    shutil.rmtree(src / "Pack A")  # sorted, so the messy originals went
    resaved = src / "Pack B" / "h1.new"  # re-saved by an editor: a new file under the old name
    resaved.write_bytes((src / "Pack B" / "h0.wav").read_bytes())
    resaved.replace(src / "Pack B" / "h1.wav")
    report = undo(manifest)
    gone = {dest / "kick" / "Pack A" / "k0.wav", dest / "kick" / "Pack A" / "k1.wav"}
    if mode == "symlink":  # a link holds no sound: removing it loses nothing
        assert not report.sole and len(report.removed) == 4 and not manifest.exists()
        return
    assert set(report.sole) == {str(p) for p in gone | {dest / "hihat" / "Pack B" / "h1.wav"}}
    assert report.removed == (str(dest / "hihat" / "Pack B" / "h0.wav"),)
    assert all(p.is_file() for p in gone) and manifest.exists()
    assert main(["organize", "--undo", str(manifest)]) == 1  # says so, changes nothing more
    assert all(p.is_file() for p in gone)


def test_cli_undo_names_the_copies_it_keeps(tmp_path, src, kick_hat_file, capsys):
    dest = tmp_path / "dest"
    main(["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"])
    (manifest,) = dest.glob("drumnet-manifest-*.jsonl")
    (src / "Pack A" / "k0.wav").unlink()
    capsys.readouterr()
    assert main(["organize", "--undo", str(manifest)]) == 1
    out, err = capsys.readouterr()
    assert "k0.wav: the file it was made from is gone or changed" in err
    assert "kept 1 file whose original is gone or changed" in out
    assert (dest / "kick" / "Pack A" / "k0.wav").is_file()


def test_undo_follows_a_dest_that_was_renamed(tmp_path, src, kick_hat):
    dest = tmp_path / "Kits"
    _, manifest = run(src, dest, kick_hat)
    renamed = tmp_path / "Kits-2024"
    dest.rename(renamed)
    moved = renamed / manifest.name
    assert undo(moved, dry_run=True).moved_from == str(dest)
    report = undo(moved)
    assert report.moved_from == str(dest) and len(report.removed) == 4 and not report.missing
    assert not renamed.exists()  # organize made it (as Kits): undone whole
    assert snapshot(src) and not dest.exists()


def test_undo_of_a_manifest_away_from_its_files_keeps_it(tmp_path, src, kick_hat):
    dest = tmp_path / "Kits"
    _, manifest = run(src, dest, kick_hat)
    elsewhere = tmp_path / "Kits-2024"
    elsewhere.mkdir()
    (dest / "kick").rename(elsewhere / "kick")
    (dest / "hihat").rename(elsewhere / "hihat")
    (dest / manifest.name).rename(elsewhere / manifest.name)
    dest.rmdir()
    dest.with_name("unrelated").mkdir()
    shutil.rmtree(elsewhere / "kick" / "Pack A")  # so nothing it recorded is found there
    shutil.rmtree(elsewhere / "hihat" / "Pack B")
    report = undo(elsewhere / manifest.name)
    assert report.unfound and (elsewhere / manifest.name).exists()


def test_undo_clears_a_killed_runs_partial_copies(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    _, manifest = run(src, dest, kick_hat)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a process that is gone
    folder = dest / "kick" / "Pack A"
    (folder / f".drumnet-partial-{pid}-0badc0de").write_bytes(b"half a copy")
    (folder / f".k9.wav.drumnet-partial-{pid}").write_bytes(b"an older drumnet's")
    (folder / f".drumnet-partial-{os.getpid()}-0badc0de").write_bytes(b"a live run's")
    undo(manifest)
    assert [p.name for p in folder.iterdir()] == [f".drumnet-partial-{os.getpid()}-0badc0de"]
