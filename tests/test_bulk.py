"""Issue 5: perfbook bulk — one workbook per department (or project), safe names, a manifest."""
from __future__ import annotations

import csv
import hashlib
import io
import os

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

import perfbook
from bench.synth import projects as synth_projects, write_master
from perfbook import cli
from perfbook.batch._names import Namer, safe_path, safe_segment
from perfbook.batch._parallel import Plan, run
from perfbook.batch.bulk import bulk, load_master, read_manifest
from perfbook.errors import DataError
from perfbook.model import Project
from perfbook.write.fill import compiled


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    """200 filled projects over 20 departments (some with names hostile to file systems)."""
    return write_master(tmp_path_factory.mktemp("master") / "主表.csv", synth_projects(200, departments=20))


@pytest.fixture(scope="module")
def generated(master, tmp_path_factory):
    out = tmp_path_factory.mktemp("bulk") / "各部门"
    assert cli.main(["bulk", str(master), "-o", str(out), "--jobs", "2"]) == 0
    return out


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, safe", [
    ("财政局", "财政局"),
    ("财政局/预算科", "财政局_预算科"),
    ('a<b>c:d"e|f?g*h\\i', "a_b_c_d_e_f_g_h_i"),
    ("统计局.", "统计局"),
    ("统计局. . ", "统计局"),
    ("  卫健委  ", "卫健委"),
    ("CON", "_CON"),
    ("con.xlsx", "_con.xlsx"),
    ("NUL.tar.gz", "_NUL.tar.gz"),
    ("COM1", "_COM1"),
    ("LPT9.xlsx", "_LPT9.xlsx"),
    ("CONSOLE", "CONSOLE"),
    ("..", "未命名"),
    (".hidden", "hidden"),
    ("", "未命名"),
    ("tab\there", "tab_here"),
])
def test_safe_segment_makes_names_windows_accepts(raw, safe):
    assert safe_segment(raw) == safe


def test_long_names_are_cut_but_keep_their_extension():
    name = safe_segment("很长的项目名称" * 30 + ".xlsx")
    assert name.endswith(".xlsx") and len(name) <= 80


def test_a_pattern_cannot_leave_the_output_folder():
    assert safe_path("../../etc/passwd", ".xlsx") == "_/_/etc/passwd.xlsx"
    assert safe_path("/abs/x.xlsx", ".xlsx") == "abs/x.xlsx"
    assert safe_path("a\\b.xlsx", ".xlsx") == "a/b.xlsx"
    assert safe_path("报表.xlsx", ".xlsm") == "报表.xlsm"


def test_field_values_never_open_folders_and_collisions_get_numbers():
    n = Namer("{{主管部门}}/{{项目名称}}.xlsx", ".xlsx")
    assert n.name({"主管部门": "财政局/预算科", "项目名称": "A"}) == "财政局_预算科/A.xlsx"
    assert n.name({"主管部门": "财政局/预算科", "项目名称": "a"}) == "财政局_预算科/a(2).xlsx"   # Windows: A == a
    assert n.name({"主管部门": "财政局/预算科", "项目名称": "A"}) == "财政局_预算科/A(3).xlsx"


def test_a_pattern_naming_a_missing_field_says_which_fields_there_are():
    n = Namer("{{部门}}.xlsx", ".xlsx")
    with pytest.raises(DataError) as e:
        n.name({"主管部门": "财政局", "序号": 1})
    assert "部门" in e.value.zh and "主管部门" in e.value.zh
    with pytest.raises(DataError):
        Namer("{{主管部门", ".xlsx")


values = st.one_of(st.text(max_size=12), st.integers(-10**6, 10**6), st.floats(allow_nan=False), st.none(),
                   st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["{{甲}}", "{{ 乙 }}", "{{丙}}", "/", "-", ".xlsx", "_{{ 甲}}\n", "x.y"]),
                          st.booleans()), min_size=1, max_size=6),
       st.dictionaries(st.sampled_from(["甲", "乙", "丙", "丁"]), values, max_size=4))
def test_a_plain_pattern_names_files_as_jinja2_would(parts, context):
    """Namer writes text-and-{{ field }} patterns itself (bulk names thousands of files); the name, or the
    error, must be jinja2's, which a pattern with a filter still goes through."""
    pattern = "".join(p for p, _ in parts)
    fast, slow = Namer(pattern, ".xlsx"), Namer(pattern, ".xlsx")
    assert fast.pieces is not None
    slow.pieces = None                                     # the jinja2 path, as for any other pattern
    for _ in range(2):                                     # the second time: a collision, numbered
        try:
            want = slow.name(context)
        except DataError as exc:
            with pytest.raises(DataError) as got:
                fast.name(context)
            assert got.value.zh == exc.zh
            return
        assert fast.name(context) == want
    assert Namer("{{甲|upper}}.xlsx", ".xlsx").pieces is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=20), st.lists(st.text(max_size=30), max_size=5))
