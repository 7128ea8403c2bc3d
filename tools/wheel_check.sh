#!/usr/bin/env bash
# The package is the tested package: build the wheel and the sdist, install the wheel (not the checkout)
# into a fresh venv and run the macro commands from it, outside the source tree.
# Dependencies come from .venv (made by tools/setup.sh) through a .pth file: its editable perfbook is
# not loaded (.pth files inside a directory added that way are not processed), so `perfbook` here is
# the wheel's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/pb-wheel-XXXXXX)
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip wheel -q --no-deps -w "$work/dist" . >/dev/null
.venv/bin/python -W ignore -c "import setuptools.build_meta as b, sys; b.build_sdist(sys.argv[1])" "$work/dist" >/dev/null 2>&1
whl=$(ls "$work"/dist/perfbook-*.whl)
sdist=$(ls "$work"/dist/perfbook-*.tar.gz)
# every source and data file the checkout has is in both
wl=$(.venv/bin/python -c "import sys, zipfile; print(*zipfile.ZipFile(sys.argv[1]).namelist(), sep='\n')" "$whl")
sl=$(tar -tzf "$sdist")
for f in macros/*.bas macros/*.xml perfbook/data/vba/* perfbook/data/*.yaml perfbook/data/frames/*.yaml templates/*.xlsx; do
  case $f in macros/*) inwhl=perfbook/macros/${f#macros/};; templates/*) inwhl=perfbook/templates/${f#templates/};; *) inwhl=$f;; esac
  grep -qF "$inwhl" <<<"$wl" || { echo "wheel lacks $inwhl"; exit 1; }
  grep -qF "/$f" <<<"$sl" || { echo "sdist lacks $f"; exit 1; }
done
python3 -m venv "$work/venv"
site=$("$work/venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
"$work/venv/bin/python" -m pip install -q --no-deps --no-index "$whl"
.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])" > "$site/perfbook-deps.pth"
cd "$work"
pb="$work/venv/bin/perfbook"
"$work/venv/bin/python" -c "import perfbook, sys; assert perfbook.__file__.startswith('$work'), perfbook.__file__"
"$pb" fill "$root/examples/seed-001.yaml" -o filled.xlsm --macros
"$pb" new blank.xlsm --macros
"$pb" bulk "$root/examples/seed-000.csv" -o bulk --macros --jobs 1
"$pb" addin build -o perfbook.xlam --verify
"$work/venv/bin/python" - <<'PY'
import glob, zipfile
files = ["filled.xlsm", "blank.xlsm", "perfbook.xlam"] + glob.glob("bulk/**/*.xlsm", recursive=True)
assert len(files) >= 4, files
for f in files:
    with zipfile.ZipFile(f) as z:
        assert "xl/vbaProject.bin" in z.namelist() and "customUI/customUI14.xml" in z.namelist(), f
print("wheel ok:", ", ".join(sorted(files)))
PY
