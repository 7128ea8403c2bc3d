"""The checker: rules from data/rules.yaml applied to projects, one Finding per problem.

The rule metadata (id, severity, Chinese message and fix, thresholds, word lists, the formula a
workbook uses for the same rule) is data; this module holds one small function per rule id that
says when the rule fires. Each function reads the same params as the workbook formula (inject.py),
and the per-row facts it builds (RowFacts) are the Python twins of the workbook's hidden helper
columns, so perfbook check and the workbook count the same 错误.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Callable, Iterable

import yaml

from .comparators import GLYPHS, _spelling_map
from .findings import Finding
from .frames import Frame, Level1, Level2, norm_name
from .model import Indicator, Project

QUANT, QUAL = "定量", "定性"
_NOSPACE = re.compile("[ \u3000\n\r\t]")


# --- data ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    scope: str                 # row | project
    title: str
    message: str
    fix: str | None = None
    formula: str | None = None
    counted_by: str | None = None   # a Python-only 错误 counted in the workbook by this formula rule


def _yaml(name: str) -> dict:
    return yaml.safe_load(resources.files("perfbook").joinpath(f"data/{name}").read_text("utf-8"))


@cache
def data() -> dict:
    return _yaml("rules.yaml")


def params() -> dict:
    return data()["params"]


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(Rule(d["id"], d["severity"], d["scope"], d.get("title", d["id"]), d["message"], d.get("fix"),
                      d.get("formula"), d.get("counted_by")) for d in data()["rules"])


@cache
def rule(rule_id: str) -> Rule:
    return next(r for r in rules() if r.id == rule_id)


@cache
def _units() -> tuple[tuple[str, ...], dict[str, str]]:
    d = _yaml("units.yaml")
    return tuple(map(str, d["units"])), {str(k): str(v) for k, v in (d.get("aliases") or {}).items()}


def units(frame: Frame | None = None) -> tuple[str, ...]:
    """The drop-down list: the shipped units plus the frame's own."""
    base, _ = _units()
    extra = tuple(u for u in (frame.units if frame else ()) if u not in base)
    return base + extra


def units_all(frame: Frame | None = None) -> tuple[str, ...]:
    """Every unit spelling accepted without a warning (list + aliases)."""
    return units(frame) + tuple(a for a in _units()[1] if a not in units(frame))


def percent_spellings() -> tuple[str, ...]:
    return ("%", *(a for a, c in _units()[1].items() if c == "%"))


def spellings() -> tuple[tuple[str, str], ...]:
    """(typed spelling, system glyph): every spelling the data model turns into a glyph."""
    return tuple(sorted(_spelling_map().items()))


@cache
def na_words() -> tuple[str, ...]:
    return tuple(_yaml("foreign.yaml")["not_applicable"])


# --- small predicates shared by the rules (each mirrors a formula macro in inject.py) ------------------

def filled(v) -> bool:
    return v is not None and str(v).strip(" ") != ""


def trim(v) -> str:
    """Excel's TRIM: spaces at the ends removed, runs of spaces inside made one."""
    return re.sub(" +", " ", "" if v is None else str(v)).strip(" ")


def nospace(v) -> str:
    return _NOSPACE.sub("", "" if v is None else str(v))


def equals_any(text: str, items) -> bool:
    """Excel's "=" on text ignores case."""
    t = text.lower()
    return any(t == str(i).lower() for i in items)


def is_na(v) -> bool:
    return v is not None and equals_any(nospace(v), na_words())


def is_placeholder(v) -> bool:
    if not isinstance(v, str):
        return False
    ph = params()["placeholders"]
    return any(s in v.upper() for s in ph["contains"]) or equals_any(trim(v), ph["exact"])


@cache
def _bare_re() -> re.Pattern:
    d = re.escape(params()["digits"])
    return re.compile(f"-?[{d}]+(?:\\.[{d}]+)?")


