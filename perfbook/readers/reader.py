"""read: any workbook in, projects out — and a note for every cell that could not be placed.

Sheets shaped like the template are read by the template's own marks (so a bureau's rearranged
template reads without code changes); other layouts go to the foreign-layout reader, which finds
tables by their header labels.
"""
from __future__ import annotations

__all__ = ["read", "Book", "Note"]

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product, repeat
from pathlib import Path

from ..department import Department
from ..errors import NoTable, PerfbookError, UnreadableWorkbook
from ..model import Indicator, Project, indicator_plan
from ..notes import Note, conflicting
from ..ooxml._sheetxml import col_letter
from ..write._inject import inject
from ..write._template import LISTS_SHEET, PLACEHOLDER, Slot, Template, TemplateSheet, default_template_path
from ._foreign import read_foreign
from ._grid import Grid, Source, native_failure
from ._sheetlayout import Layout
from .formats import open_source

MATCH_THRESHOLD = 0.6
# notes that say the reader did not understand something (a cell, a layout feature, a formula, a number no
# cell can hold, two cells that give one field differently): --strict refuses them
STRICT_KINDS = ("unmapped", "layout", "formula", "number", "conflict")


@dataclass(frozen=True)
class Book:
    """What read() found in one workbook.

    ``projects`` is always a tuple of Project (empty, one or many): use it in code. ``records`` is the
    same as plain dicts, always a list. ``data`` is the shape the JSON/YAML files hold — one dict for a
    single project, a list for several — kept for round trips (``fill(book.data)``) and older scripts.
    ``notes`` lists every cell that could not be placed and anything else noticed while reading.
    """

    path: str
    format: str
    projects: tuple[Project, ...]
    notes: tuple[Note, ...] = ()
    frame: str | None = None
    properties: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    departments: tuple = ()       # perfbook.department.Department: 部门整体 tables

    @property
    def records(self) -> list[dict]:
        """One dict per project (official labels as keys), always a list."""
        return [p.to_dict() for p in self.projects]

    @property
    def data(self) -> dict | list[dict]:
        """One dict for a single project or department table, a list when the workbook holds several (the
        JSON/YAML shape); prefer ``records`` or ``projects``, whose shape does not depend on the count."""
        items = [*self.records, *(d.to_dict() for d in self.departments)]
        return items[0] if len(items) == 1 else items

    def __repr__(self) -> str:
        names = "、".join(str(p.name) for p in self.projects[:3]) + ("…" if len(self.projects) > 3 else "")
        return (f"Book({self.path!r}, {self.format}, {len(self.projects)} projects [{names}], "
                f"{len(self.notes)} notes)")

    @property
    def unmapped(self) -> tuple[Note, ...]:
        return tuple(n for n in self.notes if n.kind == "unmapped")


@lru_cache(maxsize=8)
def _template(path: str, mtime: float) -> Template:
    """The template laid out as fill writes it (the 校验 helper cells in place), so computed cells are
    known; the formulas themselves are not rendered (inject layout_only): reading needs only where they are."""
    template = Template.load(path)
    try:
        return inject(template, layout_only=True)
    except PerfbookError:  # an odd template, an unknown PERFBOOK_FRAME: read by the template's own marks
        return template


@lru_cache(maxsize=1)
def _default_path() -> str:
    return str(default_template_path())


def load_template(template=None) -> Template:
    path = str(Path(template).resolve()) if template else _default_path()
    return _template(path, os.path.getmtime(path))


def read(path: str | Path, *, template: str | Path | None = None, strict: bool = False) -> Book:
    """Read any workbook (xlsx, xlsm, xls, ods, a budget system's export, a bureau's own layout) into
    a Book: ``book.projects`` (always a tuple), ``book.notes`` (every cell that could not be placed).

    template: the template the workbook was filled from, when not the bundled one. strict: raise when
    some cell could not be placed instead of noting it. The input is never modified. A bad file raises
    a PerfbookError (UnreadableWorkbook) naming it, never anything else, so that collect can list it
    and go on with the other files. For many files at once as a DataFrame, see read_frame."""
    try:
        src = open_source(path)
    except PerfbookError:
        raise
    except BaseException as exc:   # noqa: BLE001 - a parser's own error (or panic) on a broken file
        if not native_failure(exc):
            raise
        raise UnreadableWorkbook(f"无法读取工作簿（{type(exc).__name__}: {str(exc)[:200]}）",
                                 f"cannot read the workbook ({type(exc).__name__}: {str(exc)[:200]})", path) from exc
    tpl = load_template(template)
    try:
        return read_source(src, tpl, strict=strict)
    except PerfbookError:
        raise
    except (Exception, RecursionError) as exc:
        raise UnreadableWorkbook(f"工作簿内容无法解读（{type(exc).__name__}: {str(exc)[:200]}）",
                                 f"the workbook's content could not be interpreted ({type(exc).__name__}: {str(exc)[:200]})",
                                 path) from exc


