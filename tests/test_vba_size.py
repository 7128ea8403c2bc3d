"""The VBA project at every size a department workbook has: 1 to 300 sheet sets with `fill --macros`.

Each workbook's xl/vbaProject.bin is read by readers perfbook did not write, and each must find every
module with its exact source: olefile (the compound file), oletools' olevba (the [MS-OVBA] streams),
Apache POI's VBAMacroReader (Debian's libapache-poi-java, a Java implementation of both) and
LibreOffice, which loads the project as Basic and runs code from it. The expected sources are the
macros/*.bas files themselves and one document module per sheet codeName in the workbook's XML.
The compound-file writer perfbook used before (ms-cfb) lost the VBA at 9–13, 15, 17, 19, 21, 23, 24
projects and wrote an invalid directory at 15 and 21.
"""
from __future__ import annotations

import base64
import random
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import olefile
import pytest

import perfbook
from perfbook.excel import _cfb as cfb, _vba as vba
from tests.conftest import ROOT
from tests.test_inject_lo import random_project

SIZES = (1, 8, 9, 15, 21, 40, 300)
LO_SIZES = (1, 9, 15, 40)
POI_JARS = ("poi", "commons-collections4", "commons-math3", "commons-codec", "commons-io")


def poi_classpath() -> str | None:
    jars = [Path(f"/usr/share/java/{j}.jar") for j in POI_JARS]
    return ":".join(map(str, jars)) if shutil.which("java") and all(j.exists() for j in jars) else None


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("vba-size")
    rng = random.Random(10)
    return {n: perfbook.fill([random_project(rng, f"项目{i}", 4) for i in range(n)], d / f"n{n}.xlsm", macros=True)
            for n in SIZES}


def expected(path: Path) -> dict[str, str]:
    """Module name -> source the workbook must carry: the hand-written .bas files as they are on disk,
    the generated rules module, an Excel document module for the workbook and each sheet's codeName."""
    with zipfile.ZipFile(path) as z:
        sheets = sorted(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        names = [vba.sheet_codename(z.read(n).decode("utf-8")) for n in sheets]
        wb = re.search(r'<workbookPr\b[^>]*codeName="([^"]+)"', z.read("xl/workbook.xml").decode()).group(1)
    assert all(names) and len(set(names)) == len(names)
    out = {name: (ROOT / "macros" / f"{name}.bas").read_bytes().decode("ascii").replace("\r\n", "\n").replace(
        "\n", "\r\n") for name in vba.HAND_MODULES}
    out[vba.RULES_MODULE] = vba.rules_source()
    out[vba.CYCLE_MODULE] = __import__("perfbook.cycle.vba", fromlist=["x"]).module_source()
    for name, base in [(wb, vba.WORKBOOK_BASE)] + [(n, vba.SHEET_BASE) for n in names]:
        out[name] = (f'Attribute VB_Name = "{name}"\r\nAttribute VB_Base = "0{{{base}}}"\r\n'
                     "Attribute VB_GlobalNameSpace = False\r\nAttribute VB_Creatable = False\r\n"
                     "Attribute VB_PredeclaredId = True\r\nAttribute VB_Exposed = True\r\n"
                     "Attribute VB_TemplateDerived = False\r\nAttribute VB_Customizable = True\r\n")
    return out


def project(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(vba.VBA_PART)


@pytest.mark.parametrize("n", SIZES)
def test_olefile_and_olevba_read_every_module(books, n):
    path = books[n]
    want = expected(path)
    assert len(want) >= 2 * n + 5
    data = project(path)
    ole = olefile.OleFileIO(data)
    streams = {"/".join(e) for e in ole.listdir()}
    assert streams == {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {f"VBA/{m}" for m in want}
    # every directory entry the file uses lies inside the directory, every chain inside the file
    for e in ole.direntries:
        if e is not None:
            for sid in (e.sid_left, e.sid_right, e.sid_child):
                assert sid == cfb.NOSTREAM or sid < len(ole.direntries)
    ole.close()
    got = vba.extract_sources(data)
    assert sorted(got) == sorted(want)
    for name, src in want.items():
        assert got[name] == src, name


@pytest.mark.skipif(poi_classpath() is None, reason="java and libapache-poi-java not installed")
def test_apache_poi_reads_every_module(books):
    proc = subprocess.run(["java", "-cp", poi_classpath(), str(ROOT / "tests" / "support" / "PoiVba.java"),
                           *map(str, books.values())], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    read: dict[str, dict[str, str]] = {}
    for line in proc.stdout.splitlines():
        key, value = line.split("\t")
        if key == "FILE":
            cur = read[value] = {}
        else:
            cur[key] = base64.b64decode(value).decode("utf-8")
    for n, path in books.items():
        want = expected(path)
        got = read[str(path)]
        assert sorted(got) == sorted(want), n
        for name, src in want.items():
            assert got[name].replace("\r\n", "\n") == src.replace("\r\n", "\n"), (n, name)


def test_the_build_refuses_a_project_that_does_not_read_back(monkeypatch):
    """build re-reads its own bytes: a container that loses a stream is refused, not written."""
    real = cfb.write

    def lossy(tree, *a, **k):
        tree = {**tree, "VBA": {k2: v for k2, v in tree["VBA"].items() if k2 != "Sheet9"}}
        return real(tree, *a, **k)
    monkeypatch.setattr(cfb, "write", lossy)
    with pytest.raises(perfbook.PerfbookError, match="读回"):
        vba.build_project(vba.project_modules([f"Sheet{k}" for k in range(1, 12)]))


@pytest.mark.libreoffice
def test_libreoffice_loads_and_runs_the_vba(books, soffice):
    jobs = []
    for n in LO_SIZES:
        with zipfile.ZipFile(books[n]) as z:
            wb = z.read("xl/workbook.xml").decode()
        last = [s for s in re.findall(r'<sheet\b[^>]*name="([^"]+)"', wb) if "概况" not in s and s != "下拉列表"][-1]
        jobs.append({"in": str(books[n]), "recalc": False, "basic": True, "activate": last,
                     "macros": [["PerfbookUtil.U", ["\\u6821\\u9a8c"]], "PerfbookCheck.ValidateSilent"]})
    for n, res in zip(LO_SIZES, soffice.run_jobs(jobs)):
        assert "error" not in res, (n, res)
        want = expected(books[n])
        # (the sheet 校验 adds for its results gets a document module of its own)
        assert set(want) <= set(res["basic"]), (n, set(want) - set(res["basic"]))
        for name in vba.HAND_MODULES:
            # LibreOffice shows the code without the Attribute lines (and a VBA-mode header)
            assert res["basic"][name].rstrip().endswith(want[name].rstrip().splitlines()[-1].strip()), (n, name)
        u, check = res["macros"]
        assert u["result"] == "校验", n
        assert check["result"], n
