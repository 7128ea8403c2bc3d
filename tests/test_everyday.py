"""Everyday use (issue 15): the pandas API, safe outputs, the command-line conventions and a summary
that prints. Expected values are written by hand here or come from LibreOffice's PDF."""
from __future__ import annotations

import copy
import math
import os
import stat
import subprocess
import sys
import warnings

import pandas as pd
import pytest
import yaml

import perfbook
from perfbook.batch._parallel import Plan
from perfbook.cli import main
from perfbook.errors import PerfbookError
from tests.conftest import EXAMPLES, ROOT


def seed(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_books(tmp_path_factory):
    d = tmp_path_factory.mktemp("books")
    a = seed("seed-001")
    a["项目编码"] = "0053010001"                    # leading zero: a code, never a number
    perfbook.fill(a, d / "a.xlsx")
    perfbook.fill(seed("seed-000"), d / "b.xlsx")
    (d / "说明.docx").write_bytes(b"PK not a workbook")
    return d


# --- pandas -----------------------------------------------------------------------------------

def test_read_frames_gives_every_indicator_and_every_project(two_books):
    f = perfbook.read_frames(two_books)
    # by hand: seed-001 has 11 indicators, seed-000 has 15 (examples/*.yaml)
    assert len(f.indicators) == 11 + 15 and len(f.projects) == 2
    assert list(f.projects["指标数"]) == [11, 15]
    cols = list(f.indicators.columns)
    assert cols[:3] == ["项目编码", "项目名称", "主管部门"] and cols[-3:] == ["文件", "工作表", "行"]
    assert cols.index("一级指标") > cols.index("项目实施成效")
    first = f.indicators.iloc[0]
    assert first["项目编码"] == "0053010001" and isinstance(first["项目编码"], str)
    assert first["三级指标"] == "编撰网络舆情分析研判报告期数" and first["指标值"] == 12
    assert first["工作表"] == "绩效目标表" and first["行"] == 10 and first["文件"].endswith("a.xlsx")
    assert f.indicators["项目编码"].iloc[11] is None          # seed-000 has no code: None, not NaN
    assert perfbook.read_frame(two_books, kind="projects").equals(f.projects)


def test_frames_have_the_same_columns_whatever_the_file(two_books):
    a = perfbook.read_frame(two_books / "a.xlsx")
    b = perfbook.read_frame(two_books / "b.xlsx")
    assert list(a.columns) == list(b.columns)


def test_a_dataframe_fills_and_round_trips(two_books, tmp_path):
    df = perfbook.read_frame(two_books)
    one = df[df["文件"].str.endswith("a.xlsx")]
    out = perfbook.fill(one, tmp_path / "back.xlsx")
    assert perfbook.read(out).records == perfbook.read(two_books / "a.xlsx").records
    both = perfbook.fill(df, tmp_path / "both.xlsx")
    assert [p.name for p in perfbook.read(both).projects] == ["区委网信办经费", "网络信息经费"]


def test_nan_none_and_na_are_empty_cells(tmp_path):
    df = pd.DataFrame({"项目名称": ["甲", "甲"], "项目编码": [53010001, 53010001], "一级指标": ["产出指标"] * 2,
                       "二级指标": ["数量指标"] * 2, "三级指标": ["培训人数", "宣传次数"],
                       "指标值": [100, math.nan], "度量单位": ["人", pd.NA], "指标内容": [None, "说明"]})
    out = perfbook.fill(df, tmp_path / "nan.xlsx")
    p = perfbook.read(out).projects[0]
    assert p.code == "53010001"
    assert [i.to_dict() for i in p.indicators] == [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训人数", "指标值": 100, "度量单位": "人"},
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "宣传次数", "指标内容": "说明"}]
    assert perfbook.Project.from_dict({"项目名称": "乙", "实施期限": float("nan")}).period is None


