"""organize: SRC untouched, nothing overwritten, manifest, undo keeps what people changed."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_classify import train_kick_hat

from drumnet.cli import main
from drumnet.library.index import Index
from drumnet.library.manifest import Manifest, read_manifest
from drumnet.library.organize import Organizer, organize
from drumnet.library.undo import undo
from drumnet.nets.checkpoint import save_model


@pytest.fixture(scope="module")
def kick_hat():
    return train_kick_hat()


@pytest.fixture(scope="module")
def kick_hat_file(kick_hat, tmp_path_factory) -> str:
    return str(
        save_model(kick_hat.model_, tmp_path_factory.mktemp("model") / "kick-hat.safetensors")
    )


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
    from drumnet.inference.pipeline import classify_paths

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
    (src / "Pack A" / "k1.wav").write_bytes((src / "Pack B" / "h0.wav").read_bytes())
    again, second = run(src, dest, kick_hat)  # the same library again, one file changed
    assert (dest / "kick" / "Pack A" / "k0.wav").read_bytes() == b"precious"
    names = sorted(p.name for p in (dest / "kick" / "Pack A").iterdir())
    assert names == ["k0 (2).wav", "k0.wav", "k1.wav"]  # k0 was there already: not copied again
    assert sorted(p.name for p in (dest / "hihat" / "Pack A").iterdir()) == ["k1.wav"]
    present = [Path(p.dest).name for p in again if p.outcome == "present"]
    assert sorted(present) == ["h0.wav", "h1.wav", "k0 (2).wav"]
    assert first != second  # one manifest per run
    undo(second)
    report = undo(first)
    # k1.wav's first copy is all that is left of the k1 it was made from: kept, with the manifest
    assert report.sole == (str(dest / "kick" / "Pack A" / "k1.wav"),) and first.exists()
    (dest / "kick" / "Pack A" / "k1.wav").unlink()
    undo(first)
    assert sorted(p.name for p in dest.rglob("*")) == ["Pack A", "k0.wav", "kick"]


def test_a_dry_run_knows_what_is_already_there(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    run(src, dest, kick_hat)
    before = snapshot(dest)
    planned, _ = run(src, dest, kick_hat, dry_run=True)
    assert sorted(p.outcome for p in planned) == ["present"] * 4 + ["unreadable"]
    assert snapshot(dest) == before


def test_dry_run_creates_nothing(tmp_path, src, kick_hat):
    placements, manifest = run(src, tmp_path / "dest", kick_hat, dry_run=True)
    assert manifest is None and not (tmp_path / "dest").exists()
    assert len({p.dest for p in placements if p.dest}) == 4


def test_a_dry_run_foresees_a_class_folder_taken_by_a_file(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "hihat").write_text("mine")
    planned, _ = run(src, dest, kick_hat, dry_run=True)
    done, _ = run(src, dest, kick_hat)
    assert [p.outcome for p in planned] == [p.outcome for p in done]
    assert sorted(p.outcome for p in done) == ["placed"] * 2 + ["unplaced"] * 2 + ["unreadable"]


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


def test_a_failed_copy_leaves_nothing_behind(tmp_path, src, kick_hat, monkeypatch):
    dest = tmp_path / "dest"
    (dest / "kick" / "Pack A").mkdir(parents=True)
    (dest / "kick" / "Pack A" / "k0.wav").write_bytes(b"precious")  # the copy goes to k0 (2)
    before = snapshot(dest)

    def full_disk(fin, fout, length=0):
        fout.write(b"partial")
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(shutil, "copyfileobj", full_disk)
    placements, manifest = run(src, dest, kick_hat)
    # No partial copies, no folders made for them, and (nothing placed) no manifest.
    assert manifest is None and snapshot(dest) == before
    unplaced = [p for p in placements if p.outcome == "unplaced"]
    assert len(unplaced) == 4 and all(p.result.error.endswith("(File too large)") for p in unplaced)


def copies_until_the_disk_is_full(monkeypatch, files: int) -> None:
    """shutil.copyfileobj as on a disk with room for `files` more copies: the next one writes
    some bytes and fails with ENOSPC, and so does every write after it (a manifest line too)."""
    real_copy, real_write = shutil.copyfileobj, Manifest.write
    state = {"copies": 0, "full": False}

    def copy(fin, fout, length=0):
        if state["full"] or state["copies"] == files:
            state["full"] = True
            fout.write(fin.read(100))
            raise OSError(errno.ENOSPC, "No space left on device")
        state["copies"] += 1
        real_copy(fin, fout, length)

    def write(manifest, record):
        if state["full"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(manifest, record)

    monkeypatch.setattr(shutil, "copyfileobj", copy)
    monkeypatch.setattr(Manifest, "write", write)
    monkeypatch.setattr("drumnet.library.organize.free_bytes", lambda path: 0)


@pytest.mark.parametrize("room", [2, 0])
def test_a_disk_that_fills_up_stops_organize_once_with_a_summary(
    tmp_path, src, kick_hat_file, monkeypatch, capsys, room
):
    dest = tmp_path / "dest"
    copies_until_the_disk_is_full(monkeypatch, files=room)
    argv = ["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    (full,) = [line for line in err.splitlines() if "space" in line]  # said once
    assert "Traceback" not in err and "broken.wav" in err  # and the file that is no audio
    assert full.startswith(f"drumnet organize: error: no space left on the disk of {dest}; ")
    size = (src / "Pack B" / "h0.wav").stat().st_size  # 1 kB each
    left = 4 - room  # the kicks come first
    assert f"{left} files of SRC not placed; about {left * size / 1000:.1f} KB more" in full
    if room == 0:  # nothing to undo: no manifest, no DEST
        assert "placed 0 files" in full and "manifest" not in full and not dest.exists()
        return
    (manifest,) = dest.glob("drumnet-manifest-*.jsonl")
    assert "placed 2 files" in full and f"manifest (for --undo): {manifest}" in full
    placed = [r["dest"] for r in read_manifest(manifest)[1:] if r["action"] == "place"]
    assert sorted(placed) == sorted(str(p) for p in dest.rglob("*.wav"))  # nothing cut short
    assert len(placed) == 2 and not list(dest.rglob(".drumnet-partial-*"))
    monkeypatch.undo()
    report = undo(manifest)  # what was placed can be undone as ever
    assert len(report.removed) == 2 and not dest.exists()


def test_a_dest_that_cannot_be_written_is_a_usage_error(
    tmp_path, src, kick_hat, monkeypatch, capsys
):
    (tmp_path / "file").write_text("hi")
    assert main(["organize", str(src), str(tmp_path / "file")]) == 2
    assert (
        capsys.readouterr().err
        == f"drumnet organize: error: {tmp_path / 'file'}: DEST is not a folder\n"
    )

    def denied(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(
        "drumnet.library.manifest.open", denied, raising=False
    )  # the manifest's open
    with pytest.raises(ValueError, match=r"new/dest: cannot write to DEST \(Permission denied\)"):
        run(src, tmp_path / "new" / "dest", kick_hat)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "src"]  # nothing created


def test_cli_counts_read_and_place_failures_apart(tmp_path, src, kick_hat_file, capsys):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "hihat").write_text("a plain file where the hihat folder would go")
    argv = ["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"]
    assert main([*argv, "--no-index"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert sum(line.endswith(f"not placed (File exists: {dest / 'hihat'})") for line in err) == 2
    assert "1 file could not be read or classified, so not placed" in err
    assert "2 files could not be placed in DEST" in err


def test_files_inside_dest_through_symlinks_are_skipped(tmp_path, src, kick_hat, write_drum):
    dest = tmp_path / "dest"
    write_drum(dest / "kick" / "pre.wav", "kick", seed=9)
    (src / "zz_out").symlink_to(dest / "kick")  # a folder of SRC that is DEST's
    (src / "link.wav").symlink_to(dest / "kick" / "pre.wav")
    before = snapshot(dest)
    placements, manifest = run(src, dest, kick_hat)
    assert not (dest / "kick" / "zz_out").exists() and not (dest / "kick" / "link.wav").exists()
    skipped = sorted(p.result.path for p in placements if p.outcome == "skipped")
    assert skipped == [str(src / "link.wav"), str(src / "zz_out" / "pre.wav")]
    undo(manifest)
    assert snapshot(dest) == before
    shutil.copytree(src / "Pack A", dest / "incoming")  # SRC inside DEST: its files are placed
    placements, _ = run(dest / "incoming", dest, kick_hat)
    assert [p.outcome for p in placements] == ["placed", "placed"]


def test_cli_a_second_run_adds_nothing_and_undo_takes_every_manifest(
    tmp_path, src, kick_hat_file, capsys, write_drum
):
    dest = tmp_path / "dest"
    argv = ["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"]
    assert main(argv) == 1  # broken.wav
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "4 files already in DEST (placed before, also where you renamed" in out
    assert "manifest (for --undo)" not in out.split("already in DEST")[1]  # nothing to undo
    assert len(list(dest.glob("drumnet-manifest-*.jsonl"))) == 1
    write_drum(src / "Pack A" / "k9.wav", "kick", seed=209)
    assert main(argv) == 1  # places k9 only
    manifests = sorted(dest.glob("drumnet-manifest-*.jsonl"))
    assert len(manifests) == 2  # what `--undo DEST/drumnet-manifest-*.jsonl` expands to
    assert main(["organize", "--undo", *map(str, manifests)]) == 0
    assert not dest.exists()


def test_a_name_that_is_not_utf8_is_placed_and_undone(tmp_path, src, kick_hat):
    odd = os.fsdecode(bytes(src / "Pack A") + b"/k\xff.wav")
    os.rename(src / "Pack A" / "k0.wav", odd)
    dest = tmp_path / "dest"
    placements, manifest = run(src, dest, kick_hat)
    (placed,) = [p.dest for p in placements if p.result.path == odd]
    assert os.path.exists(placed) and placed.endswith("/kick/Pack A/k\udcff.wav")
    assert len(undo(manifest).removed) == 4 and not dest.exists()


def test_a_class_folder_of_dest_that_leads_into_src_is_not_written_through(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "kick").symlink_to(src)  # DEST/kick/... would land in SRC
    before = snapshot(src)
    placements, _ = run(src, dest, kick_hat)
    kicks = [p for p in placements if p.result.label == "kick"]
    assert kicks and all(p.outcome == "unplaced" for p in kicks)
    assert all("lies inside SRC" in p.result.error for p in kicks)
    assert snapshot(src) == before


def test_an_empty_src_leaves_no_dest_behind(tmp_path, kick_hat):
    (tmp_path / "empty").mkdir()
    placements, manifest = run(tmp_path / "empty", tmp_path / "new" / "dest", kick_hat)
    assert placements == [] and manifest is None and not (tmp_path / "new").exists()


@pytest.mark.parametrize("mode", ["copy", "symlink"])
def test_a_copy_renamed_or_moved_in_dest_is_not_placed_again(tmp_path, src, kick_hat, mode):
    dest = tmp_path / "dest"
    run(src, dest, kick_hat, mode=mode)
    # The producer curates the kit: renames a kick, moves a hat into another folder, and
    # deletes the other hat. The kicks share one content, so each copy must stand for one kick.
    os.rename(dest / "kick" / "Pack A" / "k0.wav", dest / "kick" / "boom.wav")
    (dest / "mine").mkdir()
    os.rename(dest / "hihat" / "Pack B" / "h0.wav", dest / "mine" / "tick.wav")
    os.unlink(dest / "hihat" / "Pack B" / "h1.wav")
    before = snapshot(dest)
    planned, _ = run(src, dest, kick_hat, mode=mode, dry_run=True)
    assert snapshot(dest) == before
    placements, _ = run(src, dest, kick_hat, mode=mode)
    for outcome in (planned, placements):
        where = {Path(p.result.path).name: (p.outcome, p.dest) for p in outcome if p.dest}
        assert where["k0.wav"] == ("present", str(dest / "kick" / "boom.wav"))
        assert where["k1.wav"] == ("present", str(dest / "kick" / "Pack A" / "k1.wav"))
        assert where["h0.wav"] == ("present", str(dest / "mine" / "tick.wav"))
        # Deleted is not the same as moved: the file comes back rather than go missing.
        assert where["h1.wav"] == ("placed", str(dest / "hihat" / "Pack B" / "h1.wav"))
    assert sorted(p.name for p in (dest / "kick").rglob("*.wav")) == ["boom.wav", "k1.wav"]


def test_a_deleted_copy_comes_back_even_when_a_twin_is_still_there(tmp_path, src, kick_hat):
    """k0 and k1 have the same bytes. k0's copy is deleted; k1's is not a renamed k0."""
    dest = tmp_path / "dest"
    run(src, dest, kick_hat)
    os.unlink(dest / "kick" / "Pack A" / "k0.wav")
    for dry_run in (True, False):
        again, _ = run(src, dest, kick_hat, dry_run=dry_run)
        where = {Path(p.result.path).name: (p.outcome, p.dest) for p in again if p.dest}
        assert where["k0.wav"] == ("placed", str(dest / "kick" / "Pack A" / "k0.wav"))
        assert where["k1.wav"] == ("present", str(dest / "kick" / "Pack A" / "k1.wav"))


def test_a_corrected_label_still_places_a_copy_in_its_new_class(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    run(src, dest, kick_hat)
    with Index(tmp_path / "i.sqlite") as index:
        index.correct(src / "Pack B" / "h1.wav", "tom")
        placements = list(organize(src, dest, model=kick_hat, index=index))
    by_name = {Path(p.result.path).name: (p.outcome, p.dest) for p in placements}
    assert by_name["h1.wav"] == ("placed", str(dest / "tom" / "Pack B" / "h1.wav"))
    assert by_name["h0.wav"] == ("present", str(dest / "hihat" / "Pack B" / "h0.wav"))


def _placed_results(src, dest, model):
    """Classify SRC (in this process) for an Organizer to place later."""
    from drumnet.inference.pipeline import classify_paths

    return [r for r in classify_paths([src], model, workers=0) if r.ok]


def test_a_run_killed_mid_copy_leaves_no_cut_short_sample(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    results = _placed_results(src, dest, kick_hat)
    pid = os.fork()
    if pid == 0:  # a run killed (no clean-up at all) halfway through its first copy

        def killed(fin, fout, length=0):
            fout.write(fin.read(100))
            os._exit(9)

        shutil.copyfileobj = killed
        list(Organizer(src, dest).run(iter(results)))
        os._exit(0)
    assert os.waitpid(pid, 0)[1] >> 8 == 9
    files = [p.name for p in dest.rglob("*") if p.is_file() and p.suffix != ".jsonl"]
    assert len(files) == 1 and files[0].startswith(".drumnet-partial-")
    placements = list(Organizer(src, dest).run(iter(results)))
    assert {p.outcome for p in placements} == {"placed"}
    for p in placements:
        assert Path(p.dest).read_bytes() == Path(p.result.path).read_bytes()
    assert not [p for p in dest.rglob("*") if ".drumnet-partial-" in p.name]  # swept


def test_sigterm_cleans_up_like_ctrl_c(tmp_path, src, kick_hat_file, monkeypatch, capsys):
    import signal

    dest = tmp_path / "dest"
    real_copy, calls = shutil.copyfileobj, []

    def terminated_on_second_copy(fin, fout, length=0):
        calls.append(1)
        if len(calls) == 2:
            fout.write(fin.read(100))
            os.kill(os.getpid(), signal.SIGTERM)
        real_copy(fin, fout, length)

    def not_handled(signum, frame):  # without drumnet's handler: fail, not kill pytest
        raise AssertionError("SIGTERM reached the caller's handler")

    monkeypatch.setattr(shutil, "copyfileobj", terminated_on_second_copy)
    previous = signal.signal(signal.SIGTERM, not_handled)
    argv = ["organize", str(src), str(dest), "--model", kick_hat_file, "--workers", "0"]
    try:
        assert main(argv) == 130
        assert signal.getsignal(signal.SIGTERM) is not_handled  # main restores the handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    (manifest,) = dest.glob("drumnet-manifest-*.jsonl")
    placed = [r["dest"] for r in read_manifest(manifest)[1:] if r["action"] == "place"]
    on_disk = [str(p) for p in dest.rglob("*.wav")]
    assert len(placed) == 1 and on_disk == placed  # the whole first copy, nothing else


def test_hardlink_mode_links_the_file_a_symlink_in_src_points_to(tmp_path, src, kick_hat):
    links = tmp_path / "links"
    links.mkdir()
    os.symlink(src / "Pack A" / "k0.wav", links / "abs.wav")
    os.symlink(os.path.relpath(src / "Pack B" / "h0.wav", links), links / "rel.wav")
    dest = tmp_path / "dest"
    placements, manifest = run(links, dest, kick_hat, mode="hardlink")
    assert [p.outcome for p in placements] == ["placed", "placed"]
    for p in placements:
        assert not os.path.islink(p.dest) and os.path.samefile(p.dest, p.result.path)
    report = undo(manifest)
    assert len(report.removed) == 2 and not report.kept and not dest.exists()


def test_another_mode_adds_nothing_over_an_earlier_runs_links(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    run(src, dest, kick_hat, mode="symlink")
    again, manifest = run(src, dest, kick_hat, mode="copy")
    assert {p.outcome for p in again if p.result.ok} == {"present"} and manifest is None


def test_src_inside_dest_a_deleted_copy_comes_back(tmp_path, src, kick_hat):
    """organize ~/Samples/incoming ~/Samples: the originals are not 'moved copies'."""
    dest = tmp_path / "samples"
    incoming = dest / "incoming"
    shutil.move(src, incoming)
    run(incoming, dest, kick_hat)
    os.unlink(dest / "kick" / "Pack A" / "k0.wav")
    again, _ = run(incoming, dest, kick_hat)
    where = {Path(p.result.path).name: (p.outcome, p.dest) for p in again if p.dest}
    assert where["k0.wav"] == ("placed", str(dest / "kick" / "Pack A" / "k0.wav"))


def test_copies_are_placed_where_hard_links_are_not_allowed(tmp_path, src, kick_hat, monkeypatch):
    """FAT and exFAT drives have no hard links: the finished copy is renamed into place."""

    def no_links(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    dest = tmp_path / "dest"
    placements, _ = run(src, dest, kick_hat)
    assert sum(p.outcome == "placed" for p in placements) == 4
    assert not [p for p in dest.rglob("*") if ".drumnet-partial-" in p.name]


def test_a_dest_below_a_file_is_a_usage_error(tmp_path, src, kick_hat_file, capsys):
    (tmp_path / "afile").write_text("not a folder")
    argv = ["organize", str(src), str(tmp_path / "afile" / "sub"), "--model", kick_hat_file]
    assert main(argv) == 2
    assert f"{tmp_path / 'afile'} is a file, not a folder" in capsys.readouterr().err


def test_hard_links_across_file_systems_stop_the_run_with_a_hint(
    tmp_path, src, kick_hat, monkeypatch
):
    def cross_device(a, b, *args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link", a, None, b)

    monkeypatch.setattr(os, "link", cross_device)
    with pytest.raises(ValueError, match="use --mode copy or --mode symlink"):
        run(src, tmp_path / "dest", kick_hat, mode="hardlink")


def test_a_link_to_the_same_file_counts_however_src_is_spelled(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    run(src, dest, kick_hat, mode="symlink")
    other_spelling = tmp_path / "src-link"
    os.symlink(src, other_spelling)
    again, manifest = run(other_spelling, dest, kick_hat, mode="copy")
    assert {p.outcome for p in again if p.result.ok} == {"present"} and manifest is None


def test_a_name_near_the_file_system_limit_is_copied(tmp_path, kick_hat, write_drum):
    name = "キック" * 27 + ".wav"  # 247 bytes in UTF-8, within the 255-byte limit
    write_drum(tmp_path / "src" / name, "kick")
    placements, manifest = run(tmp_path / "src", tmp_path / "dest", kick_hat)
    assert [p.outcome for p in placements] == ["placed"]
    assert Path(placements[0].dest).name == name
    assert len(undo(manifest).removed) == 1


def test_a_copy_edited_where_it_was_placed_is_not_placed_again(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    run(src, dest, kick_hat)
    edited = dest / "kick" / "Pack A" / "k0.wav"
    edited.write_bytes(edited.read_bytes()[:-1000])  # trimmed by hand
    placements, second = run(src, dest, kick_hat)
    assert second is None and {p.outcome for p in placements if p.dest} == {"present"}
    assert sorted(p.name for p in edited.parent.iterdir()) == ["k0.wav", "k1.wav"]


def test_a_name_another_version_of_the_file_took_is_not_an_edited_copy(tmp_path, src, kick_hat):
    dest = tmp_path / "dest"
    k0 = src / "Pack A" / "k0.wav"
    original = k0.read_bytes()
    run(src, dest, kick_hat)
    placed = dest / "kick" / "Pack A" / "k0.wav"
    placed.unlink()  # the copy deleted, then the source edited and organized again
    sound, rate = sf.read(str(k0))
    sf.write(str(k0), 0.5 * sound, rate, subtype="PCM_16")
    edited = k0.read_bytes()
    run(src, dest, kick_hat)
    assert placed.read_bytes() == edited != original
    k0.write_bytes(original)  # the edit undone: that sound's copy is gone, so it comes back
    placements, _ = run(src, dest, kick_hat)
    (mine,) = [p for p in placements if p.result.path == str(k0)]
    assert mine.outcome == "placed" and Path(mine.dest).read_bytes() == original
