"""Issue 5: perfbook collect — every workbook under a folder into one summary, broken files included."""
from __future__ import annotations

import shutil
import sqlite3

import openpyxl
import pytest

import perfbook
from bench.synth import projects as synth_projects, write_master
from perfbook import cli
from perfbook.batch._parallel import Plan
from perfbook.batch.bulk import read_manifest
from perfbook.batch.collect import Columns, collect, find_workbooks
from perfbook.write.fill import compiled

BROKEN = {
    "坏文件/截断.xlsx": "truncated",
    "坏文件/乱码.xlsx": "garbage",
    "坏文件/空文件.xlsx": "empty",
    "坏文件/其实是文本.xls": "text",
}


def sheet_rows(path, name):
    ws = openpyxl.load_workbook(path, read_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def returned(tmp_path_factory):
    """What comes back to the bureau: 20 department workbooks (one edited by hand), broken files,
    an unrelated workbook, an Office lock file and a half-written temp file."""
    base = tmp_path_factory.mktemp("round")
    master = write_master(base / "主表.csv", synth_projects(200, departments=20, seed=7))
    out = base / "发出"
    assert cli.main(["bulk", str(master), "-o", str(out), "--jobs", "2"]) == 0
    manifest = list(read_manifest(out / "清单.csv"))
    back = base / "收回"
    for r in manifest:
        dst = back / "各部门" / r["文件"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / r["文件"], dst)
    # a department typed a remark outside the form
    edited = back / "各部门" / manifest[0]["文件"]
    wb = openpyxl.load_workbook(edited)
    wb.worksheets[0]["L3"] = "已核对，请查收"
    wb.save(edited)
    good = (out / manifest[1]["文件"]).read_bytes()
    (back / "坏文件").mkdir()
    (back / "坏文件/截断.xlsx").write_bytes(good[: len(good) // 2])
    (back / "坏文件/乱码.xlsx").write_bytes(bytes(range(256)) * 20)
    (back / "坏文件/空文件.xlsx").write_bytes(b"")
    (back / "坏文件/其实是文本.xls").write_text("这不是表格\n", encoding="utf-8")
    other = openpyxl.Workbook()
    other.active["A1"] = "会议签到表"
    other.save(back / "无关表格.xlsx")
    (back / "各部门" / "~$呈贡区民政局.xlsx").write_bytes(b"lock")
    (back / "各部门" / ".~呈贡区水务局.xlsx.tmp123.xlsx").write_bytes(b"half")
    (back / "说明.txt").write_text("不是工作簿", encoding="utf-8")
    summary = base / "汇总.xlsx"
    db = base / "汇总.db"
    # exit 2: some files could not be read (the summary is written all the same)
    assert cli.main(["collect", str(back), "-o", str(summary), "--db", f"sqlite:///{db}", "--jobs", "2"]) == 2
    return {"back": back, "summary": summary, "db": db, "manifest": manifest, "edited": edited}


def test_lock_files_temp_files_and_non_workbooks_are_not_collected(returned):
    found = [p.relative_to(returned["back"]).as_posix() for p in find_workbooks(returned["back"])]
    assert len(found) == 20 + len(BROKEN) + 1
    assert not any("~$" in f or "/.~" in f or f.endswith(".txt") for f in found)
    assert found == [p.relative_to(returned["back"]).as_posix() for p in find_workbooks(returned["back"])]


def test_summary_counts_match_what_was_sent(returned):
    manifest = returned["manifest"]
    projects = sheet_rows(returned["summary"], "项目")
    indicators = sheet_rows(returned["summary"], "指标")
    files = sheet_rows(returned["summary"], "文件")
    assert len(projects) == sum(int(r["项目数"]) for r in manifest) == 200
    assert len(indicators) == sum(int(r["指标数"]) for r in manifest)
    assert len(files) == 20 + len(BROKEN) + 1 + 1          # + 说明.txt, listed as skipped
    status = {f["文件"]: f["状态"] for f in files}
    assert status["说明.txt"] == "已跳过" and "~$呈贡区民政局.xlsx" not in str(status)
    assert [status[f] for f in BROKEN] == ["无法读取"] * len(BROKEN)
    assert status["无关表格.xlsx"] == "已读取"
    for r in manifest:
        f = next(x for x in files if x["文件"] == "各部门/" + r["文件"])
        assert (f["项目数"], f["指标数"]) == (int(r["项目数"]), int(r["指标数"]))


def test_every_unreadable_file_is_listed_with_its_reason(returned):
    problems = sheet_rows(returned["summary"], "问题")
    for name in BROKEN:
        rows = [p for p in problems if p["文件"] == name]
        assert len(rows) == 1, name
        assert rows[0]["规则"] == "unreadable" and rows[0]["级别"] == "错误" and rows[0]["说明"]
    # no table is an error, not a pass (issue 11)
    assert any(p["文件"] == "无关表格.xlsx" and p["规则"] == "no-table" and p["级别"] == "错误"
               and "未找到绩效指标表" in p["说明"] for p in problems)


def test_reader_notes_reach_the_problem_sheet(returned):
    problems = sheet_rows(returned["summary"], "问题")
    edited = "各部门/" + returned["manifest"][0]["文件"]
    notes = [p for p in problems if p["文件"] == edited and p["规则"] == "read-unmapped"]
    assert notes and notes[0]["单元格"] == "L3" and "已核对" in notes[0]["说明"]


def test_each_indicator_row_points_at_its_cell(returned):
    """文件 + 工作表 + 行 lead back to the very row the indicator came from."""
    t = compiled().template.sheets[0]
    col = next(s.col for s in t.loop_slots() if s.single and s.labels[0] == "三级指标")
    from python_calamine import CalamineWorkbook
    rows = sheet_rows(returned["summary"], "指标")
    assert all(r["工作表"] and r["行"] for r in rows)
    for r in rows[::97]:
        grid = CalamineWorkbook.from_path(str(returned["back"] / r["文件"])).get_sheet_by_name(r["工作表"]).to_python()
        assert grid[r["行"] - 1][col - 1] == r["三级指标"]


def test_text_stays_text_in_the_summary(returned):
    wb = openpyxl.load_workbook(returned["summary"])
    ws = wb["项目"]
    header = [c.value for c in ws[1]]
    code, overview = header.index("项目编码") + 1, header.index("项目基本概况") + 1
    codes = [ws.cell(r, code) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type == "s" and c.value.startswith("0053") for c in codes)
    formulas = [ws.cell(r, overview) for r in range(2, ws.max_row + 1)
                if str(ws.cell(r, overview).value).startswith("=")]
    assert formulas and all(c.data_type == "s" for c in formulas)


def test_the_database_holds_the_same_rows(returned):
    con = sqlite3.connect(returned["db"])
    try:
        for sheet in ("项目", "指标", "问题", "文件"):
            n = con.execute(f'SELECT COUNT(*) FROM "汇总_{sheet}" WHERE "批次" = 1').fetchone()[0]
            assert n == len(sheet_rows(returned["summary"], sheet)), sheet
        batch = con.execute('SELECT "目录", "项目数", "指标数", "结束时间" FROM "汇总_批次"').fetchall()
        assert len(batch) == 1 and batch[0][1] == 200 and batch[0][3]
        code = con.execute('SELECT "项目编码" FROM "汇总_项目" LIMIT 1').fetchone()[0]
        assert isinstance(code, str) and code.startswith("0053")
    finally:
        con.close()


def test_a_second_run_is_a_second_batch(returned, tmp_path):
    db = tmp_path / "x.db"
    shutil.copy(returned["db"], db)
    res = collect(returned["back"] / "各部门", tmp_path / "汇总2.xlsx", db=str(db), execution=Plan(jobs=1))
    assert res.batch == 2 and res.projects == 200
    con = sqlite3.connect(db)
    assert con.execute('SELECT COUNT(*) FROM "汇总_项目"').fetchone()[0] == 400
    con.close()


def test_a_bug_on_one_file_is_an_internal_error_row_and_the_run_goes_on(returned, tmp_path, monkeypatch):
    import perfbook.readers.reader
    real = perfbook.readers.reader.read
    victim = returned["manifest"][2]["文件"]

    def flaky(path, **kw):
        if str(path).endswith(victim):
            raise RuntimeError("boom")
        return real(path, **kw)
    monkeypatch.setattr(perfbook.readers.reader, "read", flaky)
    res = collect(returned["back"] / "各部门", tmp_path / "s.xlsx", execution=Plan(jobs=1, isolate=False))
    assert res.internal == 1 and res.read == 19
    problems = sheet_rows(tmp_path / "s.xlsx", "问题")
    row = next(p for p in problems if p["规则"] == "internal-error")
    assert row["文件"] == victim and "RuntimeError: boom" in row["说明"]


def test_the_summary_is_written_atomically(returned, tmp_path):
    out = tmp_path / "汇总.xlsx"
    out.write_bytes(b"previous summary")
    with pytest.raises(Exception):
        collect(returned["back"], out, db="nosuchdialect://x", execution=Plan(jobs=1))
    assert out.read_bytes() == b"previous summary"
    assert [p.name for p in tmp_path.iterdir()] == ["汇总.xlsx"]


def test_findings_of_the_validator_are_in_the_problem_sheet(returned):
    """Every finding perfbook.check reports for a file is a row of 问题 (when the validator is there)."""
    check = pytest.importorskip("perfbook.rules.check").check
    problems = sheet_rows(returned["summary"], "问题")
    for r in returned["manifest"][:3]:
        rel = "各部门/" + r["文件"]
        report = check(perfbook.read(returned["back"] / rel))
        mine = [p for p in problems if p["文件"] == rel and not p["规则"].startswith("read-")]
        assert sorted((p["规则"], p["单元格"] or "") for p in mine) == \
            sorted((f.rule, f.cell or "") for f in report.findings)


def test_columns_include_fields_a_bureau_added_to_its_template(tmp_path):
    from perfbook.write._template import default_template_path
    wb = openpyxl.load_workbook(default_template_path())
    wb["项目概况"]["A16"], wb["项目概况"]["B16"] = "项目负责人", "{{ 项目负责人 }}"
    wb.save(tmp_path / "t.xlsx")
    cols = Columns.for_template(tmp_path / "t.xlsx")
    assert cols.project_fields[-1] == "项目负责人"
    assert cols.sheets()["项目"][:3] == ("文件", "工作表", "项目序号")


@pytest.mark.slow
def test_a_round_of_a_thousand_projects(tmp_path):
    """The issue's 'done when': 1,000 projects sent out as blank department workbooks, some filled in by
    the departments, some broken on the way back; the summary's counts match what happened."""
    items = synth_projects(1000, departments=100, blank=True, seed=11)
    master = write_master(tmp_path / "项目清单.csv", items)
    out = tmp_path / "发出"
    assert cli.main(["bulk", str(master), "-o", str(out), "--blank-rows", "5"]) == 0
    manifest = list(read_manifest(out / "清单.csv"))
    assert len(manifest) == 100 and sum(int(r["项目数"]) for r in manifest) == 1000
    t = compiled().template.sheets[0]
    cols = {s.labels[0]: s.col for s in t.loop_slots() if s.single}
    typed = 0
    for r in manifest[:10]:                      # ten departments fill in their first three projects
        path = out / r["文件"]
        wb = openpyxl.load_workbook(path)
        for ws in [w for w in wb.worksheets if "项目概况" not in w.title][:3]:
            for i, (l1, l2, name) in enumerate([("产出指标", "数量指标", "培训人次"), ("产出指标", "质量指标", "合格率"),
                                                 ("满意度指标", "服务对象满意度指标", "群众满意度")]):
                for label, v in (("一级指标", l1), ("二级指标", l2), ("三级指标", name), ("指标性质", "≥"),
                                 ("指标值", 90 + i), ("度量单位", "%")):
                    ws.cell(t.loop_row + i, cols[label]).value = v
                typed += 1
        wb.save(path)
    for r in manifest[-3:]:                      # three come back broken
        p = out / r["文件"]
        p.write_bytes(p.read_bytes()[:1000])
    summary = tmp_path / "汇总.xlsx"
    assert cli.main(["collect", str(out), "-o", str(summary)]) == 2      # 3 unreadable
    broken = sum(int(r["项目数"]) for r in manifest[-3:])
    assert len(sheet_rows(summary, "项目")) == 1000 - broken
    assert len(sheet_rows(summary, "指标")) == typed == 90
    files = sheet_rows(summary, "文件")
    assert len(files) == 101 and sum(f["状态"] == "无法读取" for f in files) == 3
    assert [f["文件"] for f in files if f["状态"] == "已跳过"] == ["清单.csv"]
    assert sum(p["规则"] == "unreadable" for p in sheet_rows(summary, "问题")) == 3


def test_findings_land_in_the_summary_with_project_counts(returned, tmp_path, monkeypatch):
    """The plumbing from a findings.Report to 问题 and to the 项目 counts, with a stand-in validator
    (in-process, jobs=1), so it is tested whatever perfbook.check finds."""
    import sys
    import types

    from perfbook.rules.findings import ERROR, WARNING, Finding, Report

    def fake_check(book, frame=None, **kw):
        p = book.projects[0]
        sheet = p.sheets[0]
        return Report(book.path, (
            Finding("value-numeric", ERROR, "定量指标的指标值应为数字", sheet=sheet, cell="E10", fix="95", project=p.name),
            Finding("unit-missing", WARNING, "缺少度量单位", sheet=sheet, cell="F11", project=p.name),
        ), projects=len(book.projects))
    monkeypatch.setitem(sys.modules, "perfbook.rules.check", types.SimpleNamespace(check=fake_check))
    one = returned["back"] / "各部门" / returned["manifest"][3]["文件"]
    res = collect(one, tmp_path / "s.xlsx", execution=Plan(jobs=1, isolate=False))
    assert res.errors == 1 and res.problems == 2
    problems = sheet_rows(tmp_path / "s.xlsx", "问题")
    assert [(p["规则"], p["级别"], p["单元格"], p["建议"]) for p in problems] == [
        ("value-numeric", "错误", "E10", "95"), ("unit-missing", "警告", "F11", None)]
    projects = sheet_rows(tmp_path / "s.xlsx", "项目")
    assert [(p["错误数"], p["警告数"], p["校验结果"]) for p in projects][:2] == [(1, 1, "未通过"), (0, 0, "通过")]
    files = sheet_rows(tmp_path / "s.xlsx", "文件")
    assert (files[0]["错误数"], files[0]["警告数"]) == (1, 1)
