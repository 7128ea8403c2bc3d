"""Every rule's fires/passes cases (rules.yaml `cases:`) through all three targets, in one LibreOffice run.

Each case is one project (the rules.yaml `case_base` plus the case's row or header fields). The cases of a
frame go into one macro workbook, one sheet per case. Then, per case sheet:
- Python (perfbook check): the case's rule fires on a `fires` case and not on a `passes` case;
- the workbook (recalculated by LibreOffice): each row's 错误 and 警告 counts in the hidden helper
  columns and the sheet's "校验：N 处错误" equal perfbook check's (警告 of the rules with a formula);
- the VBA (校验 run by LibreOffice): the 校验结果 rows equal perfbook check's findings on the sheet, in
  order: rule, severity, cell, message, fix.
The expected side of each case is written by hand (fires / passes); the three targets must agree.
"""
from __future__ import annotations

import collections
import copy
import re

import openpyxl
import pytest

import perfbook
from perfbook.rules import _catalog as R
from perfbook.rules.findings import ERROR, WARNING
from perfbook.write._inject import injected_plan
from perfbook.write.fill import compiled
from perfbook.xlwings_bridge import texts

pytestmark = pytest.mark.libreoffice
T = texts()


DIRECT = "_direct"     # a case about header fields perfbook's template has no cell for (政策依据, 测算依据)


def case_projects(direct: bool = False) -> dict[str, list[tuple[str, str, int, dict]]]:
    """frame → [(rule id, fires|passes, n, project dict)]. direct: the `_direct: FRAME` cases, checked as
    data (their VBA and formulas run on the Shenzhen sheets in test_macros_lo); else all the others."""
    base = R.data()["case_base"]
    fields = {s.label for s in __import__("perfbook._fields", fromlist=["x"]).indicator_fields()}
    out = collections.defaultdict(list)
    for r in R.rules():
        for n, (kind, case) in enumerate(r.cases):
            if (DIRECT in case) != direct:
                continue
            p = copy.deepcopy(base)
            case = dict(case)
            frame = case.pop(DIRECT, None) or case.pop("_frame", "yunnan-2022")
            drop = set(case.pop("_without", ()))
            p["指标"] = [i for i in p["指标"] if i["三级指标"] not in drop] + list(case.pop("_rows", ()))
            row = {k: v for k, v in case.items() if k in fields}
            for k, v in case.items():
                if k not in fields:
                    if v is None:
                        p.pop(k, None)
                    else:
                        p[k] = v
            if row:
                p["指标"].append(row)
            p["项目名称"] = f"{len(out[frame]) + 1}"
            out[frame].append((r.id, kind, n, p))
    return out


def sheet_layout(path):
    """project index → (table sheet, summary cell)."""
    ws = openpyxl.load_workbook(path)
    out = []
    for p in perfbook.read(path).projects:
        sheet = p.sheets[0]
        col_a = [c.value for c in ws[sheet]["A"]]
        row = next(i for i, v in enumerate(col_a, start=1) if isinstance(v, str) and '"校验：' in v)
        out.append((sheet, f"A{row}"))
    return out


