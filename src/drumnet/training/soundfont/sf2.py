"""SoundFont 2 files: RIFF parsing of the sample data and the preset/instrument hierarchy.

A SoundFont holds 16-bit samples (`sdta/smpl`) and a hierarchy (`pdta`): presets (bank,
program) made of zones that each point at an instrument, instruments made of zones that each
point at a sample, and generators (SF2.01 section 8.1) on every zone. `SoundFont.voices` does
what a synthesiser does at note-on: find the zones whose key and velocity ranges hold the note
and merge their generators (instrument values replace the defaults and the instrument's
global zone; preset values are added to them, section 9.4). Modulators (`pmod`, `imod`) are
not read; the renderer applies the default velocity-to-attenuation curve itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Generator numbers used by this package (SF2.01 section 8.1.2).
START_OFFSET, END_OFFSET, LOOP_START_OFFSET, LOOP_END_OFFSET = 0, 1, 2, 3
START_COARSE, END_COARSE, LOOP_START_COARSE, LOOP_END_COARSE = 4, 12, 45, 50
FILTER_FC, FILTER_Q = 8, 9
DELAY_VOL, ATTACK_VOL, HOLD_VOL, DECAY_VOL, SUSTAIN_VOL, RELEASE_VOL = 33, 34, 35, 36, 37, 38
KEY_TO_HOLD, KEY_TO_DECAY = 39, 40
INSTRUMENT, KEY_RANGE, VEL_RANGE, KEYNUM, VELOCITY = 41, 43, 44, 46, 47
ATTENUATION, COARSE_TUNE, FINE_TUNE, SAMPLE_ID, SAMPLE_MODES = 48, 51, 52, 53, 54
SCALE_TUNING, OVERRIDING_ROOT_KEY = 56, 58
RANGES = (KEY_RANGE, VEL_RANGE)

# Non-zero defaults (section 8.1.3): envelope times -12000 timecents (1 ms), filter open.
DEFAULTS: dict[int, int] = {
    FILTER_FC: 13500,
    **dict.fromkeys((21, 23, 25, 26, 27, 28, 30), -12000),  # modulation LFOs and envelope
    **dict.fromkeys((DELAY_VOL, ATTACK_VOL, HOLD_VOL, DECAY_VOL, RELEASE_VOL), -12000),
    SCALE_TUNING: 100,
    OVERRIDING_ROOT_KEY: -1,
    KEYNUM: -1,
    VELOCITY: -1,
}
# Generators a preset zone may not carry (section 8.1.2: "not valid at the preset level").
INSTRUMENT_ONLY = frozenset(
    {START_OFFSET, END_OFFSET, LOOP_START_OFFSET, LOOP_END_OFFSET, START_COARSE, END_COARSE}
    | {LOOP_START_COARSE, LOOP_END_COARSE, KEYNUM, VELOCITY, SAMPLE_MODES, 57}
    | {OVERRIDING_ROOT_KEY, SAMPLE_ID}
)
UNSIGNED = frozenset({INSTRUMENT, SAMPLE_ID, SAMPLE_MODES})

# (chunk, record size in bytes, struct format) of the hydra's nine sub-chunks (section 7).
RECORDS = {
    "phdr": (38, "<20sHHHIII"),
    "pbag": (4, "<HH"),
    "pgen": (4, "<HH"),
    "inst": (22, "<20sH"),
    "ibag": (4, "<HH"),
    "igen": (4, "<HH"),
    "shdr": (46, "<20sIIIIIBbHH"),
}
ROM_SAMPLE = 0x8000  # sfSampleType bit: the data lives in a synthesiser's ROM, not the file


class SoundFontError(ValueError):
    """A file that is not a SoundFont drumnet can read; the message names the file and why."""


@dataclass(frozen=True)
class SampleHeader:
    """One sample: [start, end) and its loop [loop_start, loop_end) index the `smpl` data."""

    name: str
    start: int
    end: int
    loop_start: int
    loop_end: int
    sample_rate: int  # Hz
    original_pitch: int  # MIDI key the sample sounds at unpitched (255: unpitched, take 60)
    pitch_correction: int  # cents
    link: int
    kind: int  # 1 mono, 2 right, 4 left, 8 linked; ROM_SAMPLE bit for ROM samples


@dataclass(frozen=True)
class Zone:
    """A zone's generators (number -> amount), with its key and velocity ranges apart."""

    generators: dict[int, int]
    keys: tuple[int, int] = (0, 127)
    velocities: tuple[int, int] = (0, 127)

    def holds(self, key: int, velocity: int) -> bool:
        return (
            self.keys[0] <= key <= self.keys[1]
            and self.velocities[0] <= velocity <= self.velocities[1]
        )


