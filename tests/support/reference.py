"""The yardstick: the same template fill done the plain way — openpyxl load → fill → save.

No command uses it. It exists so that the compiled render (render.py) has something to be measured
against: the equivalence test reads both files back and compares cells, merges, validations and
defined names, and bench/ times both on the same data. It follows the marks in the template cells
({{ 项目名称 }}, the {{ 指标.… }} row) exactly as render.py does, but works through openpyxl's object
model: insert rows, copy styles, merge, move validations, conditional formats and names by hand
(openpyxl's insert_rows moves cells only — see engineering-notes.md).
"""
from __future__ import annotations

import io
import re
from copy import copy

import openpyxl
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.packaging.custom import StringProperty
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

from perfbook.model import Project
from perfbook.ooxml import _refs
from perfbook.ooxml._package import build_zip, deflate
from perfbook.write import _layout

# sheet naming is not what the yardstick measures: the same rules as the compiled render
from perfbook.write._render import _rename_sheet as _rename, _unique, sheet_title as _title
from perfbook.write._template import LOOP, PLACEHOLDER, Slot, Template

GROUP_LABELS = ("一级指标", "二级指标")


# --- the template as a file -------------------------------------------------------------------

def template_bytes(template: Template) -> bytes:
    """The (prepared) template as an xlsx file, as a bureau's own fill script would open it.

    Sheet parts are written from the Template's sheet XML (what prepare() edits); every other part
    as it is.
    """
    parts = dict(template.parts)
    for sheet in template.sheets:
        parts[sheet.part] = _sheet_text(sheet).encode("utf-8")
    order = ["[Content_Types].xml"] + [n for n in parts if n != "[Content_Types].xml"]
    return build_zip([deflate(n, parts[n]) for n in order])


def _sheet_text(sheet) -> str:
    x = sheet.xml
    if x.self_closing and not x.rows:
        return x.head[: -len("<sheetData>")] + "<sheetData/>" + x.tail[len("</sheetData>"):]
    rows = []
    for row in x.rows:
        a = f" {row.attrs.strip()}" if row.attrs.strip() else ""
        cells = "".join(
            f'<c r="{c.ref}"{" " + c.attrs.strip() if c.attrs.strip() else ""}'
            + ("/>" if c.body is None else f">{c.body}</c>") for c in row.cells)
        rows.append(f'<row r="{row.r}"{a}>{cells}</row>')
    return x.head + "".join(rows) + x.tail


# --- marks ------------------------------------------------------------------------------------

class _Marks:
    """What a template sheet's cells say: header slots, the indicator row and its cells."""

    def __init__(self, ws):
        self.slots: list[Slot] = []
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, str) and "{{" in v:
                    labels = tuple(PLACEHOLDER.findall(v))
                    if labels:
                        loop = labels[0].startswith(LOOP)
                        self.slots.append(Slot(c.row, c.column, v, tuple(lab[len(LOOP):] if lab.startswith(LOOP) else lab
                                                                          for lab in labels), loop))
        loops = {s.row for s in self.slots if s.loop}
        self.T = min(loops) if loops else None
        self.merges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
        self.widths = {c: ws.column_dimensions[get_column_letter(c)].width for c in range(1, ws.max_column + 1)
                       if ws.column_dimensions[get_column_letter(c)].customWidth}
        self.heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height is not None}
        self.max_col = ws.max_column

    @property
    def dynamic(self) -> bool:
        return bool(self.slots)

    def span_width(self, row: int, col: int) -> float:
        for (r1, c1, r2, c2) in self.merges:
            if r1 == row and c1 == col:
                return sum(self.widths.get(c, _layout.DEFAULT_WIDTH) for c in range(c1, c2 + 1))
        return self.widths.get(col, _layout.DEFAULT_WIDTH)

    def group_cols(self) -> dict[str, tuple[int, int]]:
        """一级/二级 columns of the indicator row, widened by a merge on that row if there is one."""
        out = {}
        for s in self.slots:
            if s.loop and s.single and s.labels[0] in GROUP_LABELS:
                span = next(((c1, c2) for (r1, c1, r2, c2) in self.merges if r1 == r2 == self.T and c1 <= s.col <= c2),
                            (s.col, s.col))
                out[s.labels[0]] = span
        return out