def is_bare_number(v) -> bool:
    """PerfUtil.isNumeric: a number, or text that is only a number (no unit, sign, separator, space)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, str) and _bare_re().fullmatch(v) is not None


def number(v) -> float:
    return float(v) if not isinstance(v, str) else float(v.translate(_FULLWIDTH))


_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def is_percent(unit) -> bool:
    return unit is not None and trim(unit) in percent_spellings()


@cache
def _score_re() -> re.Pattern:
    return re.compile(params()["score_pattern"])


def score_of(text) -> float | None:
    """The leading score of an 评（扣）分标准 text: "12分，完成1期得1分" → 12."""
    if not isinstance(text, str):
        return None
    m = _score_re().match(text)
    return float(m.group(1)) if m else None


def show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


# --- per-row facts: the twins of the workbook's helper columns ------------------------------------------

@dataclass(frozen=True)
class RowFacts:
    index: int                  # position in the project's indicator list
    ind: Indicator
    e1: str                     # 一级 in force on this row (a blank 一级 means "same as above")
    e2: str
    l1: Level1 | None
    l2: Level2 | None
    cat: str | None
    sg: str | None              # a valid system glyph, else None
    ak: str | None              # 定量/定性 from 指标属性
    sk: str | None              # 定量/定性 from 指标性质
    na: bool                    # a 不适用 row
    phv: bool                   # 指标值 is a placeholder
    num: bool                   # 指标值 is a bare number
    score: float | None

    @property
    def kind(self) -> str | None:
        """指标属性 decides 定量/定性 when it says; otherwise the comparator does."""
        return self.ak or self.sk


def row_facts(frame: Frame, indicators: Iterable[Indicator]) -> list[RowFacts]:
    p = params()
    out: list[RowFacts] = []
    prev1 = prev2 = ""
    for i, ind in enumerate(indicators):
        e1 = str(ind.level1) if filled(ind.level1) else prev1
        e2 = str(ind.level2) if filled(ind.level2) else ("" if e1 != prev1 else prev2)
        prev1, prev2 = e1, e2
        l1 = frame.find1(e1)
        l2 = frame.find2(l1, e2)
        sg = ind.sign if ind.sign in GLYPHS else None
        attr = trim(ind.attr)
        ak = QUANT if equals_any(attr, p["attr"]["quantitative"]) else QUAL if equals_any(attr, p["attr"]["qualitative"]) else None
        sk = None if sg is None else (QUAL if sg == "定性" else QUANT)
        na = is_na(ind.name) or is_na(ind.value) or ind.get("是否适用") == "否"
        out.append(RowFacts(i, ind, e1, e2, l1, l2, frame.category(l1, l2), sg, ak, sk, na,
                            is_placeholder(ind.value), is_bare_number(ind.value), score_of(ind.eval_std)))
    return out


# --- hits and the rule functions --------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    """A rule fired: at which field of which row (or of the project), with the message's fields."""

    field: str | None
    args: dict = field(default_factory=dict)
    row: RowFacts | None = None


@dataclass
class Context:
    frame: Frame
    project: Project
    rows: list[RowFacts]
    fired: dict = field(default_factory=dict)     # (rule id, row index) → True, for rules that step aside

    def did(self, rule_id: str, row: RowFacts) -> bool:
        return (rule_id, row.index) in self.fired


RowCheck = Callable[[Context, RowFacts], Iterable[Hit]]
ProjectCheck = Callable[[Context], Iterable[Hit]]
ROW_CHECKS: dict[str, RowCheck] = {}
PROJECT_CHECKS: dict[str, ProjectCheck] = {}


def row_rule(rule_id: str):
    def deco(fn):
        ROW_CHECKS[rule_id] = fn
        return fn
    return deco


def project_rule(rule_id: str):
    def deco(fn):
        PROJECT_CHECKS[rule_id] = fn
        return fn
    return deco