@dataclass(frozen=True)
class Instrument:
    name: str
    zones: tuple[Zone, ...]  # each with a SAMPLE_ID
    global_zone: Zone = field(default_factory=lambda: Zone({}))


@dataclass(frozen=True)
class Preset:
    name: str
    bank: int  # 128 for the General MIDI drum kits
    program: int
    zones: tuple[Zone, ...]  # each with an INSTRUMENT
    global_zone: Zone = field(default_factory=lambda: Zone({}))


@dataclass(frozen=True)
class Voice:
    """What one note plays of one instrument zone: merged generators and the sample."""

    generators: dict[int, int]
    sample: SampleHeader

    def gen(self, number: int) -> int:
        return self.generators.get(number, DEFAULTS.get(number, 0))


def _chunks(data: bytes, start: int, end: int, where: str) -> dict[str, tuple[int, int]]:
    """{id (or LIST type): (offset of the body, size)} of the chunks in data[start:end]."""
    found, pos = {}, start
    while pos + 8 <= end:
        ident, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if body + size > end:
            raise SoundFontError(f"{where}: chunk {ident!r} runs past the end (truncated file?)")
        name = ident.decode("latin-1")
        if name == "LIST" and size >= 4:
            name = data[body : body + 4].decode("latin-1")
            body, size = body + 4, size - 4
        found[name] = (body, size)
        pos = body + size + (size & 1)  # chunks are padded to an even size
    return found


def _records(data: bytes, chunks: dict, name: str, where: str) -> list[tuple]:
    if name not in chunks:
        raise SoundFontError(f"{where}: no {name} chunk in pdta")
    size, fmt = RECORDS[name]
    body, length = chunks[name]
    if length % size or length < 2 * size:  # every list ends with a terminal record
        raise SoundFontError(f"{where}: {name} chunk of {length} bytes is damaged")
    return [struct.unpack_from(fmt, data, body + i) for i in range(0, length, size)]


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1").strip()


def _amount(number: int, raw: int) -> int:
    if number in RANGES or number in UNSIGNED:
        return raw
    return raw - 0x10000 if raw >= 0x8000 else raw


def _zones(bags: list[tuple], gens: list[tuple], first: int, last: int, link: int, where: str):
    """(global zone or None, zones) of the bags [first, last); `link` is the generator that
    ends a non-global zone (INSTRUMENT or SAMPLE_ID)."""
    zones, global_zone = [], None
    for b in range(first, last):
        lo, hi = bags[b][0], bags[b + 1][0]
        if not 0 <= lo <= hi <= len(gens):
            raise SoundFontError(f"{where}: a zone points outside the generator list")
        generators, keys, vels = {}, (0, 127), (0, 127)
        for number, raw in gens[lo:hi]:
            if number == KEY_RANGE:
                keys = (raw & 0xFF, raw >> 8)
            elif number == VEL_RANGE:
                vels = (raw & 0xFF, raw >> 8)
            else:
                generators[number] = _amount(number, raw)
        zone = Zone(generators, keys, vels)
        if link in generators:
            zones.append(zone)
        elif b == first:  # only the first zone may be global; any other without a link is ignored
            global_zone = zone
    return global_zone or Zone({}), tuple(zones)


