#!/usr/bin/env bash
# The demo: install perfbook, fill both seed tables into ./out/, read them back, check them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh .
pb=.venv/bin/perfbook
mkdir -p out
for s in seed-001 seed-000; do
  "$pb" fill "examples/$s.yaml" -o "out/$s.xlsx"
  "$pb" read "out/$s.xlsx" --format yaml -o "out/$s.yaml"
  if .venv/bin/python -c "import sys,yaml; sys.exit(yaml.safe_load(open('out/$s.yaml',encoding='utf-8')) != yaml.safe_load(open('examples/$s.yaml',encoding='utf-8')))"; then
    echo "✓ out/$s.xlsx 读回的数据与 examples/$s.yaml 完全一致 / reads back exactly as the example"
  else
    echo "✗ out/$s.xlsx 读回的数据与示例不一致 / differs from the example" >&2; exit 1
  fi
done
"$pb" new out/空白绩效目标表.xlsx --blank-rows 12
if "$pb" check --help >/dev/null 2>&1; then
  "$pb" check out/seed-001.xlsx out/seed-000.xlsx || true
fi
echo "完成：见 out/ 目录 / done: see ./out/"
