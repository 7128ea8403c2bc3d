"""bulk does a large CSV master's first pass in a forked child while it compiles the template
(perfbook/batch/_parallel.py: Aside; bulk._index_aside). The child may only save time: what it cannot give
-- an error, a warning, its own death -- the main process works out again itself, so every message, every
exit code and every workbook is the one-process run's; and no child outlives its run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

from bench.synth import projects as synth_projects, write_master
from perfbook.batch import _early, _master, _names as N, _parallel as parallel, bulk as B
from perfbook.batch._parallel import Plan
from perfbook.errors import DataError
from tests.support import hostile as H

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="the first pass goes aside only where bulk forks")


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """A master past SMALL_RUN, so that a --jobs 2 run takes the aside (as bulk.likely_large judges it)."""
    d = tmp_path_factory.mktemp("aside")
    return write_master(d / "主表.csv", synth_projects(200, departments=8, seed=11), compact=True)


def _fields(ix: _master.Index) -> dict:
    return {k: v for k, v in vars(ix).items() if k != "found"} | {"found": {c: s and s.label for c, s in ix.found.items()}}


@pytest.mark.parametrize("per_project", [False, True])
def test_the_child_gives_the_first_pass_the_main_process_would_make(large, per_project):
    names = B._pattern_fields(N.DEFAULT_NAME_PER_PROJECT if per_project else N.DEFAULT_NAME)
    aside = B._index_aside(large, per_project, N.DEFAULT_NAME_PER_PROJECT if per_project else N.DEFAULT_NAME)
    assert aside is not None, "a large CSV master on Linux goes aside"
    got = aside.result()
    here = _master.index(large, per_project=per_project, names=names)
    assert got is not None and here is not None
    assert _fields(got[0]) == _fields(here)


def test_the_pass_the_command_line_starts_early_is_the_one_bulk_takes(large):
    """perfbook bulk starts the first pass before it imports the engine (batch/_early.py: index_early); bulk
    takes that child only for the same master, mode and name pattern, and only once."""
    pattern = N.DEFAULT_NAME_PER_PROJECT
    _early.index_early(large, Plan(jobs=2), per_project=True, pattern=pattern)
    started = _early._pending[_early._key(large, True, pattern)]
    assert _early.taken(large, False, N.DEFAULT_NAME) is None            # another pass: not this one
    aside = B._index_aside(large, True, pattern)
    assert aside is started and _early.taken(large, True, pattern) is None
    got = aside.result()
    assert got is not None
    assert _fields(got[0]) == _fields(_master.index(large, per_project=True, names=N.pattern_fields(pattern)))


def test_a_small_master_or_a_list_of_projects_does_not_go_aside(tmp_path, large):
    small = write_master(tmp_path / "小.csv", synth_projects(6, departments=2, seed=1), compact=True)
    assert B._index_aside(small, False, N.DEFAULT_NAME) is None
    assert B._index_aside(synth_projects(400, seed=1), False, N.DEFAULT_NAME) is None
    assert B._index_aside(large, False, "{{ 主管部门") is None      # a pattern that does not parse: Namer says why


def _raises():
    raise DataError("坏", "bad")


def _warns():
    warnings.warn("说一声")
    return 1


def _dies():
    os.kill(os.getpid(), signal.SIGKILL)


def _unpicklable():
    return lambda: None


@pytest.mark.parametrize("fn", [_raises, _warns, _dies, _unpicklable])
def test_what_the_child_cannot_give_is_none_and_the_caller_works_it_out(fn):
    assert parallel.Aside(fn).result() is None


def test_a_value_comes_back_whole_none_included():
    assert parallel.Aside(lambda: None).result() == (None,)
    big = bytes(range(256)) * 4096                         # more than a pipe holds: the child waits, it does not hang
    assert parallel.Aside(lambda: big).result() == (big,)


def test_cancel_stops_the_child():
    aside = parallel.Aside(time.sleep, 60)
    pid = aside.pid
    aside.cancel()
    assert aside.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _bad_master(tmp_path: Path) -> Path:
    """Large, with a project whose 主管部门 differs between two of its rows: an error of the first pass."""
    ps = synth_projects(200, departments=8, seed=12)
    path = write_master(tmp_path / "坏.csv", ps)                # every row carries the project's fields
    lines = path.read_text("utf-8-sig").splitlines(keepends=True)
    k = [i for i, ln in enumerate(lines) if ps[150]["项目名称"] in ln][1]       # its second row
    lines[k] = lines[k].replace(ps[150]["主管部门"], "另一个部门", 1)
    path.write_text("".join(lines), encoding="utf-8-sig")
    return path


def _run(master: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfbook", "bulk", str(master), "-o", str(out), "-q", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def _no_column(tmp_path: Path, large: Path) -> Path:
    """Large, with no 三级指标 column: the child's first pass raises."""
    lines = large.read_text("utf-8-sig").splitlines(keepends=True)
    path = tmp_path / "缺列.csv"
    path.write_text(lines[0].replace("三级指标", "三级"), encoding="utf-8-sig")
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(lines[1:])
    return path