def _split(value):
    """(sign, number, unit) when typed text is a number with a comparator or unit around it."""
    from .values import split_value
    if not isinstance(value, str):
        return None
    sp = split_value(value)
    if not sp.applicable or sp.sign is None or isinstance(sp.value, str) or sp.value is None:
        return None
    explicit = sp.unit is not None or sp.sign != "＝" or any(ch in value for ch in "=＝") or "等于" in value
    return (sp.sign, sp.value, sp.unit) if explicit else None


def _unit_part(unit) -> str:
    return f"，度量单位“{unit}”" if unit else ""


@row_rule("required-field")
def _required_field(ctx: Context, r: RowFacts):
    na_exempt = params()["na_exempt"]
    for f in ctx.frame.required_fields:
        if f == "一级指标":
            missing = not r.e1
        elif f == "二级指标":
            missing = not r.e2
        elif f in na_exempt and r.na:
            continue
        else:
            missing = not filled(r.ind.get(f))
        if missing:
            yield Hit(f, {"field": f})


@row_rule("frame-pair")
def _frame_pair(ctx: Context, r: RowFacts):
    f = ctx.frame
    if not r.e1:
        return
    if r.l1 is None:
        names = "、".join(l1.name for l1 in f.level1)
        yield Hit("一级指标", {"what": f"一级指标“{r.e1}”不在本框架中", "frame": f.title,
                             "fix": f"一级指标从下拉列表选择：{names}"})
    elif r.e2 and r.l2 is None:
        names = "、".join(l2.name for l2 in r.l1.level2)
        other = next((l1.name for l1 in f.level1 if l1.find(r.e2)), None)
        hint = f"；“{r.e2}”属于“{other}”" if other else ""
        yield Hit("二级指标", {"what": f"二级指标“{r.e2}”不属于一级指标“{r.l1.name}”{hint}", "frame": f.title,
                             "fix": f"“{r.l1.name}”下可选：{names}"})


@row_rule("sign-valid")
def _sign_valid(ctx: Context, r: RowFacts):
    if filled(r.ind.sign) and r.sg is None:
        yield Hit("指标性质", {"sign": r.ind.sign})


@row_rule("value-embedded")
def _value_embedded(ctx: Context, r: RowFacts):
    if not r.na and r.kind == QUANT and filled(r.ind.value) and not r.phv and not r.num:
        parts = _split(r.ind.value)
        if parts:
            ctx.fired[("value-embedded", r.index)] = True
            sign, num, unit = parts
            yield Hit("指标值", {"value": r.ind.value, "sign": sign, "number": show(num), "unit_part": _unit_part(unit)})


@row_rule("value-numeric")
def _value_numeric(ctx: Context, r: RowFacts):
    if (not r.na and r.kind == QUANT and filled(r.ind.value) and not r.phv and not r.num
            and not ctx.did("value-embedded", r)):
        yield Hit("指标值", {"value": r.ind.value})


@row_rule("unit-required")
def _unit_required(ctx: Context, r: RowFacts):
    if not r.na and r.kind == QUANT and not filled(r.ind.unit):
        yield Hit("度量单位", {})


def _qual_text(r: RowFacts) -> str | None:
    if r.na or r.kind != QUAL or r.phv or not filled(r.ind.value):
        return None
    return show(r.ind.value) if not isinstance(r.ind.value, str) else r.ind.value


@row_rule("qual-comparator")
def _qual_comparator(ctx: Context, r: RowFacts):
    t = _qual_text(r)
    hit = next((ch for ch in params()["comparator_chars"] if t and ch in t), None)
    if hit:
        ctx.fired[("qual-comparator", r.index)] = True
        yield Hit("指标值", {"value": t, "char": hit})


@row_rule("qual-special")
def _qual_special(ctx: Context, r: RowFacts):
    t = _qual_text(r)
    p = params()
    if t and (any(ch in t for ch in p["special_chars"]) or equals_any(trim(t), p["null_words"])):
        yield Hit("指标值", {"value": t})


