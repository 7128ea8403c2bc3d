"""check --annotate on an Excel-edited workbook: the logo, the header picture and the data bar survive, the
copy passes the structural checker and opens in LibreOffice, and the marks and comments are there."""
from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

import perfbook
from perfbook.cli import main
from perfbook.ooxml._sheetxml import insert_element
from tests.support import soffice
from tests.support.ooxml_check import problems as structural
from tests.support.opc import problems
from tests.test_check import S, six_mistakes
from tests.test_template_parts import DRAWING, PNG, REL, R, pictures, save_parts

X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
BAR_ID = "{6F1C2B3A-0D4E-4F5A-9B8C-7D6E5F4A3B2C}"
HF_VML = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
          'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
          '</o:shapelayout><v:shapetype id="_x0000_t75" coordsize="21600,21600" o:spt="75" o:preferrelative="t" '
          'path="m@4@5l@4@11@9@11@9@5xe" filled="f" stroked="f"><v:stroke joinstyle="miter"/>'
          '<v:path o:extrusionok="f" gradientshapeok="t" o:connecttype="rect"/><o:lock v:ext="edit" aspectratio="t"/>'
          '</v:shapetype><v:shape id="LH" o:spid="_x0000_s1025" type="#_x0000_t75" style="position:absolute;'
          'margin-left:0;margin-top:0;width:20pt;height:20pt;z-index:1"><v:imagedata o:relid="rId1" o:title="hdr"/>'
          '<o:lock v:ext="edit" rotation="t"/></v:shape></xml>')
DATA_BAR = ('<conditionalFormatting sqref="E10:E30"><cfRule type="dataBar" priority="99"><dataBar><cfvo type="min"/>'
            '<cfvo type="max"/><color rgb="FF638EC6"/></dataBar><extLst><ext uri="{B025F937-C7B1-47D3-B67F-A62EFF666E3E}" '
            f'xmlns:x14="{X14}"><x14:id>{BAR_ID}</x14:id></ext></extLst></cfRule></conditionalFormatting>')
X14_EXT = ('<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
           f'xmlns:x14="{X14}"><x14:conditionalFormattings><x14:conditionalFormatting '
           f'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="dataBar" id="{BAR_ID}">'
           '<x14:dataBar minLength="0" maxLength="100" gradient="0"><x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/>'
           '<x14:negativeFillColor rgb="FFFF0000"/><x14:axisColor rgb="FF000000"/></x14:dataBar></x14:cfRule>'
           '<xm:sqref>E10:E30</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>')
HEADER_PNG = PNG[:-12] + PNG[-12:]          # same picture, its own part


