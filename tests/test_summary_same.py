"""collect's summary, now written as sheet XML (batch/_summary.py), reads exactly as the XlsxWriter summary
it replaces: every cell's value, type, number format, font, fill, border and alignment, the column widths,
row heights, frozen panes, filters, print setup and defined names, as openpyxl (and calamine) read them.

The reference is the writer collect used before (tests/support/xlsxwriter_summary.py, XlsxWriter),
fed the very rows collect writes, over the real Shenzhen and budget-system samples.
"""
from __future__ import annotations

import math
import random
import zlib

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import perfbook.batch._summary as summary
from perfbook.batch._parallel import Plan
from perfbook.batch.collect import Columns, collect, column_widths
from tests.conftest import SHARED, need_shared
from tests.support import xlsxwriter_summary as reference


def _colour(c):
    return None if c is None else (c.type, c.rgb if c.type == "rgb" else c.theme if c.type == "theme" else c.indexed)


def _style(cell) -> tuple:
    f, fill, a, b = cell.font, cell.fill, cell.alignment, cell.border
    return (cell.number_format, f.b, f.i, f.name, f.sz, _colour(f.color), fill.fill_type, _colour(fill.fgColor),
            a.wrap_text, a.vertical, a.horizontal, tuple(getattr(b, s).style for s in ("left", "right", "top", "bottom")),
            cell.protection.locked)


def seen(path) -> dict:
    """Everything a reader of the workbook sees, as plain data."""
    wb = openpyxl.load_workbook(path)
    out: dict = {"sheets": wb.sheetnames, "active": wb.active.title}
    for ws in wb.worksheets:
        ps, pm = ws.page_setup, ws.page_margins
        out[ws.title] = {
            "cells": {k: (c.value, c.data_type, _style(c)) for k, c in sorted(ws._cells.items())},
            "cols": {k: (d.min, d.max, d.width, d.customWidth, d.hidden, d.bestFit, d.font.b, d.fill.fill_type,
                         d.alignment.wrap_text, d.alignment.vertical) for k, d in ws.column_dimensions.items()},
            "rows": {k: (d.ht, d.customHeight) for k, d in ws.row_dimensions.items() if d.ht is not None},
            "dimensions": ws.dimensions, "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "print_titles": (ws.print_title_rows, ws.print_title_cols), "print_area": ws.print_area,
            "page": (ps.orientation, ps.paperSize, ps.fitToWidth, ps.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage),
            "margins": (pm.left, pm.right, pm.top, pm.bottom, pm.header, pm.footer),
            "header": (ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text,
                       ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text),
            "view": (ws.sheet_view.tabSelected, ws.sheet_view.pane.state if ws.sheet_view.pane else None),
            "names": {n: d.attr_text for n, d in ws.defined_names.items()},
            "default_height": ws.sheet_format.defaultRowHeight,
        }
    out["names"] = {n: d.attr_text for n, d in wb.defined_names.items()}
    ro = openpyxl.load_workbook(path, read_only=True)
    out["read_only"] = {ws.title: (ws.max_row, ws.max_column, list(ws.iter_rows(values_only=True))) for ws in ro.worksheets}
    ro.close()
    cal = CalamineWorkbook.from_path(str(path))
    out["calamine"] = {name: cal.get_sheet_by_name(name).to_python() for name in cal.sheet_names}
    return out


def assert_same(new, ref) -> None:
    a, b = seen(new), seen(ref)
    assert a["sheets"] == b["sheets"]
    for key in a:
        if key in a["sheets"]:
            for part in b[key]:
                if part == "cells":
                    diff = [(k, a[key][part].get(k), v) for k, v in b[key][part].items() if a[key][part].get(k) != v]
                    assert not diff and a[key][part].keys() == b[key][part].keys(), (key, diff[:5])
                assert a[key][part] == b[key][part], (key, part)
        else:
            assert a[key] == b[key], key


