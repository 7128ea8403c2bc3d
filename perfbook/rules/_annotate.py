"""annotate: a copy of a checked workbook with every offending cell marked and commented.

The copy is the original package with every part kept byte for byte (pictures, header pictures, data
bars, macros, whatever Excel put there), except what a mark needs: new cell formats in styles.xml, the
marked cells' style indexes, and the sheet's comments (its comments part and VML drawing, merged into
the ones it already has). A mark is a fill and a thick border in the severity's colour, so it stands out
from the workbook's own red/yellow row colouring; the input file is never written to. Findings without
a cell (only data that is not a workbook has none) are listed in a comment on the sheet's first cell; a
folded finding (stray spaces, one per sheet) marks every cell it lists.
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from defusedxml import ElementTree as ET

from ..errors import PerfbookError, UnreadableWorkbook
from ..ooxml import _parts as P
from ..ooxml._package import build_zip, deflate, read_package, write_atomic
from ..ooxml._sheetxml import ATTR_RE, CELL_RE, ROW_RE, col_letter, insert_element, split_ref, xml_text
from ..readers.formats import inspect
from ..write._template import NS, R_NS, _main_part
from .findings import ERROR, INFO, WARNING, Finding, Report

FILLS = {ERROR: "FFFFC7CE", WARNING: "FFFFEB9C", INFO: "FFDDEBF7"}
BORDERS = {ERROR: "FFC00000", WARNING: "FFED7D31", INFO: "FF2F75B5"}
RANK = {ERROR: 0, WARNING: 1, INFO: 2}
AUTHOR = "perfbook 校验"
COMMENTS_TYPE = f"{R_NS}/comments"
VML_TYPE = f"{R_NS}/vmlDrawing"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
MAX_MARKED_RANGE = 2_000        # cells of one merged range that get the mark's border (a bigger one: its corner)


def annotate(src, out, report: Report) -> Path:
    """Write out: src with each finding's cell filled and framed (red 错误, orange 警告, blue 提示) and commented."""
    src, out = Path(src), Path(out)
    if out.exists() and src.exists() and out.resolve() == src.resolve():
        raise PerfbookError("批注副本不能覆盖被检查的文件", "the annotated copy must not overwrite the checked file", out)
    if src.suffix.lower() not in (".xlsx", ".xlsm"):
        raise PerfbookError("只能为 .xlsx / .xlsm 工作簿生成批注副本", "only .xlsx / .xlsm workbooks can be annotated", src)
    if src.suffix.lower() == ".xlsm" and out.suffix.lower() != ".xlsm":
        out = out.with_suffix(".xlsm")
    _ensure_annotatable(src)
    parts = read_package(src)
    try:
        pkg = _Package(parts, src)
        by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        loose: dict[str, list[Finding]] = defaultdict(list)
        for f in report.findings:
            if f.sheet in pkg.sheets and f.cell and _is_ref(f.cell):
                for cell in f.cells or (f.cell,):        # a folded finding marks each of its cells
                    if _is_ref(cell):
                        by_cell[(f.sheet, pkg.top_left(f.sheet, cell))].append(f)
            else:
                loose[f.sheet if f.sheet in pkg.sheets else pkg.first].append(f)
        marks: dict[str, dict[str, str]] = defaultdict(dict)        # sheet -> cell -> worst severity
        notes: dict[str, dict[str, str]] = defaultdict(dict)        # sheet -> cell -> comment text
        for (sheet, ref), items in by_cell.items():
            worst = min(items, key=lambda f: RANK.get(f.severity, 3)).severity
            for cell in pkg.span(sheet, ref):
                marks[sheet][cell] = worst if worst in FILLS else INFO
            notes[sheet][ref] = _text(items)
        for sheet, items in loose.items():
            old = notes[sheet].get("A1")
            notes[sheet]["A1"] = _text(items, "本表整体的问题：\n") + ("\n" + old if old else "")
        for sheet in dict.fromkeys([*marks, *notes]):     # in order: a set would number the comment parts by hash seed
            pkg.mark(sheet, marks.get(sheet, {}))
            pkg.comment(sheet, notes.get(sheet, {}))
        data = pkg.build()
    except (ET.ParseError, UnicodeDecodeError) as exc:     # a part that is not XML, or not UTF-8 text
        raise UnreadableWorkbook(f"无法生成批注副本：工作簿的 XML 有误（{exc}）；校验结果不受影响",
                                 f"cannot write the annotated copy: malformed XML ({exc}); the check report stands",
                                 src) from None
    return write_atomic(out, data)