class SoundFont:
    """A parsed SF2 file: `presets`, `instruments`, `samples` and the 16-bit sample data.

    >>> sf = SoundFont("GeneralUser.sf2"); sf.preset(128, 0).name
    'Standard'
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        where = str(self.path)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise SoundFontError(f"{where}: cannot be read ({exc.strerror or exc})") from None
        if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"sfbk":
            raise SoundFontError(f"{where}: not a SoundFont 2 file (no RIFF sfbk header)")
        riff_end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
        top = _chunks(data, 12, riff_end, where)
        if "sdta" not in top or "pdta" not in top:
            raise SoundFontError(f"{where}: missing the sdta or pdta list (truncated file?)")
        sdta = _chunks(data, top["sdta"][0], sum(top["sdta"]), where)
        if "smpl" not in sdta:
            raise SoundFontError(f"{where}: no sample data (smpl chunk)")
        body, size = sdta["smpl"]
        self.data = np.frombuffer(data, dtype="<i2", count=size // 2, offset=body)
        self._parse_hydra(data, _chunks(data, top["pdta"][0], sum(top["pdta"]), where), where)

    def _parse_hydra(self, data: bytes, pdta: dict, where: str) -> None:
        r = {name: _records(data, pdta, name, where) for name in RECORDS}
        n_samples = len(self.data)
        self.samples = []
        for name, *fields in r["shdr"][:-1]:
            header = SampleHeader(_name(name), *fields)
            if not header.kind & ROM_SAMPLE and not 0 <= header.start <= header.end <= n_samples:
                raise SoundFontError(f"{where}: sample {header.name!r} lies outside the data")
            self.samples.append(header)
        self.instruments = []
        for i, (name, bag) in enumerate(r["inst"][:-1]):
            last = r["inst"][i + 1][1]
            if not bag <= last < len(r["ibag"]):
                raise SoundFontError(f"{where}: instrument {_name(name)!r} has damaged zones")
            g, zones = _zones(r["ibag"], r["igen"], bag, last, SAMPLE_ID, where)
            self.instruments.append(Instrument(_name(name), zones, g))
        self.presets = []
        for i, (name, program, bank, bag, *_) in enumerate(r["phdr"][:-1]):
            last = r["phdr"][i + 1][3]
            if not bag <= last < len(r["pbag"]):
                raise SoundFontError(f"{where}: preset {_name(name)!r} has damaged zones")
            g, zones = _zones(r["pbag"], r["pgen"], bag, last, INSTRUMENT, where)
            self.presets.append(Preset(_name(name), bank, program, zones, g))

    def preset(self, bank: int, program: int) -> Preset:
        """The preset at (bank, program); KeyError if there is none."""
        for p in self.presets:
            if (p.bank, p.program) == (bank, program):
                return p
        raise KeyError(f"{self.path.name} has no preset at bank {bank} program {program}")

    def voices(self, preset: Preset, key: int, velocity: int) -> list[Voice]:
        """The voices a note-on of (key, velocity) starts on `preset`, generators merged."""
        voices = []
        for pz in preset.zones:
            p_keys = pz.keys if pz.keys != (0, 127) else preset.global_zone.keys
            p_vels = pz.velocities if pz.velocities != (0, 127) else preset.global_zone.velocities
            if not Zone({}, p_keys, p_vels).holds(key, velocity):
                continue
            p_gens = {**preset.global_zone.generators, **pz.generators}
            index = p_gens[INSTRUMENT]
            if index >= len(self.instruments):
                continue  # a damaged link: the note plays what the other zones play
            instrument = self.instruments[index]
            for iz in instrument.zones:
                g = instrument.global_zone
                i_keys = iz.keys if iz.keys != (0, 127) else g.keys
                i_vels = iz.velocities if iz.velocities != (0, 127) else g.velocities
                sample_id = iz.generators[SAMPLE_ID]
                if not Zone({}, i_keys, i_vels).holds(key, velocity):
                    continue
                if sample_id >= len(self.samples) or self.samples[sample_id].kind & ROM_SAMPLE:
                    continue
                merged = {**DEFAULTS, **g.generators, **iz.generators}
                for number, amount in p_gens.items():
                    if number not in INSTRUMENT_ONLY and number != INSTRUMENT:
                        merged[number] = merged.get(number, 0) + amount
                voices.append(Voice(merged, self.samples[sample_id]))
        return voices
