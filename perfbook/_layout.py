"""Row heights for wrapped text. Neither Excel nor LibreOffice re-fits row heights when opening a
file, so a filled row keeps the template's height and long texts are cut off in print. perfbook
estimates the lines each text needs in its (merged) column width and sets the height itself."""
from __future__ import annotations

import math
import re
import unicodedata

LINE_PT = 13.0        # one line of 10 pt 宋体 (or its substitute) in row-height points
PAD_PT = 4.0
DEFAULT_WIDTH = 8.43  # Excel's default column width, in widths of "0"


def text_units(text: str) -> float:
    """Width of text in Excel column units: a CJK character is about two "0"s wide."""
    return sum(1.8 if unicodedata.east_asian_width(ch) in "WF" else 1.05 for ch in text)


def lines_needed(text, width: float) -> int:
    if text is None or text == "":
        return 1
    usable = max(width - 0.8, 1.0)
    return sum(max(1, math.ceil(text_units(part) / usable)) for part in str(text).split("\n"))


def height_for(cells: list[tuple[object, float]], minimum: float) -> float | None:
    """Row height fitting every (text, width) pair, or None when the minimum already fits."""
    need = max((lines_needed(t, w) for t, w in cells), default=1) * LINE_PT + PAD_PT
    return round(need, 2) if need > minimum + 0.1 else None


def column_widths(head_xml: str) -> dict[int, float]:
    widths = {}
    for m in re.finditer(r"<col\b([^>]*)/?>", head_xml):
        a = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if "width" not in a:
            continue
        for c in range(int(a.get("min", 1)), min(int(a.get("max", 1)), 16384) + 1):
            widths[c] = float(a["width"])
    return widths
