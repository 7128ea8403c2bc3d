"""A bureau's own template parts survive fill and bulk: a logo (a drawing with a picture) on every sheet copy,
its formulas naming other sheets written in full and renamed with the sheets they name."""
from __future__ import annotations

import base64
import posixpath
import random
import re
import zipfile

import perfbook
from tests.conftest import ROOT
from tests.support.opc import problems
from tests.test_inject_lo import random_project

# a 1x1 red PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DRAWING = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           f'<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{A}" xmlns:r="{R}"><xdr:oneCellAnchor>'
           '<xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>0</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
           '<xdr:ext cx="360000" cy="360000"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="logo"/><xdr:cNvPicPr/>'
           '</xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
           '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="360000" cy="360000"/></a:xfrm><a:prstGeom prst="rect">'
           '<a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>')


def default_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(ROOT / "templates" / "绩效目标表.xlsx") as z:
        return {n: z.read(n) for n in z.namelist()}


def save_parts(parts: dict[str, bytes], path) -> None:
    """A template from parts, [Content_Types].xml first."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", parts["[Content_Types].xml"])
        for n, b in parts.items():
            if n != "[Content_Types].xml":
                z.writestr(n, b)


def template_with_logo(path):
    parts = default_parts()
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    if 'xmlns:r="' not in sheet[:500]:
        sheet = sheet.replace("<worksheet ", f'<worksheet xmlns:r="{R}" ', 1)
    parts["xl/worksheets/sheet1.xml"] = sheet.replace("</headerFooter>", '</headerFooter><drawing r:id="rIdLogo"/>',
                                                      1).encode()
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{REL}">'
        f'<Relationship Id="rIdLogo" Type="{R}/drawing" Target="../drawings/drawing1.xml"/></Relationships>').encode()
    parts["xl/drawings/drawing1.xml"] = DRAWING.encode()
    parts["xl/drawings/_rels/drawing1.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{REL}">'
        f'<Relationship Id="rId1" Type="{R}/image" Target="../media/image1.png"/></Relationships>').encode()
    parts["xl/media/image1.png"] = PNG
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("</Types>", '<Default Extension="png" ContentType="image/png"/>'
                    '<Override PartName="/xl/drawings/drawing1.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    save_parts(parts, path)
    return path


def pictures(path) -> list[tuple[str, str]]:
    """(sheet part, image part) for every picture a sheet shows, through sheet → drawing → image."""
    out = []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        for sheet in sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)):
            rels = f"xl/worksheets/_rels/{posixpath.basename(sheet)}.rels"
            if rels not in names:
                continue
            for t in re.findall(r'Type="[^"]*/drawing" Target="([^"]+)"', z.read(rels).decode()):
                drawing = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl/worksheets", t))
                drels = posixpath.join(posixpath.dirname(drawing), "_rels", posixpath.basename(drawing) + ".rels")
                assert drels in names, (sheet, drels)
                for img in re.findall(r'Target="([^"]+)"', z.read(drels).decode()):
                    image = posixpath.normpath(posixpath.join(posixpath.dirname(drawing), img))
                    assert image in names, (sheet, image)
                    out.append((sheet, image))
    return out


def test_every_sheet_copy_keeps_its_logo(tmp_path):
    tpl = template_with_logo(tmp_path / "logo.xlsx")
    one = perfbook.fill(ROOT / "examples" / "seed-001.yaml", tmp_path / "one.xlsx", template=tpl)
    assert len(pictures(one)) == 1 and problems(one) == []
    rng = random.Random(4)
    six = perfbook.fill([random_project(rng, f"项目{i}", 3) for i in range(6)], tmp_path / "six.xlsx", template=tpl)
    pics = pictures(six)
    assert len(pics) == 6 and len({s for s, _i in pics}) == 6
    assert problems(six) == []
    from tests.support.ooxml_check import problems as structural
    assert structural(six) == []
    with zipfile.ZipFile(six) as z:
        assert z.read("xl/media/image1.png") == PNG


def test_no_shared_formula_references_another_sheet(tmp_path):
    """A bureau's formula on the indicator row naming another sheet is written in full on every row."""
    parts = default_parts()
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    row = next(m for m in re.finditer(r"<row\b[^>]*>.*?</row>", sheet, re.S) if "指标." in m.group())
    r = re.search(r'r="(\d+)"', row.group()).group(1)
    new_row = row.group().replace("</row>", f"<c r=\"K{r}\"><f>LEN('项目概况'!$B$2)+ROW()</f></c></row>")
    parts["xl/worksheets/sheet1.xml"] = (sheet[:row.start()] + new_row + sheet[row.end():]).encode()
    tpl = tmp_path / "formula.xlsx"
    save_parts(parts, tpl)
    out = perfbook.fill(ROOT / "examples" / "seed-001.yaml", tmp_path / "o.xlsx", template=tpl)
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    ks = re.findall(r'<c r="K(\d+)"[^>]*>(.*?)</c>', xml)
    assert len(ks) >= 5
    for _r, body in ks:
        assert "t=\"shared\"" not in body and "'项目概况'!$B$2" in body, body


