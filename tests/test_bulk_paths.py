"""The fast paths of bulk (issue 18) hold the same data as the slow ones they replace: a CSV master read
with the csv module gives the Projects pandas gave; warm workers start with the template compiled."""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from perfbook.errors import DataError
from perfbook.write._inputs import load_records, load_table

bulk_mod = importlib.import_module("perfbook.batch.bulk")

TRICKY = (
    "项目名称,项目编码,主管部门,项目基本概况,一级指标,二级指标,三级指标,指标性质,指标值,度量单位,备注,备注\n"
    '甲项目,0053000001,呈贡区教育体育局,"=SUM(A1:A9) 是说明文字\n第二行",产出指标,数量指标,培训人次,≥,100,人次,a,b\n'
    "\n"
    "甲项目,0053000001,,,效益指标,社会效益指标,满意度,≥,90,%,,\n"
    '乙项目,007,呈贡区民政局,"含,逗号",产出指标,质量指标,合格率,＝,100,%,,\n'
)


def _pandas_way(path, enc="utf-8-sig"):
    """What load_table did before: pandas.read_csv(dtype=str, keep_default_na=False), then the grouping."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
    return load_records(df.to_dict("records"), path=path, columns=list(df.columns))


@pytest.mark.parametrize("enc", ["utf-8-sig", "gb18030"])
def test_csv_master_reads_as_pandas_read_it(tmp_path, enc):
    path = tmp_path / "主表.csv"
    path.write_bytes(TRICKY.encode(enc))
    ours = load_table(path)
    assert ours == _pandas_way(path, enc)
    assert [p.code for p in ours] == ["0053000001", "007"]          # codes stay text, zeros kept
    assert ours[0].get("项目基本概况").startswith("=SUM")             # text, never a formula
    assert len(ours[0].indicators) == 2


def test_synthetic_master_reads_as_pandas_read_it(tmp_path):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    from bench.synth import projects, write_master
    path = write_master(tmp_path / "主表.csv", projects(40, departments=6, seed=3), compact=True)
    assert load_table(path) == _pandas_way(path)
    assert bulk_mod.load_master(path) == _pandas_way(path)


def test_a_row_longer_than_the_header_is_an_error_naming_it(tmp_path):
    path = tmp_path / "主表.csv"
    path.write_text("项目名称,一级指标,二级指标,三级指标,指标值\n甲,产出指标,数量指标,人次,1,多出来的\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_table(path)
    assert "第2行" in e.value.zh and str(path) in str(e.value.where())


def test_warm_workers_start_with_the_template_compiled(tmp_path):
    """In a fresh process (the forkserver is one per process): after start_early, a worker finds the
    template in fill.compiled's cache before it asks; without it, the worker compiles it itself."""
    probe = textwrap.dedent('''
        import sys
        from perfbook.batch import _parallel as parallel
        def cached(_):
            from perfbook.write.fill import _compiled
            return _compiled.cache_info().currsize
        if __name__ == "__main__":
            if sys.argv[1] == "warm":
                parallel.start_early({"template": None, "frame": None, "macros": False, "kind": "target"})
            print(sorted(set(parallel.run(cached, range(4), parallel.Plan(jobs=2, chunk=1, isolate=True)))))
    ''')
    script = tmp_path / "probe.py"
    script.write_text(probe, encoding="utf-8")
    out = {m: subprocess.run([sys.executable, str(script), m], capture_output=True, text=True, timeout=300, cwd=tmp_path)
           for m in ("warm", "cold")}
    assert out["warm"].returncode == 0, out["warm"].stderr
    assert out["warm"].stdout.strip() == "[1]"
    assert out["cold"].stdout.strip() == "[0]"


def test_small_runs_stay_in_one_process(tmp_path, monkeypatch):
    """Below SMALL_RUN no worker is started: the plan handed to parallel.run asks for one process."""
    seen = []
    real = bulk_mod.parallel.run

    def spy(fn, items, plan, **kw):
        seen.append(plan.workers)
        return real(fn, items, plan, **kw)
    monkeypatch.setattr(bulk_mod.parallel, "run", spy)
    from perfbook.write._inputs import load
    from tests.conftest import EXAMPLES
    res = bulk_mod.bulk(load(EXAMPLES / "seed-001.yaml"), tmp_path / "out",
                        execution=bulk_mod.parallel.Plan(jobs=2))
    assert seen == [1] and len(res.written) == 1


def test_the_fast_far_reference_scan_finds_every_reference_the_old_pattern_found():
    """_package.far_candidates replaced one slow regex (_FAR_REF): on random tag soup built from the
    pieces hostile sheets use, every value the old pattern saw is still seen (a superset is allowed)."""
    import random

    from perfbook.ooxml._package import _FAR_REF, far_candidates
    pieces = [b"<c ", b"<x:c ", b"<row ", b"<mergeCell ", b"<dimension ", b"<f t=\"shared\" ", b" r=\"", b" ref=\"",
              b"sqref=\"", b"\t", b"\n", b" ", b"AAAA", b"XFE", b"A", b"9999999", b"12", b"$", b":", b"\"", b">",
              b"/>", b"<t>", b"</t>", b"text r=\"ZZZ1\" ", b"<", b"s=\"1\""]
    rnd = random.Random(18)
    for _ in range(3000):
        seg = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(3, 40)))
        old = {m.span(1) for m in _FAR_REF.finditer(seg)}
        new = {m.span(1) for m in far_candidates(seg)}
        assert old <= new, seg
