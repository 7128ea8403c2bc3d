"""inject: the checks inside every workbook perfbook writes, generated from the same rule data.

Added to the template before it is compiled (fill.prepare), at the XML level:
- a hidden lists sheet (下拉列表) and workbook-scoped defined names for the drop-downs
  (指标属性, 指标性质, 度量单位, 一级指标, one 二级 list per 一级) and for the lookup tables;
- hidden helper columns beside the indicator table, one formula per row and helper: the row's 一级/二级
  in force, their frame names, its 定量/定性 kind, ..., and its counts of 错误 and 警告 — the workbook
  twins of rules.RowFacts, rendered from data/rules.yaml;
- data validations on the indicator row (drop-downs, number-only 指标值, name length);
- conditional formats: a row with an 错误 turns red; so does the cell every project 错误 points at (an
  empty required header field, unbalanced funds, the first row of a group that lacks indicators), so
  each error counted in the summary colours its cell. Warnings colour nothing that prints: they are
  shown in the 校验提示 column right of the table, outside the print area;
- the summary cell ("校验：3 处错误"; "校验：尚未填写指标" until an indicator row is typed, so a blank
  form shows no errors) where the template says {{ 校验 }} (or under the table);
- the defined name 校验框架 recording the frame, and fullCalcOnLoad so it all computes on open.
Validations and formats sit on the template's indicator row only: the renderer stretches them over
every indicator row, as it does the helper formulas.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .._comparators import GLYPHS
from ..errors import TemplateError
from ..ooxml import _parts as P
from ..ooxml._sheetxml import Cell, Row, col_index, col_letter, escape, insert_element, parse_sheet, split_ref, xml_attr
from ..rules import _catalog as R, _frames as FR
from ..rules._formula import Ctx
from ._template import (
    LISTS_SHEET,  # noqa: E402  (the reader skips this sheet by name)
    Template,
    TemplateSheet,
    _sheet,
    print_area,
)

FRAME_NAME = "校验框架"
PREFIX = "校验_"
HELPER_GAP = 15               # blank columns left between the table and the hidden helper columns
MAX_VALIDATION = 255          # Excel drops a validation formula longer than this
RED = ('<dxf><font><color rgb="FF9C0006"/></font><fill><patternFill patternType="solid"><fgColor rgb="FFFFC7CE"/>'
       '<bgColor rgb="FFFFC7CE"/></patternFill></fill></dxf>')
ORANGE = ('<dxf><font><color rgb="FF9C5700"/></font><fill><patternFill patternType="solid"><fgColor rgb="FFFFEB9C"/>'
          '<bgColor rgb="FFFFEB9C"/></patternFill></fill></dxf>')
_NAME_OK = re.compile(r"^[A-Za-z_\\\u4e00-\u9fff][\w.\u4e00-\u9fff]*$")
_CELL_LIKE = re.compile(r"^(?:[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|[RrCc])$")


# --- formula macros: with the predicates they mirror, in rules/_catalog.py ---------------------------

q, text, strip_chars = R.xl_q, R.xl_text, R.xl_strip_chars
MACROS = R.MACROS


class _Refs(dict):
    """Cell references by field; a field the template has no column for reads as an empty string."""

    def __missing__(self, key):
        return '""'


@lru_cache(maxsize=1)
def _env():
    """jinja2 is imported when a formula is first rendered: reading a workbook needs none."""
    import jinja2
    return jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def render(source: str, ctx: dict) -> str:
    import jinja2
    try:
        return _env().from_string(source).render(**MACROS, **ctx).strip()
    except jinja2.TemplateError as exc:
        raise TemplateError(f"校验公式模板有误：{exc}", f"a formula template in rules.yaml is broken: {exc}") from exc


# --- the plan: where everything goes on one indicator sheet ----------------------------------------

@dataclass
class Plan:
    """Columns and cells inject uses on one indicator sheet (tests read it to find the helper cells)."""

    sheet: str
    T: int
    fields: dict[str, str]                      # field label → column letter
    helpers: dict[str, str]                     # helper name → column letter (… "err", "warn")
    summary: tuple[int, int]                    # (row, col) of the summary cell in the template
    project_cells: dict[str, str] = field(default_factory=dict)   # project rule id → column on the summary row
    header: dict[str, str] = field(default_factory=dict)          # header field → absolute ref ($B$5)
    note: str | None = None                     # the 校验提示 column right of the table (not printed)
    print_area: str | None = None               # the sheet's print area when the template sets none

    @property
    def error_column(self) -> str:
        return self.helpers["err"]

    @property
    def warning_column(self) -> str:
        return self.helpers["warn"]


def helper_names() -> list[str]:
    return list(R.data()["helpers"]) + ["err", "warn"]


def plan(ts: TemplateSheet) -> Plan:
    """Only for a sheet with an indicator row (every caller picks such sheets)."""
    T = ts.loop_row
    if T is None:
        raise ValueError(f"sheet {ts.name} has no indicator row to plan helpers for")
    fields = {s.labels[0]: col_letter(s.col) for s in ts.loop_slots() if s.single}
    # hidden, and well away from the table: the columns right beside it stay free for notes
    start = _first_free_column(ts) + HELPER_GAP
    helpers = {name: col_letter(start + i) for i, name in enumerate(helper_names())}
    summary = _summary_place(ts, T)
    header: dict[str, str] = {}
    for s in ts.slots:
        if s.single and not s.loop and s.row < T:
            header.setdefault(s.labels[0], f"${col_letter(s.col)}${s.row}")
    # the project rules' cells sit on the summary row, in columns of their own (the summary may be
    # moved to the row above the table, where the row helpers look for "the row above")
    project_rules = [r.id for r in R.rules() if r.scope == "project" and r.in_workbook]
    after = start + len(helpers)
    project_cells = {rid: col_letter(after + i) for i, rid in enumerate(project_rules)}
    return Plan(ts.name, T, fields, helpers, summary, project_cells, header, col_letter(start - HELPER_GAP))


def _first_free_column(ts: TemplateSheet) -> int:
    used = [ts.max_col()] + [c2 for (_r1, _c1, _r2, c2) in ts.merges]
    for m in re.finditer(r"<col\b[^>]*>", ts.xml.head):
        mx = re.search(r'\bmax="(\d+)"', m.group())
        if mx and int(mx.group(1)) < 1000:
            used.append(int(mx.group(1)))
    return max(used) + 1


def _summary_place(ts: TemplateSheet, T: int) -> tuple[int, int]:
    mark = R.data()["summary"]["mark"]
    for s in ts.slots:
        if not s.loop and s.single and s.labels == (mark,) and s.row != ts.loop_row:
            return s.row, s.col
    # no mark: the first free row under the table when a printed footer keeps the reader's block end
    # apart from it, else beside the title above the table
    below = [r for (r, _c) in ts.literals if r > T]
    if below:
        last = max([row.r for row in ts.xml.rows] + [r2 for (_r1, _c1, r2, _c2) in ts.merges])
        return last + 1, 1
    return 1, _first_free_column(ts) + 1      # (row 1 is above the table: the reader never takes it for data)


# --- inject ---------------------------------------------------------------------------------------

def inject(template: Template, frame: str | FR.Frame | None = None, *, layout_only: bool = False) -> Template:
    """A copy of the template with lists, names, helper formulas, validations, red rows and the summary.

    layout_only: every cell in the same place, but each formula a bare 0 and no validations or formats
    -- what the reader needs (which cells are computed) without rendering ~30 formula templates."""
    existing = {n.name for n in P.defined_names(template.parts[template.workbook_part].decode("utf-8"))}
    if FRAME_NAME in existing:
        return template                           # already injected
    fr = FR.resolve(frame)
    t = copy.deepcopy(template)
    names = _Names(existing)
    lists = _lists_sheet(t, fr, names)
    dxfs = add_dxfs(t, RED, ORANGE)
    t.plans = {}
    for ts in t.sheets:
        if ts is not lists and ts.loop_row is not None:
            t.plans[ts.name] = _inject_sheet(t, ts, fr, names, dxfs, layout_only)
    _write_names(t, names, fr)
    _full_calc(t)
    return t


class _Names:
    """The defined names inject adds: legal, and never one the template already uses."""

    def __init__(self, existing: set[str]):
        self.existing = {n.lower() for n in existing}
        self.items: dict[str, str] = {}       # key → name
        self.refs: dict[str, str] = {}        # name → formula text
        self.level2: dict[str, str] = {}      # 一级 name → key of its 二级 list

    def add(self, key: str, wanted: str, ref: str) -> str:
        name = wanted if legal_name(wanted) and wanted.lower() not in self.existing else PREFIX + key
        if not legal_name(name) or name.lower() in self.existing or name in self.refs:
            name = f"{PREFIX}{len(self.refs) + 1}"
        self.items[key] = name
        self.refs[name] = ref
        return name


def legal_name(name: str) -> bool:
    """Excel's defined-name rules: starts with a letter, _ or \\, no spaces, not a cell reference."""
    return (0 < len(name) <= 255 and bool(_NAME_OK.match(name)) and not _CELL_LIKE.match(name)
            and name.lower() not in ("true", "false"))


