"""The rule language compiled to workbook formulas (the hidden helper columns inject writes).

Names become cell references (a row fact is its helper column, a field its cell, a header field its
absolute cell); parameters, the frame and `each:` items are known when the workbook is made, so they
are folded into the formula (IF("一级指标"="一级指标",…) never reaches the workbook). Inside COUNTUP /
COUNTALL a condition is evaluated over ranges, so AND/OR/NOT become products and sums under SUMPRODUCT.
A comparison over arithmetic or VALUE() is wrapped in IFERROR(…,FALSE): the Python side reads a failed
operand as FALSE too. A primitive without a formula form (STRIP, CANSPLIT, HASDIGIT, …) raises NoFormula,
and rules.py marks the rule "check only" from that alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ._lang import Node
from ._python import PRIMITIVES, Fail, _cmp, show, truth

# the row facts and their helper columns (rules.yaml `helpers:`)
HELPER_OF = {"一级": "e1", "二级": "e2", "框架一级": "k1", "框架二级": "k2", "类别": "cat", "符号": "sg",
             "属性类型": "ak", "性质类型": "sk", "类型": "kind", "不适用": "na", "占位值": "phv", "纯数字": "num",
             "分值": "score"}


class NoFormula(Exception):
    """The expression uses something a formula cannot say."""


class Unavailable(Exception):
    """A header field the template has no cell for: the workbook cannot check this term."""


@dataclass(frozen=True)
class X:
    """A compiled piece: a constant (folded) or formula text; err: it may be an Excel error."""
    text: str | None = None
    # a rule-language value (text, number, bool, None or a tuple of them), dynamically typed on purpose:
    # _op folds constants with Python's own operators and reads a TypeError as "leave it to the workbook"
    const: Any = None
    is_const: bool = False
    err: bool = False


def C(v) -> X:
    return X(const=v, is_const=True)


def E(text, err=False) -> X:
    return X(text, err=err)


def q(s) -> str:
    return '"' + str(s).replace('"', '""') + '"'


def lit(x: X) -> str:
    if not x.is_const:
        if x.text is None:      # E() always gives text; a bare X() is neither constant nor formula
            raise NoFormula("an empty formula piece")
        return x.text
    v = x.const
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if v is None:
        return '""'
    if isinstance(v, (int, float)):
        return repr(v).upper() if isinstance(v, float) else str(v)
    if isinstance(v, (list, tuple)):
        raise NoFormula("a list outside IN/CONTAINS")
    return q(v)


def _s(x: X) -> str:
    """As text (x&"")."""
    return q(x.const if x.const is not None else "") if x.is_const and not isinstance(x.const, (int, float, bool)) \
        else f'{lit(x)}&""'


def blank(t: str) -> str:
    return f'LEN(TRIM({t}&""))=0'


@dataclass
class Ctx:
    """What a formula may refer to on the template's indicator row (inject.formula_context builds it)."""
    scope: str                     # row | project
    c: dict                        # field label → cell ref
    h: dict                        # helper → cell ref
    up: dict                       # helper → range from the first indicator row to this one
    upc: dict
    rg: dict                       # helper → the whole block
    rgc: dict
    pc: dict                       # header field → absolute ref
    names: dict                    # lists-sheet key → defined name
    macros: dict                   # inject's formula macros (placeholder, pct, …)
    # name → constant value or raises KeyError (params, frame, loop vars); None until rules._catalog sets it
    const: Callable[[str], Any] | None


def compile_formula(node: Node, ctx: Ctx, mode: str = "cell", lets: dict | None = None) -> X:
    lets = lets or {}
    k = node.kind
    if k in ("num", "str", "bool"):
        return C(node.value)
    if k == "list":
        items = [compile_formula(a, ctx, mode, lets) for a in node.args]
        if not all(i.is_const for i in items):
            raise NoFormula("a list of non-constants")
        return C(tuple(i.const for i in items))
    if k == "name":
        return _name(node.text, ctx, mode, lets)
    if k == "neg":
        a = compile_formula(node.args[0], ctx, mode, lets)
        return C(-a.const) if a.is_const else E(f"-({a.text})", a.err)
    if k == "op":
        a, b = (compile_formula(x, ctx, mode, lets) for x in node.args)    # the parser gives an op two operands
        return _op(node.text, a, b, mode)
    return _call(node, ctx, mode, lets)


def _name(name: str, ctx: Ctx, mode: str, lets: dict) -> X:
    if name in lets:
        return compile_formula(lets[name], ctx, mode, lets)
    if ctx.const is None:
        raise TypeError("a formula context without its constants (rules._catalog sets them per rule)")
    try:
        return C(ctx.const(name))
    except KeyError:
        pass
    if ctx.scope == "row" or mode != "cell":
        if name in HELPER_OF:
            tab = {"cell": ctx.h, "up": ctx.up, "all": ctx.rg}[mode]
            return E(tab[HELPER_OF[name]])
        tab = {"cell": ctx.c, "up": ctx.upc, "all": ctx.rgc}[mode]
        return E(tab.get(name, '""'))
    if name in ctx.pc:
        return E(ctx.pc[name])
    raise Unavailable(name)


