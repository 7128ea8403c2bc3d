"""The yardsticks perfbook is measured against: what someone would write without perfbook.

- ``contents(data)``: the cells (value, type) and merged ranges of a workbook perfbook wrote, per sheet --
  taken once, outside any timing, so that the openpyxl script below writes exactly the same content;
- ``openpyxl_write(contents, path)``: a plain openpyxl script writing those cells and merges into a new
  workbook and saving it (no styles, validations, formats or names: it does less than perfbook does);
- ``floor_parts / floor_write``: the least any writer must do -- deflate the parts that change per workbook
  (level 1), copy the parts that never change already deflated, build the zip, write the file;
- readers: openpyxl (normal and read_only), pandas (openpyxl and calamine engines), calamine alone;
- ``main``: a plain openpyxl loop over a CSV master (csv module, one workbook per project: header cells,
  one row per indicator, 一级/二级 runs merged), the whole-command yardstick for ``perfbook bulk``.
"""
from __future__ import annotations

import csv
import io
import os
import sys
import zipfile
import zlib
from pathlib import Path


def contents(data: bytes) -> list[tuple[str, list[tuple[int, int, object]], list[tuple[int, int, int, int]]]]:
    import python_calamine
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for name in wb.sheet_names:
        sh = wb.get_sheet_by_name(name)
        cells = [(r + 1, c + 1, v) for r, row in enumerate(sh.to_python()) for c, v in enumerate(row) if v != ""]
        merges = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (sh.merged_cell_ranges or [])]
        out.append((name, cells, merges))
    return out


def openpyxl_write(book, path) -> None:
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells, merges in book:
        ws = wb.create_sheet(name[:31])
        for r, c, v in cells:
            cell = ws.cell(r, c)
            cell.value = v
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"                       # text stays text, as perfbook writes it
        for r1, c1, r2, c2 in merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    wb.save(path)


def floor_parts(data: bytes, static: set[bytes]) -> tuple[list, list]:
    """(parts to deflate per workbook: name, raw), (parts copied as they are: name, crc, size, deflated)."""
    dyn, fixed = [], []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            raw = z.read(info)
            if info.filename.encode() in static:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                fixed.append((info.filename.encode(), zlib.crc32(raw), len(raw), c.compress(raw) + c.flush()))
            else:
                dyn.append((info.filename, raw))
    return dyn, fixed


def floor_write(dyn, fixed, path) -> None:
    from perfbook.ooxml._package import Entry, build_zip
    entries = []
    for name, raw in dyn:
        c = zlib.compressobj(1, zlib.DEFLATED, -15)
        entries.append(Entry(name.encode(), zlib.crc32(raw), len(raw), c.compress(raw) + c.flush()))
    entries += [Entry(*f) for f in fixed]
    with open(path, "wb") as fh:
        fh.write(build_zip(entries))


# --- readers (values of every sheet, and the merged ranges where the reader can see them) -------------

def read_openpyxl(path, read_only: bool = False) -> int:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=read_only)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            n += sum(1 for v in row if v is not None)
        if not read_only:
            n += len([r.bounds for r in ws.merged_cells.ranges])
    if read_only:
        wb.close()
    return n


def read_pandas(path, engine: str) -> int:
    import pandas as pd
    return sum(int(df.count().sum()) for df in pd.read_excel(path, sheet_name=None, header=None, engine=engine).values())


def read_calamine(path) -> int:
    import python_calamine
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    n = 0
    for name in wb.sheet_names:
        sh = wb.get_sheet_by_name(name)
        n += sum(1 for row in sh.to_python() for v in row if v != "") + len(sh.merged_cell_ranges or [])
    return n


# --- the whole-command yardstick -----------------------------------------------------------------

HEADER = ("项目名称", "项目编码", "主管部门", "实施单位", "预算年度", "年度资金总额", "财政拨款", "其他资金", "年度目标")
TABLE = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "指标内容", "评（扣）分标准")


def _project_book(fields: dict, rows: list[dict], path) -> None:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    ws.cell(1, 1, "项目绩效目标表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(TABLE))
    for i, label in enumerate(HEADER, start=2):
        ws.cell(i, 1, label)
        ws.cell(i, 2).value = fields.get(label, "")
        ws.cell(i, 2).data_type = "s"
        ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=len(TABLE))
    top = len(HEADER) + 2
    for c, label in enumerate(TABLE, start=1):
        ws.cell(top, c, label)
    for r, row in enumerate(rows, start=top + 1):
        for c, label in enumerate(TABLE, start=1):
            ws.cell(r, c).value = row.get(label, "")
            ws.cell(r, c).data_type = "s"
    for col in (1, 2):                                  # the 一级 and 二级 runs merged down
        start = top + 1
        for r in range(top + 2, top + len(rows) + 2):
            key = tuple(ws.cell(r, k).value for k in range(1, col + 1)) if r <= top + len(rows) else None
            prev = tuple(ws.cell(r - 1, k).value for k in range(1, col + 1))
            if key != prev:
                if r - 1 > start:
                    ws.merge_cells(start_row=start, start_column=col, end_row=r - 1, end_column=col)
                start = r
    wb.save(path)


def main(argv=None) -> int:
    """python -m bench.plain MASTER.csv OUTDIR: one workbook per project with plain openpyxl."""
    master, outdir = (argv or sys.argv[1:])[:2]
    os.makedirs(outdir, exist_ok=True)
    projects: dict[tuple, tuple[dict, list]] = {}
    with open(master, encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            key = (rec.get("项目名称"), rec.get("项目编码"))
            fields, rows = projects.setdefault(key, ({}, []))
            fields.update({k: v for k, v in rec.items() if v and k in HEADER})
            rows.append(rec)
    for i, (fields, rows) in enumerate(projects.values(), start=1):
        _project_book(fields, rows, Path(outdir) / f"{i:06d}.xlsx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
