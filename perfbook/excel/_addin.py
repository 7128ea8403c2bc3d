"""perfbook.xlam: the 绩效目标 ribbon tab as an Excel/WPS add-in, built on Linux with no Excel.

An add-in is a macro-enabled workbook whose main part has the add-in content type; Excel hides its
one sheet and loads its VBA and ribbon for every workbook. The package is written part by part (the
same zip writer as fill), so a build is reproducible byte for byte from the sources and rule data.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from .._version import __version__
from ..ooxml import _ns as ns, _parts as P
from ..ooxml._package import build_zip, deflate, write_atomic
from . import _vba as vba

DEFAULT_NAME = "perfbook.xlam"
_MAIN = ns.MAIN
_R = ns.R
_DECL = P.DECL


def _styles() -> str:
    return (f'{_DECL}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="等线"/>'
            '<family val="2"/><charset val="134"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
            '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
            '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
            'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>')


def _sheet(codename: str, lines: list[str]) -> str:
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t xml:space="preserve">{escape(t)}</t></is></c></row>'
                   for i, t in enumerate(lines, start=1))
    return P.set_sheet_codename(f'{_DECL}<worksheet xmlns="{_MAIN}" xmlns:r="{_R}"><sheetPr/>'
            '<dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" width="90" customWidth="1"/></cols>'
            f'<sheetData>{rows}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>', codename)


def addin_parts(frame: str | None = None) -> dict[str, bytes]:
    """Every part of perfbook.xlam, by part name."""
    sheet_codename = "Sheet1"
    project = vba.vba_project((sheet_codename,), frame, vba.WORKBOOK_CODENAME)
    lines = [f"perfbook {__version__} 绩效目标表校验加载项（VBA 规则版本 {vba.digest()}）",
             "安装后功能区出现“绩效目标”选项卡：校验、清除标记、新增指标行。",
             "说明见 perfbook 的 README（功能区“绩效目标”一节）；本工作表在 Excel 中作为加载项打开时不可见。"]
    wb = P.set_workbook_codename(f'{_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_R}"><workbookPr/>'
                                 '<bookViews><workbookView/></bookViews>'
                                 f'<sheets>{P.sheet_element("perfbook", 1, "rId1")}</sheets><calcPr calcId="191029"/></workbook>',
                                 vba.WORKBOOK_CODENAME)
    wb_rels = P.rels_xml([P.relationship("rId1", ns.REL_WORKSHEET, "worksheets/sheet1.xml"),
                          P.relationship("rId2", ns.REL_STYLES, "styles.xml"),
                          P.relationship("rId3", vba.VBA_REL, "vbaProject.bin")])
    root_rels = P.rels_xml([P.relationship("rId1", ns.REL_OFFICE_DOCUMENT, "xl/workbook.xml"),
                            P.relationship("rId2", ns.REL_CORE, "docProps/core.xml"),
                            P.relationship("rId3", ns.REL_EXTENDED, "docProps/app.xml"),
                            P.relationship("rId4", vba.UI14_REL, vba.UI14_PART),
                            P.relationship("rId5", vba.UI12_REL, vba.UI12_PART)])
    ct = P.TypesWriter(()).xml(
        [("xl/workbook.xml", vba.XLAM_MAIN_CT), ("xl/worksheets/sheet1.xml", P.CT_WORKSHEET), ("xl/styles.xml", P.CT_STYLES),
         (vba.VBA_PART, vba.VBA_CT), ("docProps/core.xml", P.CT_CORE), ("docProps/app.xml", P.CT_APP)],
        [("rels", P.CT_RELS), ("xml", P.CT_XML)])
    core = (f'{_DECL}<cp:coreProperties xmlns:cp="{ns.CORE_PROPS}" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:title>perfbook 绩效目标校验</dc:title><dc:creator>perfbook</dc:creator>'
            f'<dc:description>perfbook {__version__}; VBA {vba.digest()}</dc:description></cp:coreProperties>')
    app = (f'{_DECL}<Properties xmlns="{ns.EXTENDED_PROPS}">'
           '<Application>perfbook</Application></Properties>')
    text = {"docProps/core.xml": core, "docProps/app.xml": app, "xl/workbook.xml": wb}
    out = {P.CONTENT_TYPES: ct, P.ROOT_RELS: root_rels} | {k: v.encode("utf-8") for k, v in text.items()}
    out["xl/_rels/workbook.xml.rels"] = wb_rels
    out["xl/styles.xml"] = _styles().encode("utf-8")
    out["xl/worksheets/sheet1.xml"] = _sheet(sheet_codename, lines).encode("utf-8")
    out[vba.VBA_PART] = project
    out[vba.UI14_PART] = vba.ribbon_xml(14, addin=True)
    out[vba.UI12_PART] = vba.ribbon_xml(12, addin=True)
    return out


def build(path: str | Path = DEFAULT_NAME, frame: str | None = None) -> Path:
    """Write perfbook.xlam (the [Content_Types].xml part first, as Open Packaging asks)."""
    parts = addin_parts(frame)
    return write_atomic(path, build_zip([deflate(k, parts[k]) for k in P.package_order(parts)]))


def export_sources(folder: str | Path, frame: str | None = None) -> list[Path]:
    """The modules as .bas files (the generated rules module included), for File → Import in the VBA editor."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for m in vba.standard_modules(frame):
        p = folder / f"{m.name}.bas"
        p.write_bytes(m.source.encode("ascii"))
        out.append(p)
    for name in ("customUI14.xml", "customUI.xml"):
        p = folder / name
        p.write_bytes(vba.ribbon_xml(14 if name == "customUI14.xml" else 12, addin=True))
        out.append(p)
    return out
