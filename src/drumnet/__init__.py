"""drumnet: listen to drum samples and know what they are.

The public API loads lazily (PEP 562), so `import drumnet` and the `drumnet` command start
without torch: `drumnet.load_model`, `drumnet.classify_paths` and the rest import their
module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_LAZY = {
    "AudioError": "drumnet.errors",
    "ModelFileError": "drumnet.errors",
    "IndexUnavailable": "drumnet.errors",
    "load_audio": "drumnet.audio.decode",
    "load_sound": "drumnet.audio.decode",
    "save_audio": "drumnet.audio.write",
    "FeatureConfig": "drumnet.config",
    "StftFrontend": "drumnet.features.stft",
    "DrumClassifier": "drumnet.inference.classifier",
    "load_model": "drumnet.inference.classifier",
    "classify_paths": "drumnet.inference.pipeline",
}

__all__ = [
    "AudioError",
    "DrumClassifier",
    "FeatureConfig",
    "IndexUnavailable",
    "ModelFileError",
    "StftFrontend",
    "__version__",
    "classify_paths",
    "load_audio",
    "load_model",
    "load_sound",
    "save_audio",
]

if TYPE_CHECKING:  # pragma: no cover
    from drumnet.audio.sound import load_audio, load_sound
    from drumnet.audio.write import save_audio
    from drumnet.config import FeatureConfig
    from drumnet.errors import AudioError, IndexUnavailable, ModelFileError
    from drumnet.features.stft import StftFrontend
    from drumnet.inference.classifier import DrumClassifier, load_model
    from drumnet.inference.pipeline import classify_paths


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'drumnet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