def read_source(src: Source, tpl: Template, strict: bool = False) -> Book:
    notes = [Note(getattr(n, "kind", "source"), getattr(n, "zh", str(n)), getattr(n, "en", str(n))) for n in src.notes]
    parts: list[tuple[TemplateSheet | None, dict, list[Indicator], dict, Grid, Layout]] = []
    departments: list = []        # 部门整体支出绩效目标表 (perfbook.department), a table kind of its own
    for grid in src.grids:
        notes += [Note(kind, zh, en, sheet=grid.name, cell=cell) for kind, zh, en, cell in grid.notes]
        if not grid.visible:
            if not re.fullmatch(re.escape(LISTS_SHEET) + r"\d*", grid.name):   # perfbook's drop-down lists: no data
                notes.append(Note("hidden-sheet", f"隐藏的工作表“{grid.name}”未读取；如其中有项目数据，请取消隐藏后再读",
                                  f"hidden sheet '{grid.name}' was not read; unhide it if it holds project data",
                                  sheet=grid.name))
            continue
        for r, c, code in grid.clean_controls():
            notes.append(Note("control-char", f"单元格含有控制字符 {code}（Excel 中显示为 _x{code[2:]}_），已删除后读取",
                              f"the cell held the control character {code} (_x{code[2:]}_ in Excel); removed",
                              grid.name, f"{col_letter(c)}{r}"))
        role = match_role(grid, tpl)
        if role is not None:
            values, inds, cells, sheet_notes, layout = read_shaped(grid, role)
            notes += sheet_notes
            parts.append((role, values, inds, cells, grid, layout))
            continue
        found, sheet_notes = read_foreign(grid)
        notes += sheet_notes
        for values, inds, cells, kind, layout in found:
            if kind == "department":
                departments.append(Department.from_values(values, inds, source=str(src.path), sheets=(grid.name,),
                                                          cells=tuple(cells.items()), layouts=(layout,)))
                continue
            parts.append((None, values, inds, cells, grid, layout))
    projects = _group(parts, src.path, notes)
    shaped = any(role is not None for role, *_ in parts)
    if not departments and (not projects or (not shaped and not any(p.indicators for p in projects))):
        # nothing at all, or only a stray label guess on a foreign sheet. A sheet in the template's own
        # layout left blank is read (check then reports every missing field as 错误, as its 校验 formulas do)
        raise no_table(src, shaped=shaped)
    book = Book(src.path, src.format, tuple(projects), tuple(notes),
                src.properties.get("perfbook.frame"), tuple(src.properties.items()), tuple(departments))
    unsure = [n for n in book.notes if n.kind in STRICT_KINDS]
    if strict and unsure:
        lines = "\n".join(f"  {n.where()}: {n.zh}" for n in unsure)
        raise PerfbookError(f"有 {len(unsure)} 处单元格无法对应到字段或无法确定如何读取（--strict）：\n{lines}",
                            f"{len(unsure)} cell(s) could not be mapped or read with certainty (--strict)", src.path)
    return book


