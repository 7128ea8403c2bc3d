"""perfbook read: a workbook back into data, in the same labels as the input."""
from __future__ import annotations

import sys
from pathlib import Path

from . import existing_file

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("read", help="读取工作簿为数据 / read a workbook into JSON, YAML or CSV")
    p.add_argument("book", help="工作簿（xlsx、xlsm、xls、ods 等）")
    p.add_argument("--format", choices=["json", "yaml", "csv"], default=None,
                   help="输出格式（默认按 -o 的扩展名 .json .yaml .csv，否则 json）")
    p.add_argument("-o", "--output", help="输出文件（默认打印到屏幕）；以 / 结尾或为已有目录时，写入该目录，文件名同工作簿")
    p.add_argument("--template", type=existing_file, help="填表所用的模板（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--strict", action="store_true", help="有无法对应的单元格、无法确定如何读取的表头或无法计算的公式时报错退出")
    p.set_defaults(run=run)


def run(args) -> int:
    from .._outputs import DATA_FORMATS, data_format, dump, output_path, write_atomic
    from ..readers.reader import read
    from . import say, single
    args.book = single(args.book)
    fmt = data_format(args.output, args.format)
    book = read(args.book, template=args.template, strict=args.strict)
    text = dump(list(book.projects), fmt)
    if args.output:
        out = output_path(args.output, Path(args.book).stem + DATA_FORMATS[fmt][0], DATA_FORMATS[fmt])
        write_atomic(out, text.encode("utf-8-sig" if fmt == "csv" else "utf-8"))
        say(args, f"已写出 / written: {out}")
    else:
        sys.stdout.write(text)
    for n in book.notes:
        print(f"注意：{n.where()} {n.zh}", file=sys.stderr)
    return 0
