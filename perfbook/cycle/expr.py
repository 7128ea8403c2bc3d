"""The scoring rules' expressions: the rule language's grammar (perfbook/rules/_lang.py), three back ends.

scoring.yaml's rules and checks are written once, in the same Excel-like syntax as rules.yaml's `when:`
(`IF(a >= t, w, ROUND(a / t * w, 2))`, `=`/`<>` comparisons, "text"), parsed by rulelang.parse. Here
they are evaluated in Python (perfbook check), written as workbook formulas (perfbook selfeval) and
compiled to VBA (the 校验 button): one tree, three targets, so the three cannot drift apart.
The back ends are this module's and not rule_python/rule_formula/rule_vba's because scoring is
arithmetic over one row's cells (lazy IF, ROUND, MIN over numbers), while those compile findings over
the target table's row facts and frame; the grammar, and so what an official reads and writes, is one.
Functions: IF MIN MAX OR AND NOT ROUND LEFT ISNUMBER ABS.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from ..errors import PerfbookError
from ..rules._lang import Node, RuleSyntaxError, parse as _parse

FUNCS = {"IF": 3, "MIN": None, "MAX": None, "OR": None, "AND": None, "NOT": 1, "ROUND": 2, "LEFT": 2,
         "ISNUMBER": 1, "ABS": 1}
ARITH = ("+", "-", "*", "/")
CMP = ("=", "<>", "<", "<=", ">", ">=")


class ExprError(PerfbookError):
    pass


@lru_cache(maxsize=512)
def parse(text: str) -> Node:
    try:
        tree = _parse(text.strip())
    except RuleSyntaxError as exc:
        raise ExprError(f"评分规则表达式有误：{text}（{exc.zh}）", f"bad scoring expression {text!r}: {exc.en}") from None
    _check(tree, text)
    return tree


def _check(node: Node, text: str) -> None:
    if node.kind in ("list",) or (node.kind == "op" and node.value not in ARITH + CMP):
        raise ExprError(f"评分规则中不允许的写法：{node.value or node.kind}（{text}）",
                        f"construct not allowed in a scoring rule: {node.value or node.kind} in {text!r}")
    if node.kind == "call":
        n = FUNCS.get(node.text, -1)
        if n == -1 or (n is not None and len(node.args) != n):
            raise ExprError(f"评分规则中未知的函数或参数个数不对：{node.value}（{text}）",
                            f"unknown function or wrong argument count: {node.value} in {text!r}")
    for a in node.args:
        _check(a, text)


def const(v: str | float | bool) -> Node:
    return Node("bool", v) if isinstance(v, bool) else Node("num" if isinstance(v, (int, float)) else "str", v)


def call(name: str, *args: Node) -> Node:
    return Node("call", name, tuple(args))


def substitute(tree: Node, names: dict[str, Node]) -> Node:
    """Names replaced by other expressions (let shorthands, other rules, parameters as constants)."""
    if tree.kind == "name":
        return names.get(tree.text, tree)
    if not tree.args:
        return tree
    return Node(tree.kind, tree.value, tuple(substitute(a, names) for a in tree.args))


def uses(tree: Node, name: str) -> bool:
    return ("name", name) in set(tree.names())


def excel_round(v: float, n: int) -> float:
    """ROUND as Excel does it: half away from zero on the decimal the cell shows (15 digits)."""
    d = Decimal(format(v, ".15g")).quantize(Decimal(1).scaleb(-int(n)), rounding=ROUND_HALF_UP)
    return float(d)


# -- Python ------------------------------------------------------------------------------------------

def evaluate(tree: Node, env: dict):
    """The value of an expression; an unknown name raises, IF is lazy as in Excel."""
    k = tree.kind
    if k in ("num", "str", "bool"):
        return tree.value
    if k == "name":
        if tree.value not in env:
            raise ExprError(f"评分规则用到未定义的名称：{tree.value}", f"undefined name in a scoring rule: {tree.value}")
        return env[tree.value]
    if k == "neg":
        return -_num(evaluate(tree.args[0], env))
    if k == "op":
        a, b = evaluate(tree.args[0], env), evaluate(tree.args[1], env)
        if tree.value in CMP:
            return compare(tree.value, a, b)
        return _arith(tree.text, _num(a), _num(b))
    if tree.value == "IF":
        return evaluate(tree.args[1] if evaluate(tree.args[0], env) else tree.args[2], env)
    vals = [evaluate(x, env) for x in tree.args]
    if tree.value not in PY_FUNCS:   # pragma: no cover - _check refuses it
        raise ExprError(f"未知函数 {tree.value}", f"unknown function {tree.value}")
    return PY_FUNCS[tree.value](vals)


def _arith(op: str, a, b):
    """+ - * / over numbers; dividing by zero fails as Excel's #DIV/0! does."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise ZeroDivisionError("#DIV/0!")
    return a / b


def _numbers(vals) -> list:
    """MIN/MAX's operands as over cell references: text and empty cells are skipped (none at all is 0)."""
    return [_num(v) for v in vals if not isinstance(v, str) and v is not None] or [0]