def test_flat_records_are_grouped_into_projects():
    rows = [{"项目名称": "甲", "一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{i}", "指标值": i}
            for i in range(6)] + [{"项目名称": "乙", "一级指标": "效益指标", "二级指标": "社会效益指标",
                                   "三级指标": "满意度", "指标值": 90}]
    projects = perfbook.write._inputs.load(rows)
    assert [(p.name, len(p.indicators)) for p in projects] == [("甲", 6), ("乙", 1)]


def test_reprs_are_short_and_book_shape_is_stable(two_books):
    book = perfbook.read(two_books / "a.xlsx")
    assert repr(book) == f"Book({str(two_books / 'a.xlsx')!r}, xlsx, 1 projects [区委网信办经费], 0 notes)"
    assert repr(book.projects[0]) == "Project(code='0053010001', name='区委网信办经费', 11 indicators)"
    assert isinstance(book.records, list) and len(book.records) == 1 and isinstance(book.data, dict)
    r = perfbook.check(two_books / "a.xlsx")
    assert repr(r).startswith("Report(") and len(repr(r)) < 200


def test_public_names_are_exported_with_docstrings():
    for name in ("fill", "new", "read", "check", "bulk", "collect", "read_frame", "read_frames", "Book", "Report"):
        obj = getattr(perfbook, name)
        assert name in perfbook.__all__ and obj.__doc__ and len(obj.__doc__.strip().splitlines()) >= 2, name


def test_read_csv_has_every_column_even_when_empty(two_books, tmp_path):
    out = tmp_path / "x.csv"
    assert main(["read", str(two_books / "b.xlsx"), "-o", str(out)]) == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    labels = yaml.safe_load((ROOT / "perfbook/data/fields.yaml").read_text(encoding="utf-8"))
    assert header == [d["label"] for d in labels["project"]] + [d["label"] for d in labels["indicator"]]


# --- safe outputs -----------------------------------------------------------------------------

