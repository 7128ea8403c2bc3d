#!/usr/bin/env bash
# The habits the code keeps: ruff (style, unused names; configured in pyproject [tool.ruff]) and mypy
# (types; [tool.mypy]) and radon complexity (tools/complexity.py, no function above 25). tools/test.sh runs
# this before the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
"$py" -m ruff check --no-cache perfbook tests bench tools
"$py" -m mypy --no-incremental --cache-dir=/dev/null
"$py" tools/complexity.py
