"""perfbook read: a workbook back into data, in the same labels as the input."""
from __future__ import annotations

import sys


def add_parser(sub):
    p = sub.add_parser("read", help="读取工作簿为数据 / read a workbook into JSON, YAML or CSV")
    p.add_argument("book", help="工作簿（xlsx、xlsm、xls、ods 等）")
    p.add_argument("--format", choices=["json", "yaml", "csv"], default="json")
    p.add_argument("-o", "--output", help="输出文件（默认打印到屏幕）")
    p.add_argument("--template", help="填表所用的模板（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--strict", action="store_true", help="有无法对应的单元格、无法确定如何读取的表头或无法计算的公式时报错退出")
    p.set_defaults(run=run)


def run(args) -> int:
    from .._package import write_atomic
    from ..outputs import dump
    from ..reader import read
    book = read(args.book, template=args.template, strict=args.strict)
    text = dump(list(book.projects), args.format)
    if args.output:
        data = text.encode("utf-8-sig" if args.format == "csv" else "utf-8")
        write_atomic(args.output, data)
        print(f"已写出 / written: {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for n in book.notes:
        print(f"注意：{n.where()} {n.zh}", file=sys.stderr)
    return 0
