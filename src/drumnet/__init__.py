"""drumnet: listen to drum samples and know what they are."""

from __future__ import annotations

__version__ = "0.1.0"

from drumnet.audio import AudioError, load_audio, load_sound, save_audio  # noqa: E402
from drumnet.checkpoint import ModelFileError  # noqa: E402
from drumnet.classifier import DrumClassifier, load_model  # noqa: E402
from drumnet.config import FeatureConfig  # noqa: E402
from drumnet.features import StftFrontend  # noqa: E402

__all__ = [
    "AudioError",
    "DrumClassifier",
    "ModelFileError",
    "FeatureConfig",
    "StftFrontend",
    "__version__",
    "load_audio",
    "load_model",
    "load_sound",
    "save_audio",
]
