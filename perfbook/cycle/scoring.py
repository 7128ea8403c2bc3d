"""The scoring of a 绩效自评表, from data/scoring.yaml: Python scores and Excel formulas of one definition.

A scheme (default, a province's, a frame's) gives the parameters, the 分值 weights and the grade scale;
the rules' expressions are shared. Scheme.indicator_expr() etc. are ASTs with the parameters put in as
constants: scored here with expr.evaluate, written into the sheet with expr.excel.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache

from .. import _yaml
from ..errors import PerfbookError
from . import expr as E


@cache
def data() -> dict:
    return _yaml.data("scoring.yaml")


def scheme_for(name: str | None = None, frame: str | None = None) -> "Scheme":
    """The named scheme, else the frame's, else default."""
    d = data()
    key = name or d.get("frames", {}).get(frame or "", "default")
    if key not in d["schemes"]:
        raise PerfbookError(f"未知的评分方案“{key}”（可用：{'、'.join(d['schemes'])}）",
                            f"unknown scoring scheme {key!r}")
    return _scheme(key)


@cache
def _scheme(key: str) -> "Scheme":
    d = data()
    chain, k = [], key
    while k:
        chain.append(d["schemes"][k])
        k = d["schemes"][k].get("base")
    merged: dict = {"params": {}}
    for s in reversed(chain):
        merged["params"].update(s.get("params", {}))
        for f in ("weights", "fallback", "grades", "title"):
            if f in s:
                merged[f] = s[f]
    return Scheme(key, merged["title"], merged["params"], merged["weights"], tuple(merged.get("fallback", ())),
                  tuple((float(a), g) for a, g in merged["grades"]))


@dataclass(frozen=True, eq=False)   # hashed by identity: schemes are cached, methods memoised
class Scheme:
    id: str
    title: str
    params: dict
    weights: dict
    fallback: tuple[str, ...]
    grades: tuple[tuple[float, str], ...]

    @property
    def budget_weight(self) -> float:
        return self.weights.get("预算执行率", 0)

    def _names(self) -> dict[str, ast.AST]:
        names = {k: ast.Constant(v) for k, v in self.params.items()}
        for k, v in data().get("let", {}).items():
            names[k] = E.substitute(E.parse(v), names)
        return names

    @cache
    def rule_expr(self, rule: str) -> ast.AST:
        names = self._names()
        for r in data()["rules"]:
            if r != rule:
                names[r] = self.rule_expr(r) if _uses(data()["rules"][rule]["score"], r) else ast.Constant(0)
        return E.substitute(E.parse(data()["rules"][rule]["score"]), names)

    @cache
    def indicator_expr(self) -> ast.AST:
        """得分 of an indicator row from sign, t, x, w: blank while 实际完成值 or the 指标性质 is missing;
        a target that is not a number (＝ 合格) is scored as 定性."""
        out: ast.AST = ast.Constant("")
        for rule, spec in reversed(list(data()["rules"].items())):
            test = E.parse("OR(" + ",".join(f"sign == {s!r}" for s in spec["signs"]) + ")")
            out = ast.Call(ast.Name("IF"), [test, self.rule_expr(rule), out], [])
        out = ast.Call(ast.Name("IF"), [E.parse("ISNUMBER(t)"), out, self.rule_expr("qualitative")], [])
        return ast.Call(ast.Name("IF"), [E.parse('x == ""'), ast.Constant(""), out], [])

    def budget_expr(self, what: str) -> ast.AST:
        return E.substitute(E.parse(data()["budget"][what]), {"bw": ast.Constant(self.budget_weight)})

    def grade_expr(self) -> ast.AST:
        out: ast.AST = ast.Constant(self.grades[-1][1])
        for low, g in reversed(self.grades[:-1]):
            out = ast.Call(ast.Name("IF"), [E.parse(f"total >= {low!r}"), ast.Constant(g), out], [])
        return out

    # -- Python ----------------------------------------------------------------------------------
    def score(self, sign, target, actual, weight):
        """The computed 得分 of one indicator ('' while unscorable: no 实际完成值 or no 指标性质)."""
        try:
            return E.evaluate(self.indicator_expr(), {"sign": sign, "t": target, "x": actual, "w": weight})
        except (ValueError, ZeroDivisionError, TypeError):
            return None

    def budget(self, planned, spent) -> tuple[float, float]:
        env = {"b": planned, "e": spent}
        try:
            return E.evaluate(self.budget_expr("rate"), env), E.evaluate(self.budget_expr("score"), env)
        except (ValueError, ZeroDivisionError, TypeError):
            return None, None

    def grade(self, total) -> str:
        return E.evaluate(self.grade_expr(), {"total": total})

    def band(self, completion: str, weight) -> tuple[float, float] | None:
        """[low, high] a typed 定性 score may take, for 达成 / 部分达成 / 未达成 (or the long texts)."""
        key = qualitative_key(completion)
        if key is None:
            return None
        lo, hi = data()["qualitative_bands"][key]
        p = self.params
        return (E.excel_round((p.get(lo, lo) if isinstance(lo, str) else lo) * weight, 2),
                E.excel_round((p.get(hi, hi) if isinstance(hi, str) else hi) * weight, 2))

    # -- Excel -----------------------------------------------------------------------------------
    def indicator_formula(self, refs: dict[str, str]) -> str:
        return E.excel(self.indicator_expr(), refs)

    def budget_formula(self, what: str, refs: dict[str, str]) -> str:
        return E.excel(self.budget_expr(what), refs)

    def grade_formula(self, total_ref: str) -> str:
        return E.excel(self.grade_expr(), {"total": total_ref})


def _uses(text: str, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(E.parse(text)))


def qualitative_key(text) -> str | None:
    """达成 / 部分达成 / 未达成 for the short word or the system's long text; None otherwise."""
    t = str(text or "").strip()
    for k in ("部分达成", "未达成", "达成"):
        if t.startswith(k):
            return k
    return None


def achieved(score, weight) -> bool:
    return E.evaluate(E.parse(data()["achieved"]), {"s": score or 0, "w": weight or 0})