@row_rule("placeholder")
def _placeholder(ctx: Context, r: RowFacts):
    for f in params()["placeholder_fields"]:
        v = r.ind.get(f)
        if is_placeholder(v):
            yield Hit(f, {"field": f, "text": v})


def _satisfaction(r: RowFacts) -> bool:
    return not r.na and r.cat == params()["satisfaction"]["category"]


@row_rule("satisfaction-over-100")
def _sat_over(ctx: Context, r: RowFacts):
    s = params()["satisfaction"]
    if _satisfaction(r) and r.num and is_percent(r.ind.unit) and number(r.ind.value) > s["max"]:
        yield Hit("指标值", {"value": show(r.ind.value)})


def name_length(name) -> int:
    """The length of a 三级指标 name as the budget system stores it: stray spaces and line breaks
    removed (values.clean_text), so a trailing newline typed by accident does not count."""
    from .values import clean_text
    return len(clean_text(str(name)) or "") if name is not None else 0


@row_rule("name-length")
def _name_length(ctx: Context, r: RowFacts):
    n = name_length(r.ind.name)
    if n > params()["name_max"]:
        yield Hit("三级指标", {"length": n, "limit": params()["name_max"]})


@row_rule("attr-valid")
def _attr_valid(ctx: Context, r: RowFacts):
    if filled(r.ind.attr) and r.ak is None:
        yield Hit("指标属性", {"attr": r.ind.attr})


@row_rule("attr-sign-mismatch")
def _attr_sign(ctx: Context, r: RowFacts):
    if r.ak and r.sk and r.ak != r.sk:
        fix = "定性指标的指标性质选“定性”" if r.ak == QUAL else "定量指标的指标性质选 ≥ ＞ ＝ ＜ ≤ 之一"
        yield Hit("指标性质", {"attr": r.ind.attr, "sign": r.ind.sign, "kind": r.ak, "fix": fix})


@row_rule("unit-known")
def _unit_known(ctx: Context, r: RowFacts):
    if filled(r.ind.unit) and trim(r.ind.unit) not in units_all(ctx.frame):
        yield Hit("度量单位", {"unit": r.ind.unit})


@row_rule("satisfaction-shape")
def _sat_shape(ctx: Context, r: RowFacts):
    s = params()["satisfaction"]
    if _satisfaction(r) and filled(r.ind.value) and not r.phv and not (
            r.sg in s["signs"] and r.num and is_percent(r.ind.unit)):
        sign = r.ind.sign if r.ind.sign not in ("＝", "定性") else ""    # "基本满意", not "定性基本满意"
        shown = "".join(show(x) for x in (sign, r.ind.value, r.ind.unit) if x)
        yield Hit("指标值", {"min": s["min"], "max": s["max"], "shown": shown})


@row_rule("satisfaction-low")
def _sat_low(ctx: Context, r: RowFacts):
    s = params()["satisfaction"]
    if _satisfaction(r) and r.sg in s["signs"] and r.num and is_percent(r.ind.unit):
        v = number(r.ind.value)
        if v < s["warn_below"]:
            below = f"（低于 {s['min']}% 不合常规）" if v < s["min"] else ""
            yield Hit("指标值", {"value": show(v), "warn": s["warn_below"], "below_min": below})


@row_rule("cost-sign")
def _cost_sign(ctx: Context, r: RowFacts):
    c = params()["cost"]
    if not r.na and r.cat == c["category"] and r.sg in c["signs"]:
        yield Hit("指标性质", {"sign": r.sg})


@row_rule("name-long")
def _name_long(ctx: Context, r: RowFacts):
    n = name_length(r.ind.name)
    p = params()
    if p["name_warn"] < n <= p["name_max"]:
        yield Hit("三级指标", {"length": n, "limit": p["name_warn"]})


