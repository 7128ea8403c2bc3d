"""Fill a template by rendering its sheet XML: compiled once, rendered per workbook.

Compiling cuts each template sheet's XML at its marks (rows below the indicator row and every
reference to them move by ``s``; a field's cell, a row's height, the merges and the indicator rows are
slots), and deflates every other part of the package once. Rendering a workbook is then: the sheet's
fixed text for this ``s`` (joined and encoded once per ``s`` and kept), the indicator rows (their fixed
text per row count kept the same way, the data's cells between), byte joins, zip. The workbook-level parts
(workbook.xml, rels, content types, app and custom properties) depend on the workbook's shape only: each
is deflated once per content and copied after. Macros, the ribbon, x14 extensions and anything else in
the template travel byte for byte.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple
from xml.sax.saxutils import escape

from .. import _fields as F
from ..errors import DataError
from ..excel import _vba as vba
from ..model import Indicator, Project
from ..ooxml import _ns, _parts as P, _refs
from ..ooxml._package import Entry, build_zip, deflate
from ..ooxml._parts import rels_path, resolve
from ..ooxml._sheetxml import Cell, Row, cell_xml, col_index, col_letter, insert_element, remove_element, unescape, xml_attr, xml_text
from . import _layout
from ._template import Slot, Template, TemplateSheet, print_area

# deflate level of the parts written per workbook: level 1 costs a third of level 6's time for files
# ~15 % larger; the parts copied into every workbook are deflated once, at the default level
FAST = 1
WS_TYPE = _ns.REL_WORKSHEET
CUSTOM_TYPE = _ns.REL_CUSTOM
MARK = re.compile(r"\x00(\d+)\x01|\x02(\w+)\x03")
ROW_ATTRS_DROP = re.compile(r'\s*\bspans="[^"]*"')
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_TAB_SELECTED = re.compile(r'\s*\btabSelected="(?:1|true)"')

_NEWLINES = re.compile(r"\r\n|\r")
_INLINE = ' t="inlineStr"><is><t xml:space="preserve">'
_BLANK = ((), ("一级指标",), ("二级指标",), ("一级指标", "二级指标"))   # the cells a row leaves to a merge above
# frames and indicator-row texts kept per compiled sheet: one per row count a workbook has had
_KEEP = 64
_KEEP_ROWS = 400        # more indicator rows than this are cut per workbook, not kept


def _marked(r: int) -> str:
    return f"\x00{r}\x01"


def split_marks(text: str) -> tuple[list[str], list[int | str]]:
    """Text with row markers (\\x00r\\x01 = r + s) and slot markers (\\x02name\\x03) cut at them: the
    literal pieces and, between them, each mark (int r or the slot's name). The pieces' line breaks are
    written \\n, as the jinja2 templates this replaced wrote them (the bytes stay the same)."""
    lits: list[str] = []
    marks: list[int | str] = []
    pos = 0
    for m in MARK.finditer(text):
        lits.append(text[pos:m.start()])
        marks.append(int(m.group(1)) if m.group(1) else m.group(2))
        pos = m.end()
    lits.append(text[pos:])
    return [_NEWLINES.sub("\n", x) for x in lits], marks


def _grow(text: str, T: int, sheet: str | None, whole_rows: bool = False) -> str:
    # growth's three row functions named, not starred: mypy cannot count a starred call's arguments
    single, start, end = _refs.growth(T, _marked)
    return _refs.rewrite(text, single, start, end, this_sheet=sheet, whole_rows=whole_rows)


def _shift_refs_in_xml(xml: str, T: int | None, sheet: str) -> str:
    """Mark every row reference in ref/sqref attributes and formula-bearing elements of a fragment."""
    if T is None:
        return xml

    def area(text: str) -> str:
        # a validation or format on one cell of the indicator row covers that column of every indicator row
        return _grow(re.sub(r"(?<![:\w$])(\$?[A-Z]{1,3})(\$?)" + str(T) + r"(?![\d:])", lambda m: f"{m.group()}:{m.group()}", text), T, sheet)

    xml = re.sub(r'\bsqref="([^"]*)"', lambda m: f'sqref="{area(m.group(1))}"', xml)
    xml = re.sub(r'\b(ref|topLeftCell|activeCell)="([^"]*)"',
                 lambda m: f'{m.group(1)}="{_grow(m.group(2), T, sheet)}"', xml)
    xml = re.sub(r"<((?:\w+:)?sqref)>(.*?)</\1>", lambda m: f"<{m.group(1)}>{area(m.group(2))}</{m.group(1)}>", xml, flags=re.S)
    xml = re.sub(r"<((?:\w+:)?(?:f|formula|formula1|formula2))\b([^>]*)>(.*?)</\1>",
                 lambda m: f"<{m.group(1)}{m.group(2)}>{_grow(m.group(3), T, sheet)}</{m.group(1)}>", xml, flags=re.S)
    xml = re.sub(r'<brk\b([^>]*?)\bid="(\d+)"',
                 lambda m: f'<brk{m.group(1)}id="{_marked(int(m.group(2))) if int(m.group(2)) > T else m.group(2)}"', xml)
    return xml


class _StaticBody:
    """The <f> parts of a cell body as RowTemplates; everything else kept as it is.

    A body that is one formula meaning the same on every row (its references are to its own row or
    row-absolute) is written as an Excel shared formula: the text once on the first indicator row,
    <f t="shared" si="k"/> on the others. The 校验 helper columns are such formulas; written out in
    full on every row they would make a department workbook three times slower to write.
    """

    def __init__(self, body: str, T: int, sheet: str):
        # the body's text and its formulas' RowTemplates, alternately (text first and last)
        self.pieces: list[str | _refs.RowTemplate] = []
        pos = 0
        for m in re.finditer(r"(<f>)(.*?)(</f>)", body, re.S):
            self.pieces.append(body[pos:m.end(1)])
            self.pieces.append(_refs.RowTemplate(m.group(2), T, sheet))
            pos = m.start(3)
        self.pieces.append(body[pos:])
        # a formula that names a sheet (Sheet!A1) is written in full on every row: a shared formula may
        # not reference another sheet ([MS-XLSX] / ISO 29500 18.3.1.40), Excel repairs the file
        formula = self.pieces[1] if len(self.pieces) == 3 else None
        self._shared = (formula if isinstance(formula, _refs.RowTemplate) and formula.shareable
                        and self.pieces[0] == "<f>" and self.pieces[2] == "</f>" and "!" not in body else None)
        self.shareable = self._shared is not None

    def render(self, i: int, s: int) -> str:
        return "".join(p if isinstance(p, str) else p.render(i, s) for p in self.pieces)

    def render_shared(self, i: int, s: int, si: int, ref: str) -> str:
        """The body on the i-th indicator row as a shared formula (only a shareable body is written so)."""
        if i:
            return f'<f t="shared" si="{si}"/>'
        assert self._shared is not None, "render_shared of a body that is not shareable"
        return f'<f t="shared" ref="{ref}" si="{si}">{self._shared.render(0, s)}</f>'


@dataclass
class _LoopCell:
    col: str
    style: str | None
    slot_label: str | None       # single indicator placeholder
    slot: Slot | None            # composite slot
    static: str | None           # body of a static cell (may hold a formula)
    attrs: str


# a field's cell outside the indicator row: its slot, its reference (row marked when below the block), its
# style. A plain tuple, as _RowCell below: render unpacks one per such cell of every workbook
_HeaderCell = tuple[Slot, str, str | None]
_Merge = tuple[int, int, int, int]          # r1, c1, r2, c2
# an indicator row's data cell as _row_texts keeps it: label, composite slot, style, width and usable width
# of a text deciding the row's height (_data_cells; one of label and slot is set), the cell when empty and
# the fixed text after it, the opening of its text, its reference, the fixed text after it, the text's close
# and that fixed text. A plain tuple too: _loop_rows unpacks one per cell of every workbook
_RowCell = tuple[str | None, Slot | None, str | None, float | None, float | None, bytes, bytes, str, bytes, bytes]
_RowText = tuple[bytes, bytes, list[_RowCell]]   # '<row r=".."' and attributes, the text to the first data cell, the cells


MAX_ROWS = 1_048_576       # Excel's rows per sheet
MAX_BLANK_ROWS = 10_000    # empty indicator rows asked for: far past any table, short of a typo's hours of work


def check_blank_rows(n) -> None:
    """blank_rows as fill, new and bulk take it: a whole number from 0 to MAX_BLANK_ROWS."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_BLANK_ROWS:
        raise DataError(f"空白行数应为 0 到 {MAX_BLANK_ROWS} 之间的整数（得到 {n!r}）",
                        f"--blank-rows must be a whole number from 0 to {MAX_BLANK_ROWS} (got {n!r})")


class CompiledSheet:
    """One template sheet cut at its marks (split_marks) plus the pieces of its indicator row."""

    def __init__(self, sheet: TemplateSheet):
        self.sheet = sheet
        self.T = sheet.loop_row
        name = sheet.name
        tail, _ = remove_element(sheet.xml.tail, "mergeCells")
        tail = insert_element(tail, "mergeCells", "\x02merges\x03")
        self.static_merges, self.loop_merges, self.group_merges = self._classify_merges()
        self.widths = _layout.column_widths(sheet.xml.head)
        self.row_heights: dict[int, float] = {}      # template row -> its height in points
        self.row_fixed: set[int] = set()              # template rows with an explicit height
        self.fit_rows: dict[int, list[tuple[Slot, float]]] = {}   # template row with slots -> [(slot, width)]
        self.row_attr_base: dict[int, str] = {}       # their attributes without the height
        self.slot_names: dict[int, _HeaderCell] = {}  # k -> the field's cell whose mark is \x02ck\x03
        self.loop_row_attrs, self.loop_min_height = "", 15.0
        self.loop_widths: dict[int, float] = {}       # indicator-row column -> its cell's width (merges spanned)
        body = [self._row(row) for row in sheet.xml.rows]
        if self.T is not None and not any(r.r == self.T for r in sheet.xml.rows):
            body.append("\x02loop_rows\x03")
        head = _shift_refs_in_xml(sheet.xml.head, self.T, name)
        tail = _shift_refs_in_xml(tail, self.T, name)
        self.source = head + "".join(body) + tail
        self._lits, self._marks = split_marks(self.source)
        self._frames: dict[int, tuple[list[bytes], list[tuple[int, int, str | None, str, bytes, bytes]]]] = {}
        self._rows_kept: dict[int, list[_RowText]] = {}
        self._merges_kept: dict[int, tuple[int, str]] = {}
        self._heights: dict[int, bytes] = {}
        self._fit_attrs: dict[tuple[int, int], bytes] = {}
        self.loop_cells = self._loop_cells()
        self.print_area = print_area(sheet)
        # the slots rendered per workbook: each once, though a row's height and its cell both need it
        self._header_slots = list({id(x[0]): x[0] for x in self.slot_names.values()}.values())
        self._header_slots += [sl for pairs in self.fit_rows.values() for sl, _w in pairs
                               if all(sl is not h for h in self._header_slots)]
        # the indicator row's cells that take the data, in order; the others are fixed text per row count.
        # With each: the width of a column whose text decides the row's height and that width less
        # padding (_layout.lines_needed's one-line test, made before calling it), else None, None
        # (一级/二级 are merged over their groups, a composite slot's text is not measured)
        self._data_cells: list[tuple[str | None, Slot | None, str | None, float | None, float | None]] = [
            (lc.slot_label, lc.slot, lc.style, *self._text_width(lc)) for lc in self.loop_cells
            if lc.slot_label is not None or lc.slot is not None]
        self._plans()

    # -- compile -----------------------------------------------------------------------------
    def _classify_merges(self) -> tuple[list[_Merge], list[tuple[int, int]], dict[str, tuple[int, int]]]:
        """The merges outside the indicator row, those inside it (c1, c2; one per row), and the 一级 / 二级
        columns' (c1, c2), merged down their runs."""
        T = self.T
        static: list[_Merge] = []
        loop: list[tuple[int, int]] = []
        group: dict[str, tuple[int, int]] = {}
        group_cols: dict[int, str] = {}
        if T is not None:
            for label in ("一级指标", "二级指标"):
                col = self.sheet.loop_column(label)
                if col:
                    group_cols[col] = label
        for (r1, c1, r2, c2) in self.sheet.merges:
            if T is not None and r1 == r2 == T:
                hit = next((group_cols[c] for c in group_cols if c1 <= c <= c2), None)
                if hit:
                    group[hit] = (c1, c2)
                else:
                    loop.append((c1, c2))
            else:
                static.append((r1, c1, r2, c2))
        for col, label in group_cols.items():
            group.setdefault(label, (col, col))
        return static, loop, group

    def _cell(self, c: Cell, row_expr: str) -> str:
        """A template cell outside the indicator row, with its row moved and formulas marked."""
        ref = f"{col_letter(c.col)}{row_expr}"
        slot = next((s for s in self.sheet.slots if s.row == c.row and s.col == c.col), None)
        if slot is not None:
            key = f"c{len(self.slot_names)}"
            self.slot_names[len(self.slot_names)] = (slot, ref, c.style)
            return f"\x02{key}\x03"
        a = f" {c.attrs.strip()}" if c.attrs.strip() else ""
        if c.body is None:
            return f'<c r="{ref}"{a}/>'
        body = _shift_refs_in_xml(c.body, self.T, self.sheet.name) if self.T else c.body
        return f'<c r="{ref}"{a}>{body}</c>'

    def span_width(self, row: int, col: int) -> float:
        """Width of a cell in column units, across the merged range it starts, if any."""
        for (r1, c1, r2, c2) in self.sheet.merges:
            if r1 == row and c1 == col:
                return sum(self.widths.get(c, _layout.DEFAULT_WIDTH) for c in range(c1, c2 + 1))
        return self.widths.get(col, _layout.DEFAULT_WIDTH)

    def _row(self, row: Row) -> str:
        T = self.T
        if T is not None and row.r == T:
            return "\x02loop_rows\x03"
        expr = _marked(row.r) if (T is not None and row.r > T) else str(row.r)
        a = ROW_ATTRS_DROP.sub("", row.attrs).strip()
        ht = re.search(r'\bht="([\d.]+)"', a)
        self.row_heights[row.r] = float(ht.group(1)) if ht else 15.0
        if ht:
            self.row_fixed.add(row.r)
        cells = "".join(self._cell(c, expr) for c in row.cells)
        slots = [s for s in self.sheet.slots if s.row == row.r]
        if slots:
            # rows with fields grow to fit their text: their attributes are rendered per workbook
            self.fit_rows[row.r] = [(s, self.span_width(s.row, s.col)) for s in slots]
            self.row_attr_base[row.r] = re.sub(r'\s*\b(ht|customHeight)="[^"]*"', "", a)
            return f'<row r="{expr}"\x02h{row.r}\x03>{cells}</row>'
        a = f" {a}" if a else ""
        return f'<row r="{expr}"{a}>{cells}</row>'

    def _loop_cells(self) -> list[_LoopCell]:
        row = next((r for r in self.sheet.xml.rows if r.r == self.T), None) if self.T else None
        if row is None:
            return []
        a = ROW_ATTRS_DROP.sub("", row.attrs).strip()
        ht = re.search(r'\bht="([\d.]+)"', a)
        self.loop_min_height = float(ht.group(1)) if ht else 15.0
        a = re.sub(r'\s*\b(ht|customHeight)="[^"]*"', "", a).strip()
        self.loop_row_attrs = f" {a}" if a else ""
        self.loop_widths = {c.col: self.span_width(c.row, c.col) for c in row.cells}
        out: list[_LoopCell] = []
        for c in row.cells:
            slot = next((s for s in self.sheet.slots if s.row == c.row and s.col == c.col), None)
            attrs_wo_t = re.sub(r'\s*\bt="[^"]*"', "", c.attrs).strip()
            if slot is not None:
                out.append(_LoopCell(col_letter(c.col), c.style, slot.labels[0] if slot.single else None,
                                     None if slot.single else slot, None, attrs_wo_t))
            else:
                # a formula of the indicator row is written out plainly on every row: a shared
                # formula's master copied n times would be n masters of one group
                body = re.sub(r'<f\b[^>]*?(/?)>', lambda m: "<f>" if not m.group(1) else "<f/>", c.body) if c.body else c.body
                out.append(_LoopCell(col_letter(c.col), c.style, None, None, body, c.attrs.strip()))
        return out

    # -- render ------------------------------------------------------------------------------
    def rows_for(self, project: Project | None, blank_rows: int) -> int:
        """Indicator rows this sheet gets: one per indicator plus blanks, at least one; more than a sheet
        holds below the template's other rows is an error (Excel refuses such a file)."""
        if self.T is None:
            return 0
        n = max((len(project.indicators) if project else 0) + blank_rows, 1)
        if n > self._room:
            raise DataError(f"指标行共 {n} 行，超过一张工作表能放下的 {self._room} 行（Excel 每表最多 {MAX_ROWS} 行）",
                            f"{n} indicator rows: more than the {self._room} a sheet holds here (Excel: {MAX_ROWS} rows)")
        return n

    @cached_property
    def _room(self) -> int:
        """Indicator rows that fit: the sheet's rows less the template's rows around its one indicator row."""
        last = max([self.T or 1, *(row.r for row in self.sheet.xml.rows)])
        return MAX_ROWS - (last - 1)

    def render(self, project: Project | None, blank_rows: int = 0,
               data: tuple[dict, list[dict]] | None = None) -> bytes:
        """The sheet's XML for one project, in UTF-8; data: its (values, indicator dicts), from project_data.
        Its fixed text is kept encoded (per s, per row count): only the data's text is encoded per workbook."""
        values, inds = data if data is not None else project_data(project)
        n = self.rows_for(project, blank_rows)
        s = max(n - 1, 0)
        frame, cells = self._frame(s)
        out = frame[:]                   # the fixed text at the even places, each slot's text put at its own
        pos = self._pos
        if self.T is not None:
            runs = _group_runs(inds)
            out[pos["loop_rows"]] = self._loop_rows(inds, runs, n, s)
        else:
            runs = {}
        out[pos["merges"]] = self._merges_xml(runs, n, s).encode("utf-8")
        get = values.get
        got = [get(label) if label is not None else sl.render(values) for label, sl in self._reads]
        lines_needed, kept = _layout.lines_needed, self._fit_attrs
        for at, r, pairs in self._fit_plan:
            lines = 1
            for k, width, usable in pairs:
                v = got[k]
                # no character is wider than 1.8 units: a text that fits so counted fits (most fields' text)
                if v is None or (type(v) is str and 1.8 * len(v) <= usable and "\n" not in v):
                    continue
                need = lines_needed(v, width)
                if need > lines:
                    lines = need
            attrs = kept.get((r, lines))
            if attrs is None:
                attrs = kept[(r, lines)] = self._fit_attr(r, lines)
            out[at] = attrs
        for at, k, style, ref, empty, text_open in cells:
            v = got[k]
            if type(v) is str and v:
                out[at] = text_open + xml_text(v).encode("utf-8") + b"</t></is></c>"
            elif v is None or v == "":
                out[at] = empty
            else:
                out[at] = cell_xml(ref, v, style).encode("utf-8")
        return b"".join(out)

    def _text_width(self, lc: _LoopCell) -> tuple[float | None, float | None]:
        if not lc.slot_label or lc.slot_label in ("一级指标", "二级指标"):
            return None, None
        w = self.loop_widths.get(col_index(lc.col), 8.43)
        return w, max(w - 0.8, 1.0)

    def _plans(self) -> None:
        """What render reads per workbook, laid out once: where each slot's text goes in the frame, the
        header slots (a field's own value read straight from the values), the rows that fit their text."""
        names = [m for m in self._marks if isinstance(m, str)]
        self._pos = {nm: 2 * i + 1 for i, nm in enumerate(names)}
        index = {id(sl): i for i, sl in enumerate(self._header_slots)}
        self._reads = [(sl.labels[0] if sl.single else None, sl) for sl in self._header_slots]
        self._fit_plan = [(self._pos[f"h{r}"], r, [(index[id(sl)], w, max(w - 0.8, 1.0)) for sl, w in pairs])
                          for r, pairs in self.fit_rows.items()]
        self._cell_plan = [(self._pos[f"c{k}"], index[id(slot)], style) for k, (slot, _ref, style) in self.slot_names.items()]

    def _fit_attr(self, r: int, lines: int) -> bytes:
        """The attributes of template row r, which has fields, for text of that many lines (_fit_attrs keeps them)."""
        h = _layout.height_of(lines, self.row_heights[r])
        base = self.row_attr_base[r]
        ht = f' ht="{h}" customHeight="1"' if h else (
            f' ht="{self.row_heights[r]}" customHeight="1"' if r in self.row_fixed else "")
        return ((f" {base}" if base else "") + ht).encode("utf-8")

    def _frame(self, s: int) -> tuple[list[bytes], list[tuple[int, int, str | None, str, bytes, bytes]]]:
        """The sheet's fixed text for a block grown by s, with a place ("") between its pieces for each
        slot's text (at _pos), and each field's cell there: (place, header slot, style, reference, the cell
        empty, the opening of its text) -- worked out once per s."""
        got = self._frames.get(s)
        if got is None:
            lits = [self._lits[0]]
            for mark, lit in zip(self._marks, self._lits[1:]):
                if isinstance(mark, int):
                    lits[-1] += str(mark + s) + lit
                else:
                    lits.append(lit)
            frame = [b""] * (2 * len(lits) - 1)
            frame[0::2] = [lit.encode("utf-8") for lit in lits]
            cells = []
            for (at, k, style), (_slot, ref, _style) in zip(self._cell_plan, self.slot_names.values()):
                ref = MARK.sub(lambda m: str(int(m.group(1)) + s) if m.group(1) else m.group(), ref)
                st = f' s="{style}"' if style is not None else ""
                cells.append((at, k, style, ref, f'<c r="{ref}"{st}/>'.encode() if st else b"",
                              f'<c r="{ref}"{st}{_INLINE}'.encode()))
            if len(self._frames) >= _KEEP:
                self._frames.clear()
            got = self._frames[s] = (frame, cells)
        return got

    def _loop_rows(self, inds: list[dict], runs: dict[str, list[tuple[int, int]]], n: int, s: int) -> bytes:
        """The n indicator rows: each row's fixed text (_row_texts) with the data's cells between."""
        cont1, cont2 = _continuations(runs)
        heights = self._heights
        lines_needed = _layout.lines_needed
        out: list[bytes] = []
        put = out.append
        for i, (opening, first, cells) in enumerate(self._row_texts(n, s)):
            vals = inds[i] if i < len(inds) else {}
            get = vals.get
            put(opening)
            at = len(out)
            put(b"")                        # the row's height, known once its cells are
            put(first)
            # the height that fits the row's text, without customHeight: Excel (and LibreOffice) keep it
            # on opening and grow the row again as text is typed or edited (its cells are not merged
            # across columns, so Excel's autofit sees them)
            lines = 1
            # a 一级 / 二级 cell a run above covers stays empty: the merge shows the run's text
            blank = _BLANK[(i in cont1) + 2 * (i in cont2)]
            for label, slot, style, width, usable, empty, text_open, ref, after, closed in cells:
                if slot is not None:        # else label is set (_data_cells): one check either way
                    v = slot.render(vals) if vals else None
                else:
                    v = get(label) if not blank or label not in blank else None
                if v is None or v == "":
                    put(empty)
                    continue
                # no character is wider than 1.8 units (_layout.text_units): a line of text that needs no
                # more lines so counted needs no more than the row already has
                if usable is not None and width is not None and (type(v) is not str or 1.8 * len(v) / usable > lines or "\n" in v):
                    need = lines_needed(v, width)
                    if need > lines:
                        lines = need
                if type(v) is str:
                    put(text_open)
                    put(xml_text(v).encode("utf-8"))
                    put(closed)
                else:
                    put(cell_xml(ref, v, style).encode("utf-8"))
                    put(after)
            ht = heights.get(lines)
            if ht is None:
                ht = heights[lines] = self._row_ht(lines)
            out[at] = ht
        return b"".join(out)

    def _row_ht(self, lines: int) -> bytes:
        """An indicator row's ht attribute for text of that many lines (kept per line count in _heights)."""
        h = _layout.height_of(lines, self.loop_min_height) or (
            self.loop_min_height if self.loop_min_height != 15.0 else None)
        return f' ht="{h}"'.encode() if h else b""

    def _row_texts(self, n: int, s: int) -> list[_RowText]:
        """Per indicator row of a block of n: '<row r=".."' and its attributes, the fixed text up to the first
        data cell (opening with '>'), and per data cell: its label, composite slot and style (_data_cells),
        itself empty, the opening of its text, its reference and the fixed text after it (the last closes
        the row) -- the same for every workbook of n rows, so kept per n."""
        got = self._rows_kept.get(n)
        if got is not None:
            return got
        T = self.T
        # only _loop_rows asks, and render calls it only for a sheet with an indicator row
        assert T is not None, "indicator rows of a sheet without an indicator row"
        got = []
        for i in range(n):
            r = T + i
            chunks, cur = [], [">"]
            cells: list[tuple[str, str, str]] = []
            for lc in self.loop_cells:
                ref = f"{lc.col}{r}"
                if lc.slot_label is not None or lc.slot is not None:
                    chunks.append("".join(cur))
                    cur = []
                    prefix = f'<c r="{ref}" s="{lc.style}"' if lc.style is not None else f'<c r="{ref}"'
                    cells.append((prefix + "/>" if lc.style is not None else "", prefix + _INLINE, ref))
                elif lc.static is None:
                    cur.append(f'<c r="{ref}" {lc.attrs}/>' if lc.attrs else f'<c r="{ref}"/>')
                else:
                    body = self._row_body(lc.col, lc.static, T)
                    if body.shareable and n > 1:
                        text = body.render_shared(i, s, self._shared_si(lc), f"{lc.col}{T}:{lc.col}{T + n - 1}")
                    else:
                        text = body.render(i, s)
                    cur.append(f'<c r="{ref}" {lc.attrs}>{text}</c>')
            cur.append("</row>")
            chunks.append("".join(cur))
            # (the empty cell and the text's close carry the fixed text after them: one string put, not two;
            # all of it encoded here, once per row count)
            got.append((f'<row r="{r}"{self.loop_row_attrs}'.encode(), chunks[0].encode(),
                        [(*data, (empty + after).encode(), text_open.encode(), ref, after.encode(),
                          ("</t></is></c>" + after).encode())
                         for data, (empty, text_open, ref), after in zip(self._data_cells, cells, chunks[1:])]))
        if n <= _KEEP_ROWS:
            if len(self._rows_kept) >= _KEEP or sum(self._rows_kept) + n > _KEEP_ROWS * 4:
                self._rows_kept.clear()            # (a few MB at most: about 1.5 KB a row)
            self._rows_kept[n] = got
        return got

    def _shared_si(self, lc: _LoopCell) -> int:
        """The shared-formula group of an indicator-row cell: numbered after any the template uses."""
        table = self.__dict__.get("_si")
        if table is None:
            used = [int(x) for r in self.sheet.xml.rows for c in r.cells if c.body
                    for x in re.findall(r'<f\b[^>]*\bsi="(\d+)"', c.body)]
            start = max(used, default=-1) + 1
            table = self._si = {c.col: start + k for k, c in enumerate(self.loop_cells)}
        return table[lc.col]

    def _row_body(self, col: str, static: str, T: int) -> _StaticBody:
        """A static indicator-row cell's body (of column col) with its formula's row references compiled
        (_refs.in_row)."""
        cache: dict[str, _StaticBody] = self.__dict__.setdefault("_row_bodies", {})
        tpl = cache.get(col)
        if tpl is None:
            tpl = cache[col] = _StaticBody(static, T, self.sheet.name)
        return tpl

    def _merges_xml(self, runs: dict[str, list[tuple[int, int]]], n: int, s: int) -> str:
        T = self.T
        count, fixed = self._fixed_merges(n, s)
        refs = []
        if T is not None:
            for label, (c1, c2) in self.group_merges.items():
                covered: set[int] = set()
                for a, b in runs[label]:
                    if b > a or c2 > c1:
                        refs.append(_merge_ref(T + a, c1, T + b, c2))
                    covered.update(range(a, b + 1))
                if c2 > c1:
                    refs.extend(_merge_ref(T + i, c1, T + i, c2) for i in range(n) if i not in covered)
        if not count and not refs:
            return ""
        return f'<mergeCells count="{count + len(refs)}">{fixed}{"".join(refs)}</mergeCells>'

    def _fixed_merges(self, n: int, s: int) -> tuple[int, str]:
        """The template's merges moved by s and the indicator row's on each of n rows (how many, their
        XML): kept per n."""
        got = self._merges_kept.get(n)
        if got is not None:
            return got
        T = self.T
        refs = []
        for (r1, c1, r2, c2) in self.static_merges:
            if T is not None:
                r1 = r1 if r1 <= T else r1 + s
                r2 = r2 if r2 < T else r2 + s
            refs.append(_merge_ref(r1, c1, r2, c2))
        if T is not None:
            for i in range(n):
                for (c1, c2) in self.loop_merges:
                    refs.append(_merge_ref(T + i, c1, T + i, c2))
        got = (len(refs), "".join(refs))
        if n <= _KEEP_ROWS:
            if len(self._merges_kept) >= _KEEP:
                self._merges_kept.clear()
            self._merges_kept[n] = got
        return got


def _merge_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return f'<mergeCell ref="{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"/>'


def _runs(inds: list[dict], keys: tuple[str, ...]) -> list[tuple[int, int]]:
    """Run-length groups of equal, non-empty keys; a 二级 run never crosses a 一级 boundary."""
    runs, start, prev = [], 0, None
    for i, ind in enumerate(inds):
        k = tuple(map(ind.get, keys))
        if k != prev:
            if prev is not None and all(v is not None for v in prev):
                runs.append((start, i - 1))
            start, prev = i, k
    if prev is not None and all(v is not None for v in prev):
        runs.append((start, len(inds) - 1))
    return runs


def _group_runs(inds: list[dict]) -> dict[str, list[tuple[int, int]]]:
    """The 一级 and 二级 runs (_runs) of the indicator rows, in one pass over them."""
    r1: list[tuple[int, int]] = []
    r2: list[tuple[int, int]] = []
    s1 = s2 = 0
    p1 = p2 = None
    for i, ind in enumerate(inds):
        a = ind.get("一级指标")
        k2 = (a, ind.get("二级指标"))
        if k2 != p2:
            if p2 is not None and p2[0] is not None and p2[1] is not None:
                r2.append((s2, i - 1))
            s2, p2 = i, k2
        if i == 0 or a != p1:
            if i and p1 is not None:
                r1.append((s1, i - 1))
            s1, p1 = i, a
    if inds:
        if p1 is not None:
            r1.append((s1, len(inds) - 1))
        if p2 is not None and p2[0] is not None and p2[1] is not None:
            r2.append((s2, len(inds) - 1))
    return {"一级指标": r1, "二级指标": r2}


def _continuations(runs: dict[str, list[tuple[int, int]]]) -> tuple[set[int], set[int]]:
    """The rows whose 一级 / 二级 cell a run above covers (left empty: the merge shows the run's text)."""
    c1: set[int] = set()
    c2: set[int] = set()
    for label, out in (("一级指标", c1), ("二级指标", c2)):
        for a, b in runs[label]:
            out.update(range(a + 1, b + 1))
    return c1, c2


def project_values(project: Project | None) -> dict:
    if project is None:
        return {}
    d = project.to_dict()
    d.pop("指标", None)
    return d


def project_data(project: Project | None) -> tuple[dict, list[dict]]:
    """A project's header values (project_values, without converting its indicators twice) and indicator
    dicts, worked out once for all its sheets."""
    if project is None:
        return {}, []
    values = dict(project._items())
    if project.midterm:
        values[F.midterm_key()] = [i.to_dict() for i in project.midterm]
    values.pop(F.indicators_key(), None)
    return values, [_record_dict(i) for i in project.indicators]


def _record_dict(rec: Indicator) -> dict:
    """rec.to_dict() (dict(rec._items())) as one comprehension: the same keys in the same order, a third faster."""
    d = {spec.label: v for spec in rec._specs if (v := getattr(rec, spec.name)) is not None}
    if rec.extra:
        d.update(rec.extra)
    return d


def sheet_title(name: str) -> str:
    name = INVALID_SHEET_CHARS.sub("_", name).strip("'") or "Sheet"
    return name[:31]


# ------------------------------------------------------------------------------------------------

class _Planned(NamedTuple):
    """One sheet of a workbook to render (Compiled._plan): which template sheet, for which project, its title,
    whether it is a further copy of the template sheet (after the first project's)."""

    sheet: CompiledSheet
    project: Project | None
    title: str
    copy: bool


class _SheetRow(NamedTuple):
    """A rendered sheet as the workbook-level parts name it: its n-th place, its part, the rows its block grew by."""

    title: str
    part: str
    sheet: CompiledSheet
    copy: bool
    n: int
    s: int


_Rename = tuple[str, str, int | None, int]   # (template sheet name, its copy's title, its T, its s)


class Compiled:
    """A template compiled for fast, repeated rendering."""

    def __init__(self, template: Template):
        self.template = template
        self.sheets = [CompiledSheet(s) for s in template.sheets]
        parts = template.parts
        wb = template.workbook_part
        self.wb_rels_part = rels_path(wb)
        self._sheet_parts = {s.part for s in template.sheets} | {s.rels_part for s in template.sheets if s.rels_part}
        drop = {p for p in parts if p.endswith("calcChain.xml")}
        self._drop = drop | self._sheet_parts | {P.CONTENT_TYPES, wb, self.wb_rels_part,
                                                  "docProps/app.xml", "docProps/custom.xml", P.ROOT_RELS}
        # every part perfbook does not rewrite: deflated once, copied into every workbook
        self.static = [deflate(n, b) for n, b in parts.items() if n not in self._drop]
        self._constant: dict[tuple[int, str], tuple[bytes, Entry]] = {}  # sheets the same in every workbook
        self._deflated: dict[tuple[str, bytes], Entry] = {}                # _kept
        self._wb_entries: dict[tuple, Entry] = {}                          # _workbook_entry, _app_entry
        self._shapes: dict[tuple, tuple[list, list[list[_Rename]]]] = {}   # _shape
        self._codenames: dict[int, str | None] = {}                          # _codename
        self._package_parts()

    def render(self, projects: list[Project], blank_rows: int = 0, meta: dict | None = None,
               names: list[str] | None = None) -> bytes:
        check_blank_rows(blank_rows)
        plan, renames = self._shape(projects, names, blank_rows)
        entries: list[Entry] = []
        sheet_rows: list[_SheetRow] = []
        extra_ct: list[tuple[str, str]] = []
        codenames: list[str | None] = []
        values_of: dict[int, tuple[dict, list[dict]]] = {}          # each project's values, for all its sheets
        for n, (cs, project, title, copy) in enumerate(plan, start=1):
            part = f"xl/worksheets/sheet{n}.xml"
            # a sheet with no marks and nothing renamed in it (the drop-down lists) is the same bytes in
            # every workbook: rendered and deflated once per process
            constant = not cs.sheet.dynamic and not copy and not renames[n - 1]
            hit = self._constant.get((id(cs), part)) if constant else None
            if hit is not None:
                xml = hit[0]
            else:
                if id(project) not in values_of:
                    values_of[id(project)] = project_data(project)
                xml = cs.render(project, blank_rows if cs.T is not None else 0, values_of[id(project)])
            if renames[n - 1]:
                xml = _rename_in_formulas(xml.decode("utf-8"), renames[n - 1]).encode("utf-8")
            # sheetPr and sheetViews come before sheetData: only that head is searched (a regex over a
            # department sheet's whole XML cost a third of its render time)
            if copy and cs.sheet.index is not None:
                cut = xml.find(b"<sheetData")
                head = (xml[:cut] if cut >= 0 else xml).decode("utf-8")
                if "tabSelected" in head:          # the regex (led by a run of spaces) costs far more
                    head = _TAB_SELECTED.sub("", head)
                # a copy gets its own VBA codeName (each sheet has its own document module)
                own = P.sheet_codename(head)
                if own is not None:
                    head = P.set_sheet_codename(head, f"{own}_{n}")
                xml = head.encode("utf-8") + xml[cut:] if cut >= 0 else head.encode("utf-8")
                codenames.append(P.sheet_codename(head))
            else:
                codenames.append(self._codename(cs, xml))
            entries.append(self._sheet_entry(cs, part, xml, constant))
            rels_part = cs.sheet.rels_part
            if rels_part:
                rels, dup = self._sheet_rels(cs.sheet, rels_part, n, copy)
                entries.append(deflate(rels_path(part), rels, FAST))
                for name, data, ct in dup:
                    entries.append(deflate(name, data, FAST))
                    if ct:
                        extra_ct.append((name, ct))
            s = max(cs.rows_for(project, blank_rows) - 1, 0)
            sheet_rows.append(_SheetRow(title, part, cs, copy, n, s))
        entries.append(self._workbook_entry(plan, sheet_rows))
        entries.append(self._kept(self.wb_rels_part, self._workbook_rels(sheet_rows)))
        entries.append(self._app_entry([r.title for r in sheet_rows]))
        entries.append(self._kept(P.ROOT_RELS, self._root_rels(bool(meta))))
        if meta:
            entries.append(self._kept("docProps/custom.xml", self._custom(meta)))
        types = self._content_types([r.part for r in sheet_rows], extra_ct, bool(meta))
        return build_zip([self._kept(P.CONTENT_TYPES, types)] + entries + self._static_for(codenames))

    def _codename(self, cs: CompiledSheet, xml: bytes) -> str | None:
        """The VBA codeName of a sheet written as the template has it (not a copy): its <sheetPr> is
        the template's in every workbook (marks and slots are all further on), so it is read once."""
        key = id(cs)
        if key not in self._codenames:
            cut = xml.find(b"<sheetData")
            self._codenames[key] = P.sheet_codename((xml[:cut] if cut >= 0 else xml).decode("utf-8"))
        return self._codenames[key]

    # -- workbook-level parts, deflated once per content: most are the same in every workbook of one
    # shape (as many sheets, the same titles and block sizes); bench/run.py's floor copies them too
    def _kept(self, name: str, raw: bytes) -> Entry:
        """raw deflated as name (at FAST, as every per-workbook part), once per (name, bytes)."""
        key = (name, raw)
        got = self._deflated.get(key)
        if got is None:
            if len(self._deflated) >= _KEEP:
                self._deflated.clear()
            got = self._deflated[key] = deflate(name, raw, FAST)
        return got

    def _workbook_entry(self, plan: list[_Planned], sheet_rows: list[_SheetRow]) -> Entry:
        """workbook.xml: its sheets' titles, template sheets and block growth decide every byte of it."""
        key = tuple((r.title, id(r.sheet), r.s) for r in sheet_rows)
        got = self._wb_entries.get(key)
        if got is None:
            if len(self._wb_entries) >= _KEEP:
                self._wb_entries.clear()
            got = self._wb_entries[key] = deflate(self.template.workbook_part,
                                                  self._workbook_xml(plan, sheet_rows).encode("utf-8"), FAST)
        return got

    def _app_entry(self, titles: list[str]) -> Entry:
        key = ("docProps/app.xml", tuple(titles))
        got = self._wb_entries.get(key)
        if got is None:
            if len(self._wb_entries) >= _KEEP:
                self._wb_entries.clear()
            got = self._wb_entries[key] = deflate("docProps/app.xml", _app_xml(titles), FAST)
        return got

    def _sheet_entry(self, cs: CompiledSheet, part: str, xml: bytes, constant: bool) -> Entry:
        if not constant:
            return deflate(part, xml, FAST)
        key = (id(cs), part)
        if key not in self._constant:
            self._constant[key] = (xml, deflate(part, xml))
        return self._constant[key][1]

    def cached_entries(self) -> list[Entry]:
        """Every part this renderer copies into workbooks already deflated (what bench/run.py's floor copies too)."""
        return (list(self.static) + [e for _xml, e in self._constant.values()] + list(self._deflated.values())
                + list(self._wb_entries.values()))

    def _static_for(self, codenames: list[str | None]) -> list[Entry]:
        """The copied parts; a VBA project perfbook built gets a document module for every sheet copy."""
        data = self.template.parts.get(vba.VBA_PART)
        if data is None or not any(codenames):
            return self.static
        new = vba.with_document_modules(data, tuple(c for c in codenames if c))
        if new is None or new == data:
            return self.static
        return [e for e in self.static if e.name != vba.VBA_PART.encode()] + [deflate(vba.VBA_PART, new)]

    # -- plan: which sheet copies, in which order, under which names -----------------------------
    def _shape(self, projects: list[Project], names: list[str] | None,
               blank_rows: int) -> tuple[list[_Planned], list[list[_Rename]]]:
        """The plan and the renames (_renames) of a workbook, worked out once per shape: how many
        projects, the titles they give their sheets, how many indicator rows each has."""
        key = (tuple(names) if names else None, blank_rows,
               tuple((p.name, len(p.indicators)) for p in projects) if len(projects) > 1
               else (None, len(projects[0].indicators)) if projects else ())
        got = self._shapes.get(key)
        if got is None:
            plan = self._plan(projects, names)
            index = {id(p): i for i, p in enumerate(projects)}
            spec = [(cs, index.get(id(p)), title, copy) for cs, p, title, copy in plan]
            if len(self._shapes) >= _KEEP:
                self._shapes.clear()
            self._shapes[key] = (spec, self._renames(plan, blank_rows))
            return plan, self._shapes[key][1]
        spec, renames = got
        return [_Planned(cs, None if i is None else projects[i], title, copy) for cs, i, title, copy in spec], renames

    def _plan(self, projects: list[Project], names: list[str] | None) -> list[_Planned]:
        dynamic = [cs for cs in self.sheets if cs.sheet.dynamic]
        first = min((cs.sheet.index for cs in dynamic), default=0)
        before = [cs for cs in self.sheets if not cs.sheet.dynamic and cs.sheet.index < first]
        after = [cs for cs in self.sheets if not cs.sheet.dynamic and cs.sheet.index > first]
        planned: list[Project | None] = list(projects) or [None]
        plan = [_Planned(cs, None, cs.sheet.name, False) for cs in before]
        used = {cs.sheet.name for cs in before + after}
        for i, p in enumerate(planned):
            for j, cs in enumerate(dynamic):
                if len(planned) == 1:
                    title = cs.sheet.name
                elif names and j == 0:
                    title = names[i]
                else:
                    label = (p.name if p and p.name else cs.sheet.name) if cs.T is not None else cs.sheet.name
                    title = f"{i + 1}.{label}"
                title = _unique(sheet_title(title), used)
                plan.append(_Planned(cs, p, title, i > 0))
        plan += [_Planned(cs, None, cs.sheet.name, False) for cs in after]
        return plan

    def _renames(self, plan: list[_Planned], blank_rows: int = 0) -> list[list[_Rename]]:
        """Per planned sheet, the (template name, title, T, s) of each other sheet its formulas name: such
        a formula names that sheet's copy in the same project's set (a sheet outside the sets, the
        first set's), its row references moved as that copy's indicator block grew."""
        named: dict[int, list[str]] = self.__dict__.get("_named") or self._named_sheets()
        groups: list[dict[str, tuple[str, int | None, int]]] = []
        cur: dict[str, tuple[str, int | None, int]] = {}
        for cs, p, title, _c in plan:
            if cs.sheet.dynamic:
                if cs.sheet.name in cur:
                    cur = {}
                s = max(cs.rows_for(p, blank_rows) - 1, 0) if cs.T is not None else 0
                cur[cs.sheet.name] = (title, cs.T, s)
            groups.append(cur)
        first = next((g for g in groups if g), {})
        out: list[list[_Rename]] = []
        for (cs, _p, _t, _c), group in zip(plan, groups):
            g = group if cs.sheet.dynamic else first
            out.append([(nm, *g[nm]) for nm in named[id(cs)] if nm in g and (g[nm][0] != nm or g[nm][2])])
        return out

    def _named_sheets(self) -> dict[int, list[str]]:
        """Which other sheets each sheet's formulas name: the template's, found once."""
        names = {cs.sheet.name for cs in self.sheets}
        named: dict[int, list[str]] = {}
        self._named = named
        for cs in self.sheets:
            text = "".join(c.body or "" for r in cs.sheet.xml.rows for c in r.cells)
            named[id(cs)] = [nm for nm in names if nm != cs.sheet.name and "<f" in text
                             and (f"{xml_attr(nm)}!" in text or f"{xml_attr(nm)}'!" in text)]
        return named

    # -- workbook-level parts (written through ooxml._parts, from what __init__ read once) ------------
    def _package_parts(self) -> None:
        t = self.template
        parts = t.parts
        self._wb = P.WorkbookXml(parts[t.workbook_part].decode("utf-8"))
        # each name with its scope and the template's sheets its formula names
        self._names = [(dn, dn.name, dn.local_sheet, {s.name for s in t.sheets if _refers_to(dn.text, s.name)})
                       for dn in self._wb.names]
        self._local_names: dict[tuple[int, int], str] = {}
        self._moved_names: dict[tuple[str, int, int], str] = {}
        self._wb_rels = P.RelsWriter(a for a in P.read_rels(parts[self.wb_rels_part])
                                     if a.get("Type") != WS_TYPE and not a.get("Target", "").endswith("calcChain.xml"))
        root = [a for a in P.read_rels(parts[P.ROOT_RELS]) if a.get("Type") != CUSTOM_TYPE]
        self._root = {False: P.RelsWriter(root).xml(),
                      True: P.RelsWriter(root).xml([P.relationship("rIdPbCustom", CUSTOM_TYPE, "docProps/custom.xml")])}
        types = P.read_types(parts[P.CONTENT_TYPES])
        self._overrides = P.overrides(types)
        # the sheets are typed per workbook; calcChain is dropped, custom.xml rewritten
        keep = P.without_overrides(types, lambda p, ct: p in self._sheet_parts or p.endswith("calcChain.xml")
                                   or p == "docProps/custom.xml" or ct == P.CT_WORKSHEET)
        self._has_app = "docProps/app.xml" in P.overrides(keep)
        self._types = P.TypesWriter(keep)
        self._sheet_rels_of = {s.rels_part: P.read_rels(parts[s.rels_part]) for s in t.sheets if s.rels_part}
        self._sheet_rels_fixed = {k: P.RelsWriter(v).xml() for k, v in self._sheet_rels_of.items()}
        # package parts that depend on the workbook's shape only (how many sheets, which parts, the meta)
        self._kept_parts: dict[tuple, bytes] = {}

    def _workbook_xml(self, plan: list[_Planned], sheet_rows: list[_SheetRow]) -> str:
        sheets = [P.sheet_element(title, n, f"rIdPb{n}", cs.sheet.attrs) for (title, part, cs, copy, n, _s) in sheet_rows]
        return self._wb.xml(sheets, self._defined_names(sheet_rows))

    def _defined_names(self, sheet_rows: list[_SheetRow]) -> list[str]:
        out = []
        printed = set()      # the sheets given a print area
        name_text = self._name_text
        for dn, name, k, refers in self._names:
            text = dn.text
            if k is not None:
                for idx, row in enumerate(sheet_rows):
                    if row.sheet.sheet.index != k:
                        continue
                    out.append(self._local_name(dn, idx).replace("\x00", name_text(text, row.sheet, row.title, row.s)))
                    if name == "_xlnm.Print_Area":
                        printed.add(idx)
            else:
                first = next(((i, r) for i, r in enumerate(sheet_rows) if r.sheet.sheet.name in refers), None) if refers else None
                if first:
                    row = first[1]
                    text = name_text(text, row.sheet, row.title, row.s)
                out.append(dn.xml(text))
        # a print area over the official table where the template sets none: the hidden helper
        # columns would otherwise widen the printed range and shrink a fit-to-width page
        for idx, (title, _part, cs, _copy, _n, s) in enumerate(sheet_rows):
            if cs.print_area and idx not in printed and cs.sheet.attrs.get("state", "visible") == "visible":
                text = escape("'" + cs.sheet.name.replace("'", "''") + "'!" + cs.print_area)
                out.append(P.defined_name("_xlnm.Print_Area", name_text(text, cs, title, s), idx, escaped=True))
        return out

    def _local_name(self, dn: P.DefinedName, idx: int) -> str:
        """A sheet-scoped name's element for the idx-th sheet, its formula left as \\x00 (kept per name and idx)."""
        key = (id(dn), idx)
        got = self._local_names.get(key)
        if got is None:
            got = self._local_names[key] = dn.xml("\x00", idx)
        return got

    def _name_text(self, text: str, cs: CompiledSheet, title: str, s: int) -> str:
        """_name_text, its rows moved once per (formula, sheet, s): only the renaming is per workbook."""
        if cs.T is None or not s:
            return _rename_sheet(text, cs.sheet.name, title)
        key = (text, id(cs), s)
        moved = self._moved_names.get(key)
        if moved is None:
            if len(self._moved_names) >= 4096:
                self._moved_names.clear()
            moved = self._moved_names[key] = _name_text(text, cs, cs.sheet.name, s)
        return _rename_sheet(moved, cs.sheet.name, title)

    def _workbook_rels(self, sheet_rows: list[_SheetRow]) -> bytes:
        # the same for every workbook of as many sheets: written once per count
        key = ("rels", len(sheet_rows))
        got = self._kept_parts.get(key)
        if got is None:
            got = self._kept_parts[key] = self._wb_rels.xml(
                P.relationship(f"rIdPb{n}", WS_TYPE, f"worksheets/sheet{n}.xml") for (title, part, cs, copy, n, _s) in sheet_rows)
        return got

    def _root_rels(self, with_custom: bool) -> bytes:
        return self._root[with_custom]

    def _content_types(self, sheet_parts: list[str], extra: list[tuple[str, str]], with_custom: bool) -> bytes:
        # the same for every workbook of the same parts: written once for them
        key = ("types", tuple(sheet_parts), tuple(extra), with_custom)
        got = self._kept_parts.get(key)
        if got is not None:
            return got
        overrides = [(p, P.CT_WORKSHEET) for p in sheet_parts] + list(extra)
        if not self._has_app:
            overrides.append(("docProps/app.xml", P.CT_APP))
        if with_custom:
            overrides.append(("docProps/custom.xml", P.CT_CUSTOM))
        if len(self._kept_parts) >= _KEEP:
            self._kept_parts.clear()
        got = self._kept_parts[key] = self._types.xml(overrides)
        return got

    def _custom(self, meta: dict) -> bytes:
        key = ("custom", tuple((str(k), str(v)) for k, v in meta.items()))
        got = self._kept_parts.get(key)
        if got is None:
            got = self._kept_parts[key] = _custom_xml(meta)
        return got

    def _sheet_rels(self, sheet: TemplateSheet, rels_part: str, n: int,
                    copy: bool) -> tuple[bytes, list[tuple[str, bytes, str | None]]]:
        """The sheet's relationships (its part rels_part); a copy gets its own copies of drawings, comments,
        printer settings: (name, bytes, content type) each."""
        if not copy:
            return self._sheet_rels_fixed[rels_part], []
        out: list[dict[str, str]] = []
        dup: list[tuple[str, bytes, str | None]] = []
        for a in self._sheet_rels_of[rels_part]:
            a = dict(a)
            if a.get("TargetMode") != "External":
                target = resolve(sheet.part, a["Target"])
                stem, dot, ext = target.rpartition(".")
                new = f"{stem}_pb{n}.{ext}"
                dup.append((new, self.template.parts.get(target, b""), self._overrides.get(target)))
                # the copy's own relationships (a drawing's pictures, a header's VML images): the same
                # targets, valid from the copy since it sits in the same folder
                own = self.template.parts.get(rels_path(target))
                if own is not None:
                    dup.append((rels_path(new), own, None))
                a["Target"] = "/" + new
            out.append(a)
        return P.RelsWriter(out).xml(), dup


def _rename_in_formulas(xml: str, pairs: list[_Rename]) -> str:
    def fix(m: re.Match[str]) -> str:
        text = unescape(m.group(2))
        for old, _new, T, s in pairs:
            if T is not None and s:
                text = _refs.shift_text(text, T, s, old, qualified_only=True)
        for old, new, _T, _s in pairs:
            text = _rename_sheet(text, old, new)
        return m.group(1) + escape(text) + m.group(3)
    return re.sub(r"(<f\b[^>]*>)(.*?)(</f>)", fix, xml, flags=re.S)


def _name_text(text: str, cs: CompiledSheet, title: str, s: int) -> str:
    """A defined name's formula for one copy of a sheet: rows moved by s, sheet renamed."""
    if cs.T is not None and s:
        text = escape(_refs.shift_text(unescape(text), cs.T, s, cs.sheet.name, whole_rows=True))
    return _rename_sheet(text, cs.sheet.name, title)


def _refers_to(text: str, sheet: str) -> bool:
    return f"'{sheet}'!" in text or f"{sheet}!" in text


def _rename_sheet(text: str, old: str, new: str) -> str:
    if old == new:
        return text
    q_new = "'" + new.replace("'", "''") + "'"
    text = text.replace("'" + old.replace("'", "''") + "'!", q_new + "!")
    return re.sub(r"(?<![\w'])" + re.escape(old) + "!", q_new + "!", text)


def _unique(title: str, used: set[str]) -> str:
    base, k = title, 2
    while title.lower() in {u.lower() for u in used}:
        suffix = f"({k})"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(title)
    return title


def _app_xml(titles: list[str]) -> bytes:
    parts = "".join(f"<vt:lpstr>{escape(t)}</vt:lpstr>" for t in titles)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>perfbook</Application>"
        '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant>'
        f'<vt:variant><vt:i4>{len(titles)}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
        f'<TitlesOfParts><vt:vector size="{len(titles)}" baseType="lpstr">{parts}</vt:vector></TitlesOfParts>'
        "</Properties>"
    ).encode("utf-8")


def _custom_xml(meta: dict) -> bytes:
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" name="{xml_attr(str(k))}">'
        f"<vt:lpwstr>{escape(str(v))}</vt:lpwstr></property>"
        for i, (k, v) in enumerate(meta.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        f'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">{props}</Properties>'
    ).encode("utf-8")