# --- the lists sheet -----------------------------------------------------------------------------------

def _lists_sheet(t: Template, fr: FR.Frame, names: _Names) -> TemplateSheet:
    """The hidden 下拉列表 sheet: one column per list, each named (the drop-downs and lookups use the names)."""
    used = {s.name for s in t.sheets}
    title, k = LISTS_SHEET, 2
    while title in used:
        title, k = f"{LISTS_SHEET}{k}", k + 1
    q_title = "'" + title.replace("'", "''") + "'"
    columns, names.level2 = _list_columns(fr)
    rows: dict[int, list[str]] = {}
    for j, (key, header, values, name) in enumerate(columns, start=1):
        letter = col_letter(j)
        names.add(key, name or PREFIX + header, f"{q_title}!${letter}$2:${letter}${len(values) + 1}")
        for i, v in enumerate([header, *values], start=1):
            rows.setdefault(i, []).append(_text_cell(f"{letter}{i}", v))
    body = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in sorted(rows.items()))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<sheetPr><tabColor rgb="FF808080"/></sheetPr>'
           '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
           f'<sheetData>{body}</sheetData></worksheet>')
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in t.parts:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    t.parts[part] = xml.encode("utf-8")
    P.register_sheet(t.parts, t.workbook_part, title, part, attrs={"state": "hidden"}, rid="rIdPbLists")
    ts = _sheet(len(t.sheets), title, part, {"state": "hidden"}, parse_sheet(xml, [], f"{t.path}:{title}"),
                t.parts, t.path)
    t.sheets.append(ts)
    return ts