def excel_edited(src, path):
    """What a bureau's Excel adds to a filled workbook: a logo, a header picture (&G) and a data bar."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    if 'xmlns:r="' not in sheet[:1000]:
        sheet = sheet.replace("<worksheet ", f'<worksheet xmlns:r="{R}" ', 1)
    sheet = re.sub(r"<oddHeader\s*/>", "<oddHeader>&amp;L&amp;G</oddHeader>", sheet)
    head, tail = sheet.split("</sheetData>", 1)
    for name, xml in (("conditionalFormatting", DATA_BAR), ("drawing", '<drawing r:id="rIdLogo"/>'),
                      ("legacyDrawingHF", '<legacyDrawingHF r:id="rIdHF"/>'), ("extLst", X14_EXT)):
        tail = insert_element(tail, name, xml)
    parts["xl/worksheets/sheet1.xml"] = (head + "</sheetData>" + tail).encode()
    rel = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{REL}">'
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
        rel + f'<Relationship Id="rIdLogo" Type="{R}/drawing" Target="../drawings/drawing1.xml"/>'
        f'<Relationship Id="rIdHF" Type="{R}/vmlDrawing" Target="../drawings/vmlDrawing1.vml"/></Relationships>').encode()
    parts["xl/drawings/drawing1.xml"] = DRAWING.encode()
    parts["xl/drawings/_rels/drawing1.xml.rels"] = (
        rel + f'<Relationship Id="rId1" Type="{R}/image" Target="../media/image1.png"/></Relationships>').encode()
    parts["xl/drawings/vmlDrawing1.vml"] = HF_VML.encode()
    parts["xl/drawings/_rels/vmlDrawing1.vml.rels"] = (
        rel + f'<Relationship Id="rId1" Type="{R}/image" Target="../media/image2.png"/></Relationships>').encode()
    parts["xl/media/image1.png"] = PNG
    parts["xl/media/image2.png"] = HEADER_PNG
    ct = parts["[Content_Types].xml"].decode().replace("</Types>", (
        '<Default Extension="png" ContentType="image/png"/>'
        '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
        '<Override PartName="/xl/drawings/drawing1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>'))
    parts["[Content_Types].xml"] = ct.encode()
    save_parts(parts, path)
    return path


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    d = tmp_path_factory.mktemp("annotate-parts")
    src = excel_edited(six_mistakes(d / "six.xlsx"), d / "edited.xlsx")
    assert structural(src) == [] and problems(src) == []
    before = src.read_bytes()
    assert main(["check", str(src), "--annotate", str(d / "marked.xlsx")]) == 1
    assert src.read_bytes() == before
    return src, d / "marked.xlsx"


def test_pictures_header_picture_and_data_bar_survive(annotated):
    src, out = annotated
    assert pictures(out) == [("xl/worksheets/sheet1.xml", "xl/media/image1.png")]
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        for name in ("xl/media/image1.png", "xl/media/image2.png", "xl/drawings/drawing1.xml",
                     "xl/drawings/vmlDrawing1.vml", "xl/drawings/_rels/vmlDrawing1.vml.rels",
                     "xl/drawings/_rels/drawing1.xml.rels"):
            assert b.read(name) == a.read(name), name
        sheet = b.read("xl/worksheets/sheet1.xml").decode()
        rels = b.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        names = set(b.namelist())
    assert X14_EXT in sheet and DATA_BAR in sheet and "&amp;L&amp;G" in sheet
    hf = re.search(r'<legacyDrawingHF r:id="([^"]+)"', sheet).group(1)
    assert f'Id="{hf}" Type="{R}/vmlDrawing" Target="../drawings/vmlDrawing1.vml"' in rels
    comments = re.search(r'<legacyDrawing r:id="([^"]+)"', sheet).group(1)
    target = re.search(rf'Id="{comments}"[^>]*Target="([^"]+)"', rels).group(1)
    assert not target.endswith("vmlDrawing1.vml")          # the notes get their own drawing, not the header's
    assert re.sub(r"^(\.\./)+", "", target) in names
    assert structural(out) == [] and problems(out) == []


def test_marks_and_comments_are_there(annotated):
    src, out = annotated
    r = perfbook.check(src)
    ws = openpyxl.load_workbook(out)[S]
    colours = {"错误": "FFFFC7CE", "警告": "FFFFEB9C", "提示": "FFDDEBF7"}
    assert r.findings
    for f in r.findings:
        if not f.cell:
            continue
        cell = ws[f.cell]
        assert cell.comment is not None and f.message in cell.comment.text, f.cell
        worst = min((x.severity for x in r.findings if x.cell == f.cell), key=["错误", "警告", "提示"].index)
        assert cell.fill.fgColor.rgb == colours[worst], f.cell
        assert cell.border.left.style == "thick" and cell.border.bottom.style == "thick", f.cell


def test_a_second_annotation_merges_into_the_first_ones_comments(annotated, tmp_path):
    """Annotating the annotated copy: the comments part and its drawing are reused, not doubled."""
    src, out = annotated
    again = tmp_path / "again.xlsx"
    from perfbook.rules._annotate import annotate
    annotate(out, again, perfbook.check(src))
    with zipfile.ZipFile(again) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert sheet.count("<legacyDrawing ") == 1 and len([n for n in z.namelist() if "comments" in n]) == 1
    f = next(f for f in perfbook.check(src).findings if f.cell)
    assert openpyxl.load_workbook(again)[S][f.cell].comment.text.count(f.message) >= 2
    assert structural(again) == [] and problems(again) == []


@pytest.mark.skipif(not soffice.available(), reason="LibreOffice not installed")
def test_libreoffice_opens_the_annotated_copy(annotated, tmp_path):
    _src, out = annotated
    pdf = soffice.convert(out, tmp_path)
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000


def test_every_excel_made_sample_annotates_cleanly(tmp_path):
    """Excel's own comments (authors, rich runs, its VML) take the new notes: a note on a cell that has a
    comment is appended to it, new ones get a comment and a shape; every copy passes the structural check."""
    from perfbook.rules._annotate import annotate
    from perfbook.rules.findings import Finding, Report
    from tests.conftest import SHARED, need_shared
    files = sorted((need_shared(SHARED) / "samples" / "excel-made").glob("*.xls[xm]"))
    assert len(files) > 20
    for f in files:
        ws = openpyxl.load_workbook(f).worksheets[0]
        refs = [c.coordinate for row in ws.iter_rows(max_row=5, max_col=3) for c in row if c.comment][:1] + ["B3", "C40"]
        old = {r: ws[r].comment.text for r in refs if ws[r].comment}
        report = Report(str(f), tuple(Finding("x", "错误", f"问题{r}", sheet=ws.title, cell=r) for r in refs))
        out = annotate(f, tmp_path / f.name, report)
        assert structural(out) == [], f.name
        back = openpyxl.load_workbook(out).worksheets[0]
        for r in refs:
            assert f"问题{r}" in back[r].comment.text and old.get(r, "") in back[r].comment.text, (f.name, r)


def test_the_annotated_copy_does_not_depend_on_the_hash_seed(tmp_path):
    """The same workbook annotated in two processes with different PYTHONHASHSEEDs gives the same bytes:
    the comment and VML parts were numbered in set order, so each run of a songgang sample (findings on
    several sheets) wrote a different file."""
    import os
    import subprocess
    import sys

    from tests.conftest import SHARED, need_shared
    src = need_shared(SHARED / "samples" / "shenzhen-baoan") / "songgang-00.xlsx"
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"标注{seed}.xlsx"
        subprocess.run([sys.executable, "-m", "perfbook", "check", str(src), "--annotate", str(out)],
                       env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, check=False)
        outs.append(out.read_bytes())
    with zipfile.ZipFile(tmp_path / "标注1.xlsx") as z:
        assert sum(n.startswith("xl/comments") for n in z.namelist()) > 1    # findings on several sheets
    assert outs[0] == outs[1]


def test_a_prefixed_worksheet_is_refused_not_crashed_on(tmp_path):
    """A sheet written with a namespace prefix (<x:worksheet>, <x:sheetData>) and only a sheet-wide note
    (no cell to mark): the copy is refused with the usual message. It raised AttributeError on the
    missing <worksheet> tag (found by mypy: the regex match was used unchecked)."""
    from perfbook.errors import UnreadableWorkbook
    from perfbook.rules._annotate import annotate
    from perfbook.rules.findings import Finding, Report
    src = six_mistakes(tmp_path / "six.xlsx")
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    main_ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = parts["xl/worksheets/sheet1.xml"].decode().replace(main_ns, main_ns.replace("xmlns=", "xmlns:x="), 1)
    sheet = re.sub(r"<(/?)(\w+)(?=[\s/>])", r"<\1x:\2", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(prefixed, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    report = Report(str(prefixed), (Finding("x", "警告", "本表的问题", sheet=S),))
    with pytest.raises(UnreadableWorkbook, match="无法生成批注副本"):
        annotate(prefixed, tmp_path / "marked.xlsx", report)
    assert not (tmp_path / "marked.xlsx").exists()