@row_rule("duplicate")
def _duplicate(ctx: Context, r: RowFacts):
    if r.na or not filled(r.ind.name):
        return
    key = (r.e2.lower(), str(r.ind.name).lower())
    first = next((o for o in ctx.rows[:r.index] if not o.na and filled(o.ind.name)
                  and (o.e2.lower(), str(o.ind.name).lower()) == key), None)
    if first is not None:
        first_at = f"第 {first.ind.row} 行" if first.ind.row else f"第 {first.index + 1} 条"
        yield Hit("三级指标", {"first": first_at, "name": r.ind.name})


@row_rule("qual-disguised")
def _qual_disguised(ctx: Context, r: RowFacts):
    t = _qual_text(r)
    if t and not ctx.did("qual-comparator", r):
        parts = _split(t)
        if parts:
            sign, num, unit = parts
            yield Hit("指标值", {"value": t, "sign": sign, "number": show(num), "unit_part": _unit_part(unit)})


@row_rule("qual-vague")
def _qual_vague(ctx: Context, r: RowFacts):
    t = _qual_text(r)
    if t and t.strip() in params()["vague_words"] and t.strip() not in ctx.frame.qualitative:
        wordings = "、".join(ctx.frame.qualitative[:6]) or "好、较好、一般、较差、差"
        yield Hit("指标值", {"value": t, "wordings": wordings})


@row_rule("qual-unit")
def _qual_unit(ctx: Context, r: RowFacts):
    if not r.na and r.kind == QUAL and filled(r.ind.unit):
        yield Hit("度量单位", {"unit": r.ind.unit})


@row_rule("timeliness-vague")
def _timeliness(ctx: Context, r: RowFacts):
    t = params()["timeliness"]
    v = r.ind.value
    if (not r.na and r.cat == t["category"] and isinstance(v, str) and not re.search(r"\d", v)
            and any(w in v for w in t["vague"])):
        yield Hit("指标值", {"value": v})


@row_rule("misfiled")
def _misfiled(ctx: Context, r: RowFacts):
    name = r.ind.name
    if r.na or not filled(name):
        return
    name = str(name)
    sat = params()["satisfaction"]["category"]
    if any(w in name for w in params()["satisfaction_words"]) and r.cat != sat and r.l1 is not None:
        target = next((l1.name for l1 in ctx.frame.level1 if l1.category == sat), "满意度指标")
        yield Hit("三级指标", {"what": f"三级指标“{name}”是满意度指标，却填在“{r.e2 or r.e1}”下",
                             "fix": f"移到“{target}”下"})
    elif norm_name(name) in ctx.frame.names():
        yield Hit("三级指标", {"what": f"三级指标名称“{name}”是一级/二级指标的名称，不是具体的考核内容",
                             "fix": "填写具体的三级指标（考核对象），如“培训人数”“验收合格率”"})


@row_rule("stray-space")
def _stray_space(ctx: Context, r: RowFacts):
    """The cell's text as typed: a reader that cleans texts (foreign layouts) keeps the original."""
    for f in ("一级指标", "二级指标", "三级指标", "指标值", "度量单位", "指标属性"):
        v = r.ind.typed(f)
        if isinstance(v, str) and (v != v.strip() or "\t" in v or "\n" in v):
            yield Hit(f, {"field": f})


# --- project rules ---------------------------------------------------------------------------------

@project_rule("required-project")
def _required_project(ctx: Context):
    for f in params()["project_required"]:
        if not filled(ctx.project.get(f)):
            yield Hit(f, {"field": f})


@project_rule("funds-sum")
def _funds(ctx: Context):
    p = ctx.project

    def num(v):
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    total, fiscal, other = num(p.funds_total), num(p.funds_fiscal), num(p.funds_other)
    if total is None or (fiscal is None and other is None):
        return
    s = (fiscal or 0) + (other or 0)
    if abs(total - s) > params()["funds_tolerance"] + 1e-9:
        yield Hit("年度资金总额", {"total": show(total), "fiscal": show(fiscal if fiscal is not None else 0),
                               "other": show(other if other is not None else 0),
                               "diff": show(round(total - s, 4)), "sum": show(round(s, 4))})


