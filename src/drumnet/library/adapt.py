"""Learning from a person's corrections: the sounds like a corrected one follow it.

    adapter = CorrectionAdapter().fit(vectors, probs, labels, classes)  # the corrected sounds
    adapted, changed = adapter.adapt(library_vectors, library_probs)

Nearest corrections vote, a light head learns from 20 on, and a self-check on the
corrections keeps the model's answers unless adapting helps there: docs/corrections.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax
from scipy.stats import binomtest

CHUNK = 4096  # library sounds per similarity block: 4096 x 500 corrections = 8 MB of float32
CV_FOLDS = 5  # folds of the head's self-check
# The head must beat the model on held-out corrections beyond chance (a sign test at this
# level): corrections are mostly of the model's mistakes, so a head that merely learns which
# labels people give often (e.g. random ones) would otherwise pass for a better one.
HEAD_P = 0.05
FLOOR = 1e-6  # probabilities are clipped here before their log


@dataclass(frozen=True)
class AdaptConfig:
    neighbours: int = 10  # corrected sounds consulted per sound (the nearest)
    temperature: float = 0.1  # cosine -> vote weight exp((cos - 1) / T): cos 0.9 weighs 1/e
    min_similarity: float = 0.5  # a correction less similar than this has no vote
    prior_strength: float = 1.0  # the model's probabilities count as this many votes of weight 1
    min_corrections: int = 3  # fewer (of the classes answered) and the model answers alone
    min_agreement: float = 0.5  # share of the neighbours' votes a new answer needs
    min_confidence: float = 0.4  # adapted probability a new answer needs
    min_head_corrections: int = 20  # fewer and no head is fitted (the votes alone)
    head_l2: float = 0.01  # the head's weight penalty (per correction's mean loss)
    check: bool = True  # check on the corrections first (False: trust them blindly)
    min_net_fixes: int = 0  # the check passes at fixes - breaks >= this (and a fix at least)


@dataclass(frozen=True)
class SelfCheck:
    """The check on `n` corrections, each answered without itself: `fixes` the model got
    wrong and the adapter right, `breaks` the other way round; `head`: the variant with it."""

    n: int
    fixes: int
    breaks: int
    head: bool = False

    def passed(self, min_net_fixes: int = 1) -> bool:
        return self.fixes >= 1 and self.fixes - self.breaks >= min_net_fixes

    @property
    def significant(self) -> bool:
        """More fixes than breaks beyond chance (one-sided sign test at HEAD_P)."""
        changed = self.fixes + self.breaks
        return changed > 0 and binomtest(self.fixes, changed, alternative="greater").pvalue < HEAD_P


class LogitHead:
    """log q = log p + E W: a linear correction of the model's log-probabilities from the
    embedding E (D,), fitted by L-BFGS on cross-entropy + l2 * |W|^2. No intercept: a shift
    that is the same for every sound would learn which labels people give often, not how
    the library sounds."""

    def __init__(self, l2: float = 0.01):
        self.l2 = l2

    def fit(self, vectors: np.ndarray, probs: np.ndarray, y: np.ndarray) -> Self:
        """vectors (M, D), probs (M, C), y (M,) class indices."""
        (m, d), c = vectors.shape, probs.shape[1]
        prior, target = np.log(np.maximum(probs, FLOOR)), np.eye(c)[y]  # (M, C) each

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w = theta.reshape(d, c)
            logq = log_softmax(prior + vectors @ w, axis=1)  # (M, C)
            grad = (np.exp(logq) - target) / m  # d loss / d logits
            value = -(target * logq).sum() / m + self.l2 * (w**2).sum()
            return value, (vectors.T @ grad + 2 * self.l2 * w).ravel()

        self.w_ = minimize(loss, np.zeros(d * c), jac=True, method="L-BFGS-B").x.reshape(d, c)
        return self

    def predict_proba(self, vectors: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """vectors (N, D), probs (N, C) -> the corrected probabilities (N, C)."""
        logits = np.log(np.maximum(probs, FLOOR)) + vectors @ self.w_
        return np.exp(log_softmax(logits, axis=1))


class CorrectionAdapter:
    """Adapts a model's class probabilities to a person's corrections (scikit-learn style:
    `fit` returns self, learned attributes end in `_`, `classes_` names the columns)."""

    def __init__(self, config: AdaptConfig | None = None):
        self.config = config or AdaptConfig()

    def fit(
        self,
        vectors: np.ndarray,
        probs: np.ndarray,
        labels: Sequence[str],
        classes: Sequence[str],
    ) -> Self:
        """vectors (M, D) unit-length embeddings of the corrected sounds, probs (M, C) the
        model's probabilities for them over `classes`, labels (M,) what the person said.
        Corrections to a class outside `classes` (e.g. `loop`) are left out."""
        self.classes_ = tuple(classes)
        index = {c: i for i, c in enumerate(self.classes_)}
        labels = list(labels)
        keep = np.array([label in index for label in labels], dtype=bool)
        vectors = np.asarray(vectors, np.float32)
        self.vectors_ = (vectors.reshape(len(labels), -1) if len(labels) else vectors)[keep]
        self.y_ = np.array([index[label] for label in labels if label in index], dtype=np.intp)
        probs = np.asarray(probs, np.float64).reshape(len(labels), len(self.classes_))[keep]
        self.head_, self.active_ = None, False
        self.check_ = SelfCheck(len(self.y_), 0, 0)
        if len(self.y_) < self.config.min_corrections:
            return self
        if not self.config.check:
            self.head_ = self._head(np.ones(len(self.y_), bool), probs)
            self.active_ = True
            return self
        checks = [self._check_votes(probs)]
        if self._head(np.ones(len(self.y_), bool), probs) is not None:
            head = self._check_head(probs)
            if head.significant:  # else its gain may be the corrections' label frequencies
                checks.append(head)
        best = max(checks, key=lambda c: (c.fixes - c.breaks, not c.head))
        if best.passed(self.config.min_net_fixes):
            self.check_, self.active_ = best, True
            self.head_ = self._head(np.ones(len(self.y_), bool), probs) if best.head else None
        else:
            self.check_ = checks[0]
        return self

    def _head(self, train: np.ndarray, probs: np.ndarray) -> LogitHead | None:
        if train.sum() < self.config.min_head_corrections or len(np.unique(self.y_[train])) < 2:
            return None
        return LogitHead(self.config.head_l2).fit(
            self.vectors_[train], probs[train], self.y_[train]
        )

    def _check_votes(self, probs: np.ndarray) -> SelfCheck:
        """Each correction answered by the votes of the others."""
        sims = self.vectors_ @ self.vectors_.T  # (M, M) cosines
        np.fill_diagonal(sims, -np.inf)  # a correction never votes for itself
        adapted, _ = self._vote(sims, probs, probs, self.y_)
        return self._score(adapted, probs)

    def _check_head(self, probs: np.ndarray) -> SelfCheck:
        """Each fold of corrections answered by a head and votes fitted on the others."""
        fold = np.arange(len(self.y_)) % CV_FOLDS
        adapted = probs.copy()
        for k in range(CV_FOLDS):
            test, train = fold == k, fold != k
            head = self._head(train, probs)
            prior = head.predict_proba(self.vectors_[test], probs[test]) if head else probs[test]
            sims = self.vectors_[test] @ self.vectors_[train].T
            adapted[test] = self._vote(sims, prior, probs[test], self.y_[train])[0]
        return self._score(adapted, probs, head=True)

    def _score(self, adapted: np.ndarray, probs: np.ndarray, head: bool = False) -> SelfCheck:
        model, adapter = probs.argmax(1) == self.y_, adapted.argmax(1) == self.y_
        fixes, breaks = int(np.sum(adapter & ~model)), int(np.sum(model & ~adapter))
        return SelfCheck(len(self.y_), fixes, breaks, head)

    def adapt(self, vectors: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """vectors (N, D), the model's probs (N, C) -> (adapted probs (N, C) float64, changed
        (N,) bool: the most probable class is not the model's). Inactive: probs as given."""
        probs = np.asarray(probs, np.float64)
        if not self.active_ or len(probs) == 0:
            return probs, np.zeros(len(probs), dtype=bool)
        vectors = np.asarray(vectors, np.float32)
        out, changed = np.empty_like(probs), np.empty(len(probs), dtype=bool)
        for start in range(0, len(probs), CHUNK):
            part = slice(start, start + CHUNK)
            prior = probs[part]
            if self.head_ is not None:
                prior = self.head_.predict_proba(vectors[part], prior)
            sims = vectors[part] @ self.vectors_.T  # (n, M) cosines
            out[part], changed[part] = self._vote(sims, prior, probs[part], self.y_)
        return out, changed

    def predict_proba(self, vectors: np.ndarray, probs: np.ndarray) -> np.ndarray:
        return self.adapt(vectors, probs)[0]

    def predict(self, vectors: np.ndarray, probs: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(vectors, probs).argmax(1)]

    def _vote(self, sims, prior, model, y) -> tuple[np.ndarray, np.ndarray]:
        """sims (n, M) cosines to corrections labelled y (M,), prior (n, C) the answers
        before the votes, model (n, C) the model's -> (adapted (n, C), changed (n,))."""
        c = self.config
        n, m = sims.shape
        k = min(c.neighbours, m)
        if k == 0:
            return prior.copy(), prior.argmax(1) != model.argmax(1)
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]  # (n, k) the nearest corrections
        s = np.take_along_axis(sims, near, axis=1)  # (n, k)
        w = np.where(s >= c.min_similarity, np.exp((np.minimum(s, 1.0) - 1.0) / c.temperature), 0.0)
        cells = (np.arange(n)[:, None] * prior.shape[1] + y[near]).ravel()  # (n * k,)
        votes = np.bincount(cells, w.ravel(), prior.size).reshape(prior.shape)  # (n, C)
        total = votes.sum(1)  # (n,)
        posterior = (votes + c.prior_strength * prior) / (total + c.prior_strength)[:, None]
        before, best = prior.argmax(1), posterior.argmax(1)
        rows = np.arange(n)
        share = votes[rows, best] / np.maximum(total, 1e-12)
        allowed = (share >= c.min_agreement) & (posterior[rows, best] >= c.min_confidence)
        refused = (best != before) & ~allowed  # the neighbours do not agree enough
        posterior[refused] = prior[refused]
        return posterior, posterior.argmax(1) != model.argmax(1)
