#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run the whole suite.
# System parts: LibreOffice (the real spreadsheet program the tests drive), its Python bridge,
# poppler (PDF → PNG/text), CJK fonts (so printed pages show Chinese), PostgreSQL (collect --db).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || need+=(python3-uno)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Apache POI's VBAMacroReader: an independent reader of the VBA projects (tests/test_vba_size.py)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ -f /usr/share/java/poi.jar ] || need+=(libapache-poi-java)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash tools/setup.sh ".[test]"
# ruff and mypy (tools/lint.sh): the style and type checks pass before any test runs
bash tools/lint.sh
# the wheel, installed into a fresh venv, builds macros outside the checkout
bash tools/wheel_check.sh
exec .venv/bin/python -m pytest -q -ra -p no:cacheprovider --durations=15 "$@"
