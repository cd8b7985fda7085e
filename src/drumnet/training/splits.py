"""Train / validation / test splits: the study's random one, and honest ones by library and
by source.

A random split leaks each kit's sound (same drums, same room, same microphones) into the test
set; splitting by library asks the real question: does the model work on a library it has
never heard? Splitting by source asks it of a whole recording chain (every GeneralUser kit,
every Hydrogen kit), so a sibling kit of the same maker cannot help. Every split returns
index arrays into the data set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Indices of each part, and how the split was made (named in every report)."""

    kind: str  # "random" | "library" | "loo:<library>" | "fold<i>/<k>" | "source:<source>"
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    test_libraries: tuple[str, ...] = ()
    val_libraries: tuple[str, ...] = ()

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "n_train": len(self.train),
            "n_val": len(self.val),
            "n_test": len(self.test),
            "test_libraries": list(self.test_libraries),
            "val_libraries": list(self.val_libraries),
        }


def random_split(
    labels: Sequence[str], val: float = 0.15, test: float = 0.15, seed: int = 0
) -> Split:
    """The study's split: shuffled, stratified by class."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_test = round(test * len(idx))
        n_val = round(val * len(idx))
        parts["test"] += idx[:n_test].tolist()
        parts["val"] += idx[n_test : n_test + n_val].tolist()
        parts["train"] += idx[n_test + n_val :].tolist()
    return Split("random", *(np.sort(np.array(parts[k], dtype=int)) for k in parts))


def _coverage(labels: np.ndarray, libraries: np.ndarray, chosen: list[str]) -> int:
    return len(np.unique(labels[np.isin(libraries, chosen)])) if chosen else 0


def _take_libraries(
    order: list[str], sizes: dict[str, int], target: int
) -> tuple[list[str], list[str]]:
    taken, n = [], 0
    for lib in order:
        if n >= target:
            break
        taken.append(lib)
        n += sizes[lib]
    return taken, [lib for lib in order if lib not in taken]


def library_split(
    labels: Sequence[str],
    libraries: Sequence[str],
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
    train_only: Sequence[str] = (),
    tries: int = 200,
) -> Split:
    """Whole libraries go to test and validation; none of their sounds is seen in training.

    Libraries in `train_only` (extra sources such as synthesised sounds) always train. Among
    `tries` seeded shuffles, the one that keeps the most classes in training wins (a class
    found in one library only stays there: a model cannot learn a class it never hears), then
    the one whose test and validation sets cover the most classes, so that no class is missing
    from the evaluation by accident.
    """
    labels, libraries = np.asarray(labels), np.asarray(libraries)
    eligible = ~np.isin(libraries, list(train_only))
    names, counts = np.unique(libraries[eligible], return_counts=True)
    if len(names) < 3:
        raise ValueError(
            f"a split by library needs at least 3 libraries, got {len(names)} "
            "(a folder of class folders is one library: use --split random)"
        )
    sizes = dict(zip(names.tolist(), counts.tolist()))
    total = int(eligible.sum())
    rng = np.random.default_rng(seed)
    best, best_score = None, None
    for _ in range(tries):
        order = rng.permutation(names).tolist()
        test_libs, rest = _take_libraries(order, sizes, int(test * total))
        val_libs, _ = _take_libraries(rest, sizes, int(val * total))
        if len(val_libs) == len(rest):
            val_libs = val_libs[:-1]  # keep at least one library for training
        held = np.isin(libraries, test_libs + val_libs)
        score = (
            len(np.unique(labels[~held])),
            _coverage(labels, libraries, test_libs) + _coverage(labels, libraries, val_libs),
            -abs(sum(sizes[x] for x in test_libs) - test * total),
        )
        if best_score is None or score > best_score:
            best, best_score = (test_libs, val_libs), score
    test_libs, val_libs = best
    test_idx = np.flatnonzero(np.isin(libraries, test_libs))
    val_idx = np.flatnonzero(np.isin(libraries, val_libs))
    train_idx = np.flatnonzero(~np.isin(libraries, test_libs + val_libs))
    return Split("library", train_idx, val_idx, test_idx, tuple(test_libs), tuple(val_libs))


def library_folds(
    labels: Sequence[str],
    libraries: Sequence[str],
    k: int | None = None,
    train_only: Sequence[str] = (),
    val: float = 0.1,
    seed: int = 0,
    min_samples: int = 10,
) -> list[Split]:
    """Cross-validation by library: every library is tested exactly once, by a model that
    never heard it. k=None gives leave-one-library-out (libraries with fewer than
    `min_samples` sounds are left out of testing but still train); otherwise libraries are
    dealt into k folds of similar size. Each fold validates on a few other libraries."""
    labels, libraries = np.asarray(labels), np.asarray(libraries)
    eligible = ~np.isin(libraries, list(train_only))
    names, counts = np.unique(libraries[eligible], return_counts=True)
    sizes = dict(zip(names.tolist(), counts.tolist()))
    total = int(eligible.sum())
    rng = np.random.default_rng(seed)
    if k is None:
        groups = [[n] for n in names.tolist() if sizes[n] >= min_samples]
        if not groups:
            raise ValueError(
                f"leave-one-library-out tests libraries of at least {min_samples} sounds, and "
                f"none has that many (the largest has {max(sizes.values(), default=0)}); use "
                "--split random"
            )
    else:
        if len(names) < 2:
            raise ValueError("cross-validation by library needs two libraries or more")
        k = min(k, len(names))  # a fold with no library would test nothing
        groups = [[] for _ in range(k)]
        for name in sorted(rng.permutation(names).tolist(), key=lambda n: -sizes[n]):
            min(groups, key=lambda g: sum(sizes[x] for x in g)).append(name)
    folds = []
    for i, held in enumerate(groups):
        others = (
            np.random.default_rng(seed + i)
            .permutation([n for n in names.tolist() if n not in held])
            .tolist()
        )
        val_libs, _ = _take_libraries(others, sizes, int(val * total))
        test_idx = np.flatnonzero(np.isin(libraries, held))
        val_idx = np.flatnonzero(np.isin(libraries, val_libs))
        train_idx = np.flatnonzero(~np.isin(libraries, held + val_libs))
        kind = f"loo:{held[0]}" if k is None else f"fold{i + 1}/{k}"
        folds.append(Split(kind, train_idx, val_idx, test_idx, tuple(held), tuple(val_libs)))
    return folds


def leave_one_library_out(
    labels: Sequence[str],
    libraries: Sequence[str],
    train_only: Sequence[str] = (),
    val: float = 0.1,
    seed: int = 0,
    min_samples: int = 10,
) -> list[Split]:
    """One fold per library (with at least `min_samples` sounds): see `library_folds`."""
    return library_folds(labels, libraries, None, train_only, val, seed, min_samples)


def source_folds(
    labels: Sequence[str],
    libraries: Sequence[str],
    sources: Sequence[str],
    train_only: Sequence[str] = (),
    val: float = 0.1,
    seed: int = 0,
) -> list[Split]:
    """Cross-validation by source: one fold per source, holding out every library of it at
    once (all GeneralUser kits, all Hydrogen kits), so each figure says how a model does on a
    recording chain it never heard. Libraries in `train_only` are never tested and train in
    every fold but their own source's; each fold validates on a few libraries of the other
    sources."""
    labels, libraries, sources = np.asarray(labels), np.asarray(libraries), np.asarray(sources)
    eligible = ~np.isin(libraries, list(train_only))
    names = sorted(set(sources[eligible].tolist()))
    if len(names) < 2:
        raise ValueError(
            f"cross-validation by source needs two sources or more, got {names or 'none'} "
            "(choose them with --sources, e.g. hydrogen,generaluser,opl3)"
        )
    lib_names, counts = np.unique(libraries[eligible], return_counts=True)
    sizes = dict(zip(lib_names.tolist(), counts.tolist()))
    total = int(eligible.sum())
    folds = []
    for i, held in enumerate(names):
        held_mask = eligible & (sources == held)
        held_libs = sorted(set(libraries[held_mask].tolist()))
        others = sorted(set(libraries[eligible & (sources != held)].tolist()) - set(held_libs))
        order = np.random.default_rng(seed + i).permutation(others).tolist()
        val_libs, rest = _take_libraries(order, sizes, int(val * total))
        if val_libs and not rest:
            val_libs = val_libs[:-1]  # keep at least one library of another source training
        val_mask = np.isin(libraries, val_libs) & ~held_mask
        train_idx = np.flatnonzero((sources != held) & ~val_mask)
        split = Split(
            f"source:{held}", train_idx, np.flatnonzero(val_mask), np.flatnonzero(held_mask),
            tuple(held_libs), tuple(val_libs),
        )  # fmt: skip
        folds.append(split)
    return folds