# --- fill -------------------------------------------------------------------------------------

def fill(projects: list[Project], template: Template | bytes, *, blank_rows: int = 0,
         meta: dict | None = None, names: list[str] | None = None) -> bytes:
    """The filled workbook, made with openpyxl: load the template, fill every project, save."""
    data = template if isinstance(template, bytes) else template_bytes(template)
    keep_vba = b"vbaProject.bin" in data
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, keep_links=True)
    marks = {ws.title: _Marks(ws) for ws in wb.worksheets}
    plan = _plan(wb, marks, list(projects) or [None], names)
    # global names are bound to the first copy of the sheet they point at
    global_names = [(name, dn) for name, dn in wb.defined_names.items()]
    firsts: dict[str, tuple[str, int]] = {}
    order = []
    for ws, mk, project, title, is_copy in plan:
        sheet = wb.copy_worksheet(ws) if is_copy else ws
        if is_copy:
            _copy_extras(ws, sheet)
        order.append((sheet, mk, project, title, ws.title))
    for sheet, mk, project, title, src_title in order:
        s = _fill_sheet(sheet, mk, project, blank_rows)
        sheet._pb_shift = (mk.T, s)
        firsts.setdefault(src_title, (title, s, mk.T))
    # titles last: formulas and names above still speak of the template's sheet names
    for sheet, mk, project, title, src_title in order:
        T, s = sheet._pb_shift
        for dn_name, dn in list(sheet.defined_names.items()):
            dn.attr_text = _rename(_refs.shift_text(dn.attr_text, T, s, src_title, whole_rows=True), src_title, title) \
                if T is not None else _rename(dn.attr_text, src_title, title)
        if sheet.print_title_rows and T is not None and s:
            sheet.print_title_rows = _refs.shift_text(sheet.print_title_rows, T, s, None, whole_rows=True)
        if sheet.print_area and T is not None and s:
            own = re.sub(r"(?:'(?:[^']|'')+'|[^,'!]+)!", "", sheet.print_area)    # this sheet's ranges, unqualified
            sheet.print_area = _refs.shift_text(own, T, s, None, whole_rows=True).split(",")
        elif not sheet.print_area and sheet.sheet_state == "visible":
            sheet.print_area = _table_area(sheet)
        sheet.title = title
        if sheet is not order[0][0]:
            sheet.sheet_view.tabSelected = False
    wb._sheets = [o[0] for o in order]
    for name, dn in global_names:
        text = dn.attr_text
        for src_title, (title, s, T) in firsts.items():
            if f"'{src_title}'!" in text or f"{src_title}!" in text:
                if T is not None:
                    text = _refs.shift_text(text, T, s, src_title, whole_rows=True)
                text = _rename(text, src_title, title)
                break
        dn.attr_text = text
    wb.active = 0
    for k, v in (meta or {}).items():
        wb.custom_doc_props.append(StringProperty(name=str(k), value=str(v)))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _table_area(ws) -> str | None:
    """A1 to the last row and column holding a cell or a merge, hidden columns left out."""
    from openpyxl.utils import column_index_from_string, get_column_letter
    hidden = set()
    for key, dim in ws.column_dimensions.items():
        if dim.hidden:
            hidden.update(range(dim.min or column_index_from_string(key), (dim.max or column_index_from_string(key)) + 1))
    # (cells openpyxl made on access, with no value and no style, are not part of the table)
    spots = [(r, c) for (r, c), cell in ws._cells.items() if c not in hidden and (cell.value is not None or cell.has_style)]
    spots += [(m.max_row, m.max_col) for m in ws.merged_cells.ranges if m.max_col not in hidden]
    if not spots:
        return None
    return f"A1:{get_column_letter(max(c for _r, c in spots))}{max(r for r, _c in spots)}"


