"""Totals written as formulas in an export (=SUM(R[1]C:R[3]C), =R[1]C+R[2]C): evaluated from their inputs.

The budget system's SpreadsheetML templates store the formula and no value (or a stale 0); Excel and
LibreOffice compute it on opening, so a reader must too. Only sums of R1C1 references, ranges and
numbers are understood (what the templates use); anything else is left alone and reported.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(?P<ref>R(?:\[-?\d+\]|\d+)?C(?:\[-?\d+\]|\d+)?)|(?P<num>\d+(?:\.\d+)?)|(?P<op>[-+(),:])|(?P<fn>SUM)\b)", re.I)
_PART = re.compile(r"R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?", re.I)
MAX_DEPTH = 50


class Unsupported(Exception):
    """A formula this evaluator does not understand, or one whose inputs are not numbers."""


def _coord(part: str | None, base: int) -> int:
    if not part:
        return base
    return base + int(part[1:-1]) if part.startswith("[") else int(part)


def _ref(text: str, r: int, c: int) -> tuple[int, int]:
    m = _PART.fullmatch(text)
    if m is None:      # a ref token always matches; kept so a wrong caller is refused, not crashed
        raise Unsupported(text)
    return _coord(m.group(1), r), _coord(m.group(2), c)


def _tokens(formula: str) -> list[tuple[str, str]]:
    out, pos, s = [], 0, formula.lstrip("=")
    while pos < len(s):
        if s[pos:].strip() == "":
            break
        m = _TOKEN.match(s, pos)
        if not m:
            raise Unsupported(formula)
        kind = m.lastgroup
        if kind is None:   # every alternative is a named group, so a match names one
            raise Unsupported(formula)
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def evaluate(formula: str, r: int, c: int, value_at, depth: int = 0) -> float:
    """The value of formula at (r, c); value_at(row, col, depth) gives an input cell's number or None."""
    if depth > MAX_DEPTH:
        raise Unsupported(formula)
    toks = _tokens(formula)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def take(kind=None, text=None):
        nonlocal pos
        k, t = peek()
        if k is None or (kind and k != kind) or (text and t != text):
            raise Unsupported(formula)
        pos += 1
        return t

    def cell(rr, cc):
        v = value_at(rr, cc, depth + 1)
        return v or 0

    def operand(in_sum: bool) -> float:
        k, t = peek()
        if k == "fn":
            take()
            take("op", "(")
            total = operand_list()
            take("op", ")")
            return total
        if k == "num":
            take()
            return float(t)
        if k == "ref":
            take()
            r1, c1 = _ref(t, r, c)
            if peek() == ("op", ":"):
                take()
                r2, c2 = _ref(take("ref"), r, c)
                return sum(cell(rr, cc) for rr in range(min(r1, r2), max(r1, r2) + 1)
                           for cc in range(min(c1, c2), max(c1, c2) + 1))
            return cell(r1, c1)
        if k == "op" and t == "(":
            take()
            v = expr(in_sum)
            take("op", ")")
            return v
        raise Unsupported(formula)

    def expr(in_sum: bool = False) -> float:
        v = operand(in_sum)
        while peek()[0] == "op" and peek()[1] in "+-":
            op = take()
            w = operand(in_sum)
            v = v + w if op == "+" else v - w
        return v

    def operand_list() -> float:
        total = expr(True)
        while peek() == ("op", ","):
            take()
            total += expr(True)
        return total

    result = expr()
    if pos != len(toks):
        raise Unsupported(formula)
    return result


def evaluate_sheet(cells: dict, formulas: dict) -> tuple[dict, list[tuple[int, int, str]]]:
    """({cell: computed value}, [(row, col, formula) that could not be evaluated]) for one sheet."""
    done: dict = {}
    failed: list = []
    busy: set = set()

    def value_at(rr, cc, depth):
        if (rr, cc) in formulas:
            if (rr, cc) not in done:
                if (rr, cc) in busy:
                    raise Unsupported("circular")
                busy.add((rr, cc))
                try:
                    done[(rr, cc)] = evaluate(formulas[(rr, cc)], rr, cc, value_at, depth)
                finally:
                    busy.discard((rr, cc))
            return done[(rr, cc)]
        v = cells.get((rr, cc))
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    for (r, c), f in formulas.items():
        try:
            value_at(r, c, 0)
        except (Unsupported, RecursionError, ValueError, OverflowError):
            failed.append((r, c, f))
    return done, failed
