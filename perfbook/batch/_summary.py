"""collect's summary workbook, written as sheet XML straight into deflate, row by row.

Rows are turned into XML and deflated as they come (no row list, no temp files); the zip is assembled
once at the end with ooxml/_package.build_zip. What a reader sees is what XlsxWriter (constant_memory,
inline strings) wrote before: the same sheets, cells, types, styles, widths, panes, filters and print
setup. Every text is written as text — a 项目编码 keeps its zeros, "=…" is never a formula.
"""
from __future__ import annotations

__all__ = ["SummaryWriter", "crc32_combine"]

import math
import re
import time
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import environment_error
from ..ooxml._ns import CONTENT_TYPES, CORE_PROPS, EXTENDED_PROPS, MAIN, PKG_REL, R
from ..ooxml._package import Entry, build_zip, deflate
from ..ooxml._parts import CT_WORKSHEET, DECL
from ..ooxml._sheetxml import col_letter, escape
from ..write._layout import lines_needed

MAX_ROWS = 1_048_576            # Excel's row limit: a longer sheet continues on 指标(2), …
MAX_TEXT = 32_767               # Excel's limit for one cell
LINE_PT, MAX_ROW_PT = 15.0, 409.5   # one line of 11 pt Calibri/等线 in points; Excel's row height limit
HEAD_STYLE, WRAP_STYLE = 1, 2   # cellXfs of styles.xml below: the bold grey header, wrapped text
FLUSH_CHARS = 1 << 18           # XML text gathered before it goes to the compressor
_SELECTED = ' tabSelected="1"'

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff]")
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


# --- crc32 of a concatenation (zlib's crc32_combine) ----------------------------------------------

def _gf2_times(mat: list[int], vec: int) -> int:
    s, i = 0, 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


_ZEROS: list[list[int]] = []     # _ZEROS[k]: the crc32 operator for 2**k zero bytes, made once


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """crc32(a + b) from crc32(a), crc32(b) and len(b): a sheet's head is known only after its rows."""
    if not _ZEROS:
        one_bit = [0xEDB88320] + [1 << n for n in range(31)]
        op = _gf2_square(_gf2_square(_gf2_square(one_bit)))      # 1, 2, 4, 8 zero bits: one zero byte
        for _ in range(64):
            _ZEROS.append(op)
            op = _gf2_square(op)
    k = 0
    while len2 > 0:
        if len2 & 1:
            crc1 = _gf2_times(_ZEROS[k], crc1)
        len2 >>= 1
        k += 1
    return crc1 ^ crc2


class _Deflated:
    """A part's bytes deflated piece by piece; pieces sync-flushed, so deflated pieces concatenate."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.crc = 0
        self.size = 0
        self._comp = zlib.compressobj(6, zlib.DEFLATED, -15)

    def feed(self, raw: bytes) -> None:
        self.crc = zlib.crc32(raw, self.crc)
        self.size += len(raw)
        out = self._comp.compress(raw)
        if out:
            self.data.append(out)

    def close(self, final: bool) -> None:
        self.data.append(self._comp.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH))


def _piece(raw: bytes, final: bool) -> _Deflated:
    d = _Deflated()
    d.feed(raw)
    d.close(final)
    return d


# --- cell text as XlsxWriter wrote it -----------------------------------------------------------

def _control(m: re.Match) -> str:
    return f"_x{ord(m.group()):04X}_"


def _text(s: str) -> str:
    """Element text: the _xHHHH_ escape for control characters (and for a literal _xHHHH_), then &<>."""
    s = _ESCAPED.sub(r"_x005F\1", s)
    s = _CONTROL.sub(_control, s).replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return escape(s)


def _clip(s: str) -> str:
    if len(s) > MAX_TEXT:
        s = s[: MAX_TEXT - 6] + "…（已截断）"
    if len(s) > MAX_TEXT // 2 and len(s.encode("utf-16-le", "surrogatepass")) // 2 > MAX_TEXT:
        # an astral character counts twice in Excel's limit (XlsxWriter cut such text the same way)
        units = 0
        for i, ch in enumerate(s):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > MAX_TEXT:
                return s[:i]
    return s


def _number(ref: str, v) -> str:
    if isinstance(v, float) and not math.isfinite(v):    # XlsxWriter's nan_inf_to_errors
        f, shown = ("#NUM!", "#NUM!") if math.isnan(v) else ("1/0" if v > 0 else "-1/0", "#DIV/0!")
        return f'<c r="{ref}" s="{WRAP_STYLE}" t="e"><f>{f}</f><v>{shown}</v></c>'
    return f'<c r="{ref}" s="{WRAP_STYLE}"><v>{v:.16G}</v></c>'


def _string(ref: str, s: str, style: int) -> str:
    t = _text(_clip(s))      # the header's labels (a row's cells are written inline by _Sheet.add)
    space = ' xml:space="preserve"' if t[:1].isspace() or t[-1:].isspace() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{t}</t></is></c>'


def row_height(lines: int) -> str:
    """A row's ht for this many wrapped lines, rounded to whole pixels as Excel keeps it."""
    pt = min(MAX_ROW_PT, lines * LINE_PT + 3)
    return f"{int(pt * 4.0 / 3.0 + 0.5) * 0.75:.16g}"