def no_table(src: Source, shaped: bool = False) -> NoTable:
    """No project anywhere: say what was looked for and on which sheets, so the official can tell
    a wrong file from a renamed header."""
    seen = [g.name for g in src.grids if g.visible]
    hidden = [g.name for g in src.grids if not g.visible and not re.fullmatch(re.escape(LISTS_SHEET) + r"\d*", g.name)]
    where = ("已查看的工作表：" + "、".join(seen[:20]) if seen else "工作簿中没有可见的工作表") + (
        f"；隐藏未读的工作表：{'、'.join(hidden[:20])}" if hidden else "")
    where_en = (f"sheets looked at: {', '.join(seen[:20])}" if seen else "no visible sheet") + (
        f"; hidden sheets not read: {', '.join(hidden[:20])}" if hidden else "")
    if shaped:
        return NoTable(f"未找到绩效指标表：表格是模板的格式，但没有填写任何项目或指标（{where}）",
                       f"no performance indicator table: the sheet has the template's layout but no project or "
                       f"indicator is filled in ({where_en})", src.path)
    return NoTable("未找到绩效指标表：查找的是与模板布局相同的工作表（“项目名称”“一级指标”等标签），"
                   f"或表头含“一级指标、二级指标、三级指标”的表格（{where}）",
                   "no performance indicator table: looked for a sheet laid out like the template (labels 项目名称, "
                   f"一级指标 …) or a table headed 一级指标 / 二级指标 / 三级指标 ({where_en})", src.path)


# --- template-shaped sheets ------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def _norm(v) -> str:
    return _SPACES.sub("", str(v)) if v is not None else ""


@dataclass(frozen=True)
class _Shape:
    """What reading a sheet needs of its template sheet, worked out once per process (the template's
    marks do not change between workbooks): labels normalised, slots' kinds decided, formula cells found."""

    lits: tuple          # ((row, col), label) above the indicator row, for match_role
    footer: tuple        # ((col, label), ...) of the first footer row below the indicator row
    header: tuple        # (slot, single, row, col, letter) of every header slot
    literals: tuple      # (row, col) of every label cell
    formulas: tuple      # (row, col) of every cell the template computes
    loop: tuple          # (col, slot, single, label, letter) of the indicator row's slots
    cols: tuple          # the layout's columns (shaped_layout)
    fields: tuple        # (label, letter, row) of the single header slots (shaped_layout)
    first_col: str | None
    claims: tuple = ((), (), ())   # _claims(ts): the cells read_shaped claims before the indicator block
    whole: bool = False            # every loop slot one whole field, no label twice (_whole_rows)
    fixed_fields: tuple | None = None   # fields as (label, address) when all are above the indicator row


def _fixed_fields(ts: TemplateSheet) -> tuple | None:
    """shaped_layout's fields when no single header slot is at or below the indicator row (none moves)."""
    fields = [(s.labels[0], col_letter(s.col), s.row) for s in ts.slots if not s.loop and s.single]
    if ts.loop_row is not None and any(r >= ts.loop_row for _label, _letter, r in fields):
        return None
    return tuple((label, f"{letter}{r}") for label, letter, r in fields)


def _whole(loop: tuple) -> bool:
    """Every loop slot (col, slot, single, label, letter) one whole field, and no label in two of them."""
    labels = [label for _c, _slot, single, label, _letter in loop if single]
    return len(labels) == len(loop) == len(set(labels))


def _claims(ts: TemplateSheet, header: tuple, literals: tuple, formulas: tuple) -> tuple:
    """(cells above the indicator row, cells at or below it (moved down as the block grows), columns the
    template computes in the indicator row): the header slots, label cells and formula cells, which
    read_shaped claims. Without an indicator row nothing moves: every cell is above."""
    T = ts.loop_row
    cells = [(r, c) for _slot, _single, r, c, _letter in header] + list(literals)
    cells += [(r, c) for r, c in formulas if r != T]
    above = tuple(rc for rc in cells if T is None or rc[0] < T)
    below = tuple(rc for rc in cells if T is not None and rc[0] >= T)
    return above, below, tuple(c for r, c in formulas if r == T)


def _build_shape(ts: TemplateSheet) -> _Shape:
    T = ts.loop_row
    limit = T or 10**9
    footer_rows = sorted({r for (r, c) in ts.literals if r > T}) if T is not None else []
    footer = tuple((c, _norm(t)) for (r, c), t in ts.literals.items() if r == footer_rows[0]) if footer_rows else ()
    loop_cols: dict[int, Slot] = {}
    for slot in ts.loop_slots():
        loop_cols[slot.col] = slot
    loop = tuple((c, slot, slot.single, slot.labels[0], col_letter(c)) for c, slot in loop_cols.items())
    lslots = ts.loop_slots()
    header = tuple((slot, slot.single, slot.row, slot.col, col_letter(slot.col)) for slot in ts.slots if not slot.loop)
    formulas = tuple((row.r, cell.col) for row in ts.xml.rows for cell in row.cells if cell.body and "<f" in cell.body)
    return _Shape(
        lits=tuple((rc, _norm(t)) for rc, t in ts.literals.items() if rc[0] < limit),
        footer=footer,
        header=header,
        literals=tuple(ts.literals),
        formulas=formulas,
        loop=loop,
        cols=tuple((s.labels[0], col_letter(s.col), s.labels[0]) for s in lslots if s.single),
        fields=tuple((s.labels[0], col_letter(s.col), s.row) for s in ts.slots if not s.loop and s.single),
        first_col=col_letter(min(s.col for s in lslots)) if lslots else None,
        claims=_claims(ts, header, tuple(ts.literals), formulas),
        whole=_whole(loop),
        fixed_fields=_fixed_fields(ts))


