"""Every kind of workbook perfbook writes passes the structural checker (tests/support/ooxml_check.py):
schema-valid parts, present relationship targets, content type = extension, style indexes in range, rows
and texts within Excel's limits. The Excel-made files pass too (the checker is no stricter than Excel),
and files broken in each way it checks fail it (it can fail)."""
from __future__ import annotations

import random
import re
import shutil
import zipfile

import pytest

import perfbook
from perfbook.cli import main
from tests.conftest import EXAMPLES, SHARED, need_shared as _need
from tests.support.ooxml_check import problems
from tests.test_inject_lo import random_project

EXCEL_MADE = SHARED / "samples" / "excel-made"


def need_shared():
    _need(SHARED / "schemas")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    need_shared()
    d = tmp_path_factory.mktemp("ooxml")
    rng = random.Random(29500)
    out = {
        "fill": perfbook.fill(EXAMPLES / "seed-001.yaml", d / "fill.xlsx"),
        "fill --macros": perfbook.fill(EXAMPLES / "seed-000.yaml", d / "fill-macros.xlsm", macros=True),
        "fill 12 projects --macros": perfbook.fill([random_project(rng, f"项目{i}", 12) for i in range(12)],
                                                   d / "twelve.xlsm", macros=True),
    }
    for name, args in (("new", ["new", str(d / "new.xlsx")]), ("new --macros", ["new", str(d / "new.xlsm"), "--macros"]),
                       ("new .xltx", ["new", str(d / "new.xltx")]),
                       ("addin", ["addin", "build", "-o", str(d / "perfbook.xlam")])):
        assert main(args) == 0
        out[name] = d / args[1 + (name == "addin") * 2] if name == "addin" else d / args[1]
    out["addin"] = d / "perfbook.xlam"
    master = d / "master.csv"
    shutil.copy(EXAMPLES / "seed-000.csv", master)
    assert main(["bulk", str(master), "-o", str(d / "bulk"), "--macros", "--jobs", "1"]) == 0
    out["bulk --macros"] = next((d / "bulk").rglob("*.xlsm"))
    main(["check", str(out["fill"]), "--annotate", str(d / "annotated.xlsx")])
    out["check --annotate"] = d / "annotated.xlsx"
    src = d / "collect-in"
    src.mkdir()
    shutil.copy(out["fill"], src / "a.xlsx")
    shutil.copy(out["fill --macros"], src / "b.xlsm")
    main(["collect", str(src), "-o", str(d / "summary.xlsx"), "--jobs", "1"])
    out["collect summary"] = d / "summary.xlsx"
    return out


KINDS = ["fill", "fill --macros", "fill 12 projects --macros", "new", "new --macros", "new .xltx", "addin",
         "bulk --macros", "check --annotate", "collect summary"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_output_passes(outputs, kind):
    assert outputs[kind].exists(), kind
    assert problems(outputs[kind]) == []


def test_excel_made_files_pass():
    need_shared()
    files = sorted(EXCEL_MADE.glob("*.xls[xm]"))
    assert len(files) >= 60
    bad = {f.name: problems(f) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def broken(src, dst, part, edit):
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts[part] = edit(parts[part].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return dst


@pytest.mark.parametrize("what, part, edit, message", [
    ("unknown element", "xl/worksheets/sheet1.xml", lambda x: x.replace("</sheetData>", "</sheetData><bogus/>", 1),
     "bogus"),
    ("NaN value", "xl/worksheets/sheet1.xml", lambda x: re.sub(r"<v>[^<]*</v>", "<v>nan</v>", x, count=1), "nan"),
    ("style out of range", "xl/worksheets/sheet1.xml", lambda x: re.sub(r'\bs="\d+"', 's="9999"', x, count=1),
     "style index 9999"),
    ("row too tall", "xl/worksheets/sheet1.xml", lambda x: re.sub(r'(<row r="1"[^>]*?)\s*\bht="[^"]*"', r'\1 ht="511"', x, count=1),
     "511"),
    ("missing target", "xl/_rels/workbook.xml.rels", lambda x: x.replace('Target="styles.xml"', 'Target="nope.xml"'),
     "missing part"),
])
def test_the_checker_catches_each_defect(outputs, tmp_path, what, part, edit, message):
    bad = broken(outputs["fill"], tmp_path / "bad.xlsx", part, edit)
    found = problems(bad)
    assert any(message in p for p in found), (what, found)


def test_the_checker_catches_a_wrong_extension(outputs, tmp_path):
    shutil.copy(outputs["fill"], tmp_path / "x.xlsm")
    assert any("extension .xlsm" in p for p in problems(tmp_path / "x.xlsm"))