# a real 项目绩效目标表 is far below these; a merge flood costs every reader dearly
MAX_MERGED_CELLS = 200_000
MAX_SHEET_BYTES = 16 * 1024 * 1024


def _ensure_annotatable(src: Path) -> None:
    """The same package checks as every read (readers.formats.inspect), plus bounds for the copy itself: one merged
    range A30:Z100000 cost openpyxl (which wrote the copy before) 89 s and 1 GB."""
    _kind, info = inspect(src)
    sheets = info.sheets.values() if info is not None else ()
    merged = sum(st.merged_cells for st in sheets)
    size = sum(st.size for st in sheets)
    if merged > MAX_MERGED_CELLS:
        raise UnreadableWorkbook(f"合并单元格覆盖 {merged:,} 个单元格，过大，无法生成批注副本（上限 {MAX_MERGED_CELLS:,}）；"
                                 "校验结果不受影响",
                                 f"merged ranges cover {merged:,} cells, too many to annotate (limit {MAX_MERGED_CELLS:,}); "
                                 "the check report stands", src)
    if size > MAX_SHEET_BYTES:
        raise UnreadableWorkbook(f"工作表过大（{size // (1024 * 1024)} MB），无法生成批注副本；校验结果不受影响",
                                 f"the sheets are too large ({size // (1024 * 1024)} MB) to annotate; the check report stands",
                                 src)


def _is_ref(ref: str) -> bool:
    return re.fullmatch(r"[A-Z]{1,3}[1-9][0-9]{0,6}", ref) is not None


def _text(items: list[Finding], head: str = "") -> str:
    return head + "\n".join(
        f"[{f.severity}] {f.message}" + (f"\n  建议：{f.fix}" if f.fix else "") + f"（{f.rule}）" for f in items)


def _unsupported(src, what: str, en: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"无法生成批注副本：{what}；校验结果不受影响",
                              f"cannot write the annotated copy: {en}; the check report stands", src)


_MERGE_REF = re.compile(r'<mergeCell\b[^>]*?\bref="([^"]+)"')
_WS_OPEN = re.compile(r"<worksheet\b[^>]*>")