_SHAPES: dict[int, tuple[TemplateSheet, tuple, _Shape]] = {}


def _shape(ts: TemplateSheet) -> _Shape:
    """ts's _Shape, cached while ts keeps its slots, labels and rows (a template edited in memory, as
    cycle/make does, is worked out again)."""
    key = (ts.slots, len(ts.slots), len(ts.literals), ts.loop_row, ts.xml, len(ts.xml.rows))
    hit = _SHAPES.get(id(ts))
    if hit is not None and hit[0] is ts and hit[1] == key:     # tuples compare item by item, `is` first
        return hit[2]
    if len(_SHAPES) >= 256:
        _SHAPES.clear()
    shape = _build_shape(ts)
    _SHAPES[id(ts)] = (ts, key, shape)
    return shape


def _label_at(rows: list, r: int, c: int, t: str) -> bool:
    """_norm(the value at r, c) == t (t normalised: no spaces), without the method calls (match_role and
    _block_end look at many cells) and without normalising a value equal to t or no longer than it (removing
    spaces only shortens it)."""
    if 1 <= r <= len(rows):
        row = rows[r - 1]
        if 1 <= c <= len(row):
            v = row[c - 1]
            if v == t and v.__class__ is str:
                return True
            if v is None or v == "":
                return t == ""
            v = str(v)
            return v == t or (len(v) > len(t) and _SPACES.sub("", v) == t)
    return t == ""


def match_role(grid: Grid, tpl: Template) -> TemplateSheet | None:
    """The template sheet this grid is a filled copy of, judged by the labels above its indicator row."""
    best, best_score = None, 0.0
    for ts in tpl.sheets:
        if best_score == 1.0:          # nothing scores more: the first sheet to score it stays
            break
        if not ts.dynamic:
            continue
        lits = _shape(ts).lits
        if len(lits) < 2:
            continue
        score = _score(grid.rows, lits, best_score)
        if score > best_score:
            best, best_score = ts, score
    return best if best_score >= MATCH_THRESHOLD else None


def _score(rows: list, lits: tuple, best_score: float) -> float:
    """The share of the labels lits found in their cells; 0.0 as soon as the share can no longer reach
    MATCH_THRESHOLD nor exceed best_score (then it changes nothing match_role decides)."""
    n, hit, most = len(lits), 0, len(lits)
    for (r, c), t in lits:
        # the cell equal to its label, else _label_at: the call made only for a cell that differs
        v = rows[r - 1][c - 1] if 0 < r <= len(rows) and 0 < c <= len(rows[r - 1]) else None
        if (v == t and v.__class__ is str) or _label_at(rows, r, c, t):
            hit += 1
            continue
        most -= 1
        if most / n < MATCH_THRESHOLD or most / n <= best_score:
            return 0.0
    return hit / n


def _block_end(grid: Grid, T: int, ts: TemplateSheet) -> int:
    """First row after the indicator block (which starts at row T), found by the template's first
    footer row below it."""
    sig = _shape(ts).footer
    rows = grid.rows
    if sig:
        for r in range(T, grid.height + 1):
            for c, t in sig:          # all(...) of a generator per row, without the generator
                if not _label_at(rows, r, c, t):
                    break
            else:
                return r
    last = T - 1
    for r, c, _v in grid.nonempty():
        last = max(last, r)
    return last + 1