_Column = tuple[str, str, list[str], str | None]      # (key, header, values, defined name)


def _list_columns(fr: FR.Frame) -> tuple[list[_Column], dict[str, str]]:
    """The lists sheet's columns: the drop-down lists, then the lookup tables; and 一级 name → key of its 二级 list."""
    p = R.params()
    columns: list[_Column] = [
        ("attr", "指标属性", [p["attr"]["quantitative"][0], p["attr"]["qualitative"][0]], "指标属性"),
        ("sign", "指标性质", list(GLYPHS), "指标性质"),
        ("units", "度量单位", list(R.units(fr)), "度量单位"),
        ("level1", "一级指标", [l1.name for l1 in fr.level1], "一级指标"),
    ]
    level2 = {}
    for i, l1 in enumerate(fr.level1, start=1):
        level2[l1.name] = f"l2_{i}"
        columns.append((f"l2_{i}", l1.name, [l2.name for l2 in l1.level2] or ["—"], l1.name))
    columns += [(key, header, values, None) for key, header, values in _lookup_columns(fr)]
    return [(k, h, [str(v) for v in vs], n) for k, h, vs, n in columns], level2


def _lookup_columns(fr: FR.Frame) -> list[tuple[str, str, list]]:
    """The tables the helper formulas look names up in: alias → 一级/二级 name and category, spellings, units."""
    aliases1 = [(FR.norm_name(a), l1.name, l1.category or "-") for l1 in fr.level1 for a in l1.names]
    aliases2 = [(f"{l1.name}|{FR.norm_name(a)}", l2.name, fr.category(l1, l2) or "-")
                for l1 in fr.level1 for l2 in l1.level2 for a in l2.names]
    sp = R.spellings()
    return [
        ("l1key", "一级键", [a for a, _n, _c in aliases1]),
        ("l1name", "一级名", [n for _a, n, _c in aliases1]),
        ("l1cat", "一级类别", [c for _a, _n, c in aliases1]),
        ("l2key", "二级键", [a for a, _n, _c in aliases2] or ["—"]),
        ("l2name", "二级名", [n for _a, n, _c in aliases2] or ["—"]),
        ("l2cat", "二级类别", [c for _a, _n, c in aliases2] or ["-"]),
        ("spelling", "符号写法", [s for s, _g in sp]),
        ("glyph", "符号", [g for _s, g in sp]),
        ("units_all", "单位全集", list(R.units_all(fr))),
    ]


