"""Comparator glyphs (指标性质) and splitting of combined value cells, driven by data/comparators.yaml."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from . import _yaml

GLYPHS = ("≥", "＞", "＝", "＜", "≤", "定性")
NUMBER_RE = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?$")


@dataclass(frozen=True)
class Comparator:
    glyph: str
    code: int
    direction: str
    quantitative: bool
    spellings: tuple[str, ...]
    prefix: tuple[str, ...]
    suffix: tuple[str, ...]


@cache
def comparators() -> tuple[Comparator, ...]:
    data = _yaml.data("comparators.yaml")
    return tuple(
        Comparator(d["glyph"], d["code"], d["direction"], d["quantitative"], tuple(d["spellings"]),
                   tuple(d.get("prefix", ())), tuple(d.get("suffix", ())))
        for d in data["comparators"]
    )


@cache
def _spelling_map() -> dict[str, str]:
    out = {}
    for c in comparators():
        for s in (c.glyph, *c.spellings):
            out[s] = c.glyph
            out[unicodedata.normalize("NFKC", s)] = c.glyph
    return out


def canonical_sign(text) -> str | None:
    """The system glyph for a typed comparator (">=" → "≥", "=" → "＝"), or None when it is not one."""
    if text is None:
        return None
    t = str(text).strip()
    return _spelling_map().get(t) or _spelling_map().get(unicodedata.normalize("NFKC", t))


def is_number_text(text: str) -> bool:
    """The budget systems' PerfUtil.isNumeric: optional minus, digits, optional decimals; nothing else."""
    return bool(NUMBER_RE.match(text))


def to_number(value):
    """int when integral, else float; used wherever a cell value becomes data."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def parse_number(text: str):
    """A bare-number string as int/float; None otherwise."""
    if not is_number_text(text):
        return None
    return int(text) if "." not in text else to_number(float(text))
