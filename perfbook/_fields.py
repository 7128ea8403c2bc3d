"""Field specs loaded from data/fields.yaml: the one place labels, aliases and types are defined."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from . import _yaml


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()


@cache
def _load() -> dict:
    text = resources.files("perfbook").joinpath("data/fields.yaml").read_text(encoding="utf-8")
    return _yaml.load(text)


def _specs(section: str) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(d["name"], d["label"], d.get("type", "text"), bool(d.get("required")), tuple(d.get("aliases", ())))
        for d in _load()[section]
    )


@cache
def project_fields() -> tuple[FieldSpec, ...]:
    return _specs("project")


@cache
def indicator_fields() -> tuple[FieldSpec, ...]:
    return _specs("indicator")


@cache
def indicators_key() -> str:
    return _load()["indicators_key"]


@cache
def midterm_key() -> str:
    return _load()["midterm_key"]


_LABEL_NOISE = re.compile(r"[\s:：*★]")


@lru_cache(maxsize=4096)
def label_key(text: str) -> str:
    """Normalise a label for matching: NFKC, no spaces/colons/asterisks/brackets-of-units.
    Cached: the same few dozen labels are looked up for every cell of every workbook read."""
    return _LABEL_NOISE.sub("", unicodedata.normalize("NFKC", str(text)))


@cache
def _alias_map(section: str) -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for spec in _specs(section):
        for name in (spec.label, *spec.aliases):
            out.setdefault(label_key(name), spec)
    return out


def project_field(label: str) -> FieldSpec | None:
    """The project field a label (or alias) names, if any."""
    return _alias_map("project").get(label_key(label))


def indicator_field(label: str) -> FieldSpec | None:
    return _alias_map("indicator").get(label_key(label))