def _text_cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def _write_names(t: Template, names: _Names, fr: FR.Frame) -> None:
    items = [P.defined_name(n, ref) for n, ref in names.refs.items()]
    items.append(P.defined_name(FRAME_NAME, q(fr.id)))
    for ts in t.sheets:
        pl = t.plans.get(ts.name)
        if pl is not None and pl.print_area:
            items.append(P.defined_name("_xlnm.Print_Area", "'" + ts.name.replace("'", "''") + "'!" + pl.print_area, ts.index))
    wb = t.parts[t.workbook_part].decode("utf-8")
    t.parts[t.workbook_part] = P.add_defined_names(wb, items).encode("utf-8")


def _full_calc(t: Template) -> None:
    wb = t.parts[t.workbook_part].decode("utf-8")
    m = re.search(r"<calcPr\b[^>]*?/?>", wb)
    if m:
        el = re.sub(r'\s*\bfullCalcOnLoad="[^"]*"', "", m.group())
        el = re.sub(r"\s*(/?>)$", r' fullCalcOnLoad="1"\1', el)
        wb = wb[:m.start()] + el + wb[m.end():]
    else:
        m = re.search(r"<(oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing|"
                      r"fileRecoveryPr|webPublishObjects|extLst)\b", wb)
        pos = m.start() if m else wb.rfind("</workbook>")
        wb = wb[:pos] + '<calcPr fullCalcOnLoad="1"/>' + wb[pos:]
    t.parts[t.workbook_part] = wb.encode("utf-8")


def add_dxfs(t: Template, *dxfs: str) -> list[int] | None:
    """Append differential formats (``<dxf>`` elements, for conditional formats) to the template's
    styles.xml; their dxfIds in order. None: no styles part, so no colours — the helper cells and the
    summary still work."""
    part = next((p for p in t.parts if p.endswith("styles.xml")), None)
    if part is None:
        return None
    xml = t.parts[part].decode("utf-8")
    m = re.search(r"<dxfs\b[^>]*?(/>|>(.*?)</dxfs>)", xml, re.S)
    if m:
        n = len(re.findall(r"<dxf\b", m.group(2) or ""))
        block = f'<dxfs count="{n + len(dxfs)}">{m.group(2) or ""}{"".join(dxfs)}</dxfs>'
        xml = xml[:m.start()] + block + xml[m.end():]
    else:
        n = 0
        after = re.search(r"<(tableStyles|colors|extLst)\b", xml)
        pos = after.start() if after else xml.rfind("</styleSheet>")
        xml = xml[:pos] + f'<dxfs count="{len(dxfs)}">{"".join(dxfs)}</dxfs>' + xml[pos:]
    t.parts[part] = xml.encode("utf-8")
    return list(range(n, n + len(dxfs)))


# --- one indicator sheet -----------------------------------------------------------------------------

def formula_context(pl: Plan, fr: FR.Frame, names: dict[str, str] | None = None) -> dict:
    """What rules.yaml formulas see: references for the template's indicator row T."""
    T = pl.T
    names = names or {}
    c = _Refs({lab: f"${col}{T}" for lab, col in pl.fields.items()})
    h = {k: f"${col}{T}" for k, col in pl.helpers.items()}
    score_src = c["评（扣）分标准"]
    score_text = f'TRIM(LEFT({text(score_src)},FIND("分",{text(score_src)})-1))'
    ctx = dict(
        c=c, h=h,
        up={k: f"${col}${T}:${col}{T}" for k, col in pl.helpers.items()},
        upc=_Refs({lab: f"${col}${T}:${col}{T}" for lab, col in pl.fields.items()}),
        rg={k: f"${col}${T}:${col}${T}" for k, col in pl.helpers.items()},
        rgc=_Refs({lab: f"${col}${T}:${col}${T}" for lab, col in pl.fields.items()}),
        pc=_Refs(pl.header),
        pc_required=[(f, pl.header[f]) for f in R.params()["project_required"] if f in pl.header],
        col={k: f"${col}:${col}" for k, col in pl.helpers.items()},
        n=dict(names), p=R.params(), frame=fr, na_words=R.na_words(),
        all_cells="&".join(c[lab] for lab in pl.fields) or '""',
        score_text=score_text,
        strip_digits=lambda x: strip_chars(x, R.params()["digits"]),
        strip_score=lambda x: strip_chars(x, "0123456789."),
    )
    return ctx


