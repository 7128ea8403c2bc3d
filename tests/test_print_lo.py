"""What an official sees on paper: the filled seeds printed by LibreOffice, read back from the PDF
(pdftotext word boxes, pdftoppm pixels). No text is cut by a cell border, no page holds only the
repeated header, every page's footer is whole."""
from __future__ import annotations

import re
import subprocess

import pytest
import yaml

import perfbook
from tests.conftest import EXAMPLES, SEEDS

pytestmark = pytest.mark.libreoffice

HEADER_LINES = ("绩效指标", "评（扣）分标准", "一级指标", "填报说明", "校验", "第 ")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("print")
    books = [perfbook.fill(EXAMPLES / f"{name}.yaml", d / f"{name}.xlsx") for name in SEEDS]
    out = soffice.convert_all(books, d / "pdf", fmt="pdf")
    return {name: out[b] for name, b in zip(SEEDS, books)}


def page_count(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def page_text(pdf, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def words(pdf, page: int) -> list[tuple[float, float, float, float, str]]:
    """(xMin, yMin, xMax, yMax, text) of every word of a page, in points."""
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    pat = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(float(a), float(b), float(c), float(e), t) for a, b, c, e, t in re.findall(pat, xml)]


def pixels(pdf, page: int, dpi: int = 72, box: tuple[int, int, int, int] | None = None):
    """The page (or the box x, y, w, h of it, in pixels) in grey, by default at 72 dpi (one pixel a
    point): (width, height, bytes)."""
    crop = [] if box is None else ["-x", str(box[0]), "-y", str(box[1]), "-W", str(box[2]), "-H", str(box[3])]
    pgm = subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), *crop, "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    _magic, w, h, _maxval, data = re.match(rb"(P5)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", pgm, re.S).groups()
    return int(w), int(h), data


def rules(pdf, page: int) -> list[tuple[int, int, int]]:
    """Horizontal table borders: (y, x0, x1) runs of at least 60 dark pixels on one pixel row."""
    w, h, px = pixels(pdf, page)
    out = []
    for y in range(h):
        row = px[y * w:(y + 1) * w]
        for m in re.finditer(rb"[\x00-\xa0]{60,}", row):
            out.append((y, m.start(), m.end()))
    return out


def test_no_text_is_cut_by_a_cell_border(pdfs):
    """A wrapped text taller than its row is clipped at the border: the border crosses its line."""
    for name, pdf in pdfs.items():
        for page in range(1, page_count(pdf) + 1):
            lines = rules(pdf, page)
            for x0, y0, x1, y1, text in words(pdf, page):
                crossed = [y for y, a, b in lines if y0 + 1.5 < y < y1 - 1.5 and a < x1 and b > x0]
                assert not crossed, f"{name} page {page}: {text!r} is cut by a border at y={crossed[0]}"


def test_the_longest_overview_cell_shows_its_last_line(pdfs):
    """Seed 001's 项目实施内容 (eight lines, the first one wrapping) lies inside its row."""
    text = yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text(encoding="utf-8"))["项目实施内容"]
    first, last = text.split("\n")[0][:6], text.split("\n")[-1]
    pdf = pdfs["seed-001"]
    page = next(p for p in range(1, page_count(pdf) + 1) if "项目实施内容" in page_text(pdf, p))
    ws = words(pdf, page)
    label = next(w for w in ws if w[4] == "项目实施内容")
    top = max(y for y, a, b in rules(pdf, page) if y < label[1] and a < label[0] < b)
    bottom = min(y for y, a, b in rules(pdf, page) if y > label[3] and a < label[0] < b)
    first_w = next(w for w in ws if w[4].startswith(first))
    last_w = next(w for w in ws if w[4] == last)
    assert top < first_w[1] and last_w[3] < bottom, (top, first_w, last_w, bottom)


def test_no_page_holds_only_the_repeated_header(pdfs):
    for name, pdf in pdfs.items():
        n = page_count(pdf)
        assert n == 3, f"{name}: {n} pages (two of the table, one of 项目概况)"
        book = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
        names = [i["三级指标"][:6] for i in book["指标"]]
        for page in range(1, n + 1):
            text = page_text(pdf, page)
            if "项目概况" in text:
                continue
            body = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(HEADER_LINES)]
            assert any(k in text for k in names), f"{name} page {page} holds no indicator: {body}"


def test_every_page_has_a_whole_footer(pdfs):
    """The page number on every page, not cut by the printable area (a footer margin of 0.5 in
    under a 0.6 in bottom margin left its glyphs 2 pt tall of 9.6)."""
    for name, pdf in pdfs.items():
        n = page_count(pdf)
        for page in range(1, n + 1):
            assert f"第 {page} 页，共 {n} 页" in page_text(pdf, page), f"{name} page {page} has no page number"
            _w, h, _px = pixels(pdf, page)
            foot = [wd for wd in words(pdf, page) if wd[4] in ("第", "页") and wd[1] > h * 0.8]
            assert foot, f"{name} page {page}: no footer near the bottom"
            x0, y0, x1, y1, _ = foot[-1]
            k = 4  # 288 dpi, around the glyph only
            w, hh, px = pixels(pdf, page, dpi=72 * k, box=(int(x0 * k), int(y0 * k) - 8, int((x1 - x0) * k) + 2,
                                                         int((y1 - y0) * k) + 16))
            inked = [y for y in range(hh) if any(b < 160 for b in px[y * w:(y + 1) * w])]
            height = (max(inked) - min(inked) + 1) / k if inked else 0
            assert height > 0.5 * (y1 - y0), f"{name} page {page}: footer glyphs {height} pt tall of {y1 - y0:.1f}"


def test_no_header_only_page_whatever_the_number_of_indicators(soffice, tmp_path):
    """Seed 000 cut to 12..15 indicators, its 年度目标 0..5 lines longer (the table grows in steps of
    one line, so the page break falls everywhere near the end of the table): every page of the
    table holds indicator rows (the template's print area ends at the indicator rows)."""
    book = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text(encoding="utf-8"))
    books = []
    for k in range(12, len(book["指标"]) + 1):
        for extra in range(6):
            src = tmp_path / f"k{k:02d}-{extra}.yaml"
            goal = book["年度目标"] + "\n（续）" * extra
            src.write_text(yaml.safe_dump({**book, "年度目标": goal, "指标": book["指标"][:k]}, allow_unicode=True),
                           encoding="utf-8")
            books.append(perfbook.fill(src, tmp_path / f"k{k:02d}-{extra}.xlsx"))
    for src, pdf in soffice.convert_all(books, tmp_path / "pdf", fmt="pdf").items():
        names = [i["三级指标"][:6] for i in book["指标"]]
        for page in range(1, page_count(pdf) + 1):
            text = page_text(pdf, page)
            assert "项目概况" in text or any(k in text for k in names), f"{src.name} page {page}: {text}"
