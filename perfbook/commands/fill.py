"""perfbook fill: structured data (YAML/JSON/CSV/xlsx table) into the official workbook."""
from __future__ import annotations

from . import existing_file

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("fill", help="按数据填写绩效目标表 / fill the template from YAML, JSON, CSV or an xlsx table")
    p.add_argument("data", help="数据文件：.yaml .json .csv 或 .xlsx（每行一个指标）")
    p.add_argument("-o", "--output", required=True,
                   help="输出工作簿，如 out/项目.xlsx；以 / 结尾或为已有目录时写入该目录，文件名同数据文件")
    p.add_argument("--template", type=existing_file, help="模板文件（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--frame", help="指标框架，如 yunnan-2022")
    p.add_argument("--blank-rows", type=int, default=0, help="在指标后追加的空白行数（0–10000）")
    p.add_argument("--macros", action="store_true", help="写出含“校验”宏的 .xlsm")
    p.add_argument("--rules-dir", help="另外的规则目录（含 *.yaml，增加或覆盖规则；也可用环境变量 PERFBOOK_RULES）")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from .._outputs import WORKBOOK_EXTENSIONS, output_path
    from ..write.fill import fill
    from . import say, single
    data = single(args.data)
    ext = ".xlsm" if args.macros else ".xlsx"
    out = output_path(args.output, Path(data).stem + ext, WORKBOOK_EXTENSIONS, "输出工作簿")
    path = fill(data, out, template=args.template, frame=args.frame, blank_rows=args.blank_rows, macros=args.macros)
    say(args, f"已生成 / written: {path}")
    return 0