def rule_ctx(pl: Plan, fr: FR.Frame, names: dict[str, str] | None, scope: str) -> Ctx:
    """The references a compiled rule condition may use on this sheet (rule_formula.Ctx)."""
    x = formula_context(pl, fr, names)
    return Ctx(scope, x["c"], x["h"], x["up"], x["upc"], x["rg"], x["rgc"], dict(pl.header), x["n"], MACROS, None)


def rule_formula(rule: R.Rule, pl: Plan, fr: FR.Frame, names: dict[str, str] | None) -> str:
    """One rule's condition as this sheet's formula (compiled from its `when:`)."""
    return R.rule_formula(rule, rule_ctx(pl, fr, names, rule.scope), fr)


def helper_formulas(pl: Plan, fr: FR.Frame, names: dict[str, str]) -> dict[str, str]:
    """Each helper column's formula on row T (err / warn sum the row rules of their severity)."""
    ctx = formula_context(pl, fr, names)
    out = {}
    for k, src in R.data()["helpers"].items():
        me = col_index(pl.helpers[k])

        def prev(target, me=me):
            off = col_index(pl.helpers[target]) - me
            return f'INDIRECT("R[-1]C{f"[{off}]" if off else ""}",FALSE)'
        out[k] = render(src, {**ctx, "prev": prev})
    for key, sev in (("err", "错误"), ("warn", "警告")):
        terms = [f"--({rule_formula(r, pl, fr, names)})" for r in R.rules()
                 if r.scope == "row" and r.severity == sev and r.in_workbook]
        out[key] = f'IF({ctx["h"]["act"]}=1,{"+".join(terms) or "0"},0)'
    return out


def project_formulas(pl: Plan, fr: FR.Frame, names: dict[str, str]) -> dict[str, str]:
    return {rid: f"0+({rule_formula(R.rule(rid), pl, fr, names)})" for rid in pl.project_cells}


def _inject_sheet(t: Template, ts: TemplateSheet, fr: FR.Frame, names: _Names, dxfs: list[int] | None,
                  layout_only: bool = False) -> Plan:
    pl = plan(ts)
    T = pl.T
    n = dict(names.items)
    # the print area, where the template sets none, taken before inject adds any cell (the helpers
    # are hidden, but the 校验提示 column is not, and is not for paper)
    if not _has_print_area(t, ts):
        pl.print_area = print_area(ts)
    formulas = {k: "0" for k in pl.helpers} if layout_only else helper_formulas(pl, fr, n)
    # the helper formulas on the indicator row (the renderer writes them on every indicator row)
    row_T = next((r for r in ts.xml.rows if r.r == T), None)
    if row_T is None:
        row_T = Row(T, "", [])
        ts.xml.rows.append(row_T)
        ts.xml.rows.sort(key=lambda r: r.r)
    for key, col in pl.helpers.items():
        row_T.cells.append(_formula_cell(f"{col}{T}", formulas[key]))
    # the summary cell and the project rules beside it
    sr, sc = pl.summary
    row_S = next((r for r in ts.xml.rows if r.r == sr), None)
    if row_S is None:
        row_S = Row(sr, "", [])
        ts.xml.rows.append(row_S)
        ts.xml.rows.sort(key=lambda r: r.r)
    proj = {rid: "0" for rid in pl.project_cells} if layout_only else project_formulas(pl, fr, n)
    for rid, col in pl.project_cells.items():
        row_S.cells.append(_formula_cell(f"{col}{sr}", proj[rid]))
    proj_refs = [f"${col}${sr}" for col in pl.project_cells.values()]
    ctx = formula_context(pl, fr, n)
    count = f'(SUM({ctx["rg"]["err"]})' + "".join(f"+{r}" for r in proj_refs) + ")"
    started = f'SUM({ctx["rg"]["act"]})>0'
    summary = "0" if layout_only else render(R.data()["summary"]["text"], {"count": count, "started": started}).lstrip("=")
    _set_summary(ts, row_S, sr, sc, summary)
    marks, extra = _project_marks(pl, fr, n, row_T, row_S, started)
    row_S.cells.sort(key=lambda c: c.col)
    row_T.cells.sort(key=lambda c: c.col)
    _add_note(ts, pl, row_T)
    # helper columns hidden
    cols = [*pl.helpers.values(), *pl.project_cells.values(), *extra]
    first, last = min(col_index(c) for c in cols), max(col_index(c) for c in cols)
    ts.xml.head = _hide_columns(ts.xml.head, first, last)
    # validations and formats on the indicator row
    ts.slots = [s for s in ts.slots if not (s.row == sr and s.col == sc)]
    if layout_only:
        return pl
    tail = ts.xml.tail
    tail = _add_validations(tail, pl, fr, n, names)
    if dxfs is not None:
        tail = _add_formats(tail, pl, marks, *dxfs)
    ts.xml.tail = tail
    return pl