@pytest.mark.parametrize("which", ["differs", "no column"])
def test_an_error_of_the_first_pass_is_said_as_by_one_process(tmp_path, large, which):
    master = _bad_master(tmp_path) if which == "differs" else _no_column(tmp_path, large)
    one, two = _run(master, tmp_path / "1", "--jobs", "1"), _run(master, tmp_path / "2", "--jobs", "2")
    assert one.returncode == two.returncode == 2
    assert ("不一致" if which == "differs" else "三级指标") in one.stderr and two.stderr == one.stderr
    assert not list((tmp_path / "2").rglob("*.xlsx"))


def test_a_broken_master_is_said_before_a_broken_template_and_a_broken_template_alone_as_ever(tmp_path, large):
    template = tmp_path / "坏模板.xlsx"
    template.write_bytes(b"PK\x03\x04 not a workbook")
    master = _bad_master(tmp_path)
    both = [_run(master, tmp_path / f"b{j}", "--jobs", j, "--template", str(template)) for j in ("1", "2")]
    assert both[0].returncode == both[1].returncode == 2 and "不一致" in both[0].stderr
    assert both[1].stderr == both[0].stderr
    alone = [_run(large, tmp_path / f"t{j}", "--jobs", j, "--template", str(template)) for j in ("1", "2")]
    assert alone[0].returncode == alone[1].returncode == 2 and "坏模板" in alone[0].stderr
    assert alone[1].stderr == alone[0].stderr


def test_a_run_with_the_first_pass_aside_writes_the_one_process_workbooks(tmp_path, large):
    one = B.bulk(large, tmp_path / "one", execution=Plan(jobs=1))
    two = B.bulk(large, tmp_path / "two", execution=Plan(jobs=2))
    assert [(w.file, w.sha256) for w in two.written] == [(w.file, w.sha256) for w in one.written]
    assert len(one.written) == 8


def test_kill_9_while_the_first_pass_is_aside_leaves_no_child(tmp_path):
    """The child is made at once; kill bulk while the main process and its child both live."""
    master = write_master(tmp_path / "主表.csv", synth_projects(6000, departments=60, seed=4), compact=True)
    mark = uuid.uuid4().hex
    proc = subprocess.Popen([sys.executable, "-m", "perfbook", "bulk", str(master), "-o", str(tmp_path / "out"),
                             "--jobs", "2", "-q"], cwd=ROOT, env={**os.environ, "PERFBOOK_TEST_MARK": mark},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert H.wait_marked(mark, 2) >= 2, "bulk --jobs 2 never made its child"     # the main process and its child
    assert H.kill_run(proc, mark) == [], "a child outlived a killed bulk"
