"""LibreOffice opens collect's summary (sheet XML written by batch/_summary.py) and reads back what
openpyxl reads: the sheets, known cells, text that looks like a formula or a number kept as text,
row heights that fit the wrapped text."""
from __future__ import annotations

import openpyxl
import pytest

from perfbook.batch._parallel import Plan
from perfbook.batch._summary import SummaryWriter
from perfbook.batch.collect import collect, column_widths

from .conftest import SAMPLES, need_shared

pytestmark = pytest.mark.libreoffice


def test_libreoffice_reads_the_summary_of_the_shenzhen_samples(soffice, tmp_path):
    out = tmp_path / "汇总.xlsx"
    collect(need_shared(SAMPLES), out, execution=Plan(jobs=1, isolate=False))
    awkward = tmp_path / "awkward.xlsx"
    sheets = {"项目": ("文件", "项目编码", "说明", "项目数")}
    w = SummaryWriter(awkward, sheets, column_widths(sheets))
    w.add("项目", ("=1+1", "0053001", "第一行\n第二行\n第三行", 7))
    w.add("项目", ("+2", "1E5", "x_x0041_y", 2.5))
    w.close()

    wb = openpyxl.load_workbook(out)
    picks = {"项目": ["A1", "C1", "A2", "C2", "D2", "E2", "AE2", "AG2", "A196", "AG196"],
             "指标": ["A1", "A2", "C2", "G2", "A1827"], "问题": ["A2", "E2", "F2", "G2", "H2"],
             "文件": ["A2", "B2", "C2", "D2", "E2", "A12", "C12", "I12", "A13"]}
    cells = [[s, ref] for s, refs in picks.items() for ref in refs]
    tall = next(r for r in range(2, 40) if wb["项目"].row_dimensions[r].ht)
    res = soffice.run_jobs([
        {"in": str(out), "recalc": False, "cells": cells, "heights": [["项目", tall]]},
        {"in": str(awkward), "recalc": False, "cells": [["项目", f"{c}{r}"] for r in (2, 3) for c in "ABCD"],
         "heights": [["项目", 2]]},
    ])
    assert res[0]["sheets"] == wb.sheetnames
    got = [c["value"] for c in res[0]["cells"]]
    want = [wb[s][ref].value for s, ref in cells]
    assert got == want
    assert all(v is not None for v in want[:4])
    assert abs(res[0]["heights"][0] - wb["项目"].row_dimensions[tall].ht) < 1
    assert [c["value"] for c in res[1]["cells"]] == ["=1+1", "0053001", "第一行\n第二行\n第三行", 7,
                                                     "+2", "1E5", "x_x0041_y", 2.5]
    assert res[1]["heights"][0] >= 3 * 14