def _formula_cell(ref: str, formula: str) -> Cell:
    r, c = split_ref(ref)
    return Cell(ref, r, c, "", f"<f>{escape(formula)}</f>", None)


def _set_summary(ts: TemplateSheet, row: Row, r: int, c: int, formula: str) -> None:
    ref = f"{col_letter(c)}{r}"
    body = f"<f>{escape(formula)}</f>"
    for cell in row.cells:
        if cell.col == c:
            a = re.sub(r'\s*\bt="[^"]*"', "", cell.attrs).strip()
            cell.attrs = (a + ' t="str"').strip()
            cell.body, cell.text = body, None
            return
    row.cells.append(Cell(ref, r, c, 't="str"', body, None))


def _hide_columns(head: str, first: int, last: int) -> str:
    new = f'<col min="{first}" max="{last}" width="4" hidden="1" customWidth="1"/>'
    m = re.search(r"<cols>(.*?)</cols>", head, re.S)
    if not m:
        pos = head.rfind("<sheetData")
        return head[:pos] + f"<cols>{new}</cols>" + head[pos:]
    kept = []
    for el in re.findall(r"<col\b[^>]*/>", m.group(1)):
        lo, hi = _col_span(el)
        if hi < first or lo > last:
            kept.append((lo, el))
            continue
        if lo < first:      # a column range reaching into the helpers keeps its part outside them
            kept.append((lo, re.sub(r'\bmax="\d+"', f'max="{first - 1}"', el)))
        if hi > last:
            kept.append((last + 1, re.sub(r'\bmin="\d+"', f'min="{last + 1}"', el)))
    kept.append((first, new))
    body = "".join(el for _lo, el in sorted(kept, key=lambda x: x[0]))
    return head[:m.start()] + f"<cols>{body}</cols>" + head[m.end():]


def _col_span(el: str) -> tuple[int, int]:
    """(min, max) of a <col/> element; both attributes are required (CT_Col), so a template without
    them is refused rather than crashing."""
    lo, hi = re.search(r'\bmin="(\d+)"', el), re.search(r'\bmax="(\d+)"', el)
    if lo is None or hi is None:
        raise TemplateError(f"模板的列宽设置缺少 min/max 属性：{el[:80]}", f"a <col> element without min/max: {el[:80]!r}")
    return int(lo.group(1)), int(hi.group(1))


def _taken_cells(tail: str) -> set[str]:
    """Cells the template's own validations already cover (a second validation on a cell is invalid)."""
    out = set()
    for sq in re.findall(r'<dataValidation\b[^>]*\bsqref="([^"]*)"', tail):
        out.update(sq.split())
    return out


def _covers(sqrefs: set[str], ref: str) -> bool:
    r, c = split_ref(ref)
    for sq in sqrefs:
        a, _, b = sq.partition(":")
        try:
            (r1, c1), (r2, c2) = split_ref(a), split_ref(b or a)
        except ValueError:
            continue
        if r1 <= r <= r2 and c1 <= c <= c2:
            return True
    return False


def validation_specs(pl: Plan, fr: FR.Frame, n: dict[str, str], level2_source: str) -> list[dict]:
    ctx = formula_context(pl, fr, n)
    ctx["level2_source"] = level2_source
    out = []
    for v in R.data()["validations"]:
        if v["field"] not in pl.fields:
            continue
        formula = render(str(v["source"]), ctx)
        if len(formula) > MAX_VALIDATION:
            raise TemplateError(f"“{v['field']}”的校验公式超过 {MAX_VALIDATION} 个字符",
                                f"the validation formula for {v['field']} is longer than {MAX_VALIDATION}")
        out.append({**v, "formula": formula, "ref": f"{pl.fields[v['field']]}{pl.T}"})
    return out