def column_width(chars: float) -> str:
    """The width Excel stores for a column of this many characters (Calibri 11: 7 px a digit, 5 px padding)."""
    px = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
    return f"{(px * 256 // 7) / 256.0:.16g}"


def quote_sheet(name: str) -> str:
    return name if re.fullmatch(r"[^\W\d]\w*", name) else "'" + name.replace("'", "''") + "'"


# --- one worksheet ------------------------------------------------------------------------------

class _Sheet:
    """One worksheet part, its rows deflated as they are added; the head (whose dimension needs the row
    count) and the tail are deflated at the end and put before and after them."""

    def __init__(self, title: str, labels: Sequence[str], widths: list[float]):
        self.title = title
        self.labels = labels
        self.widths = widths
        self.letters = [col_letter(c + 1) for c in range(len(labels))]
        self.body = _Deflated()
        self.pending: list[str] = []
        self.chars = 0
        self.rows = 1
        self.lines = 1          # the most lines a text of the row being written wraps to
        head = "".join(_string(f"{x}1", lab, HEAD_STYLE) for x, lab in zip(self.letters, labels))
        self._put(f'<row r="1">{head}</row>')

    def _put(self, xml: str) -> None:
        self.pending.append(xml)
        self.chars += len(xml)
        if self.chars >= FLUSH_CHARS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.body.feed("".join(self.pending).encode("utf-8"))
            self.pending, self.chars = [], 0

    def add(self, row: tuple) -> None:
        r = self.rows + 1
        out = [""]
        for x, v, w in zip(self.letters, row, self.widths):
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(_number(f"{x}{r}", v))
                continue
            if isinstance(v, str) and ("\n" in v or len(v) * 1.8 + 0.01 >= w - 0.8):   # may wrap: measure it
                self.lines = max(self.lines, lines_needed(v, w))
            t = str(v)
            if len(t) > MAX_TEXT // 2:
                t = _clip(t)
            if _NEEDS_ESCAPE.search(t) is not None:
                t = _text(t)
            space = ' xml:space="preserve"' if t[:1].isspace() or t[-1:].isspace() else ""
            out.append(f'<c r="{x}{r}" s="{WRAP_STYLE}" t="inlineStr"><is><t{space}>{t}</t></is></c>')
        if self.lines > 1:
            out[0] = f'<row r="{r}" ht="{row_height(self.lines)}" customHeight="1">'
            self.lines = 1
        else:
            out[0] = f'<row r="{r}">'
        out.append("</row>")
        self._put("".join(out))
        self.rows = r

    def _cols(self) -> str:
        out, c = [], 0
        while c < len(self.widths):       # neighbours of the same width share one <col>, as Excel writes them
            end = c
            while end + 1 < len(self.widths) and self.widths[end + 1] == self.widths[c]:
                end += 1
            out.append(f'<col min="{c + 1}" max="{end + 1}" width="{column_width(self.widths[c])}" '
                       f'style="{WRAP_STYLE}" customWidth="1"/>')
            c = end + 1
        return "".join(out)

    def ref(self) -> str:
        return f"A1:{self.letters[-1]}{self.rows}"

    def entry(self, name: str, selected: bool) -> Entry:
        self._flush()
        self.body.close(final=False)
        head = (f'{DECL}<worksheet xmlns="{MAIN}" xmlns:r="{R}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                f'<dimension ref="{self.ref()}"/><sheetViews><sheetView{_SELECTED if selected else ""}'
                ' workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                f"<cols>{self._cols()}</cols><sheetData>")
        title = escape(self.title)
        tail = (f'</sheetData><autoFilter ref="{self.ref()}"/>'
                '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.25" footer="0.25"/>'
                '<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>'
                f'<headerFooter><oddHeader>&amp;L&amp;"-,Bold"{title}&amp;R&amp;F</oddHeader>'
                "<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter></worksheet>")
        h, t = _piece(head.encode("utf-8"), False), _piece(tail.encode("utf-8"), True)
        body, self.body = self.body, _Deflated()      # the deflated rows now live in the entry only
        crc = crc32_combine(crc32_combine(h.crc, body.crc, body.size), t.crc, t.size)
        return Entry(name.encode("utf-8"), crc, h.size + body.size + t.size, b"".join(h.data + body.data + t.data))


# --- the workbook -------------------------------------------------------------------------------

_STYLES = (
    f'{DECL}<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><color theme="1"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font><font><b/><sz val="11"/><color theme="1"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/>'
    '<bgColor indexed="64"/></patternFill></fill></fills><borders count="2"><border><left/><right/><top/><bottom/>'
    '<diagonal/></border><border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="2" borderId="1" '
    'xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top" '
    'wrapText="1"/></xf></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>")


class SummaryWriter:
    """The summary workbook, written row by row: add(sheet, row) as results come, close() at the end.
    A sheet past Excel's row limit continues on 指标(2), …"""

    def __init__(self, path: Path, sheets: Mapping[str, Sequence[str]], widths: Mapping[str, list[float]]):
        self.path = Path(path)
        self.sheets = sheets
        self.widths = widths
        self.done: list[tuple[str, _Sheet, Entry]] = []     # full sheets, deflated
        self.order: list[str] = []                          # every sheet's title, in tab order
        self.current: dict[str, _Sheet] = {}
        self.parts: dict[str, int] = {}
        for name in sheets:
            self._new_sheet(name)

    def _new_sheet(self, name: str) -> None:
        k = self.parts.get(name, 0) + 1
        self.parts[name] = k
        title = name if k == 1 else f"{name}({k})"
        self.order.append(title)
        self.current[name] = _Sheet(title, self.sheets[name], self.widths[name])

    def add(self, sheet: str, row: tuple) -> None:
        ws = self.current[sheet]
        if ws.rows >= MAX_ROWS:
            self._finish(ws)
            self._new_sheet(sheet)
            ws = self.current[sheet]
        ws.add(row)

    def _finish(self, ws: _Sheet) -> None:
        k = self.order.index(ws.title)
        self.done.append((ws.title, ws, ws.entry(f"xl/worksheets/sheet{k + 1}.xml", k == 0)))

    def package(self) -> bytes:
        for ws in self.current.values():
            self._finish(ws)
        self.current = {}
        by_title = {title: (ws, e) for title, ws, e in self.done}
        sheets = [by_title[t] for t in self.order]
        n = len(sheets)
        parts = [("[Content_Types].xml", _content_types(n)), ("_rels/.rels", _ROOT_RELS),
                 ("docProps/app.xml", _app(self.order)), ("docProps/core.xml", _core()),
                 ("xl/workbook.xml", _workbook([ws for ws, _ in sheets])), ("xl/_rels/workbook.xml.rels", _workbook_rels(n)),
                 ("xl/styles.xml", _STYLES), ("xl/theme/theme1.xml", THEME)]
        entries = [deflate(name, text.encode("utf-8")) for name, text in parts]
        entries[5:5] = [e for _, e in sheets]
        self.done = []
        return build_zip(entries)

    def close(self, shown=None) -> None:
        """shown: the path to name in an error (the summary's final name, not its temp name)."""
        data = self.package()
        try:
            with open(self.path, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise environment_error(exc, shown or self.path) from None


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{CT_WORKSHEET}"/>' for k in range(1, n + 1))
    ooxml = "application/vnd.openxmlformats-officedocument"
    return (f'{DECL}<Types xmlns="{CONTENT_TYPES}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{ooxml}.extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ooxml}.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{ooxml}.theme+xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ooxml}.spreadsheetml.sheet.main+xml"/>{sheets}</Types>')


_ROOT_RELS = (f'{DECL}<Relationships xmlns="{PKG_REL}">'
              f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
              f'<Relationship Id="rId3" Type="{R}/extended-properties" Target="docProps/app.xml"/></Relationships>')


def _workbook_rels(n: int) -> str:
    rels = [f'<Relationship Id="rId{k}" Type="{R}/worksheet" Target="worksheets/sheet{k}.xml"/>' for k in range(1, n + 1)]
    rels.append(f'<Relationship Id="rId{n + 1}" Type="{R}/theme" Target="theme/theme1.xml"/>')
    rels.append(f'<Relationship Id="rId{n + 2}" Type="{R}/styles" Target="styles.xml"/>')
    return f'{DECL}<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>'


def _workbook(sheets: list[_Sheet]) -> str:
    tabs = "".join(f'<sheet name="{escape(ws.title, {chr(34): "&quot;"})}" sheetId="{k}" r:id="rId{k}"/>'
                   for k, ws in enumerate(sheets, start=1))
    by_title = sorted(enumerate(sheets), key=lambda kw: kw[1].title.lower())     # Excel's order of defined names
    filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{k}" hidden="1">'
                      f'{escape(quote_sheet(ws.title))}!$A$1:${ws.letters[-1]}${ws.rows}</definedName>'
                      for k, ws in by_title)
    titles = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{k}">{escape(quote_sheet(ws.title))}!$1:$1'
                     "</definedName>" for k, ws in by_title)
    return (f'{DECL}<workbook xmlns="{MAIN}" xmlns:r="{R}"><fileVersion appName="xl" lastEdited="4" '
            'lowestEdited="4" rupBuild="4505"/><workbookPr defaultThemeVersion="124226"/><bookViews><workbookView '
            f'xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews><sheets>{tabs}</sheets>'
            f'<definedNames>{filters}{titles}</definedNames><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


def _app(titles: list[str]) -> str:
    names = [escape(t) for t in titles]
    parts = "".join(f"<vt:lpstr>{t}</vt:lpstr>" for t in names + [f"{quote_sheet(t)}!Print_Titles" for t in sorted(names, key=str.lower)])
    return (f'{DECL}<Properties xmlns="{EXTENDED_PROPS}" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel'
            '</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="4" '
            'baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>'
            f'{len(titles)}</vt:i4></vt:variant><vt:variant><vt:lpstr>Named Ranges</vt:lpstr></vt:variant><vt:variant>'
            f'<vt:i4>{len(titles)}</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts><vt:vector '
            f'size="{2 * len(titles)}" baseType="lpstr">{parts}</vt:vector></TitlesOfParts><Company></Company>'
            '<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>'
            "<AppVersion>12.0000</AppVersion></Properties>")


def _core() -> str:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (f'{DECL}<cp:coreProperties xmlns:cp="{CORE_PROPS}" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">'
            f'{now}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>")


# Office's default theme (the one XlsxWriter writes): styles.xml's theme colours and minor font refer to it
THEME = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme"><a:themeElements>'
    '<a:clrScheme name="Office"><a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1><a:lt1>'
    '<a:sysClr val="window" lastClr="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="1F497D"/></a:dk2><a:lt2>'
    '<a:srgbClr val="EEECE1"/></a:lt2><a:accent1><a:srgbClr val="4F81BD"/></a:accent1><a:accent2><a:srgbClr val="C0504D"/>'
    '</a:accent2><a:accent3><a:srgbClr val="9BBB59"/></a:accent3><a:accent4><a:srgbClr val="8064A2"/></a:accent4><a:accent5>'
    '<a:srgbClr val="4BACC6"/></a:accent5><a:accent6><a:srgbClr val="F79646"/></a:accent6><a:hlink><a:srgbClr val="0000FF"/>'
    '</a:hlink><a:folHlink><a:srgbClr val="800080"/></a:folHlink></a:clrScheme><a:fontScheme name="Office"><a:majorFont>'
    '<a:latin typeface="Cambria"/><a:ea typeface=""/><a:cs typeface=""/><a:font script="Jpan" typeface="ＭＳ Ｐゴシック"/>'
    '<a:font script="Hang" typeface="맑은 고딕"/><a:font script="Hans" typeface="宋体"/><a:font script="Hant" typeface="新細明體"/>'
    '<a:font script="Arab" typeface="Times New Roman"/><a:font script="Hebr" typeface="Times New Roman"/>'
    '<a:font script="Thai" typeface="Tahoma"/><a:font script="Ethi" typeface="Nyala"/>'
    '<a:font script="Beng" typeface="Vrinda"/><a:font script="Gujr" typeface="Shruti"/>'
    '<a:font script="Khmr" typeface="MoolBoran"/><a:font script="Knda" typeface="Tunga"/>'
    '<a:font script="Guru" typeface="Raavi"/><a:font script="Cans" typeface="Euphemia"/>'
    '<a:font script="Cher" typeface="Plantagenet Cherokee"/><a:font script="Yiii" typeface="Microsoft Yi Baiti"/>'
    '<a:font script="Tibt" typeface="Microsoft Himalaya"/><a:font script="Thaa" typeface="MV Boli"/>'
    '<a:font script="Deva" typeface="Mangal"/><a:font script="Telu" typeface="Gautami"/>'
    '<a:font script="Taml" typeface="Latha"/><a:font script="Syrc" typeface="Estrangelo Edessa"/>'
    '<a:font script="Orya" typeface="Kalinga"/><a:font script="Mlym" typeface="Kartika"/>'
    '<a:font script="Laoo" typeface="DokChampa"/><a:font script="Sinh" typeface="Iskoola Pota"/>'
    '<a:font script="Mong" typeface="Mongolian Baiti"/><a:font script="Viet" typeface="Times New Roman"/>'
    '<a:font script="Uigh" typeface="Microsoft Uighur"/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/>'
    '<a:ea typeface=""/><a:cs typeface=""/><a:font script="Jpan" typeface="ＭＳ Ｐゴシック"/>'
    '<a:font script="Hang" typeface="맑은 고딕"/><a:font script="Hans" typeface="宋体"/><a:font script="Hant" typeface="新細明體"/>'
    '<a:font script="Arab" typeface="Arial"/><a:font script="Hebr" typeface="Arial"/>'
    '<a:font script="Thai" typeface="Tahoma"/><a:font script="Ethi" typeface="Nyala"/>'
    '<a:font script="Beng" typeface="Vrinda"/><a:font script="Gujr" typeface="Shruti"/>'
    '<a:font script="Khmr" typeface="DaunPenh"/><a:font script="Knda" typeface="Tunga"/>'
    '<a:font script="Guru" typeface="Raavi"/><a:font script="Cans" typeface="Euphemia"/>'
    '<a:font script="Cher" typeface="Plantagenet Cherokee"/><a:font script="Yiii" typeface="Microsoft Yi Baiti"/>'
    '<a:font script="Tibt" typeface="Microsoft Himalaya"/><a:font script="Thaa" typeface="MV Boli"/>'
    '<a:font script="Deva" typeface="Mangal"/><a:font script="Telu" typeface="Gautami"/>'
    '<a:font script="Taml" typeface="Latha"/><a:font script="Syrc" typeface="Estrangelo Edessa"/>'
    '<a:font script="Orya" typeface="Kalinga"/><a:font script="Mlym" typeface="Kartika"/>'
    '<a:font script="Laoo" typeface="DokChampa"/><a:font script="Sinh" typeface="Iskoola Pota"/>'
    '<a:font script="Mong" typeface="Mongolian Baiti"/><a:font script="Viet" typeface="Arial"/>'
    '<a:font script="Uigh" typeface="Microsoft Uighur"/></a:minorFont></a:fontScheme><a:fmtScheme name="Office">'
    '<a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:gradFill rotWithShape="1"><a:gsLst>'
    '<a:gs pos="0"><a:schemeClr val="phClr"><a:tint val="50000"/><a:satMod val="300000"/></a:schemeClr></a:gs>'
    '<a:gs pos="35000"><a:schemeClr val="phClr"><a:tint val="37000"/><a:satMod val="300000"/></a:schemeClr></a:gs>'
    '<a:gs pos="100000"><a:schemeClr val="phClr"><a:tint val="15000"/><a:satMod val="350000"/></a:schemeClr></a:gs></a:gsLst>'
    '<a:lin ang="16200000" scaled="1"/></a:gradFill><a:gradFill rotWithShape="1"><a:gsLst><a:gs pos="0">'
    '<a:schemeClr val="phClr"><a:shade val="51000"/><a:satMod val="130000"/></a:schemeClr></a:gs><a:gs pos="80000">'
    '<a:schemeClr val="phClr"><a:shade val="93000"/><a:satMod val="130000"/></a:schemeClr></a:gs><a:gs pos="100000">'
    '<a:schemeClr val="phClr"><a:shade val="94000"/><a:satMod val="135000"/></a:schemeClr></a:gs></a:gsLst>'
    '<a:lin ang="16200000" scaled="0"/></a:gradFill></a:fillStyleLst><a:lnStyleLst>'
    '<a:ln w="9525" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:schemeClr val="phClr"><a:shade val="95000"/>'
    '<a:satMod val="105000"/></a:schemeClr></a:solidFill><a:prstDash val="solid"/></a:ln>'
    '<a:ln w="25400" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    '<a:prstDash val="solid"/></a:ln><a:ln w="38100" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:schemeClr val="phClr"/>'
    '</a:solidFill><a:prstDash val="solid"/></a:ln></a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst>'
    '<a:outerShdw blurRad="40000" dist="20000" dir="5400000" rotWithShape="0"><a:srgbClr val="000000"><a:alpha val="38000"/>'
    '</a:srgbClr></a:outerShdw></a:effectLst></a:effectStyle><a:effectStyle><a:effectLst>'
    '<a:outerShdw blurRad="40000" dist="23000" dir="5400000" rotWithShape="0"><a:srgbClr val="000000"><a:alpha val="35000"/>'
    '</a:srgbClr></a:outerShdw></a:effectLst></a:effectStyle><a:effectStyle><a:effectLst>'
    '<a:outerShdw blurRad="40000" dist="23000" dir="5400000" rotWithShape="0"><a:srgbClr val="000000"><a:alpha val="35000"/>'
    '</a:srgbClr></a:outerShdw></a:effectLst><a:scene3d><a:camera prst="orthographicFront"><a:rot lat="0" lon="0" rev="0"/>'
    '</a:camera><a:lightRig rig="threePt" dir="t"><a:rot lat="0" lon="0" rev="1200000"/></a:lightRig></a:scene3d><a:sp3d>'
    '<a:bevelT w="63500" h="25400"/></a:sp3d></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill>'
    '<a:schemeClr val="phClr"/></a:solidFill><a:gradFill rotWithShape="1"><a:gsLst><a:gs pos="0"><a:schemeClr val="phClr">'
    '<a:tint val="40000"/><a:satMod val="350000"/></a:schemeClr></a:gs><a:gs pos="40000"><a:schemeClr val="phClr">'
    '<a:tint val="45000"/><a:shade val="99000"/><a:satMod val="350000"/></a:schemeClr></a:gs><a:gs pos="100000">'
    '<a:schemeClr val="phClr"><a:shade val="20000"/><a:satMod val="255000"/></a:schemeClr></a:gs></a:gsLst>'
    '<a:path path="circle"><a:fillToRect l="50000" t="-80000" r="50000" b="180000"/></a:path></a:gradFill>'
    '<a:gradFill rotWithShape="1"><a:gsLst><a:gs pos="0"><a:schemeClr val="phClr"><a:tint val="80000"/>'
    '<a:satMod val="300000"/></a:schemeClr></a:gs><a:gs pos="100000"><a:schemeClr val="phClr"><a:shade val="30000"/>'
    '<a:satMod val="200000"/></a:schemeClr></a:gs></a:gsLst><a:path path="circle">'
    '<a:fillToRect l="50000" t="50000" r="50000" b="50000"/></a:path></a:gradFill></a:bgFillStyleLst></a:fmtScheme>'
    '</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>'
)
