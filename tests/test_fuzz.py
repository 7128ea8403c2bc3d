"""Issue 11: a bounded mutational fuzz run over perfbook's own outputs and the Shenzhen samples, through
the CLI in subprocesses (read, check, check --annotate, collect): no traceback, no signal, no timeout, no
exit code outside 0/1/2, memory bounded by a 2 GB address-space limit. Deterministic seed. The longer run:
PERFBOOK_FUZZ_SECONDS=1800 pytest tests/test_fuzz.py (or python -m tests.support.fuzz 1800)."""
from __future__ import annotations

import json
import os

import pytest

from tests.conftest import SAMPLES, in_ci
from tests.support import fuzz

SECONDS = float(os.environ.get("PERFBOOK_FUZZ_SECONDS", "45"))   # + the final collect: under 60 s


def test_mutants_never_crash_hang_or_trace(tmp_path):
    # without ../shared the mutants come from the seeds only; under CI=true its absence is an error
    samples = SAMPLES if SAMPLES.is_dir() else None
    if samples is None and in_ci():
        pytest.fail(f"needs {SAMPLES} (CI=true: missing samples are an error, not a skip)", pytrace=False)
    res = fuzz.run(SECONDS, tmp_path, samples)
    print(json.dumps({k: v for k, v in res.items() if k != "findings"}, ensure_ascii=False))
    assert res["mutants"] >= 5
    assert res["findings"] == [], json.dumps(res["findings"][:5], ensure_ascii=False, indent=1)


DATA_SECONDS = float(os.environ.get("PERFBOOK_DATAFUZZ_SECONDS", "20"))


def test_mutated_data_files_are_refused_or_taken_never_an_internal_error(tmp_path):
    """YAML, JSON and CSV inputs with values of the wrong shape, dropped or renamed keys and broken CSV
    bytes, through fill, check, bulk, selfeval and monitor in this process (tests/support/datafuzz.py):
    exit 0, 1 or 2 only. The longer run: python -m tests.support.datafuzz 600."""
    from tests.support import datafuzz
    res = datafuzz.run(DATA_SECONDS, tmp_path)
    assert res["mutants"] >= 50
    assert res["findings"] == [], json.dumps(res["findings"][:5], ensure_ascii=False, indent=1)