def _resolve(slots: list[tuple[Slot, bool, object, str]], values: dict, cells: dict, notes: list | None = None) -> None:
    """Fill values from cells (slot, slot.single, value, address): whole-cell placeholders first, then
    mixed text cells, fewest unknowns first. A cell that gives a field another cell gave differently
    (a title's year beside the 预算年度 cell) is noted, naming both (conflicting): the first is kept."""
    for slot, single, v, addr in slots:
        if single and v is not None:
            lab = slot.labels[0]
            if values.get(lab) is None:
                values[lab] = v
                cells[lab] = addr
            elif notes is not None:
                conflicting(notes, lab, values[lab], cells.get(lab), v, addr)
    pending = [(s, v, a) for s, single, v, a in slots if not single and v is not None]
    pending.sort(key=lambda t: sum(1 for lab in t[0].labels if values.get(lab) is None))
    for slot, v, addr in pending:
        known = {lab: values[lab] for lab in slot.labels if values.get(lab) is not None}
        parsed = _parse_with(slot, v, known)
        if not parsed and notes is not None and not slot.parse(v) and str(v).strip():
            notes.append(unmatched(slot, v, addr))
        for lab, pv in parsed.items():
            if pv in (None, ""):
                continue
            if values.get(lab) is None:
                values[lab] = pv
                cells.setdefault(lab, addr)
            elif notes is not None:
                conflicting(notes, lab, values[lab], cells.get(lab), pv, addr)


def unmatched(slot: Slot, value, addr: str) -> Note:
    """A note for a cell whose text no longer has the template's shape around its fields (a title retyped,
    "{{指标值}}／{{度量单位}}" typed without the slash): its fields could not be read from it."""
    sheet, _, cell = addr.rpartition("!")
    text, fields = str(value).strip()[:40], "、".join(slot.labels)
    return Note("layout", f"单元格“{text}”与模板的格式“{slot.text[:60]}”不一致，未能从中读出{fields}，请核对",
                f"the cell {text!r} no longer has the template's shape {slot.text[:60]!r}: {fields} not read from it",
                sheet or None, cell or None)


@lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[str, ...]:
    """The literal text around the placeholders of a slot's text: n + 1 pieces for n placeholders."""
    parts, pos = [], 0
    for m in PLACEHOLDER.finditer(text):
        parts.append(text[pos:m.start()])
        pos = m.end()
    return (*parts, text[pos:])


def _parse_with(slot: Slot, value, known: dict) -> dict:
    """Parse a mixed cell with the fields already known put in as literal text (removes ambiguity)."""
    if not known:
        return slot.parse(value)
    pieces = _pieces(slot.text)
    unknown = [i for i in range(len(pieces) - 1) if slot.labels[i] not in known]
    if len(unknown) <= 1 and len(slot.labels) == len(pieces) - 1:
        return _parse_one_unknown(slot, value, known, pieces, unknown)
    return _parse_pattern(slot, value, known)


def _parse_one_unknown(slot: Slot, value, known: dict, pieces: tuple, unknown: list) -> dict:
    """_parse_pattern for at most one field not known, without a pattern: the known text around it must
    begin and end the cell (a fullmatch of literal, lazy group, literal), and the field is what is between."""
    text, u = str(value), (unknown[0] if unknown else len(pieces) - 1)
    before = pieces[0] + "".join(str(known[slot.labels[i]]) + pieces[i + 1] for i in range(u))
    after = "".join(pieces[i] if i == u + 1 else str(known[slot.labels[i - 1]]) + pieces[i]
                    for i in range(u + 1, len(pieces)))
    if not unknown:
        return {} if text == before else slot.parse(value)
    if len(text) < len(before) + len(after) or not text.startswith(before) or not text.endswith(after):
        return slot.parse(value)
    return {slot.labels[u]: text[len(before):len(text) - len(after)]}


def _parse_pattern(slot: Slot, value, known: dict) -> dict:
    """_parse_with by a pattern: the known fields as literal text, a lazy group for each other one."""
    out, pos, groups = [], 0, []
    for idx, m in enumerate(PLACEHOLDER.finditer(slot.text)):
        out.append(re.escape(slot.text[pos:m.start()]))
        lab = slot.labels[idx]
        if lab in known:
            out.append(re.escape(str(known[lab])))
        else:
            out.append(f"(?P<g{idx}>.*?)")
            groups.append((idx, lab))
        pos = m.end()
    out.append(re.escape(slot.text[pos:]))
    whole = re.fullmatch("".join(out), str(value), re.S)
    if not whole:
        return slot.parse(value)
    return {lab: whole.group(f"g{i}") for i, lab in groups}