@project_rule("required-group")
def _required_group(ctx: Context):
    for req in ctx.frame.requirements():
        n = sum(1 for r in ctx.rows if r.l1 is not None and r.l1.name == req.level1
                and (req.level2 is None or (r.l2 is not None and r.l2.name == req.level2))
                and not r.na and filled(r.ind.name))
        if n < req.minimum:
            near = next((r for r in ctx.rows if r.l1 is not None and r.l1.name == req.level1), None)
            yield Hit("二级指标" if near else None, {"group": req.label, "frame": ctx.frame.title}, near)


@project_rule("score-total")
def _score_total(ctx: Context):
    if not ctx.frame.scored:
        return
    scored = [r for r in ctx.rows if r.score is not None]
    total = sum(r.score for r in scored)
    if scored and abs(total - params()["score_total"]) > 1e-9:
        yield Hit("评（扣）分标准", {"total": show(round(total, 4)), "expected": params()["score_total"]}, scored[0])


@project_rule("na-row-missing")
def _na_rows(ctx: Context):
    if not ctx.frame.not_applicable_rows or not ctx.rows:
        return                       # a table with no indicator at all is reported by required-group
    seen = {(r.l1.name, r.l2.name) for r in ctx.rows if r.l1 is not None and r.l2 is not None}
    for l1 in ctx.frame.level1:
        for l2 in l1.level2:
            if (l1.name, l2.name) not in seen:
                near = next((r for r in ctx.rows if r.l1 is not None and r.l1.name == l1.name), None)
                yield Hit("二级指标" if near else None, {"group": f"{l1.name}—{l2.name}"}, near)


# --- the engine ----------------------------------------------------------------------------------

def _fmt(template: str | None, args: dict) -> str | None:
    if template is None:
        return None
    try:
        return template.format(**args)
    except (KeyError, IndexError):
        return template


def check_project(project: Project, frame: Frame, *, file: str | None = None,
                  locate: Callable[[Project, RowFacts | None, str | None], tuple[str | None, str | None]] | None = None
                  ) -> list[Finding]:
    """Every finding for one project under one frame, in rule order within each row, rows in order."""
    inds = [i for i in project.indicators if not i.is_empty()]
    ctx = Context(frame, project, row_facts(frame, inds))
    locate = locate or _no_place
    out: list[Finding] = []
    row_rules = [r for r in rules() if r.scope == "row"]
    for rf in ctx.rows:
        for rl in row_rules:
            for hit in ROW_CHECKS[rl.id](ctx, rf):
                out.append(_finding(rl, hit, project, rf, file, locate))
    for rl in (r for r in rules() if r.scope == "project"):
        for hit in PROJECT_CHECKS[rl.id](ctx):
            out.append(_finding(rl, hit, project, hit.row, file, locate))
    return out


def _finding(rl: Rule, hit: Hit, project: Project, row: RowFacts | None, file, locate) -> Finding:
    sheet, cell = locate(project, row, hit.field)
    msg = _fmt(rl.message, hit.args)
    if row is not None and not cell:
        where = f"第 {row.index + 1} 条指标" + (f"（{row.ind.name}）" if row.ind.name else "")
        msg = f"{where}：{msg}"
    return Finding(rl.id, rl.severity, msg, file=file, sheet=sheet, cell=cell, fix=_fmt(rl.fix, hit.args),
                   project=project.name)


def _no_place(project, row, label):
    return None, None


def check_rules_complete() -> None:
    """Every rule in rules.yaml has a function and every 错误 is countable by a formula (a test calls this)."""
    for r in rules():
        table = ROW_CHECKS if r.scope == "row" else PROJECT_CHECKS
        assert r.id in table, f"rule {r.id} has no check function"
        if r.severity == "错误":
            assert r.formula or (r.counted_by and rule(r.counted_by).formula), f"错误 rule {r.id} has no formula"