def _plan(wb, marks, projects, names):
    """(template sheet, marks, project, title, is_copy) in workbook order, as render.Compiled plans it."""
    sheets = wb.worksheets
    dynamic = [ws for ws in sheets if marks[ws.title].dynamic]
    first = min((sheets.index(ws) for ws in dynamic), default=0)
    before = [ws for ws in sheets if ws not in dynamic and sheets.index(ws) < first]
    after = [ws for ws in sheets if ws not in dynamic and sheets.index(ws) > first]
    used = {ws.title for ws in before + after}
    plan = [(ws, marks[ws.title], None, ws.title, False) for ws in before]
    for i, p in enumerate(projects):
        for j, ws in enumerate(dynamic):
            mk = marks[ws.title]
            if len(projects) == 1:
                title = ws.title
            elif names and j == 0:
                title = names[i]
            else:
                label = (p.name if p and p.name else ws.title) if mk.T is not None else ws.title
                title = f"{i + 1}.{label}"
            plan.append((ws, mk, p, _unique(_title(title), used), i > 0))
    plan += [(ws, marks[ws.title], None, ws.title, False) for ws in after]
    return plan


def _copy_extras(src, dst) -> None:
    """What openpyxl's copy_worksheet leaves behind: validations, conditional formats, views, names."""
    for dv in src.data_validations.dataValidation:
        dst.add_data_validation(copy(dv))
    for cf in src.conditional_formatting:
        for rule in cf.rules:
            dst.conditional_formatting.add(str(cf.sqref), copy(rule))
    dst.freeze_panes = src.freeze_panes
    dst.print_title_rows = src.print_title_rows
    if src.print_area:
        dst.print_area = src.print_area
    dst.HeaderFooter = copy(src.HeaderFooter)
    dst.sheet_view.zoomScale = src.sheet_view.zoomScale
    for name, dn in src.defined_names.items():
        dst.defined_names[name] = copy(dn)
    dst.merged_cells = MultiCellRange()    # copy_worksheet shares the source's range objects
    for rng in src.merged_cells.ranges:
        dst.merge_cells(rng.coord)


