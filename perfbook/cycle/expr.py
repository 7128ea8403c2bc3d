"""A small expression language for scoring rules, compiled to Python values and to Excel formulas.

The rules in data/scoring.yaml are written once in this language; evaluate() is what perfbook's
check computes and excel() is the formula written into the workbook, so the two cannot drift apart.
Syntax is Python's expression grammar restricted to: numbers, strings, names, + - * /, comparisons,
unary minus and the calls IF MIN MAX OR ROUND LEFT ISNUMBER. Issue 12's rule language may replace it.
"""
from __future__ import annotations

import ast
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from ..errors import PerfbookError

FUNCS = {"IF": 3, "MIN": None, "MAX": None, "OR": None, "ROUND": 2, "LEFT": 2, "ISNUMBER": 1}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMP = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class ExprError(PerfbookError):
    pass


@lru_cache(maxsize=256)
def parse(text: str) -> ast.AST:
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"评分规则表达式有误：{text}（{exc.msg}）", f"bad scoring expression {text!r}: {exc.msg}") from None
    _check(tree, text)
    return tree


def _check(node, text):
    ok = (ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Load, ast.USub,
          *_OPS, *_CMP)
    for n in ast.walk(node):
        if not isinstance(n, ok):
            raise ExprError(f"评分规则中不允许的写法：{type(n).__name__}（{text}）",
                            f"construct not allowed in a scoring rule: {type(n).__name__} in {text!r}")
        if isinstance(n, ast.Call):
            name = getattr(n.func, "id", None)
            if name not in FUNCS or n.keywords or (FUNCS[name] and len(n.args) != FUNCS[name]):
                raise ExprError(f"评分规则中未知的函数或参数个数不对：{name}（{text}）",
                                f"unknown function or wrong argument count: {name} in {text!r}")
        if isinstance(n, ast.Compare) and len(n.ops) != 1:
            raise ExprError(f"比较只能有一个运算符：{text}", f"chained comparison in {text!r}")
        if isinstance(n, ast.Constant) and not isinstance(n.value, (int, float, str)):
            raise ExprError(f"评分规则中的常量只能是数字或文字：{text}", f"constant must be a number or text in {text!r}")


def substitute(tree: ast.AST, names: dict[str, ast.AST]) -> ast.AST:
    """Names replaced by other expressions (let shorthands, other rules, parameters as constants)."""
    class Sub(ast.NodeTransformer):
        def visit_Name(self, node):
            return names[node.id] if node.id in names else node
    import copy
    return Sub().visit(copy.deepcopy(tree))


def excel_round(v: float, n: int) -> float:
    """ROUND as Excel does it: half away from zero on the decimal the cell shows (15 digits)."""
    d = Decimal(format(v, ".15g")).quantize(Decimal(1).scaleb(-int(n)), rounding=ROUND_HALF_UP)
    return float(d)


def evaluate(tree: ast.AST, env: dict):
    """The value of an expression; an unknown name raises, IF is lazy as in Excel."""
    if isinstance(tree, ast.Constant):
        return tree.value
    if isinstance(tree, ast.Name):
        if tree.id not in env:
            raise ExprError(f"评分规则用到未定义的名称：{tree.id}", f"undefined name in a scoring rule: {tree.id}")
        return env[tree.id]
    if isinstance(tree, ast.UnaryOp):
        return -_num(evaluate(tree.operand, env))
    if isinstance(tree, ast.BinOp):
        a, b = _num(evaluate(tree.left, env)), _num(evaluate(tree.right, env))
        op = type(tree.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if b == 0:
            raise ZeroDivisionError("#DIV/0!")
        return a / b
    if isinstance(tree, ast.Compare):
        a, b = evaluate(tree.left, env), evaluate(tree.comparators[0], env)
        # an empty cell is "" beside text and 0 beside a number, as in Excel
        a = ("" if isinstance(b, str) else 0) if a is None else a
        b = ("" if isinstance(a, str) else 0) if b is None else b
        if isinstance(a, str) != isinstance(b, str):   # Excel: text vs number compare unequal
            return isinstance(tree.ops[0], ast.NotEq)
        op = type(tree.ops[0])
        return {ast.Eq: a == b, ast.NotEq: a != b, ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b}[op]
    name = tree.func.id
    args = tree.args
    if name == "IF":
        return evaluate(args[1] if evaluate(args[0], env) else args[2], env)
    vals = [evaluate(x, env) for x in args]
    if name in ("MIN", "MAX"):   # as over cell references: text and empty cells are skipped
        nums = [_num(v) for v in vals if not isinstance(v, str) and v is not None] or [0]
        return min(nums) if name == "MIN" else max(nums)
    if name == "OR":
        return any(bool(v) for v in vals)
    if name == "ROUND":
        return excel_round(_num(vals[0]), int(_num(vals[1])))
    if name == "LEFT":
        return ("" if vals[0] is None else str(vals[0]))[: int(_num(vals[1]))]
    if name == "ISNUMBER":
        return isinstance(vals[0], (int, float)) and not isinstance(vals[0], bool)
    raise ExprError(f"未知函数 {name}", f"unknown function {name}")   # pragma: no cover - _check refuses it


def _num(v):
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    raise ValueError("#VALUE!")


def excel(tree: ast.AST, refs: dict[str, str]) -> str:
    """The expression as an Excel formula body (no leading =); names become the cell references given."""
    if isinstance(tree, ast.Constant):
        if isinstance(tree.value, str):
            return '"' + tree.value.replace('"', '""') + '"'
        return repr(tree.value) if isinstance(tree.value, float) else str(tree.value)
    if isinstance(tree, ast.Name):
        if tree.id not in refs:
            raise ExprError(f"评分规则用到未定义的名称：{tree.id}", f"undefined name in a scoring rule: {tree.id}")
        return refs[tree.id]
    if isinstance(tree, ast.UnaryOp):
        return f"-({excel(tree.operand, refs)})"
    if isinstance(tree, ast.BinOp):
        return f"({excel(tree.left, refs)}{_OPS[type(tree.op)]}{excel(tree.right, refs)})"
    if isinstance(tree, ast.Compare):
        return f"{excel(tree.left, refs)}{_CMP[type(tree.ops[0])]}{excel(tree.comparators[0], refs)}"
    return f"{tree.func.id}({','.join(excel(a, refs) for a in tree.args)})"
