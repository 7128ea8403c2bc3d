#!/usr/bin/env bash
# Create .venv and install perfbook into it (editable). Extra pip arguments are passed on: tools/setup.sh ".[test]"
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${1:-.}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e "$spec"
