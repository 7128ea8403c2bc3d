"""Shared fixtures: paths to the seeds, the real samples, and a real LibreOffice."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = Path(os.environ.get("PERFBOOK_SHARED", ROOT.parent / "shared"))
SAMPLES = SHARED / "samples" / "shenzhen-baoan"
SEEDS = ("seed-000", "seed-001")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_shared(path: Path = SHARED) -> Path:
    """A file or folder of ../shared (the real samples and seeds, not shipped in this repository).
    Absent: the test (or, called at import, the module) is skipped with the reason — except under
    CI=true, where CI has it and must run it. Every test that uses ../shared goes through here."""
    if not Path(path).exists():
        msg = (f"needs {path}: the shared samples are not in this repository; put shared/ beside the "
               "checkout or set PERFBOOK_SHARED")
        if in_ci():
            pytest.fail(msg + " (CI=true: missing samples are an error, not a skip)", pytrace=False)
        pytest.skip(msg, allow_module_level=True)
    return Path(path)


@pytest.fixture(scope="session")
def samples() -> Path:
    return need_shared(SAMPLES)


@pytest.fixture(scope="session")
def shared() -> Path:
    return need_shared(SHARED)


@pytest.fixture(scope="session")
def soffice():
    """The real spreadsheet program. Missing LibreOffice is a failure, not a skip: tests/run.sh installs it."""
    from tests.support import soffice as lo
    if not lo.available():
        pytest.fail("LibreOffice (soffice + python3-uno) is not installed; run: bash tools/test.sh")
    return lo


# HYPOTHESIS_PROFILE=thorough runs the property tests much longer (used before releases, not in CI).
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile("perfbook", max_examples=60, deadline=None)
_hsettings.register_profile("thorough", max_examples=600, deadline=None)
_hsettings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "perfbook"))


@pytest.fixture
def small_disk(tmp_path):
    """A 256 kB tmpfs: a disk that fills up (tests/test_hostile_faults.py, tests/test_bulk_stream.py)."""
    from tests.support import hostile as H
    where = tmp_path / "disk"
    if not H.mount_tmpfs(where, 256):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield where
    H.umount(where)