def test_output_through_a_symlink_replaces_the_target_not_the_link(two_books, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert main(["read", str(two_books / "a.xlsx"), "-o", str(link)]) == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("{")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_written_through_and_stays_a_fifo(two_books, tmp_path):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    assert main(["read", str(two_books / "a.xlsx"), "-o", str(fifo)]) == 0
    got = reader.communicate(timeout=30)[0].decode("utf-8")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and '"项目名称": "区委网信办经费"' in got


def test_dev_null_stays_a_device():
    assert main(["read", str(EXAMPLES.parent / "templates" / "绩效目标表.xlsx"), "-o", os.devnull]) in (0, 2)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_folder_as_output_file_is_refused(tmp_path):
    from perfbook._outputs import write_atomic
    (tmp_path / "x.json").mkdir()
    with pytest.raises(PerfbookError, match="不是普通文件"):
        write_atomic(tmp_path / "x.json", b"{}")


def test_outputs_respect_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        p = perfbook.fill(EXAMPLES / "seed-000.yaml", tmp_path / "u.xlsx")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640


def test_extension_chooses_and_checks_the_format(two_books, tmp_path, capsys):
    src = str(two_books / "a.xlsx")
    assert main(["read", src, "-o", str(tmp_path / "x.yaml")]) == 0
    assert yaml.safe_load((tmp_path / "x.yaml").read_text(encoding="utf-8"))["项目名称"] == "区委网信办经费"
    assert main(["read", src, "-o", str(tmp_path / "y.csv"), "--format", "json"]) == 2
    assert "不符" in capsys.readouterr().err and not (tmp_path / "y.csv").exists()
    assert main(["fill", str(EXAMPLES / "seed-000.yaml"), "-o", str(tmp_path / "a.csv")]) == 2
    assert not (tmp_path / "a.csv").exists()


def test_output_folder_means_a_file_inside_it(two_books, tmp_path):
    assert main(["read", str(two_books / "a.xlsx"), "-o", str(tmp_path / "out") + "/"]) == 0
    assert (tmp_path / "out" / "a.json").is_file()
    assert main(["fill", str(EXAMPLES / "seed-000.yaml"), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "seed-000.xlsx").is_file()


# --- command-line conventions -----------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "perfbook", *args], capture_output=True, text=True, cwd=ROOT)


def test_usage_errors_are_chinese_and_english_with_exit_2():
    p = run_cli("fil", "x")
    assert p.returncode == 2 and "无效" in p.stderr and "是否为“fill”" in p.stderr and "invalid choice" in p.stderr
    p = run_cli("fill", "x.yaml")
    assert p.returncode == 2 and "缺少必需的参数" in p.stderr and "required" in p.stderr


def test_a_mistyped_template_is_a_clear_exit_2(tmp_path):
    p = run_cli("fill", "examples/seed-000.yaml", "-o", str(tmp_path / "a.xlsx"), "--template", "模版.xlsx")
    assert p.returncode == 2 and "找不到文件“模版.xlsx”" in p.stderr and "Traceback" not in p.stderr


def test_a_folder_given_to_fill_says_so(tmp_path):
    p = run_cli("fill", str(tmp_path), "-o", str(tmp_path / "a.xlsx"))
    assert p.returncode == 2 and "文件夹" in p.stderr and "folder" in p.stderr


def test_quiet_hides_the_written_line(tmp_path):
    p = run_cli("fill", "examples/seed-000.yaml", "-o", str(tmp_path / "a.xlsx"), "-q")
    assert p.returncode == 0 and "已生成" not in p.stderr + p.stdout and (tmp_path / "a.xlsx").exists()


def test_glob_patterns_are_expanded_by_perfbook(two_books):
    p = run_cli("check", str(two_books / "*.xlsx"), "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    import json
    assert sorted(os.path.basename(r["文件"]) for r in json.loads(p.stdout)) == ["a.xlsx", "b.xlsx"]


def test_misspelled_column_gets_did_you_mean_and_missing_value_column_a_warning(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("项目名称,一级指标,二级指标,三级指标,度量单元\n甲,产出指标,数量指标,培训人数,人\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        perfbook.write._inputs.load(f)
    text = "\n".join(str(w.message) for w in caught)
    assert "“度量单元”是否应为“度量单位”" in text and "没有“指标值”列" in text


def test_collect_lists_non_workbooks_as_skipped(two_books, tmp_path):
    from tests.test_collect import sheet_rows
    res = perfbook.collect(two_books, tmp_path / "汇总.xlsx", execution=Plan(jobs=1))
    files = {r["文件"]: r["状态"] for r in sheet_rows(tmp_path / "汇总.xlsx", "文件")}
    assert files == {"a.xlsx": "已读取", "b.xlsx": "已读取", "说明.docx": "已跳过"} and res.skipped == 1
    titles = {r["规则"]: r["规则名称"] for r in sheet_rows(tmp_path / "汇总.xlsx", "问题")}
    assert titles and all(titles.values())


# --- on paper ---------------------------------------------------------------------------------

@pytest.mark.libreoffice
def test_the_summary_prints_landscape_with_the_header_on_every_page(soffice, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for k in range(12):
        d = copy.deepcopy(seed(("seed-000", "seed-001")[k % 2]))
        d["项目名称"] = f"{d['项目名称']}{k}"
        perfbook.fill(d, src / f"p{k:02d}.xlsx")
    perfbook.collect(src, tmp_path / "汇总.xlsx", execution=Plan(jobs=1))
    pdf = soffice.convert(tmp_path / "汇总.xlsx", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    w, h = map(float, next(line for line in info.splitlines() if line.startswith("Page size:")).split()[2:5:2])
    assert w > h                                              # landscape
    texts = [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                            capture_output=True, text=True).stdout for i in range(1, pages + 1)]
    indicator_pages = [t for t in texts if t.lstrip().startswith("指标")]
    assert len(indicator_pages) >= 2                          # 156 indicators: more than one page
    for t in indicator_pages:                                 # the header row repeated on page 2 and on
        assert "一级指标" in t and "三级指标" in t and "评（扣）分标准" in t
    assert all(f"共 {pages} 页" in t for t in texts)          # the footer, whole, on every page
    # every column on the page width: the last column of each sheet is on its first page
    assert "校验结果" in texts[0] and "其他字段" in indicator_pages[0]
    # text wrapped and the row grown: the end of a long 项目实施内容 paragraph is printed
    assert pages < 40


def test_blank_rows_have_no_fixed_height(tmp_path):
    """Rows without customHeight are the ones Excel grows as text is typed; filled rows keep theirs."""
    import re
    import zipfile
    d = seed("seed-000")
    out = perfbook.fill(d, tmp_path / "b.xlsx", blank_rows=3)
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode("utf-8")
    first = 10 + len(d["指标"])              # the indicator rows start at row 10 of the template
    for r in range(first, first + 3):
        row = re.search(rf'<row r="{r}"[^>]*>', xml).group()
        assert "customHeight" not in row, row


@pytest.mark.libreoffice
def test_no_empty_brackets_when_the_period_is_absent(soffice, tmp_path):
    d = seed("seed-000")
    assert "实施期限" not in d
    pdf = soffice.convert(perfbook.fill(d, tmp_path / "p.xlsx"), tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "总体目标" in text and "总体目标（" not in text and "（　" not in text
    d["实施期限"] = "2024年-2026年"
    pdf = soffice.convert(perfbook.fill(d, tmp_path / "q.xlsx"), tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "总体目标（2024年-2026年）" in text.replace(" ", "")
    assert perfbook.read(tmp_path / "p.xlsx").data == seed("seed-000")


def test_the_api_checks_the_output_extension_like_the_command_line(tmp_path):
    with pytest.raises(PerfbookError, match="扩展名"):
        perfbook.fill(EXAMPLES / "seed-000.yaml", tmp_path / "a.csv")
    assert not (tmp_path / "a.csv").exists()
    assert perfbook.fill(EXAMPLES / "seed-000.yaml", str(tmp_path / "out") + "/") == tmp_path / "out" / "seed-000.xlsx"
    assert perfbook.new(tmp_path / "out") == tmp_path / "out" / "绩效目标表.xlsx"


def test_did_you_mean_for_options_frames_and_field_names(tmp_path):
    p = run_cli("fill", "examples/seed-000.yaml", "-o", str(tmp_path / "a.xlsx"), "--blnak-rows", "3")
    assert p.returncode == 2 and "是否为“--blank-rows”" in p.stderr and "did you mean '--blank-rows'" in p.stderr
    p = run_cli("fill", "examples/seed-000.yaml", "-o", str(tmp_path / "a.xlsx"), "--frame", "yunan-2022")
    assert p.returncode == 2 and "是否为“yunnan-2022”" in p.stderr
    data = {"项目名称": "甲", "主管部们": "乙",
            "指标": [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训", "指标值": 3, "度量单元": "次"}]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        perfbook.fill(data, tmp_path / "b.xlsx")
    text = "\n".join(str(w.message) for w in caught)
    assert "“度量单元”是否应为“度量单位”" in text and "“主管部们”是否应为“主管部门”" in text


def test_the_funds_advice_names_the_total():
    d = seed("seed-000")
    d.update({"年度资金总额": 80, "财政拨款": 70, "其他资金": 6})
    f, = [f for f in perfbook.check(d).findings if f.rule == "funds-sum"]
    assert f.fix == "核对资金：财政拨款与其他资金之和应为年度资金总额 80（现为 76）"


def test_tests_using_shared_skip_without_it_but_fail_under_ci(tmp_path):
    """../shared absent: a clear skip; absent under CI=true: an error (CI has it and must run them)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PERFBOOK_SHARED"] = str(tmp_path / "no-shared")
    args = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
            "tests/test_budget_system.py", "tests/test_samples.py"]
    p = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env)
    assert p.returncode == 0 and "skipped" in p.stdout and "needs " in p.stdout, p.stdout
    p = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env={**env, "CI": "true"})
    assert p.returncode != 0 and "CI=true: missing samples are an error" in p.stdout, p.stdout
