"""HTML tables saved as ".xls": the other thing budget systems export, and what Excel opens as a sheet.

Cells are placed the way a browser (and Excel) places them: a rowspan keeps its column taken in the
rows below, colspan/rowspan become merged ranges. Every top-level table goes on one sheet, one below
the other with a blank row between, as Excel shows them. html.parser expands no custom entities.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ...errors import UnreadableWorkbook
from .._grid import Grid
from ._format import MB, Format
from ._sparse import MAX_SPAN, SparseSheet, text_limit

MAX_SPAN_ROWS = 200_000     # rows held by rowspans, all cells together: bounds the bookkeeping
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_BLOCK = {"p", "div", "li", "tr"}
_SKIP = {"script", "style", "head", "title", "xml", "template"}


def decode(data: bytes) -> str:
    """BOM, then valid UTF-8, then <meta charset>, then GB18030 (what Chinese Windows exports write)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, "replace")
    try:
        return data.decode("utf-8")       # valid UTF-8 is UTF-8, whatever a (copied) meta tag claims
    except UnicodeDecodeError:
        pass
    m = _CHARSET.search(data[:4096])
    if m:
        enc = m.group(1).decode("ascii", "ignore").lower()
        enc = {"gb2312": "gb18030", "gbk": "gb18030"}.get(enc, enc)
        try:
            return data.decode(enc, "replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def _span(v) -> int:
    try:
        return min(max(int(str(v).strip() or 1), 1), MAX_SPAN)
    except ValueError:
        return 1


class _Tables(HTMLParser):
    def __init__(self, sheet: SparseSheet, path):
        super().__init__(convert_charrefs=True)
        self.sheet, self.path = sheet, path
        self.depth = 0               # table nesting
        self.skip = 0
        self.base = 0                # first grid row of the current top-level table
        self.row = 0                 # grid row of the current <tr>
        self.taken: dict[int, list[tuple[int, int]]] = {}     # row -> column intervals held by rowspans
        self.span_rows = 0
        self.cell: dict | None = None
        self.title: list[str] = []
        self.in_title = False
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
            self.in_title = tag == "title"
            return
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables += 1
                self.base = self.sheet.max_row + (2 if self.sheet.max_row else 1)
                self.row = self.base - 1
                self.taken = {}
            return
        if self.depth != 1:
            if self.cell is not None and tag == "br":
                self.cell["text"].append("\n")
            return
        if tag == "tr":
            self._close_cell()
            self.row += 1
        elif tag in ("td", "th"):
            self._close_cell()
            if self.row < self.base:
                self.row = self.base
            a = dict(attrs)
            col = self.free_column(self.row)
            cs, rs = _span(a.get("colspan", 1)), _span(a.get("rowspan", 1))
            self.sheet.max_row = max(self.sheet.max_row, self.row + rs - 1)
            self.sheet.max_col = max(self.sheet.max_col, col + cs - 1)
            self.sheet.check(self.path)
            self.span_rows += rs
            if self.span_rows > MAX_SPAN_ROWS:
                raise UnreadableWorkbook("HTML 表格的跨行合并过多，疑似恶意文件，已拒绝",
                                         "too many rowspans in the HTML table; refused as hostile", self.path)
            for r in range(self.row, self.row + rs):
                self.taken.setdefault(r, []).append((col, col + cs - 1))
            self.cell = {"r": self.row, "c": col, "cs": cs, "rs": rs, "text": []}
        elif tag == "br" and self.cell is not None:
            self.cell["text"].append("\n")
        elif tag in _BLOCK and self.cell is not None and self.cell["text"]:
            self.cell["text"].append("\n")

    def free_column(self, row: int) -> int:
        """The first column of a row not held by a cell from this row or a rowspan from above."""
        col, spans = 1, self.taken.get(row, ())
        moved = True
        while moved:
            moved = False
            for a, b in spans:
                if a <= col <= b:
                    col, moved = b + 1, True
        return col

    def handle_startendtag(self, tag, attrs):
        if tag == "br" and self.cell is not None:
            self.cell["text"].append("\n")
        elif tag not in ("br",):
            self.handle_starttag(tag, attrs)
            if tag in _SKIP:
                self.skip -= 1

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(self.skip - 1, 0)
            self.in_title = False
            return
        if tag == "table":
            if self.depth == 1:
                self._close_cell()
            self.depth = max(self.depth - 1, 0)
        elif self.depth == 1 and tag in ("td", "th"):
            self._close_cell()

    def handle_data(self, data):
        if self.skip:
            if self.in_title:
                self.title.append(data)
            return
        if self.cell is not None:
            self.cell["text"].append(re.sub(r"[ \t\r\n\f]+", " ", data))
            if sum(map(len, self.cell["text"])) > 1 << 20:
                text_limit("".join(self.cell["text"]), "HTML 表格", self.path)

    def _close_cell(self):
        cell, self.cell = self.cell, None
        if cell is None:
            return
        text = "\n".join(line.strip() for line in "".join(cell["text"]).split("\n")).strip()
        text = text_limit(text, "HTML 表格", self.path)
        self.sheet.put(cell["r"], cell["c"], text, self.path)
        self.sheet.merge(cell["r"], cell["c"], cell["r"] + cell["rs"] - 1, cell["c"] + cell["cs"] - 1, self.path)


def load_html(path: Path) -> list[Grid]:
    text = decode(Path(path).read_bytes())
    sheet = SparseSheet(Path(path).stem or "Sheet1")
    parser = _Tables(sheet, path)
    try:
        parser.feed(text)
        parser.close()
    except UnreadableWorkbook:
        raise
    except Exception as exc:   # html.parser is lenient; anything left is a broken file
        raise UnreadableWorkbook(f"HTML 文件无法解析（{exc}）", f"the HTML file cannot be parsed ({exc})", path) from None
    if not parser.tables:
        raise UnreadableWorkbook("HTML 文件中没有表格（不是导出的工作表，可能是网页或登录页）",
                                 "the HTML file holds no table (not an exported sheet; perhaps a web or login page)", path)
    title = "".join(parser.title).strip()
    if title and len(title) <= 31:
        sheet.name = title
    return [sheet.grid()]


FORMAT = Format("html", "html", "html", (".html", ".htm", ".xls"), 64 * MB,   # read whole into memory
                lambda path, _info: (load_html(path), {}))
