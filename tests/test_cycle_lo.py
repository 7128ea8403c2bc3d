"""The self-evaluation formulas recalculated by LibreOffice equal perfbook's Python scores and the hand values."""
from __future__ import annotations

import re
import subprocess

import pytest

from perfbook.cycle import read_cycle, scheme_for, selfeval
from perfbook.cycle.make import render
from perfbook.cycle.read import SCORE
from perfbook.model import Project

from .conftest import EXAMPLES
from .test_cycle import EDGES, ENUM_EDGES

pytestmark = pytest.mark.libreoffice


def _table(edges, b=1300, e=1235) -> Project:
    inds = [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{i}", "指标性质": s, "指标值": t,
             "度量单位": "" if s == "定性" else "个", "实际完成值": a, "分值": w} for i, (s, t, a, w, _x) in enumerate(edges)]
    return Project.from_dict({"项目名称": "评分边界", "预算年度": 2025, "全年预算数": b, "全年执行数": e,
                              "预算执行分值": 10, "年度资金总额": 1280, "指标": inds})


def test_libreoffice_scores_equal_python_and_hand(soffice, tmp_path):
    cases = [("default", EDGES, 1300, 1235), ("enum-text", ENUM_EDGES, 1300, 1235),
             ("default", EDGES[:4], 100, 120), ("default", EDGES[:2], 0, 5), ("system-code", EDGES[:3], 100, 50)]
    jobs = []
    for k, (scheme, edges, b, e) in enumerate(cases):
        src = tmp_path / f"t{k}.xlsx"
        src.write_bytes(render([_table(edges, b, e)], "selfeval", scheme=scheme))
        n = len(edges)
        cells = [["绩效自评表", f"I{11 + i}"] for i in range(n)] + [
            ["绩效自评表", "H5"], ["绩效自评表", "I5"], ["绩效自评表", f"H{11 + n}"], ["绩效自评表", f"I{11 + n}"],
            ["绩效自评表", f"J{11 + n}"]]
        jobs.append({"in": str(src), "out": str(tmp_path / f"r{k}.xlsx"), "recalc": True, "cells": cells})
    results = soffice.run_jobs(jobs)           # one LibreOffice for every workbook
    for (scheme, edges, b, e), res in zip(cases, results):
        sc = scheme_for(scheme)
        vals = [c["value"] for c in res["cells"]]
        n = len(edges)
        for (s, t, a, w, expected), got in zip(edges, vals[:n]):
            assert got == pytest.approx(expected, abs=1e-9), (scheme, s, t, a, w)
            assert got == pytest.approx(sc.score(s, t, a, w), abs=1e-9)
        rate, bscore = sc.budget(b, e)
        assert vals[n] == pytest.approx(rate) and vals[n + 1] == pytest.approx(bscore)
        total = round(sum(x[4] for x in edges) + bscore, 2)
        assert vals[n + 2] == pytest.approx(sum(x[3] for x in edges) + 10)
        assert vals[n + 3] == pytest.approx(total)
        assert vals[n + 4] == sc.grade(total)
    # what LibreOffice stored reads back, with its computed 得分 and the project header
    book = read_cycle(tmp_path / "r0.xlsx")
    assert [i.get(SCORE) for i in book.projects[0].indicators] == pytest.approx([x[4] for x in EDGES])


def test_printed_selfeval_and_monitor(soffice, tmp_path):
    """A4 landscape, one page for seed-001, the title, header and indicator text on the page."""
    from perfbook.cycle import monitor
    for make, title in ((selfeval, "项目支出绩效自评表"), (monitor, "项目绩效运行监控表")):
        out = make(EXAMPLES / "seed-001.yaml", tmp_path / f"{title}.xlsx")
        pdf = soffice.convert(out, tmp_path / "pdf")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert title in text and "区委网信办经费" in text and "社会公众满意度" in text
        assert re.search(r"Pages:\s+1\n", info)
        size = next(line for line in info.splitlines() if line.startswith("Page size"))
        w, h = (float(x) for x in size.split(":")[1].split("pts")[0].split(" x "))
        assert w > h and abs(w - 841.89) < 2        # A4 landscape
    # a long department table prints on several pages with the header row repeated
    big = Project.from_dict({"项目名称": "长表", "指标": [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"长指标{i}", "指标性质": "≥", "指标值": i + 1,
         "度量单位": "个"} for i in range(120)]})
    src = tmp_path / "big.xlsx"
    src.write_bytes(render([big], "selfeval"))
    pdf = soffice.convert(src, tmp_path / "pdf")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 3 and all("偏差原因分析及改进措施" in p for p in pages)


def test_printed_cycle_tables_cut_no_text(soffice, tmp_path):
    """Every label and value printed whole: no word crossed by a cell border (a row too low for its
    wrapped text), 执行率（%） and 截至监控时点执行数 in their header cells, 服务对象满意度指标 on one line."""
    from perfbook.cycle import monitor

    from .conftest import SEEDS
    from .test_print_lo import page_count, rules, words
    books = [make(EXAMPLES / f"{s}.yaml", tmp_path / f"{k}-{s}.xlsx")
             for s in SEEDS for k, make in (("se", selfeval), ("mo", monitor))]
    pdfs = soffice.convert_all(books, tmp_path / "pdf", fmt="pdf")
    # NOT fixed here: a 一级/二级 group merged over rows that a page break splits prints its label
    # across the break (LibreOffice centres it on the whole merge), so on a continuation page those
    # labels are not asked for
    from perfbook.write._inputs import load
    groups = {i.get(k) for s in SEEDS for p in load(EXAMPLES / f"{s}.yaml")
              for i in p.indicators for k in ("一级指标", "二级指标")}
    seen = set()
    for book, pdf in pdfs.items():
        for page in range(1, page_count(pdf) + 1):
            lines = rules(pdf, page)
            for x0, y0, x1, y1, text in words(pdf, page):
                if page > 1 and text in groups:
                    continue
                crossed = [y for y, a, b in lines if y0 + 1.5 < y < y1 - 1.5 and a < x1 and b > x0]
                assert not crossed, f"{book.name} page {page}: {text!r} is cut by a border at y={crossed[0]}"
                seen.add(text)
    assert "服务对象满意度指标" in seen and "执行率" in seen and any("截至监控时点" in w for w in seen)
