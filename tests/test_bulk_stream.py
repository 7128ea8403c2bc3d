"""Issue 18: a CSV master is streamed (perfbook/batch/_master.py). The workbooks and the manifest are the
ones loading the master whole gives, byte for byte; the Projects held at once stay bounded as N grows; a
master that loading whole refuses is refused before any workbook is written."""
from __future__ import annotations

import csv
import os
import random

import pytest

from bench.synth import projects as synth_projects, write_master
from perfbook.batch import _master
from perfbook.batch._parallel import Plan
from perfbook.batch.bulk import bulk, load_master, read_manifest
from perfbook.errors import DataError


def _shuffled(src, dst):
    """The same rows in another order: a project's rows are no longer next to each other."""
    rows = list(csv.reader(open(src, encoding="utf-8-sig", newline="")))
    body = rows[1:]
    random.Random(18).shuffle(body)
    with open(dst, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0])
        w.writerows(body)
    return dst


def _with_extra_column(src, dst):
    """A column no template cell takes (内部备注), on some indicator rows: bulk names it in unplaced."""
    rows = list(csv.reader(open(src, encoding="utf-8-sig", newline="")))
    with open(dst, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(rows[0] + ["内部备注"])
        w.writerows(r + (["不外发"] if i % 5 == 0 else [""]) for i, r in enumerate(rows[1:]))
    return dst


def _recoded(src, dst, enc: str, newline: str):
    """The same master saved as another program saves it: GBK (a Chinese Excel's CSV), CRLF or lone-CR
    line ends (the line breaks inside quoted cells too)."""
    text = open(src, encoding="utf-8-sig", newline="").read()
    with open(dst, "w", encoding=enc, newline="") as fh:
        fh.write(text.replace("\r\n", "\n").replace("\n", newline))
    return dst


def _outputs(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def masters(tmp_path_factory):
    d = tmp_path_factory.mktemp("masters")
    filled = write_master(d / "主表.csv", synth_projects(40, departments=6, seed=11), compact=True)
    blank = write_master(d / "项目清单.csv", synth_projects(30, departments=7, blank=True, seed=12))
    return {"filled": filled, "shuffled": _shuffled(filled, d / "乱序.csv"), "extra": _with_extra_column(filled, d / "备注.csv"),
            "blank": blank, "gbk": _recoded(filled, d / "gbk.csv", "gb18030", "\r\n"),
            "gbk-blank": _recoded(blank, d / "gbk清单.csv", "gb18030", "\n"),
            "cr": _recoded(filled, d / "cr.csv", "utf-8-sig", "\r")}


@pytest.mark.parametrize("which", ["filled", "shuffled", "extra", "blank", "gbk", "gbk-blank", "cr"])
@pytest.mark.parametrize("per_project", [False, True])
def test_a_streamed_master_writes_what_loading_it_whole_writes(masters, which, per_project, tmp_path):
    """A lone CR ends a line only in text mode; the stream splits the file at line feeds, so such a master
    is loaded whole (it is the same table either way)."""
    master = masters[which]
    assert (_master.index(master, per_project=per_project) is not None) == (which != "cr")
    streamed = bulk(master, tmp_path / "s", per_project=per_project, execution=Plan(jobs=1))
    whole = bulk(load_master(master), tmp_path / "w", per_project=per_project, execution=Plan(jobs=1))
    assert _outputs(tmp_path / "s") == _outputs(tmp_path / "w")
    assert streamed.written == whole.written and streamed.unplaced == whole.unplaced
    assert ("内部备注" in streamed.unplaced) == (which == "extra")
    assert whole.peak_projects == len(load_master(master))


def test_workers_get_the_same_workbooks_from_a_streamed_master(masters, tmp_path):
    a = bulk(masters["shuffled"], tmp_path / "a", execution=Plan(jobs=1))
    b = bulk(masters["shuffled"], tmp_path / "b", execution=Plan(jobs=2, chunk=1, isolate=True))
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b") and a.written == b.written


def test_projects_held_at_once_stay_bounded_as_the_master_grows(tmp_path):
    """Departments take turns row by row (the master is not sorted by 主管部门), 25 projects each: per
    project, one project at a time; per department, about one department, whatever N."""
    peaks = {}
    for n in (100, 400):
        master = write_master(tmp_path / f"m{n}.csv", synth_projects(n, departments=n // 25, seed=n), compact=True)
        for per_project in (True, False):
            res = bulk(master, tmp_path / f"o{n}{per_project}", per_project=per_project, execution=Plan(jobs=1))
            assert res.projects == n
            peaks[(n, per_project)] = res.peak_projects
    assert peaks[(100, True)] == peaks[(400, True)] == 1
    assert 25 <= peaks[(400, False)] <= 2 * 25 and peaks[(100, False)] <= 2 * 25


def test_rows_that_disagree_at_the_end_stop_the_run_before_any_workbook(masters, tmp_path):
    master = tmp_path / "主表.csv"
    rows = list(csv.reader(open(masters["filled"], encoding="utf-8-sig", newline="")))
    rows[-1][rows[0].index("实施单位")] = "另一个单位"          # the last row's project said otherwise before
    with open(master, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = tmp_path / "out"
    with pytest.raises(DataError) as e:
        bulk(master, out, execution=Plan(jobs=1))
    assert "前后不一致" in e.value.zh and f"第{len(rows)}行为" in e.value.zh
    assert not out.exists() or not list(out.rglob("*"))


@pytest.mark.parametrize("field", ["实施单位", "项目名称", "项目编码"])
def test_a_name_pattern_that_fails_on_a_later_workbook_fails_before_the_first(field, tmp_path):
    """The first departments have one project each (any field is theirs alone), the last has two that
    differ: loading whole refused the pattern before writing anything, and so does the stream."""
    items = synth_projects(4, departments=4, seed=5)
    items[3]["主管部门"] = items[2]["主管部门"]
    for d in items:
        d["实施单位"] = d["主管部门"] + "本级"
    if field == "实施单位":
        items[3]["实施单位"] = "别的单位"
    master = write_master(tmp_path / "m.csv", items)
    out = tmp_path / "out"
    with pytest.raises(DataError) as e:
        bulk(master, out, name="{{%s}}.xlsx" % field, execution=Plan(jobs=1))
    assert "--per-project" in e.value.zh and field in e.value.zh
    assert not list(out.rglob("*"))


def test_a_full_disk_lists_every_workbook_of_a_streamed_master(small_disk, tmp_path):
    master = write_master(tmp_path / "m.csv", [{"项目名称": f"项目{i}", "主管部门": f"部门{i:03d}"} for i in range(60)])
    res = bulk(master, small_disk / "out", execution=Plan(jobs=1))
    assert res.failed and res.written
    rows = list(read_manifest(small_disk / "out" / "清单.csv"))
    assert [r["主管部门"] for r in rows] == [w.department for w in res.written] + [f.department for f in res.failed]
    assert len(rows) == 60 and all("磁盘空间不足" in r["说明"] for r in rows if r["状态"] == "未生成")
    assert {p.name for p in (small_disk / "out").glob("*.xlsx")} == {w.file for w in res.written}
    assert not list((small_disk / "out").glob(".~*"))


def _rewritten(src, dst, edit):
    rows = list(csv.reader(open(src, encoding="utf-8-sig", newline="")))
    edit(rows)
    with open(dst, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _read_all(ix):
    """What the workers read: every project, by its spans (bulk.Job.complete)."""
    return _master.read(ix.source(), [(h[0], h[4]) for h in ix.heads])


@pytest.mark.parametrize("change", ["grown", "touched", "gone"])
def test_a_master_changed_after_its_pass_is_refused_by_the_workers(tmp_path, change):
    """The workers read the rows by where the first pass saw them; a file of another size or time (or none)
    is not the one it indexed."""
    master = write_master(tmp_path / "主表.csv", synth_projects(4, departments=2, seed=3))
    ix = _master.index(master, per_project=True)
    assert ix is not None and len(_read_all(ix)) == 4
    if change == "grown":
        master.write_bytes(master.read_bytes() + b"\n")
    elif change == "touched":
        st = master.stat()
        os.utime(master, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    else:
        master.unlink()
    with pytest.raises(DataError) as e:
        _read_all(ix)
    assert "读取过程中被修改" in e.value.zh


@pytest.mark.parametrize("change, said", [
    ("field", "前后不一致"),          # a project field another row of the project gave otherwise
    ("long", "读取过程中被修改"),     # a row longer than the header
    ("name", "读取过程中被修改"),     # a row that is not the project's the first pass saw there
    ("bytes", "读取过程中被修改"),    # no longer text in the encoding the first pass told (it is told once)
])
def test_a_master_changed_in_place_is_refused_by_the_workers(tmp_path, change, said):
    """A change that keeps the file's size and time (one made within the file system's time step) passes
    the first check; the rows themselves then say it: each is checked to be its project's, as wide as the
    header, in the encoding, and agreeing with the project's other rows."""
    master = write_master(tmp_path / "主表.csv", synth_projects(4, departments=2, seed=3))
    ix = _master.index(master, per_project=True)
    assert ix is not None
    data = master.read_bytes()
    rows = list(csv.reader(open(master, encoding="utf-8-sig", newline="")))
    h, last = rows[0], rows[-1]
    cut = data.rindex(b"\n" + last[0].encode() + b",") + 1        # the last record (its texts span lines)
    cell = {"field": "实施单位", "name": "项目名称"}.get(change, "三级指标")
    old = last[h.index(cell)].encode()
    assert len(old) >= 3 and len(old[:3].decode()) == 1      # its first character is 3 bytes in UTF-8
    first = {"field": "甲乙", "name": "甲乙"}.get(change)
    put = ((first[0] if old[:3] != first[0].encode() else first[1]).encode() if first
           else b",,," if change == "long" else b"\xff\xfe\xfd")
    line = data[cut:].replace(old, put + old[3:], 1)
    st = master.stat()
    master.write_bytes(data[:cut] + line)
    os.utime(master, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert master.stat().st_size == st.st_size
    if first:                                                  # the cell meant, not the same text elsewhere
        assert list(csv.reader(open(master, encoding="utf-8-sig", newline="")))[-1][h.index(cell)][0] in first
    with pytest.raises(DataError) as e:
        _read_all(ix)
    assert said in e.value.zh
    if change == "field":
        assert f"第{len(rows)}行为“" in e.value.zh


def test_the_first_pass_keeps_keys_not_the_projects_texts(tmp_path):
    """The first pass keeps each project's key, hashes and where its rows are (about 1 KB a project), never
    its cells' text (a cache of the last merged row's cells had kept every project's texts: 287 MB at
    50,000 projects, and here 12 MB at 1,500 projects, 24 MB at 3,000). Each project has 2,000 characters
    of its own text (4 KB in memory): 1,500 projects more add far less than 1,500 such texts."""
    import tracemalloc
    peaks = []
    for n in (1500, 3000):
        ps = synth_projects(n, departments=20, seed=9)
        for i, p in enumerate(ps):
            p["项目基本概况"] = f"{i:05d}" + "概况文字" * 500
        master = write_master(tmp_path / f"长文{n}.csv", ps, compact=True)
        tracemalloc.start()
        try:
            ix = _master.index(master, per_project=True)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert ix is not None and ix.projects == n
    per_project = (peaks[1] - peaks[0]) / 1500
    assert per_project < 2000, f"the first pass peaked at {peaks[0] / 1e6:.1f} then {peaks[1] / 1e6:.1f} MB " \
                               f"({per_project:.0f} bytes a project)"
