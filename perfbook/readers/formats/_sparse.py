"""A sheet collected cell by cell (sparse), checked for size, then laid out as a dense Grid."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import UnreadableWorkbook
from ...ooxml._package import READ_LIMITS
from .._grid import Grid

MAX_SPAN = 1000          # a colspan/rowspan/MergeAcross larger than this is clamped (HTML caps colspan at 1000)


@dataclass
class SparseSheet:
    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    raw: dict[tuple[int, int], str] = field(default_factory=dict)
    visible: bool = True
    max_row: int = 0
    max_col: int = 0

    def put(self, r: int, c: int, value, path) -> None:
        if value is None or value == "":
            return
        self.cells[(r, c)] = value
        self.max_row, self.max_col = max(self.max_row, r), max(self.max_col, c)
        self.check(path)

    def merge(self, r1: int, c1: int, r2: int, c2: int, path) -> None:
        if (r1, c1) == (r2, c2):
            return
        self.merges.append((r1, c1, r2, c2))
        self.max_row, self.max_col = max(self.max_row, r2), max(self.max_col, c2)
        self.check(path)

    def check(self, path) -> None:
        lim = READ_LIMITS
        if len(self.merges) > lim.max_merges:
            raise UnreadableWorkbook(f"工作表“{self.name}”有超过 {lim.max_merges:,} 个合并单元格，疑似恶意文件，已拒绝",
                                     f"sheet '{self.name}' has more than {lim.max_merges:,} merged ranges; refused as hostile", path)
        if self.max_row * self.max_col > lim.max_cells:
            raise UnreadableWorkbook(
                f"工作表“{self.name}”的数据区域过大（{self.max_row:,} 行 × {self.max_col:,} 列），疑似恶意文件，已拒绝",
                f"sheet '{self.name}' spans too large a range ({self.max_row:,} x {self.max_col:,}); refused as hostile", path)

    def grid(self) -> Grid:
        rows: list[list[object]] = [[""] * self.max_col for _ in range(self.max_row)]
        for (r, c), v in self.cells.items():
            rows[r - 1][c - 1] = v
        return Grid(self.name, rows, self.merges, self.visible, self.raw)


def text_limit(text: str, where: str, path) -> str:
    if len(text) > READ_LIMITS.max_text_bytes // 4 and len(text.encode("utf-8", "ignore")) > READ_LIMITS.max_text_bytes:
        mb = READ_LIMITS.max_text_bytes // (1024 * 1024)
        raise UnreadableWorkbook(f"{where}中有超过 {mb} MB 的单元格文本，疑似恶意文件，已拒绝",
                                 f"{where} holds a text over {mb} MB; refused as hostile", path)
    return text
