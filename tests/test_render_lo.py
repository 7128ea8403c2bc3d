"""The filled workbook in the real spreadsheet program: it opens, reads the same, prints."""
from __future__ import annotations

import subprocess

import pytest
import yaml

import perfbook
from tests.conftest import EXAMPLES, SEEDS

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    d = tmp_path_factory.mktemp("filled")
    return {name: perfbook.fill(EXAMPLES / f"{name}.yaml", d / f"{name}.xlsx") for name in SEEDS}


def ink(pgm: bytes) -> float:
    """Share of non-white pixels of a binary PGM (P5) page image."""
    parts = pgm.split(b"\n", 3)
    assert parts[0] == b"P5"
    pixels = parts[3]
    return sum(1 for b in pixels if b < 200) / max(len(pixels), 1)


@pytest.mark.parametrize("name", SEEDS)
def test_libreoffice_prints_the_table(name, filled, soffice, tmp_path):
    pdf = soffice.convert(filled[name], tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    x = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert f"{x['预算年度']}年{x['项目名称']}项目绩效目标表" in text.replace(" ", "")
    for label in ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "指标属性", "评（扣）分标准"):
        assert label in text
    flat = text.replace(" ", "").replace("\n", "")
    for ind in x["指标"]:
        assert ind["三级指标"][:6] in flat
    # the header rows repeat on every printed page
    pages = text.split("\f")
    assert sum("三级指标" in p for p in pages if p.strip()) >= 2 if len([p for p in pages if "指标" in p]) > 2 else True
    subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.pgm"))
    assert ink(page.read_bytes()) > 0.01, "page 1 is blank"


def test_libreoffice_reads_what_perfbook_reads(filled, soffice):
    """LibreOffice's own reading of every indicator cell equals perfbook's reading."""
    results = soffice.run_jobs([{"in": str(filled[n]), "dump": True} for n in SEEDS])
    for name, res in zip(SEEDS, results):
        grid = res["dump"]["绩效目标表"]
        book = perfbook.read(filled[name])
        for ind in book.projects[0].indicators:
            row = grid[ind.row - 1]
            assert row[2] == ind.name
            assert row[3] == (ind.sign or "")
            assert row[4] == ("" if ind.value is None else str(ind.value))
            assert row[5] == (ind.unit or "")
