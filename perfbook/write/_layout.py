"""Row heights for wrapped text. Neither Excel nor LibreOffice re-fits row heights when opening a
file, so a filled row keeps the template's height and long texts are cut off in print. perfbook
estimates the lines each text needs in its (merged) column width and sets the height itself."""
from __future__ import annotations

import math
import re
import unicodedata

# one line of 10 pt text in row-height points: LibreOffice with Noto Sans CJK (宋体's usual
# substitute) sets lines 14.5 pt apart (measured on seed 001's PDF), Excel's 宋体 about 13.5 pt
LINE_PT = 14.5
PAD_PT = 4.0
DEFAULT_WIDTH = 8.43  # Excel's default column width, in widths of "0"


def _wide_pattern() -> re.Pattern:
    """A character class of the wide (W/F) characters of the Basic Multilingual Plane, the emoji
    block and the astral ideographs: counting them with one findall is C speed (a per-character
    unicodedata call was a third of a department workbook's render time)."""
    ranges, start = [], None
    for cp in [*range(0x10000), *range(0x1F000, 0x20000)]:
        wide = unicodedata.east_asian_width(chr(cp)) in "WF"
        if wide and start is None:
            start = cp
        elif not wide and start is not None:
            ranges.append((start, cp - 1))
            start = None
        elif wide and cp == 0xFFFF:
            ranges.append((start, cp))
            start = None
    if start is not None:
        ranges.append((start, 0x1FFFF))
    ranges.append((0x20000, 0x3FFFD))
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{body}]")


_WIDE: re.Pattern | None = None


def text_units(text: str) -> float:
    """Width of text in Excel column units: a CJK character is about two "0"s wide."""
    global _WIDE
    if text.isascii():
        return 1.05 * len(text)
    if _WIDE is None:
        _WIDE = re.compile(f"{_wide_pattern().pattern}+")
    # the wide characters counted run by run (a Chinese text's runs are long): twice as fast as one by one
    wide = sum(map(len, _WIDE.findall(text)))
    return 1.8 * wide + 1.05 * (len(text) - wide)


def lines_needed(text, width: float) -> int:
    if text is None or text == "":
        return 1
    usable = max(width - 0.8, 1.0)
    text = str(text)
    if "\n" not in text:
        # no character is wider than 1.8 units: a line that fits so counted fits (most cells' text)
        return 1 if 1.8 * len(text) <= usable else max(1, math.ceil(text_units(text) / usable))
    return sum(max(1, math.ceil(text_units(part) / usable)) for part in text.split("\n"))


MAX_ROW_PT = 409.5


def height_for(cells: list[tuple[object, float]], minimum: float) -> float | None:
    """Row height fitting every (text, width) pair, or None when the minimum already fits."""
    return height_of(max((lines_needed(t, w) for t, w in cells), default=1), minimum)


def height_of(lines: int, minimum: float) -> float | None:
    """Row height for that many lines, or None when the minimum already fits."""
    need = lines * LINE_PT + PAD_PT
    # Excel's row height limit; longer text still wraps, readable in the cell and the formula bar
    need = min(need, MAX_ROW_PT)
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
