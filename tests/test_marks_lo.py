"""The workbook's own marks, looked at (issue 15): LibreOffice recalculates and prints the workbooks
perfbook writes; the PDF's pixels say which cells are red. A blank form shows no error, every error
the summary counts colours its cell, warnings colour nothing on paper, rows grow as text is typed."""
from __future__ import annotations

import re
import subprocess

import openpyxl
import pytest
import yaml

import perfbook
from perfbook.cli import main
from tests.conftest import EXAMPLES
from tests.test_print_lo import page_count, page_text, words

pytestmark = pytest.mark.libreoffice

RED = (0xFF, 0xC7, 0xCE)          # inject.RED's fill
YELLOW = (0xFF, 0xEB, 0x9C)       # inject.ORANGE's fill
K = 2                             # 144 dpi: two pixels a point


def rgb(pdf, page: int, box=None, dpi: int = 72 * K):
    """The page (or box x, y, w, h of it, in pixels) as RGB triples."""
    crop = [] if box is None else ["-x", str(int(box[0])), "-y", str(int(box[1])), "-W", str(max(int(box[2]), 1)),
                                   "-H", str(max(int(box[3]), 1))]
    ppm = subprocess.run(["pdftoppm", "-r", str(dpi), *crop, "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    _m, w, h, _mx, data = re.match(rb"(P6)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", ppm, re.S).groups()
    return [tuple(data[i:i + 3]) for i in range(0, len(data), 3)]


def near(px, colour, tol=14) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(px, colour))


def share(pixels, colour) -> float:
    return sum(near(p, colour) for p in pixels) / max(len(pixels), 1)


def in_box(pdf, page, x0, y0, x1, y1, colour) -> float:
    """The share of the box's pixels (in points) that are of the colour."""
    return share(rgb(pdf, page, (x0 * K, y0 * K, (x1 - x0) * K, (y1 - y0) * K)), colour)


def summary_text(soffice, path) -> str:
    """The 校验 summary cell as LibreOffice computes it."""
    res = soffice.run_jobs([{"in": str(path), "recalc": True, "dump": True}])[0]
    first = res["dump"][res["sheets"][0]]
    return next(v for row in first for v in row if isinstance(v, str) and v.startswith("校验："))


def seed(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def test_a_blank_form_shows_no_errors(soffice, tmp_path):
    out = tmp_path / "空白表.xlsx"
    assert main(["new", "--blank-rows", "12", str(out), "-q"]) == 0
    assert summary_text(soffice, out) == "校验：尚未填写指标"
    pdf = soffice.convert(out, tmp_path)
    for page in range(1, page_count(pdf) + 1):
        px = rgb(pdf, page, dpi=36)
        assert share(px, RED) == 0 and share(px, YELLOW) == 0, f"page {page} is coloured before anything is typed"
        assert "校验" not in page_text(pdf, page)


def test_rows_grow_as_text_is_typed(soffice, tmp_path):
    """Blank rows and filled indicator rows alike: text typed into 三级指标 makes the row taller
    (their heights are not fixed), and a filled row opens at the height that fits its text."""
    blank = perfbook.new(tmp_path / "blank.xlsx", blank_rows=5)
    filled = perfbook.fill(seed("seed-000"), tmp_path / "filled.xlsx", blank_rows=2)
    lines = "\n".join(["第一行", "第二行", "第三行", "第四行", "第五行", "第六行"])
    jobs = [{"in": str(blank), "recalc": False, "type": [["绩效目标表", "C11", lines]],
             "heights": [["绩效目标表", 11], ["绩效目标表", 12]]},
            {"in": str(filled), "recalc": False, "type": [["绩效目标表", "C10", lines], ["绩效目标表", "C26", lines]],
             "heights": [["绩效目标表", 10], ["绩效目标表", 26], ["绩效目标表", 11]]}]
    a, b = soffice.run_jobs(jobs)
    (b11, b12), (a11, a12) = a["heights_before"], a["heights"]
    assert a11 > b11 + 40 and a12 == b12, a
    (f10, f26, f11), (g10, g26, g11) = b["heights_before"], b["heights"]
    assert g10 > f10 + 20 and g26 > f26 + 40 and g11 == f11, b
    # seed 000's first row (three-line 指标内容) opens taller than a one-line row
    assert f10 > f26 + 10


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory):
    """Seed 000 with one mistake of each kind the summary counts: a row 错误 (a value that is not a
    number), an empty required header field, unbalanced funds, a required group missing (时效指标),
    a score total that is not 100. Its warnings (long names, …) stay."""
    d = seed("seed-000")
    d["年度资金总额"] = 123
    del d["实施单位"]
    d["指标"] = [i for i in d["指标"] if i["二级指标"] != "时效指标"]
    i = next(i for i in d["指标"] if i["三级指标"] == "今日头条发布条数")
    i["指标值"] = "约两千篇"
    i = next(i for i in d["指标"] if i["三级指标"] == "视频合格率")
    i["评（扣）分标准"] = "12分，完成得满分"
    tmp = tmp_path_factory.mktemp("mistakes")
    path = perfbook.fill(d, tmp / "mistakes.xlsx")
    return path, d


def test_every_error_the_summary_counts_colours_its_cell(soffice, mistakes, tmp_path):
    path, _d = mistakes
    errors = [f for f in perfbook.check(path).findings if f.severity == "错误"]
    assert sorted(f.rule for f in errors) == ["funds-sum", "required-group", "required-project",
                                              "score-total", "value-numeric"]
    assert summary_text(soffice, path) == "校验：5 处错误"
    pdf = soffice.convert(path, tmp_path)
    ws = openpyxl.load_workbook(path)[errors[0].sheet]
    for f in errors:
        value = ws[f.cell].value
        if value is not None:           # the cell's own text, on the first page that shows it
            key = str(value)[:4]
            page, w = next((p, w) for p in range(1, page_count(pdf) + 1) for w in words(pdf, p) if w[4].startswith(key))
            x0, y0, x1, y1 = w[0] - 1, w[1] - 1, w[2] + 1, w[3] + 1
        else:                           # an empty field: the band right of its label
            r, c = ws[f.cell].row, ws[f.cell].column
            label = next(ws.cell(r, k).value for k in range(c - 1, 0, -1) if ws.cell(r, k).value)
            page, w = next((p, w) for p in range(1, page_count(pdf) + 1) for w in words(pdf, p) if w[4] == label)
            x0, y0, x1, y1 = w[2] + 40, w[1], w[2] + 120, w[3]
        assert in_box(pdf, page, x0, y0, x1, y1, RED) > 0.3, f"{f.rule} at {f.cell} ({value!r}) is not red"


def test_warnings_colour_nothing_on_paper(soffice, mistakes, tmp_path):
    """Seed 000 passes with nine warnings: its printed table has no red and no yellow; the warnings are
    shown on screen in the 校验提示 column, which does not print."""
    path = perfbook.fill(seed("seed-000"), tmp_path / "passes.xlsx")
    report = perfbook.check(path)
    assert report.ok and any(f.severity == "警告" for f in report.findings)
    assert summary_text(soffice, path) == "校验：0 处错误"
    pdf = soffice.convert(path, tmp_path)
    for page in range(1, page_count(pdf) + 1):
        px = rgb(pdf, page, dpi=36)
        assert share(px, RED) == 0 and share(px, YELLOW) == 0, f"page {page} is coloured"
        assert "警告" not in page_text(pdf, page) and "校验提示" not in page_text(pdf, page)
    # in the workbook with errors, a row with only a warning is not coloured either
    bad, _d = mistakes
    pdf = soffice.convert(bad, tmp_path / "bad")
    warned = "微博、今日头条、学习强国县融号信息发布合格率"      # name-long only
    page, w = next((p, w) for p in range(1, page_count(pdf) + 1) for w in words(pdf, p) if w[4].startswith(warned[:6]))
    assert in_box(pdf, page, w[0] - 1, w[1] - 1, w[2] + 1, w[3] + 1, YELLOW) == 0
    assert in_box(pdf, page, w[0] - 1, w[1] - 1, w[2] + 1, w[3] + 1, RED) == 0


def test_the_annotated_copys_marks_stand_out_on_paper(soffice, mistakes, tmp_path):
    """check --annotate: an error on a red row still stands out (a thick dark-red frame), and a warning
    cell is yellow with an orange frame, on a row the workbook itself leaves white."""
    path, _d = mistakes
    out = tmp_path / "批注.xlsx"
    assert main(["check", str(path), "--annotate", str(out), "-q"]) == 1
    pdf = soffice.convert(out, tmp_path)

    def frame_left_of(text, colour):
        page, w = next((p, w) for p in range(1, page_count(pdf) + 1) for w in words(pdf, p) if w[4].startswith(text))
        mid = (w[1] + w[3]) / 2
        strip = rgb(pdf, page, ((w[0] - 30) * K, mid * K, 30 * K, 1))
        return page, w, any(near(px, colour, tol=40) for px in strip)

    _p, _w, framed = frame_left_of("约两千篇", (0xC0, 0x00, 0x00))
    assert framed, "the error cell has no dark-red frame"
    page, w, framed = frame_left_of("微博、今日头条", (0xED, 0x7D, 0x31))
    assert framed and in_box(pdf, page, w[0] - 1, w[1] - 1, w[2] + 1, w[3] + 1, YELLOW) > 0.3