def test_a_manifest_row_fits_the_room_counted_for_it(file, department, names):
    """The manifest's space is taken before any workbook (a full disk still gets its list): the room
    counted for a job must hold its row as the csv module writes it, written or not."""
    from perfbook.batch.bulk import Failed, Job, Written, _csv_rows, _row_room
    job = Job(1, file, department, tuple(Project(name=n) for n in names))
    got = tuple(p.name or "" for p in job.projects)
    rows = [Written(file, department, got, 10 ** 9, 10 ** 12, "f" * 64), Failed(file, "说" * 40, department, got)]
    assert max(len(_csv_rows([r])) for r in rows) <= _row_room(job)


def test_names_in_department_mode_use_only_what_the_projects_share():
    from perfbook.batch.bulk import plan
    ps = [Project(name="甲", department="财政局", year=2026, code="001"), Project(name="乙", department="财政局", year=2026)]
    assert [j.file for j in plan(ps, name="{{预算年度}}/{{主管部门}}{{实施单位}}.xlsx")] == ["2026/财政局.xlsx"]
    with pytest.raises(DataError) as e:
        plan(ps, name="{{项目名称}}.xlsx")
    assert "--per-project" in e.value.zh
    assert [j.file for j in plan(ps, per_project=True, name="{{项目编码}}.xlsx")] == ["001.xlsx", "未命名.xlsx"]


# --- the run ----------------------------------------------------------------------------------

def test_bulk_writes_one_workbook_per_department(master, generated):
    projects = load_master(master)
    departments = {p.department for p in projects}
    rows = list(read_manifest(generated / "清单.csv"))
    assert len(rows) == len(departments) == 20
    assert {r["主管部门"] for r in rows} == departments
    assert sum(int(r["项目数"]) for r in rows) == 200
    assert sum(int(r["指标数"]) for r in rows) == sum(len(p.indicators) for p in projects)
    names = {r["文件"] for r in rows}
    assert "_CON.xlsx" in names and "呈贡区财政局_预算科.xlsx" in names and "呈贡区统计局.xlsx" in names
    for r in rows:
        data = (generated / r["文件"]).read_bytes()
        assert len(data) == int(r["字节数"])
        assert hashlib.sha256(data).hexdigest() == r["SHA256"]
    # only the workbooks and the manifest: no temp file left behind
    assert sorted(p.name for p in generated.iterdir()) == sorted(names | {"清单.csv"})


def test_each_department_workbook_reads_back_as_its_projects(master, generated):
    projects = load_master(master)
    rows = list(read_manifest(generated / "清单.csv"))
    for r in rows[:4]:
        book = perfbook.read(generated / r["文件"])
        mine = [p for p in projects if p.department == r["主管部门"]]
        assert [p.to_dict() for p in book.projects] == [p.to_dict() for p in mine]
        assert book.unmapped == ()
    wb = openpyxl.load_workbook(generated / rows[0]["文件"], read_only=True)
    per_project = [n for n in wb.sheetnames if n[0].isdigit()]       # beside them: the hidden lists sheet
    assert wb.sheetnames[0].startswith("1.") and len(per_project) == 2 * int(rows[0]["项目数"])


def test_department_workbooks_carry_the_same_drop_downs_as_a_single_fill(master, generated):
    """Validation comes with the compiled template (fill.prepare), in every project's sheet."""
    r = next(read_manifest(generated / "清单.csv"))
    one = load_master(master)[0]
    single = openpyxl.load_workbook(io.BytesIO(compiled().render([one])))
    expected = len(single.worksheets[0].data_validations.dataValidation)
    wb = openpyxl.load_workbook(generated / r["文件"])
    main = [ws for ws in wb.worksheets if ws.title[0].isdigit() and "项目概况" not in ws.title]
    assert main and all(len(ws.data_validations.dataValidation) == expected for ws in main)
    assert len(wb.defined_names) == len(single.defined_names)


def test_text_stays_text_in_generated_workbooks(master, generated):
    projects = load_master(master)
    tricky = next(p for p in projects if p.overview and p.overview.startswith("="))
    r = next(r for r in read_manifest(generated / "清单.csv") if r["主管部门"] == tricky.department)
    wb = openpyxl.load_workbook(generated / r["文件"])
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == tricky.overview]
    assert cells and all(c.data_type == "s" for c in cells)
    codes = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == tricky.code]
    assert codes and tricky.code.startswith("00") and all(c.data_type == "s" for c in codes)


