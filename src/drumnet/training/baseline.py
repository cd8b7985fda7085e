"""The classical baseline the neural models must beat: descriptors + a forest or an SVM.

`fit_baseline` fits a scikit-learn pipeline that takes waveforms, like the networks do, over
the 94 descriptors of `drumnet.features.descriptors`.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from drumnet.config import FeatureConfig
from drumnet.features.descriptors import descriptors


def make_baseline(kind: str = "forest", seed: int = 0) -> Pipeline:
    """Unfitted StandardScaler + classifier pipeline over descriptor rows (N, D).

    kind: "forest" (300 balanced trees) or "svm" (RBF, C=10, balanced classes).
    """
    if kind == "forest":
        clf = RandomForestClassifier(
            n_estimators=300, class_weight="balanced", random_state=seed, n_jobs=-1
        )
    elif kind == "svm":
        # No Platt scaling: `probability` keeps its default (setting it warns since sklearn 1.9).
        clf = SVC(kernel="rbf", C=10.0, class_weight="balanced", random_state=seed)
    else:
        raise ValueError(f"unknown baseline {kind!r}; choose 'forest' or 'svm'")
    return Pipeline([("scale", StandardScaler()), ("classify", clf)])


def fit_baseline(
    kind: str,
    waves: np.ndarray,
    labels: np.ndarray,
    seed: int = 0,
    config: FeatureConfig | None = None,
) -> Pipeline:
    """Fit a baseline on waveforms (N, n_samples) and labels (N,).

    The returned pipeline starts with the descriptor step, so `predict` takes waveforms too:
    `fit_baseline("forest", train_x, train_y).predict(test_x)`.
    """
    to_descriptors = FunctionTransformer(descriptors, kw_args={"config": config or FeatureConfig()})
    pipeline = Pipeline([("descriptors", to_descriptors), *make_baseline(kind, seed).steps])
    return pipeline.fit(waves, np.asarray(labels))
