"""drumnet: listen to drum samples and know what they are."""

from __future__ import annotations

__version__ = "0.1.0"

from drumnet.audio.decode import AudioError, load_audio, load_sound, save_audio
from drumnet.config import FeatureConfig
from drumnet.features.stft import StftFrontend
from drumnet.inference.classifier import DrumClassifier, load_model
from drumnet.nets.checkpoint import ModelFileError

__all__ = [
    "AudioError",
    "DrumClassifier",
    "FeatureConfig",
    "ModelFileError",
    "StftFrontend",
    "__version__",
    "load_audio",
    "load_model",
    "load_sound",
    "save_audio",
]