def test_per_project_with_a_name_pattern(tmp_path):
    items = synth_projects(12, departments=3)
    out = tmp_path / "out"
    res = bulk(load_master(write_master(tmp_path / "m.csv", items)), out, per_project=True,
               name="{{主管部门}}/{{序号}}-{{项目名称}}.xlsx", execution=Plan(jobs=1))
    assert len(res.written) == 12 and not res.failed
    for w in res.written:
        assert len(w.projects) == 1 and (out / w.file).exists()
        assert w.file.count("/") == 1
    assert len({w.file.split("/")[0] for w in res.written}) == 3


def test_blank_templates_from_a_master_of_project_fields_only(tmp_path):
    master = tmp_path / "项目清单.csv"
    master.write_text("项目名称,主管部门,项目编码,预算年度\n道路养护,交通局,0012,2025\n校舍维修,教育局,0013,2025\n"
                      "课后服务,教育局,0014,2025\n", encoding="utf-8-sig")
    out = tmp_path / "空白"
    assert cli.main(["bulk", str(master), "-o", str(out), "--blank-rows", "8", "--jobs", "1"]) == 0
    rows = list(read_manifest(out / "清单.csv"))
    assert [(r["文件"], r["项目数"], r["指标数"]) for r in rows] == [("交通局.xlsx", "1", "0"), ("教育局.xlsx", "2", "0")]
    book = perfbook.read(out / "教育局.xlsx")
    assert [(p.name, p.code, p.indicators) for p in book.projects] == [("校舍维修", "0013", ()), ("课后服务", "0014", ())]
    ws = openpyxl.load_workbook(out / "交通局.xlsx").worksheets[0]
    t = compiled().template.sheets[0].loop_row
    footer = next(r for r in range(t, ws.max_row + 1) if str(ws.cell(r, 1).value or "").startswith("填报说明"))
    assert footer == t + 8          # eight empty indicator rows, then the template's footer


def test_jobs_do_not_change_a_single_byte(tmp_path):
    projects = load_master(write_master(tmp_path / "m.csv", synth_projects(30, departments=5)))
    a = bulk(projects, tmp_path / "a", execution=Plan(jobs=1))
    b = bulk(projects, tmp_path / "b", execution=Plan(jobs=2, chunk=1, isolate=True))   # workers though small
    assert [w.sha256 for w in a.written] == [w.sha256 for w in b.written]


def test_a_workbook_that_cannot_be_written_is_reported_and_the_rest_are_written(tmp_path):
    projects = [Project(name="甲", department="财政局"), Project(name="乙", department="教育局")]
    out = tmp_path / "out"
    (out / "财政局.xlsx").mkdir(parents=True)          # a folder where the workbook should go
    res = bulk(projects, out, execution=Plan(jobs=1))
    assert [w.file for w in res.written] == ["教育局.xlsx"]
    assert [f.file for f in res.failed] == ["财政局.xlsx"] and "无法写入" in res.failed[0].message
    assert cli.main(["bulk", str(write_master(tmp_path / "m.csv", [p.to_dict() for p in projects])),
                     "-o", str(out), "--jobs", "1"]) == 2      # an environment error (README 退出码)
    rows = list(read_manifest(out / "清单.csv"))
    assert [(r["文件"], r["状态"]) for r in rows] == [("教育局.xlsx", "已生成"), ("财政局.xlsx", "未生成")]


def test_master_columns_with_no_place_in_the_template_are_named_once(tmp_path, capsys):
    master = tmp_path / "m.csv"
    master.write_text("项目名称,主管部门,内部备注\n甲,财政局,不要外发\n乙,财政局,同上\n", encoding="utf-8-sig")
    assert cli.main(["bulk", str(master), "-o", str(tmp_path / "o"), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert err.count("内部备注") == 1


def test_manifest_opens_in_excel_as_utf8(generated):
    raw = (generated / "清单.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == ["文件", "主管部门", "项目数", "项目名称", "指标数", "字节数", "SHA256", "状态", "说明"]


# --- the executor -----------------------------------------------------------------------------

def _square_or_die(x):
    if x == 13:
        os._exit(3)                 # a worker killed mid-task (a native crash, the OOM killer)
    return x * x


def test_a_dying_worker_costs_one_item_not_the_run():
    out = list(run(_square_or_die, range(40), Plan(jobs=2, chunk=4), on_crash=lambda x, e: ("crashed", x)))
    assert out == [("crashed", 13) if x == 13 else x * x for x in range(40)]


def test_results_come_back_in_input_order():
    assert list(run(_square_or_die, range(12), Plan(jobs=2, chunk=1))) == [x * x for x in range(12)]
