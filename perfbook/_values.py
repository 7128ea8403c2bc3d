"""Typed text as officials type it: clean it, and split a combined 指标值 cell into its three parts.

A budget system's export writes 指标性质 + 指标值 + 度量单位 into one cell ("≥95%", with the ＝ dropped:
domain §2.2), and people type the same way with words ("不超过15万元", "90%以上", "达到95%以上").
The spellings come from data/comparators.yaml; nothing here is an if-chain of glyphs.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from . import _yaml
from ._comparators import comparators, to_number

QUALITATIVE = "定性"
EQUAL = "＝"

# whitespace inside a line that nobody meant: tabs, NBSP, ideographic and zero-width spaces
_STRAY_WS = re.compile(r"[\t\u00a0\u2000-\u200b\u3000\ufeff]+")
_BREAKS = re.compile(r"\s*\n\s*")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_RANGE = re.compile(r"\d\s*(?:-|~|至|到)\s*\d")
# a date or a clock time, not a quantity: "11月前" is "before November", "3个月" is three months
_DATE = re.compile(r"\d{4}\s*年|\d\s*(?:月(?!\d*个)|日|号|点|时\d)|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
# a unit: short, no digits, no sentence punctuation (元/人·月, 个工作日, ㎡, %)
MAX_SUBJECT = 24          # words before the comparator ("总成本不超过…"): kept in the original only
_SUBJECT_STOP = ("第", "-", "+", ".")
_UNIT = re.compile(r"[^\d\s,，。；;：:！!？?（）()【】\[\]、]{1,6}")


@dataclass(frozen=True)
class Split:
    """A value cell read apart. sign is a system glyph, or None when the text could not be read."""

    sign: str | None
    value: Any
    unit: str | None
    original: str
    applicable: bool = True
    note: tuple[str, str] | None = None        # (zh, en) when the reading is uncertain

    @property
    def derived(self) -> bool:
        """Did splitting add anything the cell did not say in so many words?"""
        return self.applicable and (self.sign is not None or self.unit is not None)


@cache
def _data() -> dict:
    return _yaml.data("comparators.yaml")


@cache
def _foreign() -> dict:
    return _yaml.data("foreign.yaml")


@cache
def _tables():
    """(comparators written before a number, after it): normalised, longest first."""
    lead, suf = [], []
    for c in comparators():
        if not c.quantitative:
            continue
        lead += [(normalise_symbols(w), c.glyph) for w in (c.glyph, *c.spellings, *c.prefix)]
        suf += [(normalise_symbols(w), c.glyph) for w in c.suffix]
    key = lambda t: -len(t[0])  # noqa: E731
    return sorted({x for x in lead if x[0]}, key=key), sorted(set(suf), key=key)


def normalise_symbols(text: str) -> str:
    """NFKC, then the look-alikes NFKC leaves (≧ ≦ 》 《): the form values are parsed in."""
    keep = set(_data().get("keep", ()))
    t = "".join(ch if ch in keep else unicodedata.normalize("NFKC", ch) for ch in str(text))
    for a, b in _data().get("normalise", {}).items():
        t = t.replace(a, b)
    return t


def clean_text(value, *, multiline: bool = False):
    """A cell's text without stray tabs, odd spaces and trailing blanks; None when nothing is left.

    Short fields (names, values, units) lose line breaks: "服务对象\\n满意度" was one word broken by a
    narrow column. Long texts (multiline=True) keep their lines, trimmed.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        return value
    t = _STRAY_WS.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    if multiline:
        t = "\n".join(line.strip() for line in t.split("\n"))
        t = re.sub(r"\n{2,}", "\n", t).strip()        # blank lines are layout, not content
    else:
        t = _BREAKS.sub(lambda m: _join(t, m), t)
        t = re.sub(r" {2,}", " ", t).strip()
    return t or None


def _join(t: str, m: re.Match) -> str:
    before = t[m.start() - 1] if m.start() else ""
    after = t[m.end()] if m.end() < len(t) else ""
    if before and len(t) - m.end() >= 2 and before in _foreign().get("name_endings", ()) \
            and _CJK.match(before) and _CJK.match(after):
        return "\n"                       # two names in one cell: never glued into one
    return "" if (_CJK.match(before or "。") or _CJK.match(after or "。")) else " "


