"""The add-in and the xlwings bridge, with real parts.

- `perfbook addin build` writes perfbook.xlam: a valid package whose VBA oletools' olevba reads back
  exactly as the sources; LibreOffice opens it and runs its 校验 (which, on the add-in's own note
  sheet, says there is no indicator table — the point is that every module compiles and runs).
- The 校验（完整规则） path: Excel's RunPython cannot run on Linux, so the test plays its part with
  the same function it calls (perfbook.xlwings_bridge.answer writes perfbook check's findings on the
  data sheet); then LibreOffice runs the VBA half (PerfbookCheck.ApplyFindings), which marks and lists
  them. The result must equal perfbook check, and the data sheet must be gone afterwards.
- perfbook imports and runs without xlwings installed.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import perfbook
from perfbook import xlwings_bridge
from perfbook.cli import main
from perfbook.excel import _vba as vba
from tests.conftest import ROOT
from tests.support.opc import problems
from tests.test_check import SIX, SIX_FRAME
from tests.test_macros_lo import python_side, results_sheet

T = xlwings_bridge.texts()
S = "绩效目标表"


def test_addin_build_verifies_with_olevba(tmp_path, capsys):
    out = tmp_path / "perfbook.xlam"
    assert main(["addin", "build", "-o", str(out), "--verify"]) == 0
    assert "olevba" in capsys.readouterr().out
    assert problems(out) == []
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        ct = z.read("[Content_Types].xml").decode()
        got = vba.extract_sources(z.read(vba.VBA_PART))
    assert names[0] == "[Content_Types].xml"
    assert vba.XLAM_MAIN_CT in ct and vba.UI14_PART in names and vba.UI12_PART in names
    for m in vba.standard_modules():
        assert got[m.name] == m.source, m.name
    # the same sources and rule data give the same bytes
    again = tmp_path / "again.xlam"
    assert main(["addin", "build", "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_addin_export_writes_importable_sources(tmp_path):
    assert main(["addin", "export", str(tmp_path / "src")]) == 0
    files = sorted(p.name for p in (tmp_path / "src").iterdir())
    assert files == sorted([f"{m.name}.bas" for m in vba.standard_modules()] + ["customUI.xml", "customUI14.xml"])
    for m in vba.standard_modules():
        assert (tmp_path / "src" / f"{m.name}.bas").read_bytes() == m.source.encode("ascii")


def test_perfbook_runs_without_xlwings(tmp_path):
    """xlwings lives in one module and is imported only when Excel calls it."""
    code = ("import sys; sys.modules['xlwings'] = None\n"
            "import perfbook, perfbook.xlwings_bridge as b, perfbook.cli\n"
            f"p = perfbook.fill({str(ROOT / 'examples/seed-001.yaml')!r}, {str(tmp_path / 'x.xlsx')!r})\n"
            "assert perfbook.check(p).ok\n"
            "try:\n    b.validate_active_sheet()\nexcept ImportError:\n    print('no xlwings: ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "no xlwings: ok" in proc.stdout


def test_bridge_answer_is_perfbook_check(tmp_path):
    path = perfbook.fill(SIX, tmp_path / "six.xlsx", frame=SIX_FRAME)
    cells = xlwings_bridge.answer(str(path), S)
    assert cells["B3"] == "ok"
    rows = []
    r = xlwings_bridge.FIRST_ROW
    while f"A{r}" in cells:
        rows.append(tuple(cells[f"{c}{r}"] for c in "ABCDE"))
        r += 1
    want = [(f.rule, f.severity, f.cell or "", f.message, f.fix or "")
            for f in perfbook.check(path).findings if f.sheet == S]
    assert rows == want and len(rows) > 10
    # an unreadable copy is an answer too, never an exception in Excel
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    ans = xlwings_bridge.answer(str(bad), S)
    assert ans["B3"] != "ok" and "损坏" in ans["B3"]       # the official sees why, in Chinese


@pytest.fixture(scope="module")
def lo_runs(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("addin")
    from perfbook.excel import _addin as addin
    xlam = addin.build(d / "perfbook.xlam")
    # the bridge: a macro workbook, its saved copy checked by Python, the answer on the data sheet
    book = perfbook.fill(SIX, d / "six.xlsm", frame=SIX_FRAME, macros=True)
    copy = d / "copy-of-six.xlsm"
    shutil.copyfile(book, copy)
    wb = openpyxl.load_workbook(book, keep_vba=True)
    xlwings_bridge.write_openpyxl(wb, str(copy), S, xlwings_bridge.answer(str(copy), S))
    asked = d / "six-asked.xlsm"
    wb.save(asked)
    jobs = [
        # LibreOffice does not detect .xlam by itself: it is the macro-enabled xlsx filter's content
        {"in": str(xlam), "filter_in": "Calc MS Excel 2007 XML", "macros": ["PerfbookCheck.ValidateSilent"]},
        {"in": str(asked), "activate": S, "macros": ["PerfbookCheck.ApplyFindingsSilent"],
         "out": str(d / "six-applied.xlsm"), "filter": "Calc MS Excel 2007 VBA XML"},
    ]
    results = soffice.run_jobs(jobs)
    for res in results:
        assert "error" not in res, res
    return {"xlam": results[0], "applied": (book, d / "six-applied.xlsm", results[1])}


@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin_and_runs_its_vba(lo_runs):
    res = lo_runs["xlam"]
    assert res["macros"][0]["result"] == T["no_table"]


@pytest.mark.libreoffice
def test_full_rules_button_marks_what_perfbook_check_found(lo_runs):
    book, applied, res = lo_runs["applied"]
    findings = [f for f in perfbook.check(book).findings if f.sheet == S]
    assert res["macros"][0]["result"] == xlwings_bridge.summary(findings)
    assert results_sheet(applied) == python_side(book, S)
    names = CalamineWorkbook.from_path(str(applied)).sheet_names
    assert T["data_sheet"] not in names                     # the request/answer sheet is cleaned up
    ws = openpyxl.load_workbook(applied)[S]
    for f in findings:
        if f.cell:
            assert ws[f.cell].comment is not None and ws[f.cell].comment.text.startswith(T["comment_prefix"])
