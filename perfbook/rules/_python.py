"""The rule language compiled to Python: each `when:` (and each message argument) becomes a closure
that perfbook check calls per row or per project.

Values follow Excel: a blank cell is None (""), "=" on text ignores case, "&" joins the shown texts
(95.0 shows as 95), arithmetic on text fails — and a comparison over a failed operand is FALSE, as the
workbook's IFERROR(…,FALSE) makes it. The primitives here are the Python half of each primitive; the
formula half is in rule_formula.py, the VBA half in rule_vba.py and macros/PerfbookUtil.bas.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import _data as D
from ._frames import norm_name
from ._lang import Node


class Fail(Exception):
    """Arithmetic on something that is not a number (Excel's #VALUE!)."""


@dataclass
class Env:
    ctx: Any                      # rules.Context: frame, project, rows
    row: Any = None               # the RowFacts a name reads (inside COUNTUP: the row counted)
    vars: dict = field(default_factory=dict)
    this: Any = None              # inside COUNTUP/COUNTALL/FIRST…: the row the rule is checking


def show(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def truth(v) -> bool:
    if v is True or v is False:
        return v
    if isinstance(v, str):
        return v.upper() == "TRUE"
    return bool(v)


def _num(v):
    if is_num(v):
        return v
    if isinstance(v, bool):
        return int(v)
    if v is None:
        return 0
    raise Fail


def equal(a, b) -> bool:
    if type(a) is str and type(b) is str:      # the common case, first
        return a == b or a.lower() == b.lower()
    if a is None:
        a = ""
    if b is None:
        b = ""
    if is_num(a) and is_num(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if is_num(a) or is_num(b):
        return False
    return str(a).lower() == str(b).lower()


def _cmp(op, a, b) -> bool:
    if op == "=":
        return equal(a, b)
    if op == "<>":
        return not equal(a, b)
    if not (is_num(a) and is_num(b)):
        if a in (None, "") and is_num(b):
            a = 0
        else:
            return False
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def trim(v) -> str:
    """Excel's TRIM: spaces at the ends removed, runs of spaces inside made one."""
    return re.sub(" +", " ", show(v)).strip(" ")


def items_of(v) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


# --- the names: row facts (the Python twins of the workbook's helper columns) ------------------------

def _fact(attr, none=""):
    return lambda r: none if getattr(r, attr) is None else getattr(r, attr)


ROW_FACTS: dict[str, Callable] = {
    "一级": lambda r: r.e1,
    "二级": lambda r: r.e2,
    "框架一级": lambda r: r.l1.name if r.l1 is not None else "",
    "框架二级": lambda r: r.l2.name if r.l2 is not None else "",
    "类别": _fact("cat"),
    "符号": _fact("sg"),
    "属性类型": _fact("ak"),
    "性质类型": _fact("sk"),
    "类型": lambda r: r.kind or "",
    "不适用": lambda r: r.na,
    "占位值": lambda r: r.phv,
    "纯数字": lambda r: r.num,
    "分值": lambda r: r.score,
}


def _field(env: Env, label: str):
    if env.row is None:
        return env.ctx.project.get(label)
    return env.row.ind.get(label)


# --- primitives: name → (python function over evaluated arguments, needs the Env) --------------------

def _split(v):
    return D.split_typed(v) if isinstance(v, str) else None


def _first_row(env: Env, pred, rows) -> Any:
    for o in rows:
        if truth(pred(Env(env.ctx, o, env.vars, env.row))):
            return o
    return None


# --- patterns: Excel's wildcards (* any run, ? one character, ~ escapes), the syntax SEARCH() reads -----

_GLOBS: dict[str, re.Pattern] = {}


def glob_re(pattern: str) -> re.Pattern:
    """A wildcard pattern as a regex that finds it anywhere in a text (case-insensitive, like SEARCH)."""
    r = _GLOBS.get(pattern)
    if r is None:
        out, i = [], 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "~" and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*?" if ch == "*" else "." if ch == "?" else re.escape(ch))
            i += 1
        r = _GLOBS[pattern] = re.compile("".join(out), re.I | re.S)
    return r


def has_pattern(x, patterns) -> bool:
    t = show(x)
    return any(glob_re(show(p)).search(t) is not None for p in items_of(patterns))


def excerpt(x, n: int) -> str:
    """The start of a long text for a message: line breaks and tabs as spaces, "…" when cut."""
    t = show(x).strip().replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return t if len(t) <= n else t[:n] + "…"


def occurs(x, items) -> int:
    t = show(x)
    return sum(t.count(show(i)) for i in items_of(items) if show(i))


# a sum of money in a text: digits (a decimal point inside), then 万元, 万 or 元
_AMOUNT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(万元|万|元)")


def amounts(x) -> list[float]:
    """The sums of money a text names, in 万元 (元 divided by 10,000)."""
    return [float(n) / (1 if u.startswith("万") else 10000) for n, u in _AMOUNT.findall(show(x))]


def money_in(x, target) -> bool:
    """The text names this sum of 万元 (one of its amounts, or all of them added up), to 0.5 %."""
    if not is_num(target) or target <= 0:
        return False
    found = amounts(x)
    return any(abs(a - target) <= 0.005 * target for a in found + ([sum(found)] if len(found) > 1 else []))


def _is_data(project) -> bool:
    """A project from a data file (YAML, JSON, CSV, a DataFrame): no cell anywhere."""
    return not project.cells and not any(i.cells for i in project.indicators)


def _has_field(project, label: str) -> bool:
    """A cell for the field on the table's sheet (what the 校验 button sees); in data with no cells at all,
    the field given."""
    if _is_data(project):
        return project.get(label) not in (None, "")
    addr = project.cell(label)
    table = next((a.rpartition("!")[0].strip("'") for i in project.indicators for _l, a in i.cells), None)
    if not addr:                  # an empty field has no cell among the values: its sheet's layout has it
        layout = project.layout(table) if table is not None else project.layout()
        return layout is not None and layout.field_cell(label) is not None
    sheet = addr.rpartition("!")[0].strip("'")
    return table is None or sheet == table


def _placed(project, label: str) -> bool:
    """The form has a place for the field, filled or not: HASFIELD, except that data has one whether or not
    it gives the field (perfbook fills it into its own template). A budget system's export may have none:
    财政拨款 split into 上级/本级 rows."""
    return _is_data(project) or _has_field(project, label)


_LOWERED: dict[tuple, frozenset] = {}


def _lowered(items: tuple) -> frozenset:
    """IN compares shown texts ignoring case (equal() on two texts): the list's texts once, lowered."""
    try:
        return _LOWERED[items]
    except KeyError:
        s = _LOWERED[items] = frozenset(show(i).lower() for i in items)
        return s
    except TypeError:            # an unhashable item: no cache
        return frozenset(show(i).lower() for i in items)


def _first_in(t: str, items: tuple):
    return next((show(i) for i in items if show(i) in t), None)


def _row_label(o) -> str:
    if o is None:
        return ""
    return f"第 {o.ind.row} 行" if o.ind.row else f"第 {o.index + 1} 条"


PRIMITIVES: dict[str, Callable] = {
    "ISBLANK": lambda x: not D.filled(x),
    "ISNUMBER": is_num,
    "ISTEXT": lambda x: isinstance(x, str),
    "TRIM": trim,
    "STRIP": lambda x: show(x).strip(),
    "LEN": lambda x: len(show(x)),
    "NAMELEN": lambda x: D.name_length(x),
    "N": lambda x: x if is_num(x) else 0,
    "ABS": lambda x: abs(_num(x)),
    "ROUND": lambda x, n: round(_num(x), int(_num(n))),
    "NUMBER": lambda x: D.number(x) if is_num(x) or isinstance(x, str) else _num(x),
    "CHAR": lambda x: chr(int(_num(x))),
    "IN": lambda x, lst: show(x).lower() in _lowered(items_of(lst)),
    "CONTAINS": lambda x, lst: _first_in(show(x), items_of(lst)) is not None,
    "FIRSTIN": lambda x, lst: _first_in(show(x), items_of(lst)) or "",
    "HASDIGIT": lambda x: re.search(r"\d", show(x)) is not None,
    "ISPLACEHOLDER": lambda x: D.is_placeholder(x),
    "ISPERCENT": lambda x: D.is_percent(x),
    "CANSPLIT": lambda x: _split(x) is not None,
    "SPLITSIGN": lambda x: (_split(x) or ("", "", ""))[0],
    "SPLITNUMBER": lambda x: show((_split(x) or ("", "", ""))[1]),
    "SPLITUNIT": lambda x: (_split(x) or ("", "", ""))[2] or "",
    "HASPATTERN": has_pattern,
    "EXCERPT": lambda x, n: excerpt(x, int(_num(n))),
    "OCCURS": occurs,
    "AMOUNTS": lambda x: len(amounts(x)),
    "MONEYIN": money_in,
    "JOIN": lambda lst, sep, n=None: sep.join(show(i) for i in items_of(lst)[: None if n is None else int(n)]),
}

# primitives that read the frame or the rows (they get the Env first)
ENV_PRIMITIVES: dict[str, Callable] = {
    "ISUNIT": lambda env, x: D.trim(x) in D.units_all(env.ctx.frame),
    "ISFRAMENAME": lambda env, x: norm_name(show(x)) in env.ctx.frame.names(),
    "LEVEL1NAMES": lambda env: tuple(l1.name for l1 in env.ctx.frame.level1),
    "LEVEL2NAMES": lambda env: tuple(l2.name for l2 in env.row.l1.level2) if env.row.l1 is not None else (),
    "LEVEL1OF": lambda env, x: next((l1.name for l1 in env.ctx.frame.level1 if l1.find(x)), ""),
    "LEVEL1WITH": lambda env, cat: next((l1.name for l1 in env.ctx.frame.level1 if l1.category == cat), ""),
    "FIELD": lambda env, label: _field(env, str(label)),
    "TYPED": lambda env, label: env.row.ind.typed(str(label)),
    "ROWS": lambda env: len(env.ctx.rows),
    "HEADER": lambda env, label: env.ctx.project.get(str(label)),
    # the sheet has this header field (a cell for it on the table's sheet), filled or not
    "HASFIELD": lambda env, label: _has_field(env.ctx.project, str(label)),
    # the form has a place for this header field, filled or not (data: perfbook's template has)
    "PLACED": lambda env, label: _placed(env.ctx.project, str(label)),
}

# aggregates over rows: the argument is evaluated once per row (a closure, not a value)
AGGREGATES = ("COUNTUP", "COUNTALL", "SUM", "COUNT", "FIRSTUP", "FIRSTALL")


def _aggregate(name, env: Env, fn):
    rows = env.ctx.rows
    if name in ("COUNTUP", "FIRSTUP"):
        rows = rows[:env.row.index + 1] if name == "COUNTUP" else rows[:env.row.index]
    if name in ("FIRSTUP", "FIRSTALL"):
        o = _first_row(env, fn, rows)
        return _row_label(o) if name == "FIRSTUP" else o
    vals = [fn(Env(env.ctx, o, env.vars, env.row)) for o in rows]
    if name in ("COUNTUP", "COUNTALL"):
        return sum(1 for v in vals if truth(v))
    nums = [v for v in vals if is_num(v)]
    return sum(nums) if name == "SUM" else len(nums)


# --- the compiler ----------------------------------------------------------------------------------

def compile_expr(node: Node, resolve: Callable[[str], Callable[[Env], Any]]) -> Callable[[Env], Any]:
    """A closure env → value. `resolve` turns a name into a reader (rules.py knows params, frame, loop
    variables); an unknown name or function is refused by the caller before this runs."""
    k = node.kind
    if k in ("num", "str", "bool"):
        v = node.value
        return lambda env: v
    if k == "list":
        parts = [compile_expr(a, resolve) for a in node.args]
        return lambda env: tuple(p(env) for p in parts)
    if k == "name":
        return resolve(str(node.value))
    if k == "neg":
        a = compile_expr(node.args[0], resolve)
        return lambda env: -_num(a(env))
    if k == "op":
        a, b = (compile_expr(x, resolve) for x in node.args)
        op = str(node.value)
        if op == "&":
            return lambda env: show(a(env)) + show(b(env))
        if op in "+-*/":
            f = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
                 "/": lambda x, y: x / y if y else _raise()}[op]
            return lambda env: f(_num(a(env)), _num(b(env)))

        def cmp(env):
            try:
                return _cmp(op, a(env), b(env))
            except Fail:
                return False
        return cmp
    # calls
    name, args = str(node.value), [compile_expr(x, resolve) for x in node.args]
    if name == "AND":           # loops, not all(genexpr): the checker's hottest path
        def and_(env):
            for a in args:
                v = a(env)
                if not (v is True or (v is not False and truth(v))):
                    return False
            return True
        return and_
    if name == "OR":
        def or_(env):
            for a in args:
                v = a(env)
                if v is True or (v is not False and truth(v)):
                    return True
            return False
        return or_
    if name == "NOT":
        return lambda env: not truth(args[0](env))
    if name == "IF":
        c, t = args[0], args[1]
        e = args[2] if len(args) > 2 else (lambda env: False)
        return lambda env: t(env) if truth(c(env)) else e(env)
    if name == "THIS":
        a = args[0]
        return lambda env: a(Env(env.ctx, env.this, env.vars, None))
    if name in AGGREGATES:
        a = args[0]
        return lambda env: _aggregate(name, env, a)
    if name in ENV_PRIMITIVES:
        f = ENV_PRIMITIVES[name]
        return lambda env: f(env, *(a(env) for a in args))
    f = PRIMITIVES[name]
    return lambda env: f(*(a(env) for a in args))


def _raise():
    raise Fail
