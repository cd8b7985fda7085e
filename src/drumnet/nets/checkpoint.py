"""Model files: safetensors weights with drumnet's JSON metadata in the same file's header.

A model file carries everything needed to rebuild the model (format version, model name and
config, feature config, class names) plus what it was trained on and how well it did. Loading
never unpickles anything and refuses, in one line, a file it does not understand or whose
weights are not finite. `model_identity` names what a model is, for caches of its answers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from drumnet import __version__
from drumnet.config import FeatureConfig
from drumnet.disk import write_whole
from drumnet.errors import ModelFileError
from drumnet.nets import MODELS, DrumNet, build_model
from drumnet.nets.ensemble import ENSEMBLE

FORMAT = "drumnet-model"
FORMAT_VERSION = 1
METADATA_KEY = "drumnet"


def save_model(model: DrumNet, path: str | os.PathLike, info: dict[str, Any] | None = None) -> Path:
    """Write weights + metadata to `path` (.safetensors). `info`: data summary, metrics..."""
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "drumnet_version": __version__,
        "model": model.name,
        "model_config": dataclasses.asdict(model.config),
        "feature_config": model.features.to_dict(),
        "classes": list(model.classes),
        **(info or {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # Whole or not at all, through a hidden name of its own: a run cut short never leaves a
    # half model under the real name nor writes over a file of the user's; DiskFull when full.
    return write_whole(path, save(state, metadata={METADATA_KEY: json.dumps(meta)}))


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON metadata of a model file, without loading its weights."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file (name its .safetensors file)")
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if not 2 <= n <= 100_000_000:
                raise ValueError("bad header length")
            header = json.loads(f.read(n))
        meta = json.loads(header["__metadata__"][METADATA_KEY])
        if not isinstance(meta, dict):
            raise TypeError("metadata is not a JSON object")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ModelFileError(
            f"{path}: not a drumnet model file (no drumnet metadata in a safetensors header)"
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a drumnet model file (format {meta.get('format')!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format version {meta.get('format_version')!r} is not supported "
            f"by drumnet {__version__} (it reads version {FORMAT_VERSION})"
        )
    return meta


def _classes(meta: dict) -> tuple[str, ...]:
    """The file's class names: distinct strings, at least two (ValueError otherwise)."""
    classes = meta["classes"]
    if not (isinstance(classes, list) and all(isinstance(c, str) and c for c in classes)):
        raise ValueError("its classes are not a list of names")
    if len(set(classes)) != len(classes) or len(classes) < 2:
        raise ValueError(f"its classes {classes} are not two or more distinct names")
    return tuple(classes)


def load_checkpoint(path: str | os.PathLike, device: str = "cpu") -> tuple[DrumNet, dict]:
    """Rebuild the model from the file alone. Returns (model in eval mode, metadata)."""
    meta = read_metadata(path)
    name = meta.get("model")
    if not isinstance(name, str) or name not in MODELS:
        raise ModelFileError(f"{path}: unknown model type {name!r}")
    try:
        features = FeatureConfig.from_dict(meta["feature_config"])
        if not isinstance(meta["model_config"], dict):
            raise TypeError("its model settings are not a JSON object")
        model = build_model(name, _classes(meta), features, meta["model_config"])
        state = load_file(str(path), device=device)
        model.load_state_dict(state, strict=True)
    except (SafetensorError, RuntimeError, ValueError, KeyError, TypeError, OSError) as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        why = why if len(why) <= 160 else why[:157] + "..."  # torch's are pages long
        raise ModelFileError(f"{path}: damaged or incompatible model file ({why})") from None
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:  # such a model answers the same for every sound: refuse it, do not cache it
        raise ModelFileError(
            f"{path}: damaged model file ({len(bad)} weight tensors hold NaN or infinite "
            f"values, {bad[0]} among them)"
        )
    return model.to(device).eval(), meta


def model_identity(net: torch.nn.Module) -> str:
    """What a model is, as '<name>-<32 hex digits>': blake2b-128 of every weight and buffer
    and of what else decides its answers (architecture and settings, features, classes).

    Caches of answers are keyed on it, so no file can pass itself off as another by what its
    metadata says, and a retrained or edited model never reads another's answers.
    """
    members = getattr(net, "members", [net])  # an ensemble: each member's architecture
    what = {
        "models": [[m.name, dataclasses.asdict(m.config)] for m in members],
        "features": net.features.to_dict(),
        "classes": list(net.classes),
    }
    digest = hashlib.blake2b(json.dumps(what, sort_keys=True).encode(), digest_size=16)
    for key, tensor in sorted(net.state_dict().items()):
        t = tensor.detach().cpu().contiguous().flatten()
        digest.update(f"{key} {t.dtype} {tuple(tensor.shape)}\n".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes())
    return f"{net.name}-{digest.hexdigest()}"


def default_model_path() -> Path:
    """The model shipped inside the package."""
    return Path(__file__).resolve().parents[1] / "models" / "default.safetensors"


def resolve_model_path(name_or_path: str | os.PathLike | None) -> Path:
    """'default' / None -> the shipped model; a name -> drumnet/models/<name>.safetensors; else a path."""
    if name_or_path in (None, "default"):
        return default_model_path()
    candidate = Path(name_or_path)
    if candidate.suffix or candidate.exists() or os.sep in str(name_or_path):
        return candidate
    shipped = default_model_path().parent
    if not (shipped / f"{name_or_path}.safetensors").is_file():
        names = ", ".join([ENSEMBLE, *sorted(p.stem for p in shipped.glob("*.safetensors"))])
        raise ModelFileError(
            f"no model named {name_or_path!r}: give a .safetensors file or one of {names}"
        )
    return shipped / f"{name_or_path}.safetensors"


def load_state(model: DrumNet) -> dict[str, torch.Tensor]:
    """A detached copy of the weights (for early stopping's best-so-far)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
