"""The rule data: data/rules.yaml with a bureau's files laid over it (`--rules-dir` / PERFBOOK_RULES),
its parameters, the units and 不适用 words, and the small value predicates every back end mirrors
(filled, trim, placeholder, number, percent). Below both the catalogue and the Python compiler, so
neither imports the other inside a function."""
from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import yaml

from .. import _yaml as Y, data as shipped
from .._comparators import _spelling_map
from .._values import clean_text, split_value
from .._yaml import data as yaml_data
from ..errors import DataError
from ._frames import Frame

_NOSPACE = re.compile("[ \u3000\n\r\t]")
ENV_RULES = "PERFBOOK_RULES"


def _yaml(name: str) -> dict:
    return yaml_data(name)


_rules_dir: list[str | None] = [None]


def rules_dir() -> str | None:
    return _rules_dir[0] or os.environ.get(ENV_RULES) or None


@cache
def data() -> dict:
    """The shipped rules.yaml with a bureau's files laid over it: `params` merged key by key, a rule
    with a known id replaces that rule, a new id is added (after the shipped row or project rules)."""
    d = _yaml("rules.yaml")
    src = shipped.path("rules.yaml")
    for r in d["rules"]:
        r["_source"] = src
    extra = rules_dir()
    if extra:
        folder = Path(extra)
        if not folder.is_dir():
            raise DataError(f"规则目录不存在：{folder}", f"rules folder not found: {folder}", folder)
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            _overlay(d, path)
    return d


def _overlay(d: dict, path: Path) -> None:
    try:
        add = Y.load(path.read_text("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"规则文件不是有效的 YAML：{exc}", f"the rule file is not valid YAML: {exc}", path) from exc
    if not isinstance(add, dict) or not isinstance(add.get("rules", []), list):
        raise DataError("规则文件应含 rules: 列表（可选 params:、let:）", "a rule file holds a rules: list", path)
    for k, v in (add.get("params") or {}).items():
        d["params"][k] = v
    for k, v in (add.get("let") or {}).items():
        d["let"][k] = v
    ids = [r["id"] for r in d["rules"]]
    for r in add.get("rules") or []:
        if not isinstance(r, dict) or not r.get("id"):
            raise DataError("规则缺少 id", "a rule has no id", path)
        r = {**r, "_source": str(path)}
        if r["id"] in ids:
            i = ids.index(r["id"])
            d["rules"][i] = {**d["rules"][i], **r}
        else:
            d["rules"].append(r)
            ids.append(r["id"])


def params() -> dict:
    return data()["params"]


@cache
def unit_table() -> tuple[tuple[str, ...], dict[str, str]]:
    """(the shipped units, alias → unit): data/units.yaml."""
    d = _yaml("units.yaml")
    return tuple(map(str, d["units"])), {str(k): str(v) for k, v in (d.get("aliases") or {}).items()}


def units(frame: Frame | None = None) -> tuple[str, ...]:
    """The drop-down list: the shipped units plus the frame's own."""
    base, _ = unit_table()
    extra = tuple(u for u in (frame.units if frame else ()) if u not in base)
    return base + extra


def units_all(frame: Frame | None = None) -> tuple[str, ...]:
    """Every unit spelling accepted without a warning (list + aliases)."""
    return units(frame) + tuple(a for a in unit_table()[1] if a not in units(frame))


def percent_spellings() -> tuple[str, ...]:
    return ("%", *(a for a, c in unit_table()[1].items() if c == "%"))


def spellings() -> tuple[tuple[str, str], ...]:
    """(typed spelling, system glyph): every spelling the data model turns into a glyph."""
    return tuple(sorted(_spelling_map().items()))


@cache
def na_words() -> tuple[str, ...]:
    return tuple(_yaml("foreign.yaml")["not_applicable"])


# --- small predicates shared by the rules (each mirrors a formula macro below) ------------------

def filled(v) -> bool:
    return v is not None and str(v).strip(" ") != ""


def trim(v) -> str:
    """Excel's TRIM: spaces at the ends removed, runs of spaces inside made one."""
    return re.sub(" +", " ", "" if v is None else str(v)).strip(" ")


def nospace(v) -> str:
    return _NOSPACE.sub("", "" if v is None else str(v))


def equals_any(text: str, items) -> bool:
    """Excel's "=" on text ignores case."""
    t = text.lower()
    return any(t == str(i).lower() for i in items)


def is_na(v) -> bool:
    return v is not None and equals_any(nospace(v), na_words())


def is_placeholder(v) -> bool:
    if not isinstance(v, str):
        return False
    ph = params()["placeholders"]
    return any(s in v.upper() for s in ph["contains"]) or equals_any(trim(v), ph["exact"])


@cache
def _bare_re() -> re.Pattern:
    d = re.escape(params()["digits"])
    return re.compile(f"-?[{d}]+(?:\\.[{d}]+)?")


def is_bare_number(v) -> bool:
    """PerfUtil.isNumeric: a number, or text that is only a number (no unit, sign, separator, space)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, str) and _bare_re().fullmatch(v) is not None


def number(v) -> float:
    return float(v) if not isinstance(v, str) else float(v.translate(_FULLWIDTH))


_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def is_percent(unit) -> bool:
    return unit is not None and trim(unit) in percent_spellings()


@cache
def _score_re() -> re.Pattern:
    return re.compile(params()["score_pattern"])


def score_of(text) -> float | None:
    """The leading score of an 评（扣）分标准 text: "12分，完成1期得1分" → 12."""
    if not isinstance(text, str):
        return None
    m = _score_re().match(text)
    return float(m.group(1)) if m else None


def split_typed(value):
    """(sign, number, unit) when typed text is a number with a comparator or unit around it."""
    if not isinstance(value, str):
        return None
    sp = split_value(value)
    if not sp.applicable or sp.sign is None or isinstance(sp.value, str) or sp.value is None:
        return None
    explicit = sp.unit is not None or sp.sign != "＝" or any(ch in value for ch in "=＝") or "等于" in value
    return (sp.sign, sp.value, sp.unit) if explicit else None


def name_length(name) -> int:
    """The length of a 三级指标 name as the budget system stores it: stray spaces and line breaks
    removed (values.clean_text), so a trailing newline typed by accident does not count."""
    return len(clean_text(str(name)) or "") if name is not None else 0