@pytest.fixture(scope="module")
def ran(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("cases")
    pl = injected_plan(compiled().template)
    jobs, books = [], []
    for frame, cases in case_projects().items():
        path = perfbook.fill([p for *_x, p in cases], d / f"cases-{frame}.xlsm", frame=frame, macros=True)
        layout = sheet_layout(path)
        cells = []
        for (sheet, summary), (_rid, _k, _n, p) in zip(layout, cases):
            cells.append([sheet, summary])
            for r in range(pl.T, pl.T + len(p["指标"])):
                cells += [[sheet, f"{pl.error_column}{r}"], [sheet, f"{pl.warning_column}{r}"]]
        jobs.append({"in": str(path), "cells": cells})
        jobs.append({"in": str(path), "recalc": False, "steps": [
            {"activate": sheet, "macros": ["PerfbookCheck.ValidateSilent"], "read": [T["results_sheet"]]}
            for sheet, _s in layout]})
        books.append((path, cases, layout))
    results = soffice.run_jobs(jobs, timeout=1200)
    out = []
    for (path, cases, layout), calc, macro in zip(books, results[0::2], results[1::2]):
        assert "error" not in calc and "error" not in macro, (calc, macro)
        vals = iter(c["value"] for c in calc["cells"])
        report = perfbook.check(path)
        for (sheet, _s), (rid, kind, n, p), step in zip(layout, cases, macro["steps"]):
            summary = next(vals)
            rows = {r: (next(vals) or 0, next(vals) or 0) for r in range(pl.T, pl.T + len(p["指标"]))}
            out.append((rid, kind, n, sheet, [f for f in report.findings if f.sheet == sheet], summary, rows,
                        result_rows(step["read"][T["results_sheet"]])))
    return out


def result_rows(rows) -> list[tuple]:
    head = next(i for i, r in enumerate(rows) if r and r[0] == T["header_no"])
    return [tuple(str(x) for x in r[1:7]) for r in rows[head + 1:] if r and r[0] != ""]


def test_every_rule_has_a_case_that_fires_and_one_that_passes():
    for r in R.rules():
        kinds = {k for k, _c in r.cases}
        assert kinds == {"fires", "passes"}, r.id


def test_the_cases_about_fields_off_the_template_fire_as_data(tmp_path):
    """`_direct: FRAME` cases are checked as data; `_sample: FILE` + `_blank: CELL` cases as that shared
    sample's first sheet with the cell emptied (a header field the sheet has, left blank); `_sample:
    FOLDER/FILE` as that file of ../shared/samples (a budget system's export: a layout of its own)."""
    cases = case_projects(direct=True)
    assert cases
    for frame, items in cases.items():
        for rid, kind, n, p in items:
            if "/" in p.get("_sample", ""):          # another folder of samples: that file, as it is
                from tests.conftest import SHARED, need_shared
                findings = perfbook.check(need_shared(SHARED / "samples" / p["_sample"]), frame=frame).findings
            elif "_sample" in p:
                from tests.conftest import SAMPLES, need_shared
                wb = openpyxl.load_workbook(need_shared(SAMPLES) / p["_sample"])
                ws = wb.worksheets[0]
                for other in wb.worksheets[1:]:
                    wb.remove(other)
                for cell in p.get("_blank", ()):
                    ws[cell] = None
                src = tmp_path / f"{rid}-{kind}-{n}.xlsx"
                wb.save(src)
                findings = perfbook.check(src, frame=frame).findings
            else:
                findings = perfbook.check([p], frame=frame).findings
            fired = any(f.rule == rid for f in findings)
            assert fired == (kind == "fires"), f"{rid} {kind}[{n}]"


def test_every_case_gives_the_same_findings_in_python_the_workbook_and_the_vba(ran):
    formula_rule = {r.id: bool(r.formula or r.counted_by) for r in R.rules()}
    assert len(ran) == sum(1 for r in R.rules() for _k, c in r.cases if DIRECT not in c)
    problems = []
    for rid, kind, n, sheet, findings, summary, rows, vba_rows in ran:
        what = f"{rid} {kind}[{n}] on {sheet}"
        fired = any(f.rule == rid for f in findings)
        if fired != (kind == "fires"):
            problems.append(f"{what}: perfbook check {'did not fire' if kind == 'fires' else 'fired'}")
        py = [(f.severity, f.rule, f.sheet, f.cell or "", f.message, f.fix or "") for f in findings]
        if vba_rows != py:
            problems.append(f"{what}: VBA {vba_rows} != Python {py}")
        errors = sum(1 for f in findings if f.severity == ERROR)
        if summary != f"校验：{errors} 处错误":
            problems.append(f"{what}: workbook says {summary!r}, perfbook check {errors} 错误")
        want = collections.Counter()
        for f in findings:
            if f.cell and R.rule(f.rule).scope == "row":
                row = int(re.sub(r"\D", "", f.cell))
                if f.severity == ERROR:
                    want[(row, 0)] += 1
                elif f.severity == WARNING and formula_rule[f.rule]:
                    want[(row, 1)] += 1
        got = collections.Counter({(r, j): v for r, ew in rows.items() for j, v in enumerate(ew) if v})
        if got != want:
            problems.append(f"{what}: workbook rows {dict(got)} != perfbook check {dict(want)}")
    assert not problems, "\n".join(problems)
