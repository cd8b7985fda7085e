"""Speech for the `other` class, spoken by eSpeak NG fetched from Debian without root.

The program and its libraries are extracted into the cache and run from there with
LD_LIBRARY_PATH and `--path`; short words and phrases in several languages, voices, speeds and
pitches (seeded) are written as WAVs into `cache_dir("speech")`. When eSpeak cannot be fetched
or run, the source yields nothing and says why; it never stops a whole fetch.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from drumnet.cache import cache_dir
from drumnet.taxonomy import OTHER
from drumnet.training.datasets.debian import FetchError, fetch_packages
from drumnet.training.datasets.manifest import Sample

# espeak-ng's run-time closure on Debian 12 (`apt-cache depends espeak-ng`); fetch_packages
# adds whatever else (libpulse0, libsndfile1, ...) this system lacks.
PACKAGES = ("espeak-ng", "espeak-ng-data", "libespeak-ng1", "libpcaudio0", "libsonic0")
# Words short enough to fit the 1 s window, some percussive ("tick", "kapow") on purpose.
PHRASES: dict[str, tuple[str, ...]] = {
    "en-us": ("hello", "yes", "no", "tick", "kick it", "check one two", "boom", "okay", "what"),
    "en": ("hello there", "snare", "right", "stop", "go", "thank you", "cat", "top"),
    "de": ("hallo", "ja", "nein", "danke", "tschüss", "acht", "Katze"),
    "fr": ("bonjour", "oui", "non", "merci", "quatre", "chat"),
    "es": ("hola", "sí", "gracias", "tres", "cuatro", "vale"),
    "it": ("ciao", "grazie", "basta", "pronto"),
    "nl": ("hallo", "dank je", "klok"),
    "pt": ("olá", "obrigado", "tchau"),
}
VARIANTS = ("", "+m3", "+f2", "+f4", "+croak", "+whisper", "+klatt")  # espeak voice variants

Skip = tuple[str, str]


def _lib_dirs(root: Path) -> list[str]:
    """Every folder under the extraction root holding a shared library."""
    found = {p.parent for base in ("lib", "usr/lib") for p in (root / base).rglob("*.so*")}
    return sorted(str(d) for d in found)


def _espeak_command(root: Path) -> tuple[list[str], dict[str, str]]:
    binary = root / "usr/bin/espeak-ng"
    data = next(iter(sorted((root / "usr/lib").glob("*/espeak-ng-data"))), None)
    if not binary.is_file() or data is None:
        raise FetchError(f"espeak-ng not found under {root} after extraction")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join(_lib_dirs(root) + [env.get("LD_LIBRARY_PATH", "")])
    return [str(binary), f"--path={data.parent}"], env


def speech_plan(n: int, seed: int = 0) -> list[tuple[str, str, int, int]]:
    """n seeded (voice, text, words per minute, pitch 0-99) choices; the same seed, same plan."""
    rng = random.Random(seed)
    plan = []
    for _ in range(n):
        language = rng.choice(sorted(PHRASES))
        voice = language + rng.choice(VARIANTS)
        plan.append(
            (voice, rng.choice(PHRASES[language]), rng.randint(120, 320), rng.randint(10, 90))
        )
    return plan


def _speak(command: list[str], env: dict, item: tuple, path: Path) -> str | None:
    """Write one WAV; returns an error line, or None on success."""
    voice, text, speed, pitch = item
    cmd = [*command, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text]
    try:
        result = subprocess.run(
            cmd, env=env, capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        path.unlink(missing_ok=True)
        return f"{voice} {text!r}: {exc}"
    if result.returncode != 0 or not path.is_file() or path.stat().st_size <= 44:
        path.unlink(missing_ok=True)
        return f"{voice} {text!r}: {result.stderr.strip() or 'no audio written'}"
    return None


def speech_samples(
    n: int = 200, seed: int = 0, workers: int = 4
) -> tuple[list[Sample], list[Skip]]:
    """n short spoken WAVs labelled `other` (library "espeak-ng"), made once and then reused.

    Returns ([], [(reason, detail)]) when eSpeak NG cannot be fetched or run.
    """
    try:
        command, env = _espeak_command(fetch_packages(list(PACKAGES), with_dependencies=True))
    except (FetchError, OSError) as exc:
        return [], [("speech synthesis unavailable", str(exc))]
    plan = speech_plan(n, seed)
    key = hashlib.sha256(repr((plan, command[1:])).encode()).hexdigest()[:16]
    folder = cache_dir("speech") / key
    folder.mkdir(exist_ok=True)
    paths = [folder / f"{i:04d}.wav" for i in range(n)]
    todo = [(item, path) for item, path in zip(plan, paths) if not path.is_file()]
    with ThreadPoolExecutor(max(1, workers)) as pool:
        errors = list(pool.map(lambda job: _speak(command, env, *job), todo))
    skipped = [("speech synthesis failed", e) for e in errors if e]
    samples = [
        Sample(str(path), OTHER, "espeak-ng", f"{voice} {text}", 0, "espeak")
        for (voice, text, _, _), path in zip(plan, paths)
        if path.is_file()
    ]
    return samples, skipped
