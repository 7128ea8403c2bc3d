"""bulk's workers are forked from its own process (perfbook/batch/_parallel.py: Plan.fork), which has the
template compiled and every module imported: no fork server to start and warm. What the fork server gave
must hold all the same: a worker that dies is one item, a killed run leaves no helper behind, nothing the
main process had printed is printed again by its children, and the workbooks are the one-process ones."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bench.synth import projects as synth_projects, write_master
from perfbook.batch import _parallel as parallel
from perfbook.batch._parallel import Plan
from perfbook.batch.bulk import bulk
from perfbook.errors import DataError
from tests.support import hostile as H

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="workers are forked only on Linux")


def test_a_forked_worker_that_dies_is_one_item_not_the_end_of_the_run():
    out = list(parallel.run(H.die_on_odd, range(12), Plan(jobs=2, chunk=3, fork=True),
                            on_crash=lambda x, e: ("died", x, e.reason)))
    assert out == [x * 10 if x % 2 == 0 else ("died", x, "memory") for x in range(12)]


def test_forked_workers_do_not_print_again_what_the_main_process_had_printed(tmp_path):
    """stdout to a pipe is block-buffered: a child that inherits an unwritten buffer writes it at its end."""
    code = ("import sys; sys.path.insert(0, 'tests'); from perfbook.batch import _parallel as p; "
            "from test_bulk_fork import _square; print('开始'); "
            "print(sum(p.run(_square, range(40), p.Plan(jobs=2, chunk=2, fork=True))))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["开始", str(sum(x * x for x in range(40)))]


def _square(x):
    return x * x


def _refuse(x):
    if x == 5:
        raise DataError(f"第{x}行有误", f"row {x} is bad", "主表.csv", f"第{x}行")
    return x


@pytest.mark.parametrize("isolate", [False, True])
def test_an_input_error_in_a_worker_reaches_the_run_whole(isolate):
    """bulk's workers read the master's rows (perfbook/batch/_master.py: read) and may meet an error in them:
    it must stop the run as itself, with its text, file and cell. PerfbookError did not pickle (its
    __init__ takes two texts), so the pool broke and the run died of something else."""
    with pytest.raises(DataError) as e:
        list(parallel.run(_refuse, range(12), Plan(jobs=2, chunk=2, fork=True, isolate=isolate)))
    assert (e.value.zh, e.value.en, e.value.path, e.value.cell) == ("第5行有误", "row 5 is bad", "主表.csv", "第5行")


def test_bulk_forks_its_workers_and_writes_the_one_process_workbooks(tmp_path):
    master = write_master(tmp_path / "主表.csv", synth_projects(24, departments=4, seed=3), compact=True)
    one = bulk(master, tmp_path / "one", per_project=True, execution=Plan(jobs=1))
    two = bulk(master, tmp_path / "two", per_project=True, execution=Plan(jobs=2, chunk=2, isolate=True))
    assert [w.sha256 for w in two.written] == [w.sha256 for w in one.written] and len(one.written) == 24


def test_kill_9_of_a_forking_bulk_leaves_no_worker(tmp_path):
    master = write_master(tmp_path / "主表.csv", synth_projects(3000, departments=60, seed=4), compact=True)
    mark = uuid.uuid4().hex
    env = {**os.environ, "PERFBOOK_TEST_MARK": mark}
    proc = subprocess.Popen([sys.executable, "-m", "perfbook", "bulk", str(master), "-o", str(tmp_path / "out"),
                             "--per-project", "--jobs", "2", "-q"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert H.wait_marked(mark, 3) >= 3, "bulk --jobs 2 never started its workers"   # the main process and two workers
    assert H.kill_run(proc, mark) == [], "workers outlived a killed bulk"