def _add_validations(tail: str, pl: Plan, fr: FR.Frame, n: dict[str, str], names: _Names) -> str:
    level2 = names.level2
    lists = [n.get(level2[l1.name]) for l1 in fr.level1]
    if all(name == l1.name for name, l1 in zip(lists, fr.level1)):
        source = f"INDIRECT(${pl.helpers['k1']}{pl.T})"
    else:   # a 一级 name that cannot be a defined name: its list is found by position
        keys = ",".join(q(x) for x in lists)
        source = f'INDIRECT(CHOOSE(MATCH(${pl.helpers["k1"]}{pl.T},{n["level1"]},0),{keys}))'
    taken = _taken_cells(tail)
    els = []
    for v in validation_specs(pl, fr, n, source):
        if _covers(taken, v["ref"]):
            continue
        a = {"type": v["type"], "errorStyle": v.get("style", "stop"), "allowBlank": "1",
             "showInputMessage": "1" if v.get("prompt") else None, "showErrorMessage": "1",
             "errorTitle": v.get("title"), "error": v.get("error"), "promptTitle": v.get("title") if v.get("prompt") else None,
             "prompt": v.get("prompt"), "operator": v.get("operator"), "sqref": v["ref"]}
        if a["errorStyle"] == "stop":
            del a["errorStyle"]
        attrs = "".join(f' {k}="{xml_attr(str(x))}"' for k, x in a.items() if x is not None)
        els.append(f"<dataValidation{attrs}><formula1>{escape(v['formula'])}</formula1></dataValidation>")
    if not els:
        return tail
    m = re.search(r"<dataValidations\b([^>]*?)(/>|>(.*?)</dataValidations>)", tail, re.S)
    if m:
        inner = (m.group(3) or "") + "".join(els)
        count = len(re.findall(r"<dataValidation\b", inner))
        attrs = re.sub(r'\s*\bcount="\d+"', "", m.group(1))
        return tail[:m.start()] + f'<dataValidations count="{count}"{attrs}>{inner}</dataValidations>' + tail[m.end():]
    return insert_element(tail, "dataValidations", f'<dataValidations count="{len(els)}">{"".join(els)}</dataValidations>')


