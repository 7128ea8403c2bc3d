"""The scoring and checks of the cycle tables, from data/scoring.yaml: Python, formulas and VBA of one definition.

A scheme (default, a province's, a frame's) gives the parameters, the 分值 weights and the grade scale;
the rules' expressions are shared. Scheme.indicator_expr(), checks() etc. are rule-language trees with
the parameters put in as constants: scored here with expr.evaluate, written into the sheet with
expr.excel; symbolic() keeps the parameters as names for the VBA (cycle/vba.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .. import _yaml
from ..errors import PerfbookError
from . import expr as E

__all__ = ["data", "scheme_for", "Scheme", "symbolic", "show", "qualitative_key", "achieved"]

TOL = 0.005     # score comparisons: the system rounds to 2 decimals


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

    def _names(self) -> dict[str, E.Node]:
        names = {k: _lit(v) for k, v in self.params.items()}
        for k, v in data().get("let", {}).items():
            names[k] = E.substitute(E.parse(v), names)
        return names

    @cache
    def rule_expr(self, rule: str) -> E.Node:
        names = self._names()
        for r in data()["rules"]:
            if r != rule:
                names[r] = self.rule_expr(r) if E.uses(E.parse(data()["rules"][rule]["score"]), r) else E.const(0)
        return E.substitute(E.parse(data()["rules"][rule]["score"]), names)

    @cache
    def indicator_expr(self) -> E.Node:
        """得分 of an indicator row from sign, t, x, w: blank while 实际完成值 or the 指标性质 is missing;
        a target that is not a number (＝ 合格) is scored as 定性."""
        less = E.parse(data()["deduction"])
        rule = lambda r: E.substitute(less, {"s": self.rule_expr(r)})   # noqa: E731 - 扣减分数 taken off
        out: E.Node = E.const("")
        for name, spec in reversed(list(data()["rules"].items())):
            test = E.parse("OR(" + ",".join(f'sign = "{s}"' for s in spec["signs"]) + ")")
            out = E.call("IF", test, rule(name), out)
        out = E.call("IF", E.parse("ISNUMBER(t)"), out, rule("qualitative"))
        return E.call("IF", E.parse('x = ""'), E.const(""), out)

    def budget_expr(self, what: str) -> E.Node:
        return E.substitute(E.parse(data()["budget"][what]), {"bw": _lit(self.budget_weight)})

    def grade_expr(self) -> E.Node:
        out: E.Node = E.const(self.grades[-1][1])
        for low, g in reversed(self.grades[:-1]):
            out = E.call("IF", E.parse(f"total >= {low!r}"), E.const(g), out)
        return out

    # -- Python ----------------------------------------------------------------------------------
    def score(self, sign, target, actual, weight, deduction=None):
        """The computed 得分 of one indicator ('' while unscorable: no 实际完成值 or no 指标性质)."""
        try:
            return E.evaluate(self.indicator_expr(), {"sign": sign, "t": target, "x": actual, "w": weight,
                                                     "d": deduction})
        except (ValueError, ZeroDivisionError, TypeError):
            return None

    def budget(self, planned, spent) -> tuple[float | None, float | None]:
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
        names = self.check_names()
        env = {"x": key, "w": weight}
        return E.evaluate(names["band_lo"], env), E.evaluate(names["band_hi"], env)

    @cache
    def check_names(self) -> dict[str, E.Node]:
        """The derived facts of scoring.yaml's checks (its `let`, the budget rate, the 定性 band, achieved,
        likely) and the constants they use, as expressions over the row's and project's facts."""
        names = self._names()
        names.update(tol=E.const(TOL), likelihood_ok=E.const(data()["likelihood_ok"]),
                     allowed=E.const(" / ".join(data()["likelihood"])), budget_rate=self.budget_expr("rate"))
        for k, v in data()["checks"]["let"].items():
            names[k] = E.substitute(E.parse(v), names)
        names["likely"] = E.parse("OR(" + ",".join(f'lk = "{v}"' for v in data()["likelihood"]) + ")")
        for k in ("lo", "hi"):
            names[f"band_{k}"] = E.substitute(E.parse(data()["qualitative_band"][k]), names)
        names["achieved"] = E.substitute(E.parse(data()["achieved"]), names)
        return names

    @cache
    def checks(self, kind: str) -> tuple[tuple[dict, E.Node, dict[str, E.Node]], ...]:
        """(spec, condition, message fields) of each check of one list (selfeval, selfeval_project,
        monitor), every derived fact put in: what Python evaluates and the VBA is compiled from."""
        names = self.check_names()
        out = []
        for spec in data()["checks"][kind]:
            fields = dict.fromkeys(re.findall(r"\{(\w+)\}", spec["message"] + spec.get("fix", "")))
            out.append((spec, E.substitute(E.parse(spec["when"]), names),
                        {f: E.substitute(E.Node("name", f), names) for f in fields}))
        return tuple(out)

    # -- Excel -----------------------------------------------------------------------------------
    def indicator_formula(self, refs: dict[str, str]) -> str:
        return E.excel(self.indicator_expr(), refs)

    def budget_formula(self, what: str, refs: dict[str, str]) -> str:
        return E.excel(self.budget_expr(what), refs)

    def grade_formula(self, total_ref: str) -> str:
        return E.excel(self.grade_expr(), {"total": total_ref})


def _lit(v) -> E.Node:
    return v if isinstance(v, E.Node) else E.const(v)


def symbolic() -> Scheme:
    """The scheme with every parameter (and the 预算执行 分值) as a name p_<param>: the expressions the
    VBA is compiled from once, the scheme's values chosen at run time (the workbook's perfbook.scoring)."""
    keys = dict.fromkeys(k for s in data()["schemes"] for k in scheme_for(s).params)
    return _symbolic(tuple(keys))


@cache
def _symbolic(keys) -> Scheme:
    d = _scheme("default")
    return Scheme("symbolic", d.title, {k: E.Node("name", f"p_{k}") for k in keys},
                  {"预算执行率": E.Node("name", "p_bw")}, d.fallback, d.grades)


def show(v) -> str:
    """A value in a message as the sheet shows it: 7 not 7.0, '' for nothing (the VBA's CyShow)."""
    if v is None or isinstance(v, bool):
        return "" if v is None else str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else format(v, ".15g")
    return str(v)


def qualitative_key(text) -> str | None:
    """达成 / 部分达成 / 未达成 for the short word or the system's long text; None otherwise."""
    t = str(text or "").strip()
    for k in ("部分达成", "未达成", "达成"):
        if t.startswith(k):
            return k
    return None


def achieved(score, weight) -> bool:
    return E.evaluate(E.parse(data()["achieved"]), {"s": score or 0, "w": weight or 0})
