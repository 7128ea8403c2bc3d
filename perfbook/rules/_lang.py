"""The rule language: the `when:` of each rule in rules.yaml, an Excel-like expression parsed once.

A rule's condition is written the way an official writes a formula:

    AND(NOT(不适用), 类型="定量", NOT(ISBLANK(指标值)), NOT(占位值), NOT(纯数字))

Names are row facts (the row's fields by their labels, and helper facts such as 类型 or 不适用),
header fields (project rules), rule parameters (`name_max`, `satisfaction.signs`), the frame
(`frame.scored`) and the loop variable of `each:`. Functions are the primitives of rule_python,
rule_formula and rule_vba, each implemented once per target. This module only parses; the compilers
turn the tree into a Python predicate, a workbook formula and a VBA expression.

Grammar (Excel's precedence): cmp := cat (("="|"<>"|"<"|">"|"<="|">=") cat)* ; cat := add ("&" add)* ;
add := mul (("+"|"-") mul)* ; mul := unary (("*"|"/") unary)* ; unary := "-" unary | atom ;
atom := number | "text" | TRUE | FALSE | name | NAME "(" args ")" | "(" cmp ")" | "{" items "}".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DataError

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<op><>|<=|>=|[=<>&+\-*/(),{}])
  | (?P<name>[A-Za-z_\u3400-\u9fff（）][\w.\u3400-\u9fff（）]*)
""", re.X)


@dataclass(frozen=True)
class Node:
    """kind: num | str | bool | name | call | op | neg | list; for call/op, `name` is the function or operator."""
    kind: str
    value: object = None
    args: tuple = ()

    @property
    def text(self) -> str:
        """The value of a name, call, op or str node, which the parser always makes a str (typed as one)."""
        if not isinstance(self.value, str):
            raise TypeError(f"a {self.kind} node with a {type(self.value).__name__} value, not text")
        return self.value

    def names(self):
        """Every name and function used (so a rule can say which primitives it needs)."""
        if self.kind in ("name", "call"):
            yield (self.kind, self.value)
        for a in self.args:
            yield from a.names()


class RuleSyntaxError(DataError):
    pass


def _tokens(src: str):
    pos = 0
    out = []
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise RuleSyntaxError(f"无法识别“{src[pos:pos + 10]}”（第 {pos + 1} 个字符）",
                                  f"cannot read {src[pos:pos + 10]!r} at character {pos + 1}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    out.append(("end", ""))
    return out


class _Parser:
    CMP = ("=", "<>", "<", ">", "<=", ">=")

    def __init__(self, src: str):
        self.src = src
        self.toks = _tokens(src)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self, value=None):
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            got = tok[1] or "公式结尾"
            raise RuleSyntaxError(f"此处应为“{value}”，却是“{got}”", f"expected {value!r}, got {got!r}")
        self.i += 1
        return tok

    def binary(self, ops, sub):
        left = sub()
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.take()[1]
            left = Node("op", op, (left, sub()))
        return left

    def cmp(self):
        return self.binary(self.CMP, self.cat)

    def cat(self):
        return self.binary(("&",), self.add)

    def add(self):
        return self.binary(("+", "-"), self.mul)

    def mul(self):
        return self.binary(("*", "/"), self.unary)

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return Node("neg", None, (self.unary(),))
        return self.atom()

    def atom(self):
        kind, text = self.take()
        if kind == "num":
            return Node("num", float(text) if any(c in text for c in ".eE") else int(text))
        if kind == "str":
            return Node("str", text[1:-1].replace('""', '"'))
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.cmp())
                    while self.peek() == ("op", ","):
                        self.take()
                        args.append(self.cmp())
                self.take(")")
                return Node("call", text.upper(), tuple(args))
            if text.upper() in ("TRUE", "FALSE"):
                return Node("bool", text.upper() == "TRUE")
            return Node("name", text)
        if (kind, text) == ("op", "("):
            e = self.cmp()
            self.take(")")
            return e
        if (kind, text) == ("op", "{"):
            items = [self.cmp()]
            while self.peek() == ("op", ","):
                self.take()
                items.append(self.cmp())
            self.take("}")
            return Node("list", None, tuple(items))
        got = text or "公式结尾"
        raise RuleSyntaxError(f"此处不能是“{got}”", f"unexpected {got!r}")


def parse(src) -> Node:
    """The tree of one expression; RuleSyntaxError says what is wrong and where."""
    if isinstance(src, bool):
        return Node("bool", src)
    if isinstance(src, (int, float)):
        return Node("num", src)
    p = _Parser(str(src).lstrip("="))
    e = p.cmp()
    if p.peek()[0] != "end":
        got = p.peek()[1]
        raise RuleSyntaxError(f"多出了“{got}”", f"unexpected {got!r} after the expression")
    return e
