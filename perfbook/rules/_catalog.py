"""The checker: rules from data/rules.yaml applied to projects, one Finding per problem.

Every rule is data: its texts, parameters and its condition (`when:`, in the rule language of
rules/_lang.py). This module validates and compiles the rules (their data, the shipped ones plus a bureau's
`--rules-dir` / PERFBOOK_RULES, is rules/_data.py), builds the per-row facts the conditions read (RowFacts: the Python
twins of the workbook's hidden helper columns) and runs the compiled conditions (rules/_python.py).
The same conditions become the workbook's formulas (rules/_formula.py) and the VBA (rules/_vba.py).
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Callable, Iterable, NoReturn

from .. import _fields as F
from .._comparators import GLYPHS
from ..errors import DataError
from ..model import Indicator, Project
from . import _advice as advice, _data as D, _frames as FR, _python as P
from ._data import (
    ENV_RULES as ENV_RULES,
    data as data,
    equals_any as equals_any,
    filled as filled,
    is_bare_number as is_bare_number,
    is_na as is_na,
    is_percent as is_percent,
    is_placeholder as is_placeholder,
    na_words as na_words,
    name_length as name_length,
    nospace as nospace,
    number as number,
    params as params,
    percent_spellings as percent_spellings,
    rules_dir as rules_dir,
    score_of as score_of,
    spellings as spellings,
    split_typed as split_typed,
    trim as trim,
    unit_table as unit_table,
    units as units,
    units_all as units_all,
)
from ._formula import Ctx, NoFormula, Unavailable, compile_formula, lit
from ._frames import Frame, Level1, Level2
from ._lang import Node, RuleSyntaxError, parse
from .findings import Finding

QUANT, QUAL = "定量", "定性"
SEVERITIES = ("错误", "警告", "提示")


# --- data ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    scope: str                 # row | project
    title: str
    message: str
    fix: str | None = None
    when: str = "FALSE"
    each: str | None = None    # "名 IN 列表"
    field: str | None = None   # a label, or "=expression"
    row: str | None = None     # project rules: the row a finding points at
    args: tuple = ()           # ((name, expression), ...)
    let: tuple = ()
    unless: str | None = None
    counted_by: str | None = None   # a check-only 错误 counted in the workbook by this formula rule
    source: str = ""           # the file the rule comes from
    doc: str = ""              # what the rule checks, for the README table
    cases: tuple = ()          # ((fires|passes, row dict or project dict), ...)
    fold: str | None = None    # the report lists this rule's findings once per sheet, in this message

    @property
    def formula(self) -> bool:
        """The workbook can say this rule (its condition uses only primitives with a formula form)."""
        return compiled(self.id).formula_ok

    @property
    def check_only(self) -> bool:
        return not self.formula

    @property
    def in_workbook(self) -> bool:
        """The workbook counts this rule: a row rule with a formula (its row's 错误 / 警告), or a project
        错误 with one (a cell of its own on the summary row). A project 警告 has no cell to count it in:
        perfbook check and the 校验 button (VBA) say it."""
        return self.formula and (self.scope == "row" or self.severity == "错误")


def _rule(d: dict) -> Rule:
    src = d.get("_source", "rules.yaml")
    rid = str(d.get("id"))
    for key in ("severity", "scope", "message", "when"):
        if key not in d:
            raise DataError(f"规则“{rid}”缺少 {key}", f"rule {rid} has no {key}", src)
    if d["severity"] not in SEVERITIES:
        raise DataError(f"规则“{rid}”的 severity 应为 错误/警告/提示，却是“{d['severity']}”",
                        f"rule {rid}: severity must be 错误, 警告 or 提示", src)
    if d["scope"] not in ("row", "project"):
        raise DataError(f"规则“{rid}”的 scope 应为 row 或 project", f"rule {rid}: scope must be row or project", src)
    args = d.get("args") or {}
    lets = d.get("let") or {}
    if not isinstance(args, dict) or not isinstance(lets, dict):
        raise DataError(f"规则“{rid}”的 args / let 应为“名称: 表达式”的列表", f"rule {rid}: args and let are mappings", src)
    return Rule(rid, d["severity"], d["scope"], str(d.get("title", rid)), str(d["message"]),
                None if d.get("fix") is None else str(d["fix"]), d["when"], d.get("each"),
                None if d.get("field") is None else str(d["field"]), d.get("row"),
                tuple((str(k), v) for k, v in args.items()), tuple((str(k), v) for k, v in lets.items()),
                d.get("unless"), d.get("counted_by"), src, str(d.get("doc") or d.get("title", rid)),
                tuple((kind, c) for c in (d.get("cases") or {}).get("fires", []) or [] for kind in ["fires"])
                + tuple((kind, c) for c in (d.get("cases") or {}).get("passes", []) or [] for kind in ["passes"]),
                None if d.get("fold") is None else str(d["fold"]))


def set_rules_dir(path: str | os.PathLike | None) -> None:
    """A bureau's rule folder (every *.yaml in it adds or overrides rules); None: PERFBOOK_RULES only."""
    D._rules_dir[0] = str(path) if path else None
    for f in (D.data, rules, rule, folds, _compiled_all):
        f.cache_clear()


@cache
def rules() -> tuple[Rule, ...]:
    """Row rules, then project rules, each in file order; every condition is parsed and checked here,
    so a broken rule stops perfbook before any workbook is written."""
    return tuple(c.rule for c in _compiled_all().values())


@cache
def folds() -> dict[str, str]:
    """rule id → the folded message, for the rules the report lists once per sheet (`fold:`)."""
    return {r.id: r.fold for r in rules() if r.fold}


@cache
def rule(rule_id: str) -> Rule:
    return next(r for r in rules() if r.id == rule_id)


# --- the formula macros: each the workbook twin of a predicate above (rules.yaml's formulas call them) ---

def xl_q(s) -> str:
    """An Excel string literal."""
    return '"' + str(s).replace('"', '""') + '"'


def xl_text(x: str) -> str:
    return f'TRIM({x}&"")'


def xl_blank(x: str) -> str:
    return f'LEN(TRIM({x}&""))=0'


def xl_filled(x: str) -> str:
    return f'LEN(TRIM({x}&""))>0'


def xl_nospace(x: str) -> str:
    out = f'{x}&""'
    for ch in ('" "', '"\u3000"', "CHAR(10)", "CHAR(13)", "CHAR(9)"):
        out = f'SUBSTITUTE({out},{ch},"")'
    return out


def xl_norm(x: str) -> str:
    s = xl_nospace(x)
    return f'IF(RIGHT({s},2)="指标",LEFT({s},LEN({s})-2),{s})'


def xl_contains_any(x: str, items) -> str:
    return "OR(" + ",".join(f"ISNUMBER(FIND({xl_q(i)},{x}))" for i in items) + ")"


def xl_equals_any(x: str, items) -> str:
    return "OR(" + ",".join(f"{x}={xl_q(i)}" for i in items) + ")"


def xl_in_names(x: str, name: str) -> str:
    return f"SUMPRODUCT(--EXACT({name},{x}))>0"


def xl_placeholder(x: str) -> str:
    ph = params()["placeholders"]
    upper = "UPPER(" + x + '&"")'
    return f'OR({xl_contains_any(upper, ph["contains"])},{xl_equals_any(xl_text(x), ph["exact"])})'


def xl_pct(x: str) -> str:
    return xl_equals_any(xl_text(x), percent_spellings())


def xl_strip_chars(x: str, chars) -> str:
    out = x
    for ch in chars:
        out = f"SUBSTITUTE({out},{xl_q(ch)},\"\")"
    return out


MACROS = dict(q=xl_q, text=xl_text, blank=xl_blank, filled=xl_filled, nospace=xl_nospace, norm=xl_norm,
              contains_any=xl_contains_any, equals_any=xl_equals_any, in_names=xl_in_names,
              placeholder=xl_placeholder, pct=xl_pct)


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


# --- hits -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    """A rule fired: at which field of which row (or of the project), with the message's fields."""

    field: str | None
    args: dict = dataclasses.field(default_factory=dict)   # (in this class body `field` is the attribute above)
    row: RowFacts | None = None
    item: Any = None            # the `each` item (a frame group, a field name …) the hit is about


@dataclass
class Context:
    frame: Frame
    project: Project
    rows: list[RowFacts]


# --- compiling the conditions ------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """One 二级 of the frame (frame.groups): what na-row-missing looks for."""
    level1: str
    level2: str

    @property
    def label(self) -> str:
        return f"{self.level1}—{self.level2}"


FRAME_ATTRS = ("id", "title", "scored", "not_applicable_rows", "required_fields", "qualitative", "units",
               "requirements", "groups")
CONTROL = {"AND", "OR", "NOT", "IF", "THIS"}


def frame_value(frame: Frame, attr: str):
    if attr == "requirements":
        return frame.requirements()
    if attr == "groups":
        return tuple(Group(l1.name, l2.name) for l1 in frame.level1 for l2 in l1.level2)
    return getattr(frame, attr)


def _attr(item, attr: str):
    v = getattr(item, attr, None) if not isinstance(item, dict) else item.get(attr)
    return "" if v is None else v


def param_value(path: str):
    if path == "na_words":          # the 不适用 spellings the readers know (foreign.yaml)
        return na_words()
    v: Any = params()
    for part in path.split("."):
        if not isinstance(v, dict) or part not in v:
            raise KeyError(path)
        v = v[part]
    return tuple(v) if isinstance(v, list) else v


@cache
def _labels() -> tuple[frozenset, frozenset]:
    return frozenset(s.label for s in F.indicator_fields()), frozenset(s.label for s in F.project_fields())


@dataclass
class Compiled:
    """One rule, parsed once: its trees (for the formula and VBA compilers) and its Python closures."""
    rule: Rule
    lets: dict                     # name → tree (shared lets, then the rule's own)
    when: Node
    each_var: str | None
    each_list: Node | None
    field: Node | None             # None: the literal rule.field
    row: Node | None
    args: tuple                    # ((name, tree), ...)
    py_when: Callable | None = None    # set by _compile right after the trees (None only until then)
    py_each: Callable | None = None
    py_field: Callable | None = None
    py_row: Callable | None = None
    py_args: tuple = ()
    py_unless: Callable | None = None
    formula_ok: bool = False

    def hits(self, ctx: "Context", row: "RowFacts | None"):
        when = self.py_when
        if when is None:
            raise RuntimeError(f"rule {self.rule.id} run before it was compiled")
        base = P.Env(ctx, row)
        items = self.py_each(base) if self.py_each else (None,)
        for item in items:
            env = P.Env(ctx, row, {self.each_var: item} if self.each_var else {})
            if not P.truth(when(env)):
                continue
            if self.py_unless is not None and P.truth(self.py_unless(env)):
                continue
            at = self.py_row(env) if self.py_row else row
            fld = self.py_field(env) if self.py_field else self.rule.field
            if self.py_row and at is None:
                fld = None
            yield Hit(None if fld in (None, "") else str(fld), {k: P.show(f(env)) for k, f in self.py_args},
                      at if self.rule.scope == "project" else None, item)


def _fail(r: Rule, part: str, expr, detail: str, detail_en: str) -> NoReturn:
    raise DataError(f"规则“{r.id}”的 {part}（{expr}）有误：{detail}",
                    f"rule {r.id}: {part} ({expr}): {detail_en}", r.source)


def _parse(r: Rule, part: str, expr) -> Node:
    try:
        return parse(expr)
    except RuleSyntaxError as exc:
        _fail(r, part, expr, exc.zh, exc.en)


def _known_calls() -> set:
    return set(P.PRIMITIVES) | set(P.ENV_PRIMITIVES) | set(P.AGGREGATES) | CONTROL


def _resolver(r: Rule, lets: dict, var: str | None, part: str, expr):
    inds, projs = _labels()

    def resolve(name: str):
        if name in lets:
            return P.compile_expr(lets[name], resolve)
        if var and (name == var or name.startswith(var + ".")):
            attr = name[len(var) + 1:]
            return (lambda env: env.vars[var]) if name == var else (lambda env: _attr(env.vars[var], attr))
        if name in P.ROW_FACTS:
            f = P.ROW_FACTS[name]
            return lambda env: f(env.row)
        if name in inds or name in projs:
            return lambda env: P._field(env, name)
        if name.startswith("frame."):
            attr = name[6:]
            if attr not in FRAME_ATTRS:
                _fail(r, part, expr, f"框架没有属性“{attr}”（可用：{'、'.join(FRAME_ATTRS)}）", f"frame has no {attr}")
            return lambda env: frame_value(env.ctx.frame, attr)
        try:
            v = param_value(name)
        except KeyError:
            _fail(r, part, expr, f"未知的名称“{name}”（不是字段、事实、参数或 let 定义）", f"unknown name {name}")
        return lambda env: v
    return resolve


def _check_calls(r: Rule, part: str, expr, node: Node, lets: dict) -> None:
    known = _known_calls()
    for kind, name in node.names():
        if kind == "call" and name not in known:
            _fail(r, part, expr, f"未知的函数“{name}”", f"unknown function {name}")


def _compile(r: Rule, shared_lets: dict) -> Compiled:
    lets = dict(shared_lets)
    for k, v in r.let:
        lets[k] = _parse(r, f"let {k}", v)
    var = each_list = None
    if r.each:
        m = re.fullmatch(r"\s*(\S+)\s+IN\s+(.+)", str(r.each))
        if not m:
            _fail(r, "each", r.each, "应写成“名称 IN 列表”", "write each as NAME IN LIST")
        var, each_list = m.group(1), _parse(r, "each", m.group(2))
    field_node = _parse(r, "field", r.field) if r.field and r.field.startswith("=") else None
    row_node = _parse(r, "row", r.row) if r.row else None
    c = Compiled(r, lets, _parse(r, "when", r.when), var, each_list, field_node, row_node,
                 tuple((k, _parse(r, f"args {k}", v)) for k, v in r.args))
    parts = [("when", r.when, c.when), ("each", r.each, each_list), ("field", r.field, field_node),
             ("row", r.row, row_node)] + [(f"args {k}", dict(r.args)[k], n) for k, n in c.args] \
        + [(f"let {k}", dict(r.let).get(k, shared_lets and "…"), n) for k, n in lets.items()]
    for part, expr, node in parts:
        if node is not None:
            _check_calls(r, part, expr, node, lets)

    def py(part, expr, node):
        return P.compile_expr(node, _resolver(r, lets, var, part, expr)) if node is not None else None
    c.py_when = py("when", r.when, c.when)
    c.py_each = py("each", r.each, each_list)
    c.py_field = py("field", r.field, field_node)
    c.py_row = py("row", r.row, row_node)
    c.py_args = tuple((k, py(f"args {k}", dict(r.args)[k], n)) for k, n in c.args)
    for k in re.findall(r"{(\w+)}", r.message + (r.fix or "")):
        if k not in dict(r.args):
            _fail(r, "message/fix", "{" + k + "}", f"消息中的 {{{k}}} 在 args 中没有定义", f"{{{k}}} is not in args")
    return c


@cache
def _compiled_all() -> dict[str, Compiled]:
    d = data()
    shared = {}
    for k, v in (d.get("let") or {}).items():
        shared[k] = _parse(Rule("let", "错误", "row", k, "", source="rules.yaml"), f"let {k}", v)
    rs = [_rule(x) for x in d["rules"]]
    rs = [x for x in rs if x.scope == "row"] + [x for x in rs if x.scope == "project"]
    out: dict[str, Compiled] = {}
    for r in rs:
        if r.id in out:
            raise DataError(f"规则 id “{r.id}”重复", f"duplicate rule id {r.id}", r.source)
        out[r.id] = _compile(r, shared)
    for c in out.values():
        r = c.rule
        for ref, part in ((r.unless, "unless"), (r.counted_by, "counted_by")):
            if ref and ref not in out:
                _fail(r, part, ref, f"没有 id 为“{ref}”的规则", f"no rule {ref}")
        if r.unless:
            c.py_unless = out[r.unless].py_when
        c.formula_ok = _formula_ok(c)
    for c in out.values():
        r = c.rule
        if r.severity == "错误" and not c.formula_ok and not (r.counted_by and out[r.counted_by].formula_ok):
            _fail(r, "when", r.when, "错误级规则必须能写成公式（或用 counted_by 指明由哪条公式规则计数），"
                  "否则工作簿的“校验：N 处错误”会与 perfbook check 不一致",
                  "an 错误 rule must compile to a formula or name its counted_by")
    return out


def compiled(rule_id: str) -> Compiled:
    return _compiled_all()[rule_id]


def _formula_ok(c: Compiled) -> bool:
    """Can the workbook say this rule? Compiled once against the default frame with stand-in cells."""
    try:
        rule_formula(c.rule, _stand_in_ctx(c.rule.scope), FR.default(), c)
        return True
    except NoFormula:
        return False


def _stand_in_ctx(scope: str):
    inds, projs = _labels()
    h = {k: f"$H{i}1" for i, k in enumerate(list(data()["helpers"]) + ["err", "warn"])}
    cells = {lab: f"$C{i}1" for i, lab in enumerate(sorted(inds))}
    return Ctx(scope, cells, h, h, cells, h, cells, {lab: f"$P${i}" for i, lab in enumerate(sorted(projs))},
               {"units_all": "U"}, MACROS, None)


def _const_for(c: Compiled, frame: Frame, item):
    def const(name):
        if c.each_var and name == c.each_var:
            return item
        if c.each_var and name.startswith(c.each_var + "."):
            return _attr(item, name[len(c.each_var) + 1:])
        if name.startswith("frame."):
            return frame_value(frame, name[6:])
        return param_value(name)
    return const


def rule_items(r: Rule, ctx, frame: Frame, c: Compiled | None = None) -> list[tuple[Any, str]]:
    """(item, formula) for every `each` item this sheet can check (item None for a rule without
    `each`): the formula is TRUE when the rule fires for that item. Items that cannot fire here, or
    whose terms the sheet has no cell for, are left out. Raises rule_formula.NoFormula for a
    check-only rule."""
    c = c or compiled(r.id)
    items: Iterable[Any]
    if c.each_var and c.each_list is not None:      # _compile sets both from `each:` or neither
        listed = compile_formula(c.each_list, replace(ctx, const=_const_for(c, frame, None)), "cell", c.lets)
        items = listed.const if listed.is_const else ()
    else:
        items = (None,)
    out: list[tuple[Any, str]] = []
    for item in items:
        try:
            x = compile_formula(c.when, replace(ctx, const=_const_for(c, frame, item)), "cell", c.lets)
        except Unavailable:
            continue
        if x.is_const:
            if P.truth(x.const):
                out.append((item, "TRUE"))
            continue
        out.append((item, lit(x)))
    return out


def rule_formula(r: Rule, ctx, frame: Frame, c: Compiled | None = None) -> str:
    """The workbook formula of one rule on one sheet: TRUE (or a count, for `each`) when it fires.
    Raises rule_formula.NoFormula for a check-only rule."""
    c = c or compiled(r.id)
    items = rule_items(r, ctx, frame, c)
    if c.each_var:
        return "+".join("1" if t == "TRUE" else f"--({t})" for _i, t in items) or "0"
    return items[0][1] if items else "FALSE"


def rule_place(r: Rule, item, row_ctx, frame: Frame) -> tuple[str | None, str | None]:
    """Where a project rule's finding for one item points, as the workbook can say it: (field label,
    row formula). The row formula (on the row context) is TRUE on the one indicator row `row:` names
    (FIRSTALL(cond): cond holds here and on no row above); None when the rule names no row. The field
    is None when it is not a constant for this item."""
    c = compiled(r.id)
    ctx = replace(row_ctx, const=_const_for(c, frame, item))
    fld = r.field
    if c.field is not None:
        try:
            x = compile_formula(c.field, ctx, "cell", c.lets)
        except (NoFormula, Unavailable):
            return None, None
        fld = str(x.const) if x.is_const and x.const not in (None, "") else None
    if c.row is None:
        return fld, None
    if c.row.kind != "call" or c.row.value != "FIRSTALL" or not c.row.args:
        return fld, None
    cond = c.row.args[0]
    try:
        here = compile_formula(cond, ctx, "cell", c.lets)
        above = compile_formula(Node("call", "COUNTUP", (cond,)), ctx, "cell", c.lets)
    except (NoFormula, Unavailable):
        return fld, None
    if here.is_const:
        return fld, None
    return fld, f"AND({here.text},{above.text}=1)"


# --- the engine ----------------------------------------------------------------------------------

def _fmt(template: str | None, args: dict) -> str | None:
    return None if template is None else _format(template, args)


def _format(template: str, args: dict) -> str:
    """The message with its {fields} filled; a field the hit does not give leaves the text as written."""
    try:
        return template.format(**args)
    except (KeyError, IndexError):
        return template


def check_project(project: Project, frame: Frame, *, file: str | None = None,
                  locate: Callable[[Project, RowFacts | None, str | None, Any], tuple[str | None, str | None]] | None = None
                  ) -> list[Finding]:
    """Every finding for one project under one frame, in rule order within each row, rows in order."""
    inds = [i for i in project.indicators if not i.is_empty()]
    ctx = Context(frame, project, row_facts(frame, inds))
    locate = locate or _no_place
    out: list[Finding] = []
    every = _compiled_all().values()
    row_rules = [c for c in every if c.rule.scope == "row"]
    for rf in ctx.rows:
        for c in row_rules:
            for hit in c.hits(ctx, rf):
                out.append(_finding(c.rule, hit, project, rf, file, locate))
    for c in (c for c in every if c.rule.scope == "project"):
        for hit in c.hits(ctx, None):
            out.append(_finding(c.rule, hit, project, hit.row, file, locate))
    return out


def _finding(rl: Rule, hit: Hit, project: Project, row: RowFacts | None, file, locate) -> Finding:
    sheet, cell = locate(project, row, hit.field, hit.item) if locate is not _no_place else (None, None)
    msg = _format(rl.message, hit.args)
    if row is not None and not cell:
        where = f"第 {row.index + 1} 条指标" + (f"（{row.ind.name}）" if row.ind.name else "")
        msg = f"{where}：{msg}"
    layout = project.layout(sheet) if project.layouts else None
    fix = advice.fix_text(rl.id, rl.fix, layout)
    fix = advice.reword(_fmt(fix, {**advice.headings(layout), **hit.args}) if fix is not rl.fix else _fmt(fix, hit.args), layout)
    return Finding(rl.id, rl.severity, msg, file=file, sheet=sheet, cell=cell, fix=fix, project=project.name)


def _no_place(project, row, label, item=None):
    return None, None


TABLE_BEGIN, TABLE_END = "<!-- rules-table: generated by tools/rules_table.py from rules.yaml -->", "<!-- /rules-table -->"


def markdown_table() -> str:
    """The README's rule table, from the rules themselves (tools/rules_table.py writes it in)."""
    lines = ["| 规则 | 级别 | 检查什么 | 工作簿 |", "|---|---|---|---|"]
    for r in rules():
        where = ("不标出（提示）" if r.severity == "提示" else "公式" if r.in_workbook
                 else "仅 check（表头警告不设公式）" if r.formula
                 else f"仅 check（由 `{r.counted_by}` 的公式计数）" if r.counted_by else "仅 check")
        lines.append(f"| `{r.id}` | {r.severity} | {r.doc} | {where} |")
    return "\n".join(lines)


def check_rules_complete() -> None:
    """Every rule compiles and every 错误 is countable by a formula (loading the rules checks both)."""
    assert rules()
