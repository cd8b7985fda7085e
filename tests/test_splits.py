"""Splits: stratified random, by library with no library on two sides, and by source."""

from __future__ import annotations

import numpy as np
import pytest

from drumnet.training.splits import (
    leave_one_library_out,
    library_folds,
    library_split,
    random_split,
    source_folds,
)


def _data(n_libs=8, per=20):
    rng = np.random.default_rng(0)
    libs = np.repeat([f"kit{i}" for i in range(n_libs)], per)
    labels = rng.choice(["kick", "snare", "hihat"], size=len(libs))
    return labels, libs


def test_random_split_is_stratified_disjoint_and_complete():
    labels, _ = _data()
    s = random_split(labels, seed=3)
    parts = [set(s.train), set(s.val), set(s.test)]
    assert sum(map(len, parts)) == len(labels) and not (parts[0] & parts[1] | parts[1] & parts[2])
    for c in ("kick", "snare", "hihat"):
        share = (labels[s.test] == c).mean()
        assert abs(share - (labels == c).mean()) < 0.1
    assert np.array_equal(random_split(labels, seed=3).test, s.test)


def test_library_split_never_shares_a_library():
    labels, libs = _data()
    s = library_split(labels, libs, seed=1, train_only=["kit7"])
    train, val, test = (set(libs[i]) for i in (s.train, s.val, s.test))
    assert not (train & test) and not (train & val) and not (val & test)
    assert "kit7" in train and set(s.test_libraries) == test
    assert len(s.train) + len(s.val) + len(s.test) == len(labels)


def test_library_split_needs_libraries():
    labels, libs = _data(n_libs=2)
    with pytest.raises(ValueError, match="at least 3 libraries"):
        library_split(labels, libs)


def test_leave_one_library_out_has_a_fold_per_library():
    labels, libs = _data(n_libs=5)
    folds = leave_one_library_out(labels, libs)
    assert [f.test_libraries[0] for f in folds] == [f"kit{i}" for i in range(5)]
    for f in folds:
        assert set(libs[f.test]) == {f.test_libraries[0]}
        assert f.test_libraries[0] not in set(libs[f.train]) | set(libs[f.val])


def test_library_folds_test_every_library_once():
    labels, libs = _data(n_libs=9)
    folds = library_folds(labels, libs, k=3)
    tested = [lib for f in folds for lib in f.test_libraries]
    assert sorted(tested) == sorted(set(libs)) and len(folds) == 3
    for f in folds:
        assert not set(libs[f.test]) & (set(libs[f.train]) | set(libs[f.val]))


def test_cross_validation_on_few_or_small_libraries_says_what_it_cannot_do():
    labels, libs = _data(n_libs=3)
    folds = library_folds(labels, libs, k=4)  # three libraries: three folds, none empty
    assert len(folds) == 3 and all(len(f.test) for f in folds)
    small = np.array(["kick", "snare"] * 4)
    with pytest.raises(ValueError, match="none has that many .the largest has 4.; use --split"):
        leave_one_library_out(small, np.repeat(["a", "b"], 4))


def test_library_split_keeps_a_class_found_in_one_library_in_training():
    labels, libs = _data(n_libs=6)
    toms = np.array(["tom"] * 20)
    labels, libs = np.concatenate([labels, toms]), np.concatenate([libs, ["kit0"] * 20])
    for seed in range(5):  # the toms' kit was chosen for test or validation, to cover them
        s = library_split(labels, libs, seed=seed)
        assert "tom" in set(labels[s.train]) and "kit0" not in s.test_libraries + s.val_libraries


def _sourced():
    """Three sources of 3, 2 and 2 kits (20 sounds each), plus a train-only synth library."""
    labels, libs = _data(n_libs=8)
    kit_source = {f"kit{i}": s for i, s in enumerate("ggghhoox")}
    libs = np.where(libs == "kit7", "synth0", libs)
    sources = np.array([kit_source.get(lib, "synth") for lib in libs])
    return labels, libs, sources


def test_source_folds_hold_out_whole_sources():
    labels, libs, sources = _sourced()
    folds = source_folds(labels, libs, sources, train_only=["synth0"], val=0.15, seed=1)
    assert [f.kind for f in folds] == ["source:g", "source:h", "source:o"]
    for fold, held in zip(folds, "gho"):
        assert set(sources[fold.test]) == {held}
        assert np.array_equal(fold.test, np.flatnonzero(sources == held))  # all of it
        assert held not in set(sources[fold.train]) | set(sources[fold.val])
        assert len(fold.val) and set(libs[fold.val]).isdisjoint(libs[fold.train])
        assert "synth0" in set(libs[fold.train])  # train-only sounds always train
        parts = [set(fold.train), set(fold.val), set(fold.test)]
        assert sum(map(len, parts)) == len(labels)
    with pytest.raises(ValueError, match="two sources or more"):
        source_folds(labels, libs, np.full(len(libs), "g"))


def test_make_splits_by_source_keeps_a_held_out_chain_out_of_training():
    from drumnet.training.experiments import Pool, make_splits

    labels, libs, sources = _sourced()
    extra = libs == "synth0"
    sources = np.where(extra, "g", sources)  # a train-only part of source g (its melodic notes)
    pool = Pool(np.zeros((len(labels), 4), np.float32), labels, libs, extra, libs, sources=sources)
    folds = make_splits(pool, "source")
    by_kind = {f.kind: f for f in folds}
    assert not extra[by_kind["source:g"].train].any()  # g held out: its extra sounds too
    assert extra[by_kind["source:h"].train].sum() == extra.sum()
    assert Pool(pool.waves, labels, libs, extra, libs).subset(extra).sources.tolist() == [
        "synth0"
    ] * int(extra.sum())
