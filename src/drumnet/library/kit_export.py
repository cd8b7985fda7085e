"""Write a kit to a folder: copies of its samples, an SFZ file and a Hydrogen drumkit.xml.

The originals are only read. Nothing in the folder is overwritten: a sample whose name is taken
gets `-2`, `-3`; a kit file (`<name>.sfz`, `drumkit.xml`) whose name is taken stops the export
before anything is written. Everything is written under temporary names first and then given
its final name, kit files last, so a failure (a full disk, a folder made read-only) leaves no
half-written file under a final name: what was published is taken back, the temporary files
removed, and `KitError` says why in one line. docs/browser.md shows the formats.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from drumnet.audio.decode import stat_regular_file
from drumnet.library.kit import CHOKED, PAD_BY_NAME, PADS

FORMATS = ("sfz", "hydrogen")
HYDROGEN_NS = "http://www.hydrogen-music.org/drumkit"  # drumkit.xsd's target namespace
HYDROGEN_FILE = "drumkit.xml"  # Hydrogen finds a kit by this name in its folder
HAT_GROUP = 1  # the hats' SFZ choke group and Hydrogen mute group


class KitError(Exception):
    """The kit cannot be written; `str(err)` is one line saying why."""


@dataclass(frozen=True)
class KitExport:
    """What an export wrote: the folder, {pad: sample file name}, and the kit files."""

    folder: Path
    samples: dict[str, str]  # pad name -> file name in folder
    sources: dict[str, str]  # pad name -> the original it was copied from
    kit_files: tuple[Path, ...]

    def to_record(self) -> dict:
        return {
            "folder": str(self.folder),
            "samples": self.samples,
            "sources": self.sources,
            "kit_files": [str(p) for p in self.kit_files],
        }


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """'sfz,hydrogen' (or a list) -> ('sfz', 'hydrogen'); ValueError for anything else."""
    names = text.split(",") if isinstance(text, str) else list(text)
    formats = tuple(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"unknown kit format {bad or text!r}; choose from {', '.join(FORMATS)}")
    return formats


def safe_name(text: str) -> str:
    """A file-name part every sampler reads: ASCII letters, digits, '.', '_' and '-' only (an
    SFZ `sample=` value ends at the next opcode, so no spaces)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return name[:60] or "sound"


def export_kit(
    pads: Mapping[str, str | os.PathLike],
    out: str | os.PathLike,
    formats: Iterable[str] = FORMATS,
    name: str = "drumnet kit",
) -> KitExport:
    """Copy each pad's sample into `out` and write the kit files; raises KitError."""
    formats = parse_formats(formats)
    unknown = [p for p in pads if p not in PAD_BY_NAME]
    if unknown:
        raise ValueError(f"unknown pads {unknown}; choose from {', '.join(PAD_BY_NAME)}")
    if not pads:
        raise KitError("the kit has no sounds: pick or suggest at least one")
    sources = {p.name: os.path.abspath(pads[p.name]) for p in PADS if p.name in pads}
    for pad, source in sources.items():
        try:
            stat_regular_file(source)
        except Exception as exc:  # AudioError or OSError: say it in one line
            raise KitError(f"{pad}: {source}: {getattr(exc, 'reason', None) or exc}") from exc
    folder = Path(out).expanduser().absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KitError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    kit_names = {"sfz": f"{safe_name(name)}.sfz", "hydrogen": HYDROGEN_FILE}
    kit_names = {f: kit_names[f] for f in formats}
    taken = [n for n in kit_names.values() if os.path.lexists(folder / n)]
    if taken:
        raise KitError(
            f"{folder} already holds {', '.join(taken)}: choose another folder (nothing written)"
        )
    samples = _sample_names(sources, folder)
    texts = {
        "sfz": lambda: sfz_text(samples, name),
        "hydrogen": lambda: hydrogen_xml(samples, name),
    }
    writer = _Publisher(folder)
    try:
        for pad, source in sources.items():
            writer.copy(source, samples[pad])
        for fmt, file_name in kit_names.items():
            writer.write(texts[fmt](), file_name)
        writer.publish()
    except OSError as exc:
        writer.roll_back()
        raise KitError(f"cannot write the kit in {folder}: {exc.strerror or exc}") from exc
    files = tuple(folder / n for n in kit_names.values())
    return KitExport(folder, samples, sources, files)


def _sample_names(sources: Mapping[str, str], folder: Path) -> dict[str, str]:
    """pad -> `<pad>-<original name>.<ext>`, free in `folder` and among each other."""
    names: dict[str, str] = {}
    for pad, source in sources.items():
        stem, ext = os.path.splitext(os.path.basename(source))
        base, ext = f"{pad}-{safe_name(stem)}", safe_name(ext.lower()) if ext else ""
        candidate, n = f"{base}.{ext}" if ext else base, 1
        while candidate in names.values() or os.path.lexists(folder / candidate):
            n += 1
            candidate = f"{base}-{n}.{ext}" if ext else f"{base}-{n}"
        names[pad] = candidate
    return names


