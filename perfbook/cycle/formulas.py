"""The formulas of a SpreadsheetML export, evaluated: the budget system's forms cache 0, '' or #DIV/0! for
their totals (年度资金总额 = R[1]C+R[2]C…, 执行率 = RC[-1]/RC[-2]), so the value is computed from the cells.

R1C1 references become values, SUM ranges their sum; the rest is the scoring expression language
(expr.py), so only + - * / comparisons IF SUM are understood; anything else leaves the cell as it was.
"""
from __future__ import annotations

import re
from pathlib import Path

from defusedxml.ElementTree import iterparse

from ..readers._grid import Grid
from . import expr as E

__all__ = ["formulas", "evaluate"]

SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
REF = r"R(?:\[(-?\d+)\]|(\d+))?C(?:\[(-?\d+)\]|(\d+))?"
RANGE = re.compile(r"SUM\(\s*" + REF + r"\s*:\s*" + REF + r"\s*\)")
CELL = re.compile(REF)
MAX_FORMULAS = 10_000
MAX_RANGE = 100_000


def formulas(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet name → (row, col) → formula text, placed by ss:Index as the loader places values."""
    out: dict[str, dict] = {}
    sheet = None
    row = col = 0
    n = 0
    for event, el in iterparse(str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True,
                               forbid_external=True):
        tag = el.tag
        if event == "start":
            if tag == SS + "Worksheet":
                sheet = out.setdefault(el.get(SS + "Name") or f"Sheet{len(out) + 1}", {})
                row = 0
            elif tag == SS + "Row":
                row = _int(el.get(SS + "Index"), row + 1)
                col = 0
            elif tag == SS + "Cell" and sheet is not None:
                col = _int(el.get(SS + "Index"), col + 1)
                f = el.get(SS + "Formula")
                if f and n < MAX_FORMULAS:
                    sheet[(row, col)] = f
                    n += 1
                col += max(_int(el.get(SS + "MergeAcross"), 0), 0)
            continue
        if tag in (SS + "Row", SS + "Worksheet"):
            el.clear()
    return out


def _int(v, default: int) -> int:
    try:
        return int(v) if v is not None else default
    except ValueError:
        return default


def _pos(r, c, dr, ar, dc, ac):
    return (int(ar) if ar else r + int(dr or 0)), (int(ac) if ac else c + int(dc or 0))


def evaluate(grid: Grid, cells: dict[tuple[int, int], str]) -> None:
    """Replace each formula cell's cached value in grid by its computed value (in place)."""
    done: dict = {}

    def num(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
        try:
            return float(str(v).replace(",", "").strip())
        except (TypeError, ValueError):
            return 0

    def value(rc, depth=0):
        if rc in cells and depth < 20:
            if rc not in done:
                done[rc] = None
                done[rc] = compute(rc, depth)
            return done[rc] if done[rc] is not None else num(grid.value(*rc))
        return num(grid.value(*rc))

    def compute(rc, depth):
        r, c = rc
        text = cells[rc].lstrip("=")

        def rng(m):
            (r1, c1), (r2, c2) = _pos(r, c, *m.groups()[:4]), _pos(r, c, *m.groups()[4:])
            if (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1) > MAX_RANGE:    # a crafted range: not summed
                raise ValueError("range too large")
            return repr(float(sum(value((i, j), depth + 1) for i in range(min(r1, r2), max(r1, r2) + 1)
                                  for j in range(min(c1, c2), max(c1, c2) + 1))))
        try:
            text = RANGE.sub(rng, text)
        except ValueError:
            return None
        text = CELL.sub(lambda m: repr(float(value(_pos(r, c, *m.groups()), depth + 1))), text)
        try:
            return E.evaluate(E.parse(text), {})
        except (E.ExprError, ZeroDivisionError, ValueError, TypeError):
            return None

    for rc in cells:
        v = value(rc)
        r, c = rc
        if 1 <= r <= len(grid.rows) and c <= len(grid.rows[r - 1]):
            grid.rows[r - 1][c - 1] = v