def _op(op: str, a: X, b: X, mode: str) -> X:
    if a.is_const and b.is_const and not isinstance(a.const, (list, tuple)) and not isinstance(b.const, (list, tuple)):
        try:
            if op == "&":
                return C(show(a.const) + show(b.const))
            if op in "+-*/":
                return C({"+": a.const + b.const, "-": a.const - b.const, "*": a.const * b.const,
                          "/": a.const / b.const}[op])
            return C(_cmp(op, a.const, b.const))
        except (Fail, TypeError, ZeroDivisionError):
            pass
    if op == "&":
        return E(f"{_s(a)}&{_s(b)}")
    if op in "+-*/":
        return E(f"({lit(a)}{op}{lit(b)})", err=True)
    text = f"{lit(a)}{op}{lit(b)}"
    if mode != "cell":
        return E(f"({text})")
    if a.err or b.err:
        return E(f"IFERROR({text},FALSE)")
    return E(text)


def _bools(xs: list[X], neutral: bool) -> list[X] | X:
    out = []
    for x in xs:
        if x.is_const:
            if truth(x.const) != neutral:
                return C(not neutral)
            continue
        out.append(x)
    return out if out else C(neutral)


@dataclass(frozen=True)
class _Call:
    """One call being compiled; its arguments compile only when asked, so a folded IF skips the branch it drops."""
    node: Node
    ctx: Ctx
    mode: str
    lets: dict

    @property
    def name(self) -> str:
        return self.node.text

    def arg(self, i: int, mode: str | None = None) -> X:
        return compile_formula(self.node.args[i], self.ctx, self.mode if mode is None else mode, self.lets)

    def args(self) -> list[X]:
        return [self.arg(i) for i in range(len(self.node.args))]

    def const_list(self, i: int) -> tuple | list:
        """Argument i as the constant list IN/CONTAINS/HASPATTERN/OCCURS need (a scalar is a list of one)."""
        lst = self.arg(i)
        if not lst.is_const:
            raise NoFormula(f"{self.name} over a non-constant list")
        return lst.const if isinstance(lst.const, (list, tuple)) else (lst.const,)

    def const_label(self) -> str:
        """The first argument as the constant field label FIELD/HASFIELD/PLACED/HEADER need."""
        label = self.arg(0)
        if not label.is_const:
            raise NoFormula(f"{self.name} of a non-constant")
        return str(label.const)


def _any_of(terms: list[str]) -> X:
    """OR of the terms (one term stands alone)."""
    return E(terms[0] if len(terms) == 1 else f"OR({','.join(terms)})")


def _and_or(c: _Call) -> X:
    """Constants fold away; under SUMPRODUCT AND is a product and OR the sign of a sum."""
    xs = _bools(c.args(), c.name == "AND")
    if isinstance(xs, X):
        return xs
    if len(xs) == 1:
        return xs[0]
    if c.mode != "cell":
        return E("*".join(f"({x.text})" for x in xs)) if c.name == "AND" else E(f"SIGN({'+'.join(f'({x.text})' for x in xs)})")
    return E(f"{c.name}({','.join(lit(x) for x in xs)})")


def _not(c: _Call) -> X:
    """Under SUMPRODUCT NOT is 1 minus the condition."""
    a = c.arg(0)
    if a.is_const:
        return C(not truth(a.const))
    return E(f"(1-({a.text}))") if c.mode != "cell" else E(f"NOT({a.text})")


def _if(c: _Call) -> X:
    """A constant condition keeps only its branch (the other is never compiled)."""
    cond = c.arg(0)
    has_else = len(c.node.args) > 2
    if cond.is_const:
        return c.arg(1) if truth(cond.const) else (c.arg(2) if has_else else C(False))
    if c.mode != "cell":
        raise NoFormula("IF inside COUNTUP/COUNTALL")
    t = c.arg(1)
    e = c.arg(2) if has_else else C(False)
    return E(f"IF({cond.text},{lit(t)},{lit(e)})", t.err or e.err)


def _this(c: _Call) -> X:
    """THIS(x): x on the checked row itself, even inside a count."""
    return c.arg(0, "cell")


def _count(c: _Call) -> X:
    """COUNTUP / COUNTALL: the condition over the ranges above / of the whole block."""
    a = c.arg(0, "up" if c.name == "COUNTUP" else "all")
    if a.is_const:
        raise NoFormula("a constant count")
    return E(f"SUMPRODUCT(--({a.text}))")


def _sum_count(c: _Call) -> X:
    """SUM / COUNT over the whole block."""
    return E(f"{c.name}({c.arg(0, 'all').text})")


def _field(c: _Call) -> X:
    """FIELD("label"): the field as if named directly (outer lets do not apply)."""
    return _name(c.const_label(), c.ctx, c.mode, {})