def is_empty_marker(text) -> bool:
    return isinstance(text, str) and text.strip() in _foreign()["empty_markers"]


def is_not_applicable(text) -> bool:
    if not isinstance(text, str):
        return False
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return t in {unicodedata.normalize("NFKC", w) for w in _foreign()["not_applicable"]}


def _number(text: str):
    try:
        d = Decimal(text.replace(",", "").lstrip("+"))
    except InvalidOperation:
        return None
    return to_number(int(d)) if d == d.to_integral_value() and "." not in text else to_number(float(d))


def split_value(raw) -> Split:
    """Sign, number and unit of a typed target value; qualitative text stays as typed with 定性.

    "≥95%" → (≥, 95, %); "不超过15万元" → (≤, 15, 万元); "90%以上" → (≥, 90, %); "100%" → (＝, 100, %):
    a bare number means ＝, because the systems drop the ＝ when they export (domain §2.2).
    """
    if isinstance(raw, bool):
        raw = "是" if raw else "否"
    if isinstance(raw, (int, float, Decimal)):
        return Split(EQUAL, to_number(float(raw)) if isinstance(raw, Decimal) else to_number(raw), None, str(to_number(raw)))
    original = clean_text(raw) or ""
    if is_not_applicable(original):
        return Split(None, original, None, original, applicable=False)
    t = re.sub(r"\s+", "", normalise_symbols(original)).rstrip("。.；;，,")
    if not re.search(r"\d", t):
        return Split(QUALITATIVE, original, None, original)
    t, note = _uncertainty(t, original)
    m = _NUMBER.search(t)
    if not m or _RANGE.search(t) or _DATE.search(t):
        return _unreadable(original)
    leads, suffixes = _tables()
    sign, head = _leading_sign(t[: m.start()], leads)
    if _not_one_target(head, sign, leads):
        return _unreadable(original)
    sign, rest = _trailing_sign(t[m.end():], suffixes, sign)
    if rest and (not _UNIT.fullmatch(rest) or any(w in rest for w, _g in suffixes)):
        return _unreadable(original)             # "3个月内归档": a comparator inside, then more words
    return Split(sign or EQUAL, _number(m.group()), rest or None, original, note=note)


def _uncertainty(t: str, original: str) -> tuple[str, tuple[str, str] | None]:
    """(text without its 约/左右 word, the note saying the value is not exact): such a value still splits."""
    note = None
    approx = next((w for w in _data().get("approximate", []) if w in t), None)
    if approx:
        t = t.replace(approx, "", 1)
        note = (f"指标值含“{approx}”，是估计数而非可考核的目标值", f"the value says '{approx}': an estimate, not a measurable target")
    for ch, msg in _data().get("uncertain", {}).items():
        if ch in original:
            note = (msg["zh"], msg["en"])
    return t, note


def _leading_sign(head: str, leads) -> tuple[str | None, str]:
    """(the comparator right before the number, the words before it): "不超过15万元" → (≤, "")."""
    for word, glyph in leads:
        if head.endswith(word):
            return glyph, head[: -len(word)]
    return None, head


def _not_one_target(head: str, sign: str | None, leads) -> bool:
    """Whether the words before the number make the cell something other than one target."""
    if len(head) > MAX_SUBJECT or head.endswith(tuple(_SUBJECT_STOP)) or re.search(r"[\d,，;；、]", head):
        return True                              # "第1季度", "手册3000张；景点10处": not one target
    # "不超过过164万元": a comparator, but garbled
    return sign is None and any(word in head for word, _g in leads if len(word) > 1)


def _trailing_sign(rest: str, suffixes, sign: str | None) -> tuple[str | None, str]:
    """(sign, unit) after the number: a trailing comparator ("90%以上") is the explicit one and wins."""
    for word, glyph in suffixes:
        if rest.endswith(word) and (rest == word or _UNIT.fullmatch(rest[: -len(word)])):
            return glyph, rest[: -len(word)]
    return sign, rest


def _unreadable(original: str) -> Split:
    return Split(None, original, None, original, note=(
        "指标值无法拆分为指标性质、数值和度量单位，按原文保留", "the value could not be split into sign, number and unit; kept as typed"))
