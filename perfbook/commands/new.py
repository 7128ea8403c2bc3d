"""perfbook new: a blank workbook from the template, drop-downs included."""
from __future__ import annotations

from . import existing_file

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("new", help="生成空白绩效目标表 / write a blank copy of the template")
    p.add_argument("output", help="输出文件，如 空白表.xlsx；以 / 结尾或为已有目录时写入该目录的 绩效目标表.xlsx")
    p.add_argument("--template", type=existing_file, help="模板文件（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--frame", help="指标框架，如 yunnan-2022（见 perfbook check --list-frames）")
    p.add_argument("--blank-rows", type=int, default=10, help="空白指标行数（默认 10，最多 10000）")
    p.add_argument("--macros", action="store_true", help="生成含“校验”宏的 .xlsm")
    p.add_argument("--rules-dir", help="另外的规则目录（含 *.yaml，增加或覆盖规则；也可用环境变量 PERFBOOK_RULES）")
    p.set_defaults(run=run)


def run(args) -> int:
    from .._outputs import WORKBOOK_EXTENSIONS, output_path
    from ..write.fill import new
    from . import say
    out = output_path(args.output, "绩效目标表" + (".xlsm" if args.macros else ".xlsx"), WORKBOOK_EXTENSIONS, "输出工作簿")
    path = new(out, template=args.template, frame=args.frame, blank_rows=args.blank_rows, macros=args.macros)
    say(args, f"已生成 / written: {path}")
    return 0
