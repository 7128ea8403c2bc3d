"""Issue 5: collect --db — the same rows in SQLite and in a real PostgreSQL server.

The PostgreSQL server is a throwaway cluster started here (initdb + pg_ctl in a temp folder, unix
socket only) and stopped at teardown. PostgreSQL refuses to run as root, so as root the server runs
as the `postgres` system user. Missing server binaries are a failure, not a skip: tools/test.sh
installs them (apt package postgresql).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from perfbook import cli
from perfbook.batch._db import url_for
from perfbook.batch._parallel import Plan
from perfbook.batch.collect import collect
from perfbook.model import Project


def _pg_bin() -> Path:
    """PERFBOOK_PG_BIN, else the newest Debian server install, else whatever initdb is on PATH."""
    if os.environ.get("PERFBOOK_PG_BIN"):
        return Path(os.environ["PERFBOOK_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    which = shutil.which("initdb")
    return Path(which).parent if which else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own for this module; yields its SQLAlchemy URL."""
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not (initdb.exists() and pg_ctl.exists()):
        pytest.fail(f"PostgreSQL server binaries not found in {PG_BIN} (initdb, pg_ctl). "
                    "Install them: apt-get install -y postgresql (or run bash tools/test.sh); "
                    "set PERFBOOK_PG_BIN to use another location.")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="pb-pg-"))
    if os.geteuid() == 0:                       # postgres will not run as root
        import pwd
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, sock, log = base / "data", base / "sock", base / "server.log"
    port = _free_port()

    def sh(*cmd):
        return subprocess.run(as_user + [str(c) for c in cmd], capture_output=True, text=True, timeout=120)

    sh("mkdir", "-p", sock)
    r = sh(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
    assert r.returncode == 0, f"initdb failed: {r.stdout}\n{r.stderr}"
    opts = f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    r = sh(pg_ctl, "-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start")
    assert r.returncode == 0, f"pg_ctl start failed: {r.stdout}\n{r.stderr}\n{log.read_text() if log.exists() else ''}"
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}&port={port}"
    finally:
        sh(pg_ctl, "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three small workbooks and one broken file."""
    from perfbook.batch.bulk import bulk
    d = tmp_path_factory.mktemp("returned")
    projects = [Project.from_dict({"项目名称": f"项目{i}", "项目编码": f"00{i:04d}", "主管部门": dept,
                                   "年度目标": "=HYPERLINK(\"http://x\") 是文字",
                                   "指标": [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{i}",
                                             "指标性质": "≥", "指标值": 10 + i, "度量单位": "个"}]})
                for i, dept in enumerate(["财政局", "财政局", "教育局", "卫健委"])]
    bulk(projects, d, manifest=None, execution=Plan(jobs=1))
    (d / "坏.xlsx").write_bytes(b"PK\x03\x04 not really")
    return d


def counts(url: str) -> dict:
    import sqlalchemy as sa
    eng = sa.create_engine(url)
    with eng.connect() as c:
        out = {t: c.execute(sa.text(f'SELECT COUNT(*) FROM "汇总_{t}"')).scalar() for t in ("项目", "指标", "问题", "文件")}
        out["batches"] = c.execute(sa.text('SELECT COUNT(*) FROM "汇总_批次"')).scalar()
        out["code"] = c.execute(sa.text('SELECT "项目编码" FROM "汇总_项目" ORDER BY "项目名称" LIMIT 1')).scalar()
        out["goal"] = c.execute(sa.text('SELECT "年度目标" FROM "汇总_项目" LIMIT 1')).scalar()
        out["unreadable"] = c.execute(sa.text(
            'SELECT "文件" FROM "汇总_问题" WHERE "规则" = \'unreadable\'')).scalars().all()
    eng.dispose()
    return out


def expect(n_batches: int, one: dict, got: dict) -> None:
    assert got["项目"] == 4 * n_batches and got["指标"] == 4 * n_batches and got["文件"] == 4 * n_batches
    assert got["batches"] == n_batches
    assert got["code"] == "000000"                       # text, leading zeros kept
    assert got["goal"].startswith("=HYPERLINK")
    assert got["unreadable"] == ["坏.xlsx"] * n_batches
    assert got["问题"] == one["问题"] * n_batches


def test_collect_into_sqlite_by_path(folder, tmp_path):
    db = tmp_path / "汇总.db"
    assert url_for(str(db)) == f"sqlite:///{db}"
    assert cli.main(["collect", str(folder), "-o", str(tmp_path / "s.xlsx"), "--db", str(db), "--jobs", "1"]) == 2   # 1 unreadable: exit 2
    one = counts(url_for(str(db)))
    expect(1, one, one)


def test_collect_into_postgresql(folder, tmp_path, postgres):
    sqlite = tmp_path / "ref.db"
    collect(folder, tmp_path / "a.xlsx", db=str(sqlite), execution=Plan(jobs=1))
    one = counts(url_for(str(sqlite)))
    res = collect(folder, tmp_path / "b.xlsx", db=postgres, execution=Plan(jobs=2))
    assert res.batch == 1
    expect(1, one, counts(postgres))
    assert cli.main(["collect", str(folder), "-o", str(tmp_path / "c.xlsx"), "--db", postgres, "--jobs", "1"]) == 2
    expect(2, one, counts(postgres))


def test_a_failed_run_leaves_no_rows_behind(folder, tmp_path, postgres, monkeypatch):
    import importlib
    pc = importlib.import_module("perfbook.batch.collect")     # perfbook.collect is also the function
    before = counts(postgres)

    class Boom(Exception):
        pass

    real = pc.SummaryWriter.add
    calls = {"n": 0}

    def add(self, sheet, row):
        calls["n"] += 1
        if calls["n"] > 5:
            raise Boom()
        return real(self, sheet, row)
    monkeypatch.setattr(pc.SummaryWriter, "add", add)
    with pytest.raises(Boom):
        collect(folder, tmp_path / "x.xlsx", db=postgres, execution=Plan(jobs=1))
    after = counts(postgres)
    assert {k: after[k] for k in ("项目", "指标", "问题", "文件", "batches")} == \
        {k: before[k] for k in ("项目", "指标", "问题", "文件", "batches")}
    assert not (tmp_path / "x.xlsx").exists()
