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


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.exists():
        pytest.fail(f"the real samples are missing: {SAMPLES} (shared/ must sit beside the repo)")
    return SAMPLES


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