# each function (but the lazy IF) over its arguments' values
PY_FUNCS = {
    "MIN": lambda vals: min(_numbers(vals)),
    "MAX": lambda vals: max(_numbers(vals)),
    "OR": lambda vals: any(bool(v) for v in vals),
    "AND": lambda vals: all(bool(v) for v in vals),
    "NOT": lambda vals: not vals[0],
    "ROUND": lambda vals: excel_round(_num(vals[0]), int(_num(vals[1]))),
    "ABS": lambda vals: abs(_num(vals[0])),
    "LEFT": lambda vals: ("" if vals[0] is None else str(vals[0]))[: int(_num(vals[1]))],
    "ISNUMBER": lambda vals: isinstance(vals[0], (int, float)) and not isinstance(vals[0], bool),
}


def compare(op: str, a, b) -> bool:
    # an empty cell is "" beside text and 0 beside a number, as in Excel
    a = ("" if isinstance(b, str) else 0) if a is None else a
    b = ("" if isinstance(a, str) else 0) if b is None else b
    if isinstance(a, str) != isinstance(b, str):   # text vs number: only <> holds
        return op == "<>"
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _num(v):
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    raise ValueError("#VALUE!")


# -- Excel -------------------------------------------------------------------------------------------

def excel(tree: Node, refs: dict[str, str]) -> str:
    """The expression as an Excel formula body (no leading =); names become the cell references given."""
    k = tree.kind
    if k == "str":
        return '"' + tree.text.replace('"', '""') + '"'
    if k == "num":
        return repr(tree.value) if isinstance(tree.value, float) else str(tree.value)
    if k == "bool":
        return "TRUE" if tree.value else "FALSE"
    if k == "name":
        if tree.value not in refs:
            raise ExprError(f"评分规则用到未定义的名称：{tree.value}", f"undefined name in a scoring rule: {tree.value}")
        return refs[tree.text]
    if k == "neg":
        return f"-({excel(tree.args[0], refs)})"
    if k == "op":
        a, b = (excel(x, refs) for x in tree.args)
        return f"({a}{tree.value}{b})" if tree.value in ARITH else f"{a}{tree.value}{b}"
    return f"{tree.value}({','.join(excel(a, refs) for a in tree.args)})"


# -- VBA ---------------------------------------------------------------------------------------------

VBA_CALLS = {"MIN": "CyMin", "MAX": "CyMax", "OR": "CyOr", "AND": "CyAnd", "ROUND": "CyRound", "LEFT": "CyLeft",
             "ISNUMBER": "CyIsNum", "ABS": "CyAbs", "NOT": "CyNot"}
_VBA_ARITH = {"+": "CyAdd", "-": "CySub", "*": "CyMul", "/": "CyDiv"}


class VbaFunctions:
    """Compiles expressions to VBA functions of the given parameters (Variants, the Python values'
    meaning kept by the Cy* primitives of macros/PerfbookCycle.bas). Each IF becomes its own function
    with an If statement, so only the branch taken is evaluated (VBA's IIf evaluates both)."""

    def __init__(self, text, prefix: str):
        self.text = text            # text literal → VBA expression (vba.vba_string)
        self.prefix = prefix
        self.functions: list[str] = []
        self._seen: dict[tuple, str] = {}

    def function(self, name: str, tree: Node, params: tuple[str, ...], names: dict[str, str]) -> str:
        """A Public Function `name`(params) returning the expression; a failed step returns Null."""
        body = self._expr(tree, params, names)
        sig = ", ".join(f"ByVal {p} As Variant" for p in params)
        self.functions.append(f"Public Function {name}({sig}) As Variant\r\n    On Error GoTo Failed\r\n"
                              f"    {name} = {body}\r\n    Exit Function\r\nFailed:\r\n    {name} = Null\r\n"
                              f"End Function\r\n")
        return name

    def _expr(self, tree: Node, params, names) -> str:
        k = tree.kind
        if k == "str":
            return self.text(tree.value)
        if k == "num":
            return f"CDbl({tree.value!r})" if isinstance(tree.value, float) else f"CDbl({tree.value})"
        if k == "bool":
            return "True" if tree.value else "False"
        if k == "name":
            if tree.value not in names:
                raise ExprError(f"评分规则用到未定义的名称：{tree.value}", f"undefined name in a scoring rule: {tree.value}")
            return names[tree.text]
        if k == "neg":
            return f"CySub(0, {self._expr(tree.args[0], params, names)})"
        a = [self._expr(x, params, names) for x in tree.args]
        if k == "op":
            if tree.value in CMP:
                return f'CyCmp("{tree.value}", {a[0]}, {a[1]})'
            return f"{_VBA_ARITH[tree.text]}({a[0]}, {a[1]})"
        if tree.value == "IF":
            key = (tree, params, tuple(sorted(names.items())))
            if key not in self._seen:
                fn = f"{self.prefix}{len(self._seen) + 1}"
                self._seen[key] = fn
                args = ", ".join(f"ByVal {p} As Variant" for p in params)
                self.functions.append(
                    f"Private Function {fn}({args}) As Variant\r\n    If CyTrue({a[0]}) Then\r\n        {fn} = {a[1]}\r\n"
                    f"    Else\r\n        {fn} = {a[2]}\r\n    End If\r\nEnd Function\r\n")
            return f"{self._seen[key]}({', '.join(params)})"
        fn = VBA_CALLS[tree.text]
        if tree.value in ("MIN", "MAX", "OR", "AND"):
            return f"{fn}(Array({', '.join(a)}))"
        return f"{fn}({', '.join(a)})"
