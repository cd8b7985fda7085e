"""The Hydrogen drum kits shipped by Debian: 16 kits, every velocity layer a labelled sample.

A kit is a folder with a `drumkit.xml` naming each instrument and its layer files. Three
generations of the format are read: `instrumentComponent/layer/filename` (Hydrogen >= 0.9.7),
`layer/filename` and a bare `filename` per instrument, with or without the XML namespace.

Debian also ships an effects kit (`hydrogen-drumkits-effects`: 295 acoustic-guitar chord
strums). It is no drum kit: `effects_samples` gives its layers as `other`, and the drum source
leaves it out when both packages sit in the same extraction root.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from drumnet.taxonomy import OTHER, UNKNOWN, class_for_name
from drumnet.training.datasets.debian import fetch_packages
from drumnet.training.datasets.manifest import Sample

PACKAGES = ("hydrogen-drumkits", "hydrogen-data")
EFFECTS_PACKAGES = ("hydrogen-drumkits-effects",)
EFFECT_KITS = frozenset({"belofilms_GuitarStrums"})  # the kits EFFECTS_PACKAGES holds
KITS_UNDER = Path("usr/share/hydrogen/data/drumkits")  # inside the extraction root

# (reason, what): why one instrument or layer file was left out.
Skip = tuple[str, str]


def fetch_hydrogen(force: bool = False) -> Path:
    """Fetch the Debian Hydrogen packages into the cache; returns the drumkits folder."""
    return fetch_packages(list(PACKAGES), force=force) / KITS_UNDER


def fetch_hydrogen_effects(force: bool = False) -> Path:
    """Fetch the Debian Hydrogen effects kit into the cache; returns the drumkits folder."""
    return fetch_packages(list(EFFECTS_PACKAGES), force=force) / KITS_UNDER


def kit_files(kits_dir: str | Path) -> list[Path]:
    """Every `*/drumkit.xml` under a drumkits folder, sorted by kit folder name."""
    return sorted(Path(kits_dir).glob("*/drumkit.xml"), key=lambda p: p.parent.name.lower())


def _strip_namespace(root: ET.Element) -> ET.Element:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def _layer_files(instrument: ET.Element) -> list[str]:
    """File names of an instrument's layers, in the order the kit lists them."""
    layers = instrument.findall("instrumentComponent/layer") + instrument.findall("layer")
    names = [(layer.findtext("filename") or "").strip() for layer in layers]
    if not layers:  # the oldest kits: one bare file per instrument
        names = [(instrument.findtext("filename") or "").strip()]
    # Hydrogen fills unused slots with its silent placeholder; that is no layer at all.
    return [n for n in names if n and Path(n).stem != "emptySample"]


def _resolve(kit_dir: Path, name: str) -> Path:
    path = kit_dir / name
    if not path.exists() and Path(name).is_absolute():  # a path from the author's machine
        path = kit_dir / Path(name).name
    return path.resolve()


def parse_drumkit(
    xml_path: str | Path, label: str | None = None, source: str = "hydrogen"
) -> tuple[list[Sample], list[Skip]]:
    """All labelled layer files of one kit, and what was left out and why.

    Each layer file becomes Sample(path=absolute path, label=class_for_name(instrument name),
    library=kit folder name, instrument=name, layer=index within the instrument, source).
    A given `label` labels every instrument instead (an effects kit is all `other`).
    Raises ET.ParseError for a file that is not XML.
    """
    xml_path = Path(xml_path)
    kit_dir, kit = xml_path.parent, xml_path.parent.name
    root = _strip_namespace(ET.parse(xml_path).getroot())
    samples: list[Sample] = []
    skipped: list[Skip] = []
    for instrument in root.iter("instrument"):
        name = (instrument.findtext("name") or "").strip()
        where = f"{kit}/{name or '(unnamed)'}"
        files = _layer_files(instrument)
        if not files:
            skipped.append(("instrument has no layers", where))
            continue
        klass = label or class_for_name(name)
        if klass == UNKNOWN:
            skipped.append(("instrument name says no class", f"{where} ({len(files)} layers)"))
            continue
        for index, file_name in enumerate(files):
            path = _resolve(kit_dir, file_name)
            if not path.is_file():
                skipped.append(("layer file missing", f"{where}: {file_name}"))
                continue
            samples.append(Sample(str(path), klass, kit, name, index, source))
    return samples, skipped


def hydrogen_samples(kits_dir: str | Path | None = None) -> tuple[list[Sample], list[Skip]]:
    """Labelled samples of every kit (fetching the packages first unless `kits_dir` is given).

    A file used by several instruments is kept once (first use), or not at all when they
    disagree on its class; a kit whose XML cannot be parsed is skipped whole, and so is an
    effects kit (EFFECT_KITS: not drums; the `effects` source gives it as `other`).
    """
    kits_dir = Path(kits_dir) if kits_dir is not None else fetch_hydrogen()
    return _read_kits(kits_dir, effects=False)


def effects_samples(kits_dir: str | Path | None = None) -> tuple[list[Sample], list[Skip]]:
    """Every layer of the Hydrogen effects kits as `other` (fetching the package first unless
    `kits_dir` is given): chord strums, whose sharp attack makes them hard non-drums."""
    kits_dir = Path(kits_dir) if kits_dir is not None else fetch_hydrogen_effects()
    return _read_kits(kits_dir, effects=True)


def _read_kits(kits_dir: Path, effects: bool) -> tuple[list[Sample], list[Skip]]:
    """The drum kits (or, with `effects`, the EFFECT_KITS, all `other`) under kits_dir; a file
    several instruments use is kept once, or not at all when they disagree on its class."""
    kind = {"label": OTHER, "source": "effects"} if effects else {}
    by_path: dict[str, list[Sample]] = {}
    skipped: list[Skip] = []
    for xml_path in kit_files(kits_dir):
        kit = xml_path.parent.name
        if (kit in EFFECT_KITS) != effects:
            if not effects:  # the effects source never reports the drum kits beside it
                skipped.append(("an effects kit, not drums", kit))
            continue
        try:
            kit_samples, kit_skipped = parse_drumkit(xml_path, **kind)
        except ET.ParseError as exc:
            skipped.append(("drumkit.xml unreadable", f"{kit}: {exc}"))
            continue
        skipped.extend(kit_skipped)
        for sample in kit_samples:
            by_path.setdefault(sample.path, []).append(sample)
    samples = []
    for path, uses in by_path.items():
        where = f"{uses[0].library}/{Path(path).name}"
        if len({s.label for s in uses}) > 1:
            skipped.append(("file used by instruments of different classes", where))
            continue
        samples.append(uses[0])
        skipped.extend(("file already used by another instrument", where) for _ in uses[1:])
    return samples, skipped


def skip_counts(skipped: list[Skip]) -> Counter:
    """How many items were left out for each reason."""
    return Counter(reason for reason, _ in skipped)