class _Package:
    """The workbook's parts, edited in place: only the parts a mark or a comment touches change."""

    def __init__(self, parts: dict[str, bytes], src: Path):
        self.parts, self.src = parts, src
        self.added: list[str] = []
        try:
            wb = _main_part(parts, src)
        except PerfbookError:
            raise _unsupported(src, "找不到工作簿部件", "no workbook part") from None
        rels = P.relationships(parts, wb)
        self.sheets: dict[str, str] = {}
        for el in ET.fromstring(parts[wb]).iter(f"{{{NS}}}sheet"):
            target = rels.get(el.get(f"{{{R_NS}}}id"))
            if target and target[1].endswith("/worksheet") and target[0] in parts:
                self.sheets[el.get("name")] = target[0]
        if not self.sheets:
            raise _unsupported(src, "工作簿中没有工作表", "the workbook has no worksheet")
        self.first = next(iter(self.sheets))
        styles = next((t for t, typ in rels.values() if typ.endswith("/styles")), None)
        if styles is None or styles not in parts:
            raise _unsupported(src, "工作簿没有样式部件（styles.xml）", "the workbook has no styles part")
        if P.CONTENT_TYPES not in parts:       # a comments part must be listed there (Excel reads nothing unlisted)
            raise _unsupported(src, "工作簿没有内容类型部件（[Content_Types].xml）", "the workbook has no [Content_Types].xml")
        self.styles_part = styles
        self.styles = _Styles(parts[styles].decode("utf-8"), src)
        self.xml: dict[str, str] = {}
        self.merges: dict[str, list[tuple[int, int, int, int]]] = {}

    def sheet_xml(self, sheet: str) -> str:
        part = self.sheets[sheet]
        if part not in self.xml:
            self.xml[part] = self.parts[part].decode("utf-8")
        return self.xml[part]

    def _merges(self, sheet: str):
        if sheet not in self.merges:
            out = []
            for ref in _MERGE_REF.findall(self.sheet_xml(sheet)):
                a, _, b = ref.replace("$", "").partition(":")
                try:
                    (r1, c1), (r2, c2) = split_ref(a), split_ref(b or a)
                except ValueError:
                    continue
                out.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            self.merges[sheet] = out
        return self.merges[sheet]

    def _merge_of(self, sheet: str, ref: str):
        r, c = split_ref(ref)
        return next((m for m in self._merges(sheet) if m[0] <= r <= m[2] and m[1] <= c <= m[3]), None)

    def top_left(self, sheet: str, ref: str) -> str:
        """A cell inside a merged range carries its mark and comment on the range's top-left cell."""
        m = self._merge_of(sheet, ref)
        return f"{col_letter(m[1])}{m[0]}" if m else ref

    def span(self, sheet: str, ref: str) -> list[str]:
        """The cells a mark's border goes round: the whole merged range (its edges draw the frame)."""
        m = self._merge_of(sheet, ref)
        if m is None or (m[2] - m[0] + 1) * (m[3] - m[1] + 1) > MAX_MARKED_RANGE:
            return [ref]
        return [f"{col_letter(c)}{r}" for r in range(m[0], m[2] + 1) for c in range(m[1], m[3] + 1)]

    # --- cell formats ---------------------------------------------------------------------------

    def mark(self, sheet: str, cells: dict[str, str]) -> None:
        if not cells:
            return
        xml = self.sheet_xml(sheet)
        start = re.search(r"<sheetData\b[^>]*?(/?)>", xml)
        if start is None:
            raise _unsupported(self.src, f"工作表“{sheet}”没有 sheetData", f"sheet {sheet!r} has no <sheetData>")
        by_row: dict[int, dict[int, str]] = defaultdict(dict)
        for ref, sev in cells.items():
            r, c = split_ref(ref)
            by_row[r][c] = sev
        if start.group(1):                                   # <sheetData/>
            body, end = "", start.end()
            head, tail = xml[:start.start()] + "<sheetData>", "</sheetData>" + xml[end:]
        else:
            end = xml.rfind("</sheetData>")
            head, body, tail = xml[:start.end()], xml[start.end():end], xml[end:]
        out, pos = [], 0
        for m in ROW_RE.finditer(body):
            ra = dict(ATTR_RE.findall(m.group(1)))
            if "r" not in ra:
                raise _unsupported(self.src, f"工作表“{sheet}”的行没有行号（r=）", f"a row of sheet {sheet!r} has no r=")
            r = int(ra["r"])
            if by_row and min(by_row) < r:                  # rows that do not exist yet, in order
                out.append(body[pos:m.start()])
                pos = m.start()
                while by_row and min(by_row) < r:
                    k = min(by_row)
                    out.append(f'<row r="{k}">{self._cells("", k, by_row.pop(k), sheet)}</row>')
            if r not in by_row:
                continue
            out.append(body[pos:m.start()])
            row_attrs = re.sub(r'\s*\bspans="[^"]*"', "", m.group(1))
            out.append(f"<row{row_attrs}>{self._cells(m.group(3) or '', r, by_row.pop(r), sheet)}</row>")
            pos = m.end()
        out.append(body[pos:])
        for k in sorted(by_row):
            out.append(f'<row r="{k}">{self._cells("", k, by_row[k], sheet)}</row>')
        self.xml[self.sheets[sheet]] = head + "".join(out) + tail

    def _cells(self, body: str, r: int, want: dict[int, str], sheet: str) -> str:
        """A row's cells with the wanted ones restyled, the missing ones inserted in column order."""
        out, pos = [], 0
        for m in CELL_RE.finditer(body):
            ca = dict(ATTR_RE.findall(m.group(1)))
            if "r" not in ca:
                raise _unsupported(self.src, f"工作表“{sheet}”第 {r} 行的单元格没有位置（r=）",
                                   f"a cell in row {r} of sheet {sheet!r} has no r=")
            _r, c = split_ref(ca["r"])
            while want and min(want) < c:
                k = min(want)
                out.append(body[pos:m.start()])
                pos = m.start()
                out.append(f'<c r="{col_letter(k)}{r}" s="{self.styles.marked(0, want.pop(k))}"/>')
            if c not in want:
                continue
            out.append(body[pos:m.start()])
            s = self.styles.marked(int(ca.get("s", "0") or 0), want.pop(c))
            a = m.group(1)
            a = re.sub(r'\bs="[^"]*"', f's="{s}"', a) if re.search(r'\bs="', a) else f'{a} s="{s}"'
            out.append(f"<c{a}{m.group(2)}")
            pos = m.end()
        out.append(body[pos:])
        for k in sorted(want):
            out.append(f'<c r="{col_letter(k)}{r}" s="{self.styles.marked(0, want[k])}"/>')
        return "".join(out)

    # --- comments -------------------------------------------------------------------------------

    def comment(self, sheet: str, notes: dict[str, str]) -> None:
        if not notes:
            return
        part = self.sheets[sheet]
        rels = P.relationships(self.parts, part)
        comments = next((t for t, typ in rels.values() if typ == COMMENTS_TYPE and t in self.parts), None)
        xml = self.sheet_xml(sheet)
        legacy = re.search(r'<legacyDrawing\b[^>]*?\br:id="([^"]+)"', xml)
        vml = rels.get(legacy.group(1), (None,))[0] if legacy else None
        if legacy and vml not in self.parts:
            raise _unsupported(self.src, f"工作表“{sheet}”的批注图形（legacyDrawing）指向不存在的部件",
                               f"the legacyDrawing of sheet {sheet!r} points at a missing part")
        if comments is None:
            comments = self._new_part("xl/comments{}.xml", COMMENTS_CT)
            self.parts[comments] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{NS}">'
                                    "<authors></authors><commentList></commentList></comments>").encode()
            self._relate(part, COMMENTS_TYPE, comments)
        if vml is None:
            vml = self._new_part("xl/drawings/vmlDrawing{}.vml", None)
            self.parts[vml] = VML_HEAD.format(idmap=self._free_idmap()).encode()
            rid = self._relate(part, VML_TYPE, vml)
            xml = self.sheet_xml(sheet)
            ws = _WS_OPEN.search(xml)
            if ws is None:      # e.g. a namespace-prefixed <x:worksheet>: not the form Excel writes
                raise _unsupported(self.src, f"工作表“{sheet}”的格式无法识别", f"sheet {sheet!r} is not in the form Excel writes")
            if f'xmlns:r="{R_NS}"' not in ws.group():
                xml = xml.replace("<worksheet", f'<worksheet xmlns:r="{R_NS}"', 1)
            m = re.search(r"</sheetData>|<sheetData\b[^>]*/>", xml)
            if m is None:
                raise _unsupported(self.src, f"工作表“{sheet}”没有 sheetData", f"sheet {sheet!r} has no <sheetData>")
            tail = insert_element(xml[m.end():], "legacyDrawing", f'<legacyDrawing r:id="{rid}"/>')
            self.xml[part] = xml[:m.end()] + tail
        shown = self._merge_comments(comments, notes)
        self._add_shapes(vml, shown, sheet)

    def _merge_comments(self, part: str, notes: dict[str, str]) -> list[str]:
        """Append each note to the cell's comment, or add a comment; returns the cells that need a shape."""
        xml = self.parts[part].decode("utf-8")
        if not re.search(r"<commentList\b", xml) or not re.search(r"<authors\b", xml):
            raise _unsupported(self.src, f"{part} 的格式无法识别", f"{part} is not in the form Excel writes")
        xml = re.sub(r"<authors\s*/>", "<authors></authors>", xml)
        xml = re.sub(r"<commentList\s*/>", "<commentList></commentList>", xml)
        block = re.search(r"<authors\b.*?</authors>", xml, re.S)
        if block is None:   # <authors count="0"/>: self-closed with attributes
            raise _unsupported(self.src, f"{part} 的格式无法识别", f"{part} is not in the form Excel writes")
        authors = re.findall(r"<author\b[^>]*>(.*?)</author>|<author\s*/>", block.group(), re.S)
        escaped = xml_text(AUTHOR)
        if escaped in authors:
            author = authors.index(escaped)
        else:
            author = len(authors)
            xml = xml.replace("</authors>", f"<author>{escaped}</author></authors>", 1)
        new = []
        for ref, text in notes.items():
            m = re.search(rf'<comment\b[^>]*?\bref="{ref}"[^>]*>(.*?)</text>', xml, re.S)
            if m:
                run = f'<r><t xml:space="preserve">\n{xml_text(text)}</t></r>'
                xml = xml[:m.end() - len("</text>")] + run + xml[m.end() - len("</text>"):]
                continue
            new.append(ref)
            xml = xml.replace("</commentList>", f'<comment ref="{ref}" authorId="{author}"><text><r><rPr><sz val="9"/>'
                              f'</rPr><t xml:space="preserve">{xml_text(text)}</t></r></text></comment></commentList>', 1)
        self.parts[part] = xml.encode("utf-8")
        return new

    def _add_shapes(self, part: str, cells: list[str], sheet: str) -> None:
        """Excel shows a comment through a note shape in the sheet's VML drawing: one per new comment."""
        if not cells:
            return
        vml = self.parts[part]              # bytes: Excel's VML need not be UTF-8, and is not always XML
        end = vml.rfind(b"</xml>")
        if end < 0:
            raise _unsupported(self.src, f"{part} 的格式无法识别", f"{part} is not in the form Excel writes")
        idmap = re.search(rb'<o:idmap\b[^>]*\bdata="(\d+)', vml)
        base = int(idmap.group(1)) * 1024 if idmap else 1024
        used = [int(n) for n in re.findall(rb"_x0000_s(\d+)", vml)]
        nxt = max(used + [base]) + 1
        out = [] if b"_x0000_t202" in vml else [SHAPETYPE]
        for ref in cells:
            r, c = split_ref(ref)
            out.append(SHAPE.format(id=nxt, z=nxt - base, row=r - 1, col=c - 1,
                                    anchor=f"{c}, 15, {max(r - 2, 0)}, 10, {c + 4}, 15, {r + 4}, 4"))
            nxt += 1
        self.parts[part] = vml[:end] + "".join(out).encode("ascii") + vml[end:]

    def _free_idmap(self) -> int:
        """A shape-id block (1024 ids) no other VML drawing uses: a header picture's VML has its own."""
        used = {int(n) for name, data in self.parts.items() if name.lower().endswith(".vml")
                for m in re.findall(rb'<o:idmap\b[^>]*\bdata="([\d,\s]+)"', data) for n in re.findall(rb"\d+", m)}
        return max(used | {0}) + 1

    # --- package plumbing -----------------------------------------------------------------------

    def _new_part(self, pattern: str, content_type: str | None) -> str:
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        name = pattern.format(n)
        self.added.append(name)
        ct = self.parts[P.CONTENT_TYPES].decode("utf-8")
        if content_type:
            ct = P.set_override(ct, name, content_type)
        elif P.default(ct, "vml") is None:
            ct = P.set_default(ct, "vml", VML_CT)
        self.parts[P.CONTENT_TYPES] = ct.encode("utf-8")
        return name

    def _relate(self, part: str, typ: str, target: str) -> str:
        """Add a relationship from part to target (written relative to part's folder); returns its id."""
        rp = P.rels_path(part)
        if rp not in self.parts:
            self.added.append(rp)
        depth = part.count("/")
        return P.relate(self.parts, part, typ, "../" * depth + target if depth else target, prefix="rIdPb")

    def build(self) -> bytes:
        self.parts[self.styles_part] = self.styles.xml().encode("utf-8")
        for part, xml in self.xml.items():
            self.parts[part] = xml.encode("utf-8")
        return build_zip([deflate(n, self.parts[n]) for n in P.package_order(self.parts)])


