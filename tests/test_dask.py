"""Issue 5: --executor dask runs the same bulk and collect on a dask.distributed cluster."""
from __future__ import annotations

import pytest

from bench.synth import projects as synth_projects
from perfbook import cli
from perfbook.batch._parallel import Plan
from perfbook.batch.bulk import bulk, load_master, read_manifest
from perfbook.batch.collect import collect
from perfbook.write._inputs import load

distributed = pytest.importorskip("distributed", reason="dask is an optional extra: pip install 'perfbook[dask]'")


@pytest.fixture(scope="module")
def client():
    """A small in-process cluster: the same scheduler protocol, no worker start-up cost."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def projects():
    return load(synth_projects(24, departments=4, seed=3))


def test_bulk_on_dask_writes_the_same_bytes_as_locally(client, projects, tmp_path):
    local = bulk(projects, tmp_path / "local", execution=Plan(jobs=1))
    remote = bulk(projects, tmp_path / "dask", execution=Plan(executor="dask", client=client, chunk=2))
    assert [(w.file, w.sha256) for w in remote.written] == [(w.file, w.sha256) for w in local.written]
    assert len(remote.written) == 4


def test_collect_on_dask_gives_the_same_summary(client, projects, tmp_path):
    bulk(projects, tmp_path / "in", execution=Plan(jobs=1))
    (tmp_path / "in" / "坏.xlsx").write_bytes(b"broken")
    a = collect(tmp_path / "in", tmp_path / "a.xlsx", execution=Plan(jobs=1))
    b = collect(tmp_path / "in", tmp_path / "b.xlsx", execution=Plan(executor="dask", client=client, chunk=2))
    assert a == b.__class__(**{**b.__dict__, "output": a.output})
    assert (b.files, b.read, b.unreadable, b.projects) == (5, 4, 1, 24)


def test_the_command_line_starts_its_own_local_cluster(tmp_path):
    """--executor dask without --scheduler: a LocalCluster of --jobs worker processes, closed at the end."""
    master = tmp_path / "m.csv"
    master.write_text("项目名称,主管部门\n甲,财政局\n乙,教育局\n", encoding="utf-8-sig")
    assert cli.main(["bulk", str(master), "-o", str(tmp_path / "o"), "--executor", "dask", "--jobs", "1",
                     "--blank-rows", "3"]) == 0
    assert [r["文件"] for r in read_manifest(tmp_path / "o" / "清单.csv")] == ["财政局.xlsx", "教育局.xlsx"]
    assert cli.main(["collect", str(tmp_path / "o"), "-o", str(tmp_path / "s.xlsx"), "--executor", "dask",
                     "--jobs", "1"]) == 0
    assert len(load_master(master)) == 2
