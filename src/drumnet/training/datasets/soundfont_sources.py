"""SoundFont sources: General MIDI drum kits, and melodic notes as `other`, rendered to WAVs.

- generaluser: GeneralUser GS 1.47 (Debian `minuet-data`): the drum kits on bank 128.
- generaluser-other: its melodic instruments (bank 0) as short notes, labelled `other`.
- opl3: the OPL3 FM drum kit (Debian `opl3-soundfont`).
- sonivox: the Sonivox EAS GM set (npm `@coderline/alphatab@1.8.4`, only its sonivox.sf2).

Each kit is its own library ("GeneralUser/Standard"); notes come from soundfont/plan.py and
render with soundfont/render.py into `cache_dir("soundfonts")/<source>/` as 44.1 kHz 16-bit
WAVs peaking at -1 dBFS, once: a manifest, the skipped notes and a meta.json (RENDER_VERSION,
the font's size and time, the settings) sit beside the WAVs, and a change to any of them
renders again. A source that cannot be
fetched or read gives no samples and one skipped line saying why. See docs/data-sources.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from drumnet.audio.write import save_audio
from drumnet.cache import cache_dir
from drumnet.training.datasets.debian import FetchError, fetch_packages
from drumnet.training.datasets.manifest import Sample, read_manifest, write_manifest
from drumnet.training.soundfont.exclusions import Exclusion, load_exclusions
from drumnet.training.soundfont.plan import Note, drum_plan, melodic_plan
from drumnet.training.soundfont.render import NoSound, RenderConfig, render_note
from drumnet.training.soundfont.sf2 import SoundFont, SoundFontError

RENDER_VERSION = 4  # bump when rendering or planning changes: every cached render is redone
PEAK = 10 ** (-1 / 20)  # every render is written peaking at -1 dBFS
UNAVAILABLE = "source unavailable"

Skip = tuple[str, str]

GENERALUSER = Path("usr/share/minuet/soundfonts/GeneralUser-v1.47.sf2")  # in minuet-data
OPL3_UNDER = Path("usr/share/sounds/sf2")  # opl3-soundfont's OPL-3_FM_128M.sf2
SONIVOX_PACKAGE = "@coderline/alphatab@1.8.4"
SONIVOX_MEMBER = "package/dist/soundfont/sonivox.sf2"


def fetch_generaluser(force: bool = False) -> Path:
    """GeneralUser GS from Debian `minuet-data`, extracted into the cache; its .sf2 path."""
    return fetch_packages(["minuet-data"], force=force) / GENERALUSER


def fetch_opl3(force: bool = False) -> Path:
    """The OPL3 FM SoundFont from Debian `opl3-soundfont` (a 100 MB download); its path."""
    folder = fetch_packages(["opl3-soundfont"], force=force) / OPL3_UNDER
    fonts = sorted(folder.glob("*.sf2"))
    if not fonts:
        raise FetchError(f"opl3-soundfont holds no .sf2 under {folder}")
    return fonts[0]


def fetch_sonivox(force: bool = False) -> Path:
    """sonivox.sf2 out of the npm package `@coderline/alphatab@1.8.4`: `npm pack` into a
    temporary folder, only that file extracted into the cache, the tarball deleted."""
    dest = cache_dir("npm") / "alphatab-1.8.4" / "sonivox.sf2"
    if dest.is_file() and not force:
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("`npm` not found: fetching the Sonivox SoundFont needs npm")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:  # the tarball goes with it
        cmd = [npm, "pack", SONIVOX_PACKAGE, "--silent"]
        result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            why = (result.stderr.strip().splitlines() or ["no tarball written"])[-1]
            raise FetchError(f"`npm pack {SONIVOX_PACKAGE}` failed: {why}")
        try:
            with tarfile.open(tarballs[0]) as tar:  # one member read, nothing extracted blindly
                data = tar.extractfile(tar.getmember(SONIVOX_MEMBER)).read()
        except (KeyError, AttributeError, tarfile.TarError, OSError) as exc:
            raise FetchError(f"{SONIVOX_PACKAGE}: no readable {SONIVOX_MEMBER} ({exc})") from None
        part = dest.with_suffix(".part")
        part.write_bytes(data)
        os.replace(part, dest)
    return dest


@dataclass(frozen=True)
class FontSource:
    """A data source made of one SoundFont."""

    name: str  # the source's name in SOURCES: "generaluser-other"
    prefix: str  # library names start with it: "GeneralUser"
    locate: Callable[[], Path]  # fetches when needed; the .sf2 path (raises FetchError)
    melodic: bool = False  # render the melodic bank as `other`, not the drum kits
    source: str = ""  # Sample.source: one recording chain's sources share it (default: name)


FONT_SOURCES = {
    s.name: s
    for s in (
        FontSource("generaluser", "GeneralUser", fetch_generaluser),
        FontSource("generaluser-other", "GeneralUser", fetch_generaluser, True, "generaluser"),
        FontSource("opl3", "OPL3", fetch_opl3),
        FontSource("sonivox", "Sonivox", fetch_sonivox),
    )
}


def _meta(font_path: Path, melodic: bool, config: RenderConfig) -> dict:
    st = font_path.stat()
    font = {"name": font_path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return {"version": RENDER_VERSION, "font": font, "melodic": melodic, "config": asdict(config)}


def _cached(root: Path, meta: dict) -> tuple[list[Sample], list[Skip]] | None:
    try:
        if json.loads((root / "meta.json").read_text()) != meta:
            return None
        samples = read_manifest(root / "manifest.csv")
        skipped = [tuple(pair) for pair in json.loads((root / "skipped.json").read_text())]
    except (OSError, ValueError):
        return None
    return (samples, skipped) if all(Path(s.path).is_file() for s in samples) else None


def _write(path: Path, x: np.ndarray, rate: int) -> None:
    # Peak-normalised, as sample packs are: a soft note of a quiet hat (GeneralUser's pedal hat
    # at velocity 40 peaks near -53 dBFS) keeps its 16 bits, and training normalises anyway.
    x = x * (PEAK / float(np.max(np.abs(x))))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.wav")
    save_audio(tmp, x, rate)
    os.replace(tmp, path)  # a killed run never leaves a half-written WAV behind


def _render(
    font: SoundFont, note: Note, root: Path, config: RenderConfig, source: str, skipped: list
) -> Sample | None:
    held = replace(config, note_seconds=note.seconds)
    try:
        x = render_note(font, note.bank, note.program, note.key, note.velocity, held)
    except NoSound as exc:
        skipped.append(("renders no sound", f"{note.library}: {exc}"))
        return None
    path = root / note.file
    _write(path, x, config.sample_rate)
    return Sample(
        str(path), note.label, note.library, note.instrument, note.layer, source, note.subclass
    )


def render_font(
    font_path: str | Path,
    source: FontSource,
    root: str | Path | None = None,
    config: RenderConfig | None = None,
    exclusions: tuple[Exclusion, ...] | None = None,
) -> tuple[list[Sample], list[Skip]]:
    """Plan and render one font's notes into root (default cache_dir("soundfonts")/<name>),
    or read them back when a render of the same font, settings and version is there.

    exclusions: default the packaged table (exclusions.load_exclusions).
    Raises SoundFontError for a damaged font and OSError when the renders cannot be written.
    """
    font_path = Path(font_path)
    config = config or RenderConfig(max_seconds=3.0)
    root = Path(root) if root is not None else cache_dir("soundfonts") / source.name
    exclusions = load_exclusions() if exclusions is None else exclusions
    meta = _meta(font_path, source.melodic, config)
    meta["exclusions"] = [asdict(e) for e in exclusions]  # a new rule renders again
    found = _cached(root, meta)
    if found is not None:
        return found
    font = SoundFont(font_path)
    plan = melodic_plan if source.melodic else drum_plan
    notes, skipped = plan(font, font_path.name, source.prefix, exclusions)
    samples = []
    for note in notes:
        sample = _render(font, note, root, config, source.source or source.name, skipped)
        if sample is not None:
            samples.append(sample)
    root.mkdir(parents=True, exist_ok=True)
    write_manifest(samples, root / "manifest.csv")
    (root / "skipped.json").write_text(json.dumps(skipped))
    (root / "meta.json").write_text(json.dumps(meta))  # last: it marks the render finished
    return samples, skipped


def font_samples(name: str) -> tuple[list[Sample], list[Skip]]:
    """The samples of the font source `name` (FONT_SOURCES), fetched and rendered when needed;
    a font that cannot be fetched, read or rendered gives ([], [(UNAVAILABLE, why)])."""
    source = FONT_SOURCES[name]
    try:
        return render_font(source.locate(), source)
    except (FetchError, SoundFontError) as exc:
        return [], [(UNAVAILABLE, f"{name}: {exc}")]
    except OSError as exc:
        return [], [(UNAVAILABLE, f"{name}: cannot write its renders ({exc.strerror or exc})")]