def _in_contains(c: _Call) -> X:
    """IN: equal to an item; CONTAINS: has an item as a substring."""
    x, items = c.arg(0), c.const_list(1)
    if x.is_const:
        return C(PRIMITIVES[c.name](x.const, items))
    if c.name == "IN":
        terms = [f"{lit(x)}={q(i)}" for i in items]
    else:
        terms = [f"ISNUMBER(FIND({q(i)},{_s(x)}))" for i in items]
    if not terms:
        return C(False)
    return _any_of(terms)


def _pattern(c: _Call) -> X:
    """HASPATTERN: matches a wildcard pattern; OCCURS: how many times the items occur."""
    x = c.arg(0)
    items = [str(i) for i in c.const_list(1) if str(i)]
    if x.is_const:
        return C(PRIMITIVES[c.name](x.const, items))
    if c.mode != "cell":
        raise NoFormula(f"{c.name} inside COUNTUP/COUNTALL")
    if not items:
        return C(False if c.name == "HASPATTERN" else 0)
    if c.name == "HASPATTERN":      # SEARCH reads the same wildcards (* ? ~) and ignores case
        return _any_of([f"ISNUMBER(SEARCH({q(i)},{_s(x)}))" for i in items])
    terms = [f'(LEN({_s(x)})-LEN(SUBSTITUTE({_s(x)},{q(i)},"")))/{len(i)}' for i in items]
    return E("(" + "+".join(terms) + ")")


def _header(c: _Call) -> X:
    """HASFIELD / PLACED / HEADER: a header field by its label: its absolute cell, if the sheet has one."""
    label = c.const_label()
    if label not in c.ctx.pc:
        raise Unavailable(label)
    return C(True) if c.name in ("HASFIELD", "PLACED") else E(c.ctx.pc[label])


def _primitive(c: _Call) -> X:
    """A primitive with a formula form (FORMULAS): folded when every argument is a constant."""
    if c.name not in FORMULAS:
        raise NoFormula(c.name)
    xs = c.args()
    if c.mode != "cell" and c.name not in ARRAY_SAFE:
        raise NoFormula(f"{c.name} inside COUNTUP/COUNTALL")
    if all(x.is_const for x in xs):
        try:
            return C(PRIMITIVES[c.name](*(x.const for x in xs)))
        except Exception:  # noqa: BLE001  (a constant the primitive refuses: leave it to the workbook)
            pass
    text = FORMULAS[c.name](c.ctx, *[lit(x) for x in xs])
    return E(text, err=c.name in ERRING or any(x.err for x in xs))


# the calls the compiler shapes itself; every other name is a primitive of FORMULAS
SPECIAL = {"AND": _and_or, "OR": _and_or, "NOT": _not, "IF": _if, "THIS": _this,
           "COUNTUP": _count, "COUNTALL": _count, "SUM": _sum_count, "COUNT": _sum_count, "FIELD": _field,
           "IN": _in_contains, "CONTAINS": _in_contains, "HASPATTERN": _pattern, "OCCURS": _pattern,
           "HASFIELD": _header, "PLACED": _header, "HEADER": _header}


def _call(node: Node, ctx: Ctx, mode: str, lets: dict) -> X:
    return SPECIAL.get(node.text, _primitive)(_Call(node, ctx, mode, lets))


# each primitive's formula form, over the arguments' formula texts
FORMULAS: dict[str, Callable[..., str]] = {
    "ISBLANK": lambda ctx, x: blank(x),
    "ISNUMBER": lambda ctx, x: f"ISNUMBER({x})",
    "ISTEXT": lambda ctx, x: f"ISTEXT({x})",
    "TRIM": lambda ctx, x: f'TRIM({x}&"")',
    "LEN": lambda ctx, x: f'LEN({x}&"")',
    # the workbook counts the characters as typed; perfbook check first drops stray spaces and line
    # breaks (values.clean_text), so a name with trailing blanks can differ by those blanks
    "NAMELEN": lambda ctx, x: f'LEN({x}&"")',
    "N": lambda ctx, x: f"N({x})",
    "ABS": lambda ctx, x: f"ABS({x})",
    "ROUND": lambda ctx, x, n: f"ROUND({x},{n})",
    "NUMBER": lambda ctx, x: f'VALUE({x}&"")',
    "CHAR": lambda ctx, x: f"CHAR({x})",
    "ISPLACEHOLDER": lambda ctx, x: ctx.macros["placeholder"](x),
    "ISPERCENT": lambda ctx, x: ctx.macros["pct"](x),
    "EXCERPT": lambda ctx, x, n: f'IF(LEN(TRIM({x}&""))>{n},LEFT(TRIM({x}&""),{n})&"…",TRIM({x}&""))',
    "ISUNIT": lambda ctx, x: ctx.macros["in_names"](f'TRIM({x}&"")', ctx.names["units_all"]),
}
ERRING = {"NUMBER", "ABS", "ROUND"}
ARRAY_SAFE = {"ISBLANK", "LEN", "TRIM", "ISNUMBER", "ISTEXT"}
