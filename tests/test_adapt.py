"""Adaptation from corrections and the review order, on embeddings made up in numpy."""

from __future__ import annotations

import numpy as np

from drumnet.library.adapt import AdaptConfig, CorrectionAdapter, LogitHead
from drumnet.library.review import doubt, review_order

CLASSES = ("kick", "snare", "tom")


def cluster(centre: np.ndarray, n: int, spread: float, rng) -> np.ndarray:
    """n unit vectors around `centre` (cosine to it about 1 - spread**2 * D / 2)."""
    x = centre + spread * rng.standard_normal((n, centre.size))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def unit(d: int, i: int) -> np.ndarray:
    v = np.zeros(d, np.float32)
    v[i] = 1.0
    return v


def probs_for(label: str, n: int, confidence: float = 0.8) -> np.ndarray:
    p = np.full((n, len(CLASSES)), (1 - confidence) / (len(CLASSES) - 1))
    p[:, CLASSES.index(label)] = confidence
    return p


def confused_library(seed: int = 0):
    """20 toms the model calls kick (a systematic confusion) and 20 real kicks elsewhere."""
    rng = np.random.default_rng(seed)
    toms = cluster(unit(16, 0), 20, 0.05, rng)
    kicks = cluster(unit(16, 5), 20, 0.05, rng)
    return toms, kicks, probs_for("kick", 20), probs_for("kick", 20, 0.9)


def test_a_few_corrections_fix_a_systematic_confusion_and_leave_other_sounds_alone():
    toms, kicks, tom_probs, kick_probs = confused_library()
    adapter = CorrectionAdapter().fit(toms[:4], tom_probs[:4], ["tom"] * 4, CLASSES)
    assert adapter.active_ and adapter.check_.fixes == 4 and adapter.check_.breaks == 0
    adapted, changed = adapter.adapt(toms[4:], tom_probs[4:])
    assert changed.all() and (adapted.argmax(1) == CLASSES.index("tom")).all()
    np.testing.assert_allclose(adapted.sum(1), 1.0)
    same, changed = adapter.adapt(kicks, kick_probs)
    assert not changed.any()
    np.testing.assert_allclose(same, kick_probs)  # no correction near: the model's own


def test_too_few_corrections_leave_the_model_alone():
    toms, _, tom_probs, _ = confused_library()
    adapter = CorrectionAdapter().fit(toms[:2], tom_probs[:2], ["tom"] * 2, CLASSES)
    assert not adapter.active_
    adapted, changed = adapter.adapt(toms[2:], tom_probs[2:])
    assert not changed.any() and np.array_equal(adapted, tom_probs[2:])


def test_contradictory_corrections_fail_the_check_and_change_nothing():
    toms, _, tom_probs, _ = confused_library()
    noisy = ["tom", "snare", "kick", "snare", "tom", "kick"]  # one drum, three answers
    adapter = CorrectionAdapter().fit(toms[:6], tom_probs[:6], noisy, CLASSES)
    assert not adapter.active_ and adapter.check_.fixes - adapter.check_.breaks <= 0
    assert not adapter.adapt(toms[6:], tom_probs[6:])[1].any()
    blind = CorrectionAdapter(AdaptConfig(check=False)).fit(toms[:6], tom_probs[:6], noisy, CLASSES)
    assert blind.active_  # without the check the same corrections would be followed


def test_corrections_of_classes_not_answered_are_left_out():
    toms, _, tom_probs, _ = confused_library()
    labels = ["tom", "tom", "loop", "loop"]  # `loop` is no class of the model
    adapter = CorrectionAdapter().fit(toms[:4], tom_probs[:4], labels, CLASSES)
    assert len(adapter.y_) == 2 and not adapter.active_


def test_the_head_learns_a_rule_the_neighbours_cannot_see():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = (x[:, 0] > 0).astype(np.intp)  # the class is which side of a plane a sound lies on
    flat = np.full((200, 2), 0.5)  # a model that cannot tell
    head = LogitHead(l2=0.001).fit(x[:100], flat[:100], y[:100])
    assert np.mean(head.predict_proba(x[100:], flat[100:]).argmax(1) == y[100:]) > 0.9


def test_the_head_is_used_only_when_it_beats_the_votes_on_held_out_corrections():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = np.where(x[:, 0] > 0, "snare", "kick")
    model = probs_for("kick", 300, 0.5)  # right for half, the kicks
    adapter = CorrectionAdapter().fit(x[:60], model[:60], labels[:60], CLASSES)
    assert adapter.active_ and adapter.head_ is not None and adapter.check_.head
    before = np.mean(np.array(CLASSES)[model[60:].argmax(1)] == labels[60:])
    after = np.mean(adapter.predict(x[60:], model[60:]) == labels[60:])
    assert after > before + 0.3


def test_adapting_in_chunks_gives_the_same_answers(monkeypatch):
    toms, kicks, tom_probs, kick_probs = confused_library()
    library, probs = np.concatenate([toms, kicks]), np.concatenate([tom_probs, kick_probs])
    adapter = CorrectionAdapter().fit(toms[:4], tom_probs[:4], ["tom"] * 4, CLASSES)
    whole = adapter.adapt(library, probs)
    monkeypatch.setattr("drumnet.library.adapt.CHUNK", 7)
    parts = adapter.adapt(library, probs)
    np.testing.assert_allclose(whole[0], parts[0])
    assert np.array_equal(whole[1], parts[1])


def test_doubt_is_one_for_a_coin_toss_and_zero_for_certainty():
    probs = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.6, 0.3, 0.1]])
    np.testing.assert_allclose(doubt(probs), [1.0, 0.0, 0.7])


def test_review_takes_one_sound_of_each_tight_cluster_first():
    rng = np.random.default_rng(3)
    a = cluster(unit(16, 0), 30, 0.02, rng)  # 30 velocity layers of one drum
    b = cluster(unit(16, 8), 5, 0.02, rng)  # 5 of another
    vectors = np.concatenate([a, b])
    probs = np.concatenate([probs_for("kick", 30, 0.45), probs_for("tom", 5, 0.5)])
    ranked = review_order(vectors, probs, 2)
    assert sorted(ranked.cluster_size.tolist()) == [5, 30]
    assert {int(i) >= 30 for i in ranked.order} == {True, False}  # one from each
    assert ranked.order[0] < 30  # the larger doubt first: 30 doubtful sounds to teach
    more = review_order(vectors, probs, 6).order
    assert len(set(more.tolist())) == 6 and {int(i) >= 30 for i in more} == {True, False}


def test_review_puts_a_cluster_already_corrected_last():
    rng = np.random.default_rng(4)
    a, b = cluster(unit(16, 0), 10, 0.02, rng), cluster(unit(16, 8), 10, 0.02, rng)
    vectors, probs = np.concatenate([a, b]), probs_for("kick", 20, 0.5)
    first = review_order(vectors, probs, 2).order[0]
    corrected = vectors[first][None] + 0.0  # a correction in the first one's cluster
    again = review_order(vectors, probs, 2, corrected=corrected).order
    assert (again[0] < 10) != (first < 10)