def _project_marks(pl: Plan, fr: FR.Frame, n: dict[str, str], row_T: Row, row_S: Row,
                   started: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The cell each project 错误 points at, as (cell, formula) conditional-format pairs, compiled from
    the rule's own `when`, `field` and `row` (rules.rule_items / rule_place), so every error the
    summary counts colours a cell. A finding on a header field colours that cell; one on an indicator
    row (FIRSTALL(...)) gets a cell of its own on the summary row (the item's condition) and a helper
    column marking the row it names. The summary cell turns red when it counts any error, which also
    covers findings with no cell (a group whose 一级 is absent altogether). Returns the pairs and the
    columns added."""
    T, sr = pl.T, pl.summary[0]
    pctx, rctx = rule_ctx(pl, fr, n, "project"), rule_ctx(pl, fr, n, "row")
    marks: list[tuple[str, str]] = []
    at_terms: dict[str, list[str]] = {}
    nxt = max(col_index(c) for c in [*pl.helpers.values(), *pl.project_cells.values()]) + 1
    extra = []
    for rid in pl.project_cells:
        r = R.rule(rid)
        for item, f in R.rule_items(r, pctx, fr):
            fld, where = R.rule_place(r, item, rctx, fr)
            if where is None:
                if fld in pl.header:
                    marks.append((pl.header[fld].replace("$", ""), f"AND({started},{f})"))
                continue
            if fld not in pl.fields:
                continue
            col = col_letter(nxt)
            nxt += 1
            extra.append(col)
            row_S.cells.append(_formula_cell(f"{col}{sr}", f"0+({f})"))
            at_terms.setdefault(fld, []).append(f"(${col}${sr}>0)*({where})")
    for fld, terms in at_terms.items():
        col = col_letter(nxt)
        nxt += 1
        extra.append(col)
        row_T.cells.append(_formula_cell(f"{col}{T}", f'IF(${pl.helpers["act"]}{T}=1,{"+".join(terms)},0)'))
        marks.append((f"{pl.fields[fld]}{T}", f"${col}{T}>0"))
    sc = col_letter(pl.summary[1])
    summary_count = [c for c in row_S.cells if c.col == pl.summary[1]]
    if summary_count:
        count = f'(SUM({formula_context(pl, fr, n)["rg"]["err"]})' + "".join(
            f"+${c}${sr}" for c in pl.project_cells.values()) + ")"
        marks.append((f"{sc}{sr}", f"AND({started},{count}>0)"))
    return marks, extra


def _has_print_area(t: Template, ts: TemplateSheet) -> bool:
    wb = t.parts[t.workbook_part].decode("utf-8")
    return any(n.name == "_xlnm.Print_Area" and n.local_sheet == ts.index for n in P.defined_names(wb))


def _add_note(ts: TemplateSheet, pl: Plan, row_T: Row) -> None:
    """The 校验提示 column: on screen beside each indicator row, what its checks found (errors and
    warnings, by count); outside the print area, so warnings colour nothing on paper."""
    col, T = pl.note, pl.T
    if col is None or any(c.col == col_index(col) for c in row_T.cells):
        return
    err, warn, act = (f"${pl.helpers[k]}{T}" for k in ("err", "warn", "act"))
    formula = (f'IF({act}=1,IF({err}>0,"错误 "&{err}&" 处","")&IF(AND({err}>0,{warn}>0),"，","")'
               f'&IF({warn}>0,"警告 "&{warn}&" 处",""),"")')
    row_T.cells.append(_formula_cell(f"{col}{T}", formula))
    row_T.cells.sort(key=lambda c: c.col)
    head = next((r for r in ts.xml.rows if r.r == T - 1), None)
    if head is not None and not any(c.col == col_index(col) for c in head.cells):
        text = R.data()["summary"]["note_header"]
        head.cells.append(Cell(f"{col}{T - 1}", T - 1, col_index(col), 't="inlineStr"',
                               f"<is><t>{escape(text)}</t></is>", None))
        head.cells.sort(key=lambda c: c.col)
        ts.literals[(T - 1, col_index(col))] = text        # the reader knows it is the template's, not data


def _add_formats(tail: str, pl: Plan, marks: list[tuple[str, str]], red: int, orange: int) -> str:
    """Red for errors only: the rows with an 错误 and the cells project errors point at; the 校验提示
    column (not printed) is orange where a row has warnings."""
    prio = max([int(x) for x in re.findall(r'\bpriority="(\d+)"', tail)] or [0])
    T = pl.T
    cols = sorted(col_index(c) for c in pl.fields.values())
    sqref = f"{col_letter(cols[0])}{T}:{col_letter(cols[-1])}{T}"
    err, warn = f"${pl.helpers['err']}{T}", f"${pl.helpers['warn']}{T}"
    blocks = [(sqref, [(f"{err}>0", red, True)])]
    if pl.note:
        blocks.append((f"{pl.note}{T}", [(f"{err}>0", red, True), (f"{warn}>0", orange, False)]))
    blocks += [(ref, [(formula, red, False)]) for ref, formula in marks]
    out = []
    for ref, rules_ in blocks:
        items = []
        for formula, dxf, stop in rules_:
            prio += 1
            s = ' stopIfTrue="1"' if stop else ""
            items.append(f'<cfRule type="expression" dxfId="{dxf}" priority="{prio}"{s}><formula>{escape(formula)}</formula></cfRule>')
        out.append(f'<conditionalFormatting sqref="{ref}">{"".join(items)}</conditionalFormatting>')
    for el in out:
        tail = insert_element(tail, "conditionalFormatting", el)
    return tail


def injected_plan(template: Template, sheet: str | None = None) -> Plan:
    """Where inject put things on a template's indicator sheet (for an injected template, what it
    recorded; for a plain one, where it will put them)."""
    plans = template.plans
    if plans:
        return plans[sheet] if sheet else next(iter(plans.values()))
    for ts in template.sheets:
        if ts.loop_row is not None and (sheet is None or ts.name == sheet):
            return plan(ts)
    raise TemplateError("模板中没有指标行", "the template has no indicator row", template.path)

