"""Start-up: a one-file command imports only what it uses (issue 18). What is asserted is which
modules a real `perfbook` process loaded, never how long it took (timings live in bench/run.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

import perfbook
from perfbook import _yaml

HEAVY = ("pandas", "sqlalchemy", "xlsxwriter", "oletools", "dask", "distributed", "openpyxl", "jinja2",
         "perfbook.excel._vba", "perfbook.write._render", "perfbook.batch.bulk", "perfbook.batch.collect", "perfbook.batch._parallel",
         "perfbook.batch.dataframes", "http.client", "urllib.request")

PROBE = """
import io, contextlib, json, sys
from perfbook.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue()[:200], "modules": sorted(sys.modules)}))
"""


def _loaded(*argv: str) -> tuple[int, set[str]]:
    res = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout.strip().splitlines()[-1])
    return d["code"], set(d["modules"])


@pytest.fixture(scope="module")
def one(tmp_path_factory, root):
    out = tmp_path_factory.mktemp("startup") / "一个项目.xlsx"
    perfbook.fill(root / "examples" / "seed-001.yaml", out)
    return str(out)


@pytest.mark.parametrize("argv", [("--help",), ("read", "{one}"), ("check", "{one}")])
def test_one_file_commands_import_only_what_they_use(argv, one):
    code, mods = _loaded(*(a.format(one=one) for a in argv))
    assert code in (0, 1)                       # check may find 警告/错误 in the seed; it ran
    assert not [m for m in HEAVY if m in mods], [m for m in HEAVY if m in mods]


def test_check_reads_the_same_through_the_layout_only_template(one):
    """The reader's template (inject layout_only) puts every computed cell where fill puts a formula."""
    from perfbook.readers.reader import load_template
    from perfbook.write._inject import inject
    from perfbook.write._template import Template, default_template_path

    full = inject(Template.load(str(default_template_path())))
    light = load_template()

    def formula_cells(t):
        return {(ts.name, row.r, c.col) for ts in t.sheets for row in ts.xml.rows for c in row.cells
                if c.body and "<f" in c.body}

    def slots(t):
        return {(ts.name, s.row, s.col, s.labels) for ts in t.sheets for s in ts.slots}
    assert formula_cells(full) and formula_cells(full) == formula_cells(light)
    assert slots(full) == slots(light)
    assert [ts.name for ts in full.sheets] == [ts.name for ts in light.sheets]


def test_libyaml_and_pure_python_yaml_agree_on_every_bundled_file():
    files = sorted(Path(str(resources.files("perfbook").joinpath("data"))).rglob("*.y*ml"))
    assert len(files) > 5
    for f in files:
        text = f.read_text("utf-8")
        assert _yaml.load(text) == yaml.safe_load(text), f
