#!/usr/bin/env bash
# The demo: install perfbook, then run the whole cycle on the seed data into ./out/:
# fill both seed tables and read them back exactly, check them, write the macro workbook and the add-in,
# bulk-generate department workbooks from a master table and collect them into one summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh .
pb=.venv/bin/perfbook
py=.venv/bin/python
rm -rf out && mkdir -p out

echo "== 1. 填表并读回 / fill and read back"
for s in seed-001 seed-000; do
  "$pb" fill "examples/$s.yaml" -o "out/$s.xlsx"
  "$pb" read "out/$s.xlsx" --format yaml -o "out/$s.yaml"
  if "$py" -c "import sys,yaml; sys.exit(yaml.safe_load(open('out/$s.yaml',encoding='utf-8')) != yaml.safe_load(open('examples/$s.yaml',encoding='utf-8')))"; then
    echo "✓ out/$s.xlsx 读回的数据与 examples/$s.yaml 完全一致 / reads back exactly as the example"
  else
    echo "✗ out/$s.xlsx 读回的数据与示例不一致 / differs from the example" >&2; exit 1
  fi
done
"$pb" new out/空白绩效目标表.xlsx --blank-rows 12

echo "== 2. 校验 / check"
"$pb" check out/seed-001.xlsx out/seed-000.xlsx

echo "== 3. 宏与加载项 / macros and the add-in"
"$pb" fill examples/seed-001.yaml -o out/seed-001.xlsm --macros
"$pb" addin build -o out/perfbook.xlam --verify

echo "== 4. 批量生成与汇总 / bulk and collect"
"$py" -c "
import sys; sys.path.insert(0, '.')
from bench.synth import projects, write_master
write_master('out/主表.csv', projects(24, departments=4, seed=7))"
"$pb" bulk out/主表.csv -o out/发出
"$pb" collect out/发出 -o out/汇总.xlsx
echo "完成：见 out/ 目录 / done: see ./out/"