def test_formulas_follow_the_sheets_they_name_when_bulk_renames_them(tmp_path):
    """项目概况 holding =LEN('绩效目标表'!A1): in a department workbook each set's copy names its own
    绩效目标表 (renamed 1.…, 2.…), never a sheet that no longer exists."""
    parts = default_parts()
    sheet = parts["xl/worksheets/sheet2.xml"].decode()
    first_row = re.search(r"<row\b[^>]*>", sheet)
    r = re.search(r'r="(\d+)"', first_row.group()).group(1)
    sheet = sheet.replace("</row>", f"<c r=\"Z{r}\"><f>LEN('绩效目标表'!$A$1)</f></c></row>", 1)
    parts["xl/worksheets/sheet2.xml"] = sheet.encode()
    tpl = tmp_path / "xref.xlsx"
    save_parts(parts, tpl)
    rng = random.Random(8)
    out = perfbook.fill([random_project(rng, f"项目{i}", 3) for i in range(3)], tmp_path / "o.xlsx", template=tpl)
    with zipfile.ZipFile(out) as z:
        wb = z.read("xl/workbook.xml").decode()
        titles = re.findall(r'<sheet name="([^"]+)"', wb)
        formulas = {}
        for k, t in enumerate(titles, start=1):
            xml = z.read(f"xl/worksheets/sheet{k}.xml").decode()
            formulas[t] = re.findall(r"<f>(.*?)</f>", xml)
    sets = [t for t in titles if "概况" in t]
    assert len(sets) == 3
    for k, t in enumerate(sets, start=1):
        target = next(x for x in titles if x.startswith(f"{k}.") and "概况" not in x)
        assert f"LEN('{target}'!$A$1)" in formulas[t], (t, formulas[t])


def test_references_to_another_sheet_move_with_its_indicator_rows(tmp_path):
    """'绩效目标表'!C30 (below the indicator row) from 项目概况 follows the rows the indicators pushed down;
    a reference above the block stays; the formula's own sheet's references are its own."""
    from perfbook.write._template import Template
    parts = default_parts()
    T = Template.load(ROOT / "templates" / "绩效目标表.xlsx").sheets[0].loop_row
    below = T + 3
    sheet = parts["xl/worksheets/sheet2.xml"].decode()
    sheet = sheet.replace("</row>", f"<c r=\"Z1\"><f>'绩效目标表'!C{below}&amp;'绩效目标表'!A1&amp;C{below}</f></c></row>", 1)
    parts["xl/worksheets/sheet2.xml"] = sheet.encode()
    tpl = tmp_path / "xref2.xlsx"
    save_parts(parts, tpl)
    rng = random.Random(9)
    counts = (3, 12)
    out = perfbook.fill([random_project(rng, f"项目{i}", k) for i, k in enumerate(counts)], tmp_path / "o.xlsx",
                        template=tpl)
    with zipfile.ZipFile(out) as z:
        titles = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
        xmls = {t: z.read(f"xl/worksheets/sheet{k}.xml").decode() for k, t in enumerate(titles, start=1)}
    for k, n in enumerate(counts, start=1):
        summary = next(t for t in titles if t.startswith(f"{k}.") and "概况" in t)
        target = next(t for t in titles if t.startswith(f"{k}.") and "概况" not in t)
        f = re.search(r'<c r="Z1"[^>]*><f>(.*?)</f>', xmls[summary]).group(1)
        assert f == f"'{target}'!C{below + n - 1}&amp;'{target}'!A1&amp;C{below}", f


def test_a_template_written_with_character_references_is_read(tmp_path):
    """openpyxl under lxml (and other tools) write every non-ASCII character as &#NNNN;: the placeholders
    are the same text and must be found."""
    parts = default_parts()
    for name in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        xml = parts[name].decode()
        parts[name] = re.sub(r"(<t[^>]*>)([^<]*)(</t>)", lambda m: m.group(1) + "".join(
            f"&#{ord(ch)};" if ord(ch) > 127 else ch for ch in m.group(2)) + m.group(3), xml).encode()
    assert "&#25351;" in parts["xl/worksheets/sheet1.xml"].decode()        # 指
    tpl = tmp_path / "charrefs.xlsx"
    save_parts(parts, tpl)
    out = perfbook.fill(ROOT / "examples" / "seed-001.yaml", tmp_path / "o.xlsx", template=tpl)
    back = perfbook.read(out).projects
    assert back[0].name == "区委网信办经费" and len(back[0].indicators) > 5