class _Publisher:
    """Files written under temporary names in one folder, then published under their final
    names without ever replacing a file; `roll_back` removes what this export made."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.tag = uuid.uuid4().hex[:8]
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)
        self.published: list[Path] = []

    def _temporary(self, final_name: str) -> Path:
        tmp = self.folder / f".{final_name}.drumnet-{self.tag}.tmp"
        self.pending.append((tmp, self.folder / final_name))
        return tmp

    def copy(self, source: str, final_name: str) -> None:
        tmp = self._temporary(final_name)
        with open(source, "rb") as src, open(tmp, "xb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())

    def write(self, text: str, final_name: str) -> None:
        tmp = self._temporary(final_name)
        with open(tmp, "x", encoding="utf-8") as dst:
            dst.write(text)
            dst.flush()
            os.fsync(dst.fileno())

    def publish(self) -> None:
        for tmp, final in self.pending:
            try:
                os.link(tmp, final)  # fails if `final` exists: never replaces a file
                os.unlink(tmp)
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                # A file system without hard links (FAT on a USB stick): check, then rename.
                if os.path.lexists(final):
                    raise FileExistsError(errno.EEXIST, "a file appeared meanwhile", str(final))
                os.rename(tmp, final)
            self.published.append(final)

    def roll_back(self) -> None:
        for path in [*self.published, *(tmp for tmp, _ in self.pending)]:
            try:
                os.unlink(path)
            except OSError:
                pass


def sfz_text(samples: Mapping[str, str], name: str) -> str:
    """An SFZ instrument: one region per pad on its GM key; the hats in one choke group."""
    lines = [f"// {name}: written by drumnet (GM percussion keys)", "<control>", "default_path=./"]
    lines += ["", "<global>", "loop_mode=one_shot", "ampeg_release=0.05"]
    for pad in PADS:
        if pad.name not in samples:
            continue
        choke = f" group={HAT_GROUP} off_by={HAT_GROUP}" if pad.name in CHOKED else ""
        lines += ["", f"<group>{choke}", f"// {pad.title}"]
        k = pad.key
        lines.append(f"<region> sample={samples[pad.name]} lokey={k} hikey={k} pitch_keycenter={k}")
    return "\n".join(lines) + "\n"


def _el(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    node = ET.SubElement(parent, f"{{{HYDROGEN_NS}}}{tag}")
    if text is not None:
        node.text = str(text).lower() if isinstance(text, bool) else str(text)
    return node


def hydrogen_xml(samples: Mapping[str, str], name: str) -> str:
    """A Hydrogen drumkit.xml (the drumkit.xsd of Hydrogen 1.x), one instrument per pad."""
    ET.register_namespace("", HYDROGEN_NS)
    root = ET.Element(f"{{{HYDROGEN_NS}}}drumkit_info")
    for tag, text in (("name", name), ("author", "drumnet"), ("info", "Made with drumnet.")):
        _el(root, tag, text)
    for tag in ("license", "image", "imageLicense"):
        _el(root, tag, "")
    component = _el(_el(root, "componentList"), "drumkitComponent")
    for tag, text in (("id", 0), ("name", "Main"), ("volume", 1)):
        _el(component, tag, text)
    instruments = _el(root, "instrumentList")
    for number, pad in enumerate(p for p in PADS if p.name in samples):
        _instrument(instruments, number, pad, samples[pad.name])
    ET.indent(root, " ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _instrument(parent: ET.Element, number: int, pad, sample: str) -> None:
    node = _el(parent, "instrument")
    fields = (
        ("id", number), ("name", pad.title), ("volume", 1), ("isMuted", False),
        ("isSoloed", False), ("pan_L", 1), ("pan_R", 1), ("pitchOffset", 0),
        ("randomPitchFactor", 0), ("gain", 1), ("applyVelocity", True), ("filterActive", False),
        ("filterCutoff", 1), ("filterResonance", 0), ("Attack", 0), ("Decay", 0),
        ("Sustain", 1), ("Release", 1000),
        ("muteGroup", HAT_GROUP if pad.name in CHOKED else -1),
        ("midiOutChannel", -1), ("midiOutNote", pad.key), ("isStopNote", False),
        ("sampleSelectionAlgo", "VELOCITY"), ("isHihat", -1), ("lower_cc", 0),
        ("higher_cc", 127),
    )  # fmt: skip
    for tag, text in fields:
        _el(node, tag, text)
    component = _el(node, "instrumentComponent")
    _el(component, "component_id", 0)
    _el(component, "gain", 1)
    layer = _el(component, "layer")
    for tag, text in (("filename", sample), ("min", 0), ("max", 1), ("gain", 1), ("pitch", 0)):
        _el(layer, tag, text)