def _set(cell, value) -> None:
    """A value as data: text is always written as text, never as a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _fill_sheet(ws, mk: _Marks, project: Project | None, blank_rows: int) -> int:
    """Fill one sheet in place; returns s, the rows added below the indicator row."""
    values = _project_values(project)
    inds = [i.to_dict() for i in project.indicators] if project else []
    T = mk.T
    n = max(len(inds) + blank_rows, 1) if T is not None else 0
    s = max(n - 1, 0)

    def moved(r):
        return r if T is None or r <= T else r + s

    # 1. take apart every merge at or below the indicator row (insert_rows would leave it behind)
    low = [m for m in mk.merges if T is not None and m[2] >= T]
    for (r1, c1, r2, c2) in low:
        ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
        if ref in ws.merged_cells:
            ws.unmerge_cells(ref)
    # 2. make room and copy the indicator row's look down
    if s:
        ws.insert_rows(T + 1, s)
        heights = {r: (d.height, d.customHeight) for r, d in list(ws.row_dimensions.items()) if r > T}
        for r in sorted(heights, reverse=True):
            del ws.row_dimensions[r]
        for r, (h, custom) in heights.items():
            ws.row_dimensions[r + s].height = h
        for col in range(1, mk.max_col + 1):
            src = ws.cell(T, col)
            if src.has_style:
                for i in range(1, n):
                    ws.cell(T + i, col)._style = copy(src._style)
    # 3. header fields, with rows that hold long text made tall enough
    fit: dict[int, list] = {}
    for slot in mk.slots:
        if slot.loop:
            continue
        v = slot.render(values)
        _set(ws.cell(moved(slot.row), slot.col), v)
        fit.setdefault(slot.row, []).append((v, mk.span_width(slot.row, slot.col)))
    for r, pairs in fit.items():
        base = mk.heights.get(r, 15.0)
        h = _layout.height_for(pairs, base)
        if h:
            ws.row_dimensions[moved(r)].height = h
    # 4. the indicator rows
    if T is not None:
        loop = [sl for sl in mk.slots if sl.loop]
        static = [(c.column, c.value) for c in ws[T] if c.data_type == "f" and not any(sl.col == c.column for sl in loop)]
        cont = _continuations(inds)
        base_h = mk.heights.get(T, 15.0)
        for i in range(n):
            r = T + i
            vals = inds[i] if i < len(inds) else {}
            texts = []
            for sl in loop:
                if sl.single:
                    lab = sl.labels[0]
                    v = None if (lab in cont and i in cont[lab]) else vals.get(lab)
                    if lab not in GROUP_LABELS:
                        texts.append((vals.get(lab), mk.span_width(T, sl.col)))
                else:
                    v = sl.render(vals) if vals else None
                _set(ws.cell(r, sl.col), v)
            for col, formula in static:
                ws.cell(r, col).value = _refs.in_row(formula, T, i, s, ws.title)
            h = _layout.height_for(texts, base_h) or (base_h if base_h != 15.0 else None)
            ws.row_dimensions[r].height = h
    # 5. formulas elsewhere on the sheet point at moved rows
    if s:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" and isinstance(c.value, str) and not (T <= c.row <= T + s):
                    c.value = _refs.shift_text(c.value, T, s, ws.title)
    # 6. merges: the fixed ones moved, the indicator row's own per row, 一级/二级 groups by run
    if T is not None:
        for (r1, c1, r2, c2) in low:
            if r1 == r2 == T:
                continue
            ws.merge_cells(start_row=moved(r1), start_column=c1, end_row=r2 if r2 < T else r2 + s, end_column=c2)
        groups = mk.group_cols()
        group_spans = set(groups.values())
        for (r1, c1, r2, c2) in low:
            if r1 == r2 == T and (c1, c2) not in group_spans:
                for i in range(n):
                    ws.merge_cells(start_row=T + i, start_column=c1, end_row=T + i, end_column=c2)
        for label, (c1, c2) in groups.items():
            keys = ("一级指标",) if label == "一级指标" else ("一级指标", "二级指标")
            covered = set()
            for a, b in _runs(inds, keys):
                if b > a or c2 > c1:
                    ws.merge_cells(start_row=T + a, start_column=c1, end_row=T + b, end_column=c2)
                covered.update(range(a, b + 1))
            if c2 > c1:
                for i in range(n):
                    if i not in covered:
                        ws.merge_cells(start_row=T + i, start_column=c1, end_row=T + i, end_column=c2)
    # 7. validations and conditional formats cover the grown block
    if T is not None and s:
        for dv in ws.data_validations.dataValidation:
            dv.sqref = MultiCellRange(" ".join(_grow_range(str(cr), T, s) for cr in dv.sqref.ranges))
            if dv.formula1:
                dv.formula1 = _refs.shift_text(dv.formula1, T, s, ws.title)
            if dv.formula2:
                dv.formula2 = _refs.shift_text(dv.formula2, T, s, ws.title)
        old = list(ws.conditional_formatting)
        ws.conditional_formatting = ConditionalFormattingList()
        for cf in old:
            rng = " ".join(_grow_range(str(cr), T, s) for cr in cf.sqref.ranges)
            for rule in cf.rules:
                rule.formula = [_refs.shift_text(f, T, s, ws.title) for f in (rule.formula or [])]
                ws.conditional_formatting.add(rng, rule)
    return s


def _grow_range(ref: str, T: int, s: int) -> str:
    """A range after the block below row T grew by s rows: ranges ending on T stretch with it."""
    cr = CellRange(ref)
    r1 = cr.min_row if cr.min_row <= T else cr.min_row + s
    r2 = cr.max_row if cr.max_row < T else cr.max_row + s
    a, b = f"{get_column_letter(cr.min_col)}{r1}", f"{get_column_letter(cr.max_col)}{r2}"
    return a if a == b else f"{a}:{b}"


def _runs(inds: list[dict], keys: tuple[str, ...]) -> list[tuple[int, int]]:
    """Runs of equal, non-empty keys over consecutive indicators."""
    runs, start = [], 0
    for i in range(1, len(inds) + 1):
        prev = tuple(inds[i - 1].get(k) for k in keys)
        cur = tuple(inds[i].get(k) for k in keys) if i < len(inds) else None
        if cur != prev:
            if all(v is not None for v in prev):
                runs.append((start, i - 1))
            start = i
    return runs


def _continuations(inds: list[dict]) -> dict[str, set[int]]:
    out = {}
    for label, keys in (("一级指标", ("一级指标",)), ("二级指标", ("一级指标", "二级指标"))):
        out[label] = {i for a, b in _runs(inds, keys) for i in range(a + 1, b + 1)}
    return out


def _project_values(project: Project | None) -> dict:
    if project is None:
        return {}
    d = project.to_dict()
    d.pop("指标", None)
    return d