def read_shaped(grid: Grid, ts: TemplateSheet):
    """Read a sheet laid out like template sheet ts: header slots, the indicator block, the footer."""
    shape = _shape(ts)
    covered = grid.merge_map()
    T = ts.loop_row
    # no indicator block (T is None): nothing moves, and there is no block to end
    end = _block_end(grid, T, ts) if T is not None else 0
    s = end - 1 - T if T is not None else 0

    def moved(r: int) -> int:
        return r if T is None or r < T else r + s

    values: dict = {}
    cells: dict = {}
    header = []
    for slot, single, r0, c, letter in shape.header:
        r = moved(r0)
        v = grid.value(r, c)
        if isinstance(v, str) and not v.strip():        # a blank cell
            v = None
        header.append((slot, single, v, f"{grid.name}!{letter}{r}"))
    said: list[Note] = []               # conflicting cells, cells that lost the template's shape
    _resolve(header, values, cells, said)
    # the header slots, the labels and the cells the template computes (its formulas, the 校验 helpers
    # and summary): not data
    above, below, computed = shape.claims
    claimed: set[tuple[int, int]] = set(above)
    claimed.update([(r0 + s, c) for r0, c in below])
    for c in computed:                                  # only when T is not None
        claimed.update(zip(range(T or 0, end), repeat(c)))
    indicators = _indicators(grid, shape, T, end, covered, claimed, said) if T is not None else []
    # anything else typed on the sheet that no mark claims is reported, never dropped
    return (values, indicators, cells, said + _unmapped(grid, claimed, covered),
            shaped_layout(grid, ts, indicators, moved))


def _unmapped(grid: Grid, claimed: set, covered: dict) -> list[Note]:
    """A note for every typed cell (grid.nonempty()) that no mark claims, nor the merged range it is in.
    The rows walked here, an empty cell ('' from calamine) skipped first, then a claimed one."""
    notes: list[Note] = []
    for r, row in enumerate(grid.rows, start=1):
        for c, v in enumerate(row, start=1):
            if v == "" or v is None or (r, c) in claimed or (isinstance(v, str) and not v.strip()):
                continue
            top = covered.get((r, c))
            if top and top in claimed:
                continue
            notes.append(Note("unmapped", f"单元格内容无法对应到模板中的任何字段：{str(v)[:40]}",
                              f"cell not mapped to any template field: {str(v)[:40]!r}", grid.name, f"{col_letter(c)}{r}"))
    return notes


def _indicators(grid: Grid, shape: _Shape, T: int, end: int, covered: dict, claimed: set,
                notes: list[Note] | None = None) -> list[Indicator]:
    """The indicator block, rows T .. end - 1: a row is an indicator when some cell of it was typed
    there (not only shown from a merged range above)."""
    claimed.update(product(range(T, end), [c for c, *_ in shape.loop]))
    if shape.whole:
        return _whole_rows(grid, shape, T, end, covered)
    out: list[Indicator] = []
    rows, loop = grid.rows, shape.loop
    heads = [f"{grid.name}!{letter}" for *_, letter in loop]     # every address of a column starts so
    for r in range(T, end):
        row = rows[r - 1] if r <= len(rows) else ()
        width, at = len(row), str(r)
        d, icells, own_any = {}, {}, False
        for (c, slot, single, label, _letter), head in zip(loop, heads):
            v = row[c - 1] if c <= width else None
            if isinstance(v, str) and not v.strip():      # '' too
                v = None
            if v is None:
                top = covered.get((r, c))
                if top is None:
                    continue
                v = grid.value(*top)            # shown from the merged range, not typed here
                if v is None:
                    continue
            else:
                own_any = True
            if single:
                if v != "":
                    d[label] = v
                    icells[label] = head + at
                continue
            got = slot.parse(v)
            if not got and notes is not None and (r, c) not in covered and str(v).strip():   # typed here: said once
                notes.append(unmatched(slot, v, head + at))
            for lab, pv in got.items():
                if pv not in (None, ""):
                    d[lab] = pv
                    icells[lab] = head + at
        if own_any:
            out.append(Indicator.from_dict(d, cells=icells.items(), row=r))
    return out


