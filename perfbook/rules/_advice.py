"""Advice that fits the sheet: a rule's fix worded for the layout actually read (data/advice.yaml).

rules.yaml words every fix for perfbook's own template. On another layout the fix names the columns
and controls the sheet really has: the Shenzhen form's 目标值 / 指标解释, no drop-down where the sheet
has none. The VBA 校验 button words its fixes from the same data (PerfbookRules.bas.j2)."""
from __future__ import annotations

from functools import cache

from .. import _yaml
from ..data import text as data_text


@cache
def data() -> dict:
    d = _yaml.load(data_text("advice.yaml"))
    return {"combined": dict(d.get("combined") or {}), "without": {k: dict(v) for k, v in (d.get("without") or {}).items()},
            "lists": [tuple(map(str, p)) for p in d.get("lists") or ()]}


def fix_text(rule_id: str, fix: str | None, layout) -> str | None:
    """The unformatted fix for this layout: rules.yaml's own on the template (or with no layout)."""
    if fix is None or layout is None or layout.template:
        return fix
    d = data()
    if layout.combined and rule_id in d["combined"]:
        fix = d["combined"][rule_id]
    for column, texts in d["without"].items():
        if layout.column(column) is None and rule_id in texts:
            fix = texts[rule_id]
    return fix


def reword(text: str | None, layout) -> str | None:
    """A formatted fix on this layout: drop-down phrases replaced where the sheet has none, quoted column
    names replaced by the sheet's own headings."""
    if text is None or layout is None or layout.template:
        return text
    if not layout.lists:
        for old, new in data()["lists"]:
            text = text.replace(old, new)
    for label, _col, heading in layout.columns:
        if heading and heading != label:
            text = rename(text, label, heading)
    return text


def _cjk(ch: str) -> bool:
    return ch != "" and "\u4e00" <= ch <= "\u9fff"


def rename(text: str, label: str, heading: str) -> str:
    """Every mention of a column name that is a name of its own becomes the sheet's heading: quoted
    (“指标值”), or unquoted with punctuation or an end of the text on one side (三级指标、指标值填…);
    not inside a longer quoted name (“指标值说明”) nor between two Chinese characters."""
    out: list = []
    i = 0
    while True:
        j = text.find(label, i)
        if j < 0:
            return "".join(out) + text[i:]
        before = text[j - 1] if j > 0 else ""
        after = text[j + len(label)] if j + len(label) < len(text) else ""
        quoted = (before == "“") + (after == "”")
        alone = quoted == 2 or (quoted == 0 and not (_cjk(before) and _cjk(after)))
        out.append(text[i:j] + (heading if alone else label))
        i = j + len(label)


def headings(layout) -> dict[str, str]:
    """{指标值} and the other column placeholders of a combined fix: the sheet's own headings."""
    return {} if layout is None else {label: heading or label for label, _c, heading in layout.columns}