class _Styles:
    """styles.xml as text: a mark's cell format is the cell's own one with the mark's fill and border."""

    def __init__(self, xml: str, src: Path):
        self.text, self.src = xml, src
        self.cache: dict[tuple[int, str], int] = {}
        self.fills: list[str] = []
        self.borders: list[str] = []
        self.xfs: list[str] = []
        found = {}
        for name in ("fills", "borders", "cellXfs"):
            m = re.search(rf"<{name}\b[^>]*?(?:/>|>(.*?)</{name}>)", xml, re.S)
            if m is None:
                raise _unsupported(src, f"styles.xml 缺少 {name}", f"styles.xml has no <{name}>")
            found[name] = m
        self.n_fills = len(re.findall(r"<fill\b", found["fills"].group(1) or ""))
        self.n_borders = len(re.findall(r"<border\b", found["borders"].group(1) or ""))
        self.base = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", found["cellXfs"].group(1) or "", re.S)
        if not self.base:
            self.base = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']

    def marked(self, s: int, severity: str) -> int:
        key = (s if s < len(self.base) else 0, severity)
        if key not in self.cache:
            fill = self._fill(severity)
            border = self._border(severity)
            xf = self.base[key[0]]
            for attr, value in (("fillId", fill), ("borderId", border), ("applyFill", 1), ("applyBorder", 1)):
                xf = re.sub(rf'\b{attr}="[^"]*"', f'{attr}="{value}"', xf) if re.search(rf'\b{attr}="', xf) \
                    else xf.replace("<xf", f'<xf {attr}="{value}"', 1)
            self.cache[key] = len(self.base) + len(self.xfs)
            self.xfs.append(xf)
        return self.cache[key]

    def _fill(self, severity: str) -> int:
        xml = (f'<fill><patternFill patternType="solid"><fgColor rgb="{FILLS[severity]}"/><bgColor indexed="64"/>'
               "</patternFill></fill>")
        if xml not in self.fills:
            self.fills.append(xml)
        return self.n_fills + self.fills.index(xml)

    def _border(self, severity: str) -> int:
        side = f'style="thick"><color rgb="{BORDERS[severity]}"/>'
        xml = (f"<border><left {side}</left><right {side}</right><top {side}</top><bottom {side}</bottom>"
               "<diagonal/></border>")
        if xml not in self.borders:
            self.borders.append(xml)
        return self.n_borders + self.borders.index(xml)

    def xml(self) -> str:
        xml = self.text
        for name, child, items, n in (("fills", "fill", self.fills, self.n_fills),
                                      ("borders", "border", self.borders, self.n_borders),
                                      ("cellXfs", "xf", self.xfs, len(self.base))):
            if not items:
                continue
            m = re.search(rf"<{name}\b([^>]*?)(/?)>", xml)
            if m is None:       # __init__ found each of them
                raise _unsupported(self.src, f"styles.xml 缺少 {name}", f"styles.xml has no <{name}>")
            attrs = re.sub(r'\s*\bcount="[^"]*"', "", m.group(1))
            open_tag = f'<{name} count="{n + len(items)}"{attrs}>'
            if m.group(2):
                xml = xml[:m.start()] + open_tag + "".join(items) + f"</{name}>" + xml[m.end():]
            else:
                close = xml.index(f"</{name}>", m.end())
                xml = xml[:m.start()] + open_tag + xml[m.end():close] + "".join(items) + xml[close:]
        return xml


VML_HEAD = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
            '<o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout></xml>')
SHAPETYPE = ('<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
             '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
SHAPE = ('<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;margin-top:2pt;'
         'width:240pt;height:120pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
         '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
         '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
         '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor>'
         '<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>')