def _whole_rows(grid: Grid, shape: _Shape, T: int, end: int, covered: dict) -> list[Indicator]:
    """_indicators when every loop slot is one whole field and no label is in two of them (the bundled
    template): each typed cell is one field, so the loop is only which cells hold something."""
    out: list[Indicator] = []
    rows = grid.rows
    cols = [(c, c - 1, label, f"{grid.name}!{letter}", indicator_plan(label))
            for c, _slot, _single, label, letter in shape.loop]
    for r in range(T, end):
        row = rows[r - 1] if r <= len(rows) else ()
        width, at = len(row), str(r)
        items, icells, own_any = [], [], False
        for c, i, label, head, plan in cols:
            v = row[i] if i < width else None
            if isinstance(v, str) and not v.strip():      # '' too
                v = None
            if v is None:
                top = covered.get((r, c))
                v = None if top is None else grid.value(*top)      # shown from the merged range, not typed here
                if v is None:
                    continue
            else:
                own_any = True
            items.append((plan, label, v))
            icells.append((label, head + at))
        if own_any:
            out.append(Indicator._from_cells(items, icells, r))      # from_dict of {label: v}
    return out


def shaped_layout(grid: Grid, ts: TemplateSheet, inds, moved) -> Layout:
    """The layout of a sheet in the template's shape: the template's columns and header slots (rows
    below the indicator block moved down as it grew), the table's header row just above the loop row."""
    T = ts.loop_row
    shape = _shape(ts)
    fields = shape.fixed_fields      # every header slot above the block: moved leaves them where they are
    if fields is None:
        fields = tuple((label, f"{letter}{moved(r)}") for label, letter, r in shape.fields)
    header = f"{shape.first_col}{T - 1}" if T is not None and shape.first_col is not None else None
    groups = tuple((i.row, i.level1, i.level2) for i in inds if i.row is not None)
    return Layout(grid.name, True, header, shape.cols, groups, fields, True)


# --- projects from sheets --------------------------------------------------------------------

def _group(parts, path, notes: list) -> list[Project]:
    """Sheets → projects: the sheets of one project share its 项目名称 (or follow each other)."""
    groups: list[dict] = []
    for role, values, inds, cells, grid, layout in parts:
        g = groups[-1] if groups else None
        if g is None or not _joins(g, role, values.get("项目名称"), inds):
            # a foreign project (role None) is otherwise a project of its own
            g = {"values": {}, "inds": [], "cells": {}, "roles": set() if role is not None else None, "sheets": [],
                 "layouts": []}
            groups.append(g)
        _add_sheet(g, role, values, inds, cells, grid, layout, notes)
    out = []
    for g in groups:
        if not g["values"] and not g["inds"]:
            continue
        p = Project.from_dict(g["values"], source=str(path), sheets=tuple(g["sheets"]),
                              cells=tuple(g["cells"].items()), layouts=tuple(g["layouts"]))
        out.append(p.with_indicators(g["inds"]))
    return out


def _joins(g: dict, role, name, inds) -> bool:
    """Whether a sheet belongs to the project of the group before it (g), or starts a project of its own."""
    same_name = name is None or g["values"].get("项目名称") in (None, name)
    if role is not None:
        # a template sheet joins the template sheets before it, unless a sheet in its role is already there
        return g["roles"] is not None and role.index not in g["roles"] and same_name
    # a foreign sheet of header fields only (项目概况) joins the foreign sheet of its indicators
    return (g["roles"] is None and not (inds and g["inds"]) and same_name
            and (name is not None or g["values"].get("项目名称") is not None or not g["inds"]))


def _add_sheet(g: dict, role, values: dict, inds, cells: dict, grid: Grid, layout, notes: list) -> None:
    """One sheet's fields, cells and indicators into its project's group: the first sheet to fill a field
    wins, and a later one that gives it differently is noted (conflicting)."""
    g["layouts"].append(layout)
    for k, v in values.items():
        if g["values"].get(k) is None:
            g["values"][k] = v
            if cells.get(k):
                g["cells"][k] = cells[k]
        elif v is not None:
            conflicting(notes, k, g["values"][k], g["cells"].get(k), v, cells.get(k) or f"{grid.name}!")
    for k, a in cells.items():          # a field the sheet has, left blank: where it is
        g["cells"].setdefault(k, a)
    g["inds"].extend(inds)
    if role is not None:
        g["roles"].add(role.index)
    g["sheets"].append(grid.name)
