"""A tiny SoundFont 2 writer for tests: sine samples, instruments and presets from dicts.

A zone is a dict {generator number: amount}; KEY_RANGE and VEL_RANGE take (lo, hi). The
writer orders each zone's generators as the spec asks (ranges first, the link last).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from drumnet.training.soundfont import sf2


def sine(freq: float, seconds: float, rate: int = 22050, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.round(level * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def _chunk(ident: bytes, body: bytes) -> bytes:
    return struct.pack("<4sI", ident, len(body)) + body + b"\0" * (len(body) & 1)


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _gens(zone: dict, link: int) -> list[tuple[int, int]]:
    order = sorted(zone, key=lambda n: (n != sf2.KEY_RANGE, n != sf2.VEL_RANGE, n == link))
    out = []
    for number in order:
        value = zone[number]
        if number in sf2.RANGES:
            value = value[0] | (value[1] << 8)
        out.append((number, value & 0xFFFF))
    return out


def _hydra(items: list[tuple], link: int, record: str) -> tuple[bytes, bytes, bytes]:
    """(headers, bags, generators) of instruments (record "inst") or presets ("phdr")."""
    headers, bags, gens = b"", b"", []
    for item in items:
        name, zones = item[0], item[-1]
        if record == "phdr":
            _, bank, program, _ = item
            headers += struct.pack(
                "<20sHHHIII", name.encode(), program, bank, len(bags) // 4, 0, 0, 0
            )
        else:
            headers += struct.pack("<20sH", name.encode(), len(bags) // 4)
        for zone in zones:
            bags += struct.pack("<HH", len(gens), 0)
            gens += _gens(zone, link)
    if record == "phdr":
        headers += struct.pack("<20sHHHIII", b"EOP", 0, 0, len(bags) // 4, 0, 0, 0)
    else:
        headers += struct.pack("<20sH", b"EOI", len(bags) // 4)
    bags += struct.pack("<HH", len(gens), 0)
    gen_bytes = b"".join(struct.pack("<HH", n, v) for n, v in gens) + struct.pack("<HH", 0, 0)
    return headers, bags, gen_bytes


def write_sf2(
    path: Path,
    samples: list[tuple],
    instruments: list[tuple[str, list[dict]]],
    presets: list[tuple[str, int, int, list[dict]]],
) -> Path:
    """samples: (name, int16 data, rate, root key, loop (start, end) relative or None[, kind]);
    instruments: (name, zones); presets: (name, bank, program, zones)."""
    data, shdr = [], b""
    offset = 0
    for name, x, rate, root, loop, *kind in samples:
        start, end = offset, offset + len(x)
        loop_start, loop_end = (start + loop[0], start + loop[1]) if loop else (start, start)
        shdr += struct.pack(
            "<20sIIIIIBbHH", name.encode(), start, end, loop_start, loop_end, rate, root, 0, 0,
            kind[0] if kind else 1,
        )  # fmt: skip
        data += [x, np.zeros(46, np.int16)]  # 46 zero points after each sample (spec 6.1)
        offset = end + 46
    shdr += struct.pack("<20sIIIIIBbHH", b"EOS", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    inst, ibag, igen = _hydra(instruments, sf2.SAMPLE_ID, "inst")
    phdr, pbag, pgen = _hydra(presets, sf2.INSTRUMENT, "phdr")
    mod = b"\0" * 10
    pdta = _list(
        b"pdta", _chunk(b"phdr", phdr), _chunk(b"pbag", pbag), _chunk(b"pmod", mod),
        _chunk(b"pgen", pgen), _chunk(b"inst", inst), _chunk(b"ibag", ibag),
        _chunk(b"imod", mod), _chunk(b"igen", igen), _chunk(b"shdr", shdr),
    )  # fmt: skip
    info = _list(b"INFO", _chunk(b"ifil", struct.pack("<HH", 2, 1)), _chunk(b"INAM", b"test\0"))
    sdta = _list(b"sdta", _chunk(b"smpl", np.concatenate(data).astype("<i2").tobytes()))
    body = b"sfbk" + info + sdta + pdta
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def drum_font(path: Path) -> Path:
    """A one-kit font: bank 128 program 0 plays a 100 Hz 'kick' on key 36 and a 2 kHz 'hat'
    on key 42 (both unlooped, 0.5 s at 22,050 Hz, root = the key); program 56 (an 'SFX' kit)
    plays the kick on every key; bank 0 program 0 a looped 441 Hz sine with root key 69."""
    samples = [
        ("kick", sine(100, 0.5), 22050, 36, None),
        ("hat", sine(2000, 0.5), 22050, 42, None),
        ("tone", sine(441, 0.5), 22050, 69, (1000, 3500)),  # 50 periods of 50 points
    ]
    instruments = [
        ("kit", [{sf2.KEY_RANGE: (36, 36), sf2.SAMPLE_ID: 0}, {sf2.KEY_RANGE: (42, 42), sf2.SAMPLE_ID: 1}]),
        ("sfx", [{sf2.SAMPLE_ID: 0}]),
        ("tone", [{sf2.SAMPLE_MODES: 1, sf2.SAMPLE_ID: 2}]),
    ]  # fmt: skip
    presets = [
        ("Standard", 128, 0, [{sf2.INSTRUMENT: 0}]),
        ("SFX", 128, 56, [{sf2.INSTRUMENT: 1}]),
        ("Sine", 0, 0, [{sf2.INSTRUMENT: 2}]),
    ]
    return write_sf2(path, samples, instruments, presets)