def _tee(monkeypatch, path, sheets):
    """A reference writer fed every row collect's own writer gets."""
    ref = reference.XlsxWriterSummary(path, sheets, column_widths(sheets))
    real = summary.SummaryWriter.add

    def add(self, sheet, row):
        ref.add(sheet, row)
        return real(self, sheet, row)
    monkeypatch.setattr(summary.SummaryWriter, "add", add)
    return ref


@pytest.mark.parametrize("folder", ["shenzhen-baoan", "budget-system", "budget-system-cycle"])
def test_the_summary_of_real_samples_reads_as_xlsxwriter_wrote_it(folder, tmp_path, monkeypatch):
    root = need_shared(SHARED / "samples" / folder)
    ref = _tee(monkeypatch, tmp_path / "ref.xlsx", Columns.for_template(None).sheets())
    res = collect(root, tmp_path / "new.xlsx", execution=Plan(jobs=1, isolate=False))
    ref.close()
    assert res.files and res.read
    assert_same(tmp_path / "new.xlsx", tmp_path / "ref.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "new.xlsx", read_only=True)
    assert sum(1 for _ in wb["文件"].iter_rows(min_row=2)) == res.files + res.skipped


AWKWARD = ["=1+1", "=HYPERLINK(\"x\")", "00531", " leading", "trailing ", "\ttab", "a\nb\nc", "\r=1", "_x0041_", "x\x01y\x1f",
           "<&>\"'", "", "长" * 500, "🙂" * 20_000, "z" * 40_000, "\ufffe\uffff", 0, -1, 12345678901234567, 0.1 + 0.2, 1e-300,
           1.5e300, math.nan, math.inf, -math.inf, True, None, 3.0, 2 ** 53 + 1]


def test_awkward_values_and_a_sheet_past_the_row_limit(tmp_path, monkeypatch):
    """Formula-like text, codes with zeros, control characters, _xHHHH_, emoji past the length limit, NaN and
    infinities, big integers; and a sheet that continues on 指标(2), 指标(3) past the row limit (made small)."""
    monkeypatch.setattr(summary, "MAX_ROWS", 4)
    monkeypatch.setattr(reference, "MAX_ROWS", 4)
    sheets = {"项目": ("文件", "说明", "项目数"), "指标": ("文件", "工作表", "行", "其他字段")}
    widths = column_widths(sheets)
    new = summary.SummaryWriter(tmp_path / "new.xlsx", sheets, widths)
    ref = reference.XlsxWriterSummary(tmp_path / "ref.xlsx", sheets, widths)
    rows = [("项目", (v, v, k)) for k, v in enumerate(AWKWARD)]
    rows += [("指标", (f"f{k}", None, k, AWKWARD[k % len(AWKWARD)])) for k in range(11)]
    random.Random(5).shuffle(rows)
    for sheet, row in rows:
        new.add(sheet, row)
        ref.add(sheet, row)
    new.close()
    ref.close()
    names = openpyxl.load_workbook(tmp_path / "new.xlsx", read_only=True).sheetnames
    assert names[:2] == ["项目", "指标"] and "项目(10)" in names and "指标(4)" in names    # 3 data rows a sheet
    assert_same(tmp_path / "new.xlsx", tmp_path / "ref.xlsx")


def test_crc32_of_pieces_combines_into_the_crc32_of_the_whole():
    rnd = random.Random(1)
    for _ in range(50):
        a, b = rnd.randbytes(rnd.randrange(0, 3000)), rnd.randbytes(rnd.randrange(0, 3000))
        assert summary.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_an_unwritable_summary_is_one_clear_error_naming_the_output(tmp_path):
    from perfbook.errors import EnvironmentProblem
    sheets = {"文件": ("文件",)}
    w = summary.SummaryWriter(tmp_path / "no-such-folder" / "s.xlsx", sheets, column_widths(sheets))
    w.add("文件", ("a.xlsx",))
    with pytest.raises(EnvironmentProblem) as e:
        w.close(shown="汇总.xlsx")
    assert "汇总.xlsx" in str(e.value)
