"""The shared options of perfbook selfeval / monitor."""
from __future__ import annotations

import sys


def add_cycle_parser(sub, kind, help_text, run):
    p = sub.add_parser(kind, help=help_text)
    p.add_argument("target", metavar="TARGET", help="绩效目标表（工作簿，或 fill 接受的 .yaml .json .csv 数据文件）")
    p.add_argument("-o", "--output", required=True, help="输出的 .xlsx")
    p.add_argument("--scheme", help="评分方案（perfbook/data/scoring.yaml 的 schemes；默认按框架，否则 default）")
    p.add_argument("--frame", help="指标框架编号（选择该框架的分值方案）")
    p.add_argument("--template", help="自评表/监控表模板（默认 templates/绩效自评表.xlsx 或 绩效监控表.xlsx）")
    p.add_argument("--target-template", help="读目标表所用的模板（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--macros", action="store_true", help="写出含“校验”宏的 .xlsm（VBA 按同一评分规则打分、校验）")
    p.set_defaults(run=run)


def run_cycle(args, kind) -> int:
    from ..cycle.make import make
    out = make(kind, args.target, args.output, scheme=args.scheme, frame=args.frame, template=args.template,
               target_template=args.target_template, macros=args.macros)
    print(f"已写出 / written: {out}", file=sys.stderr)
    return 0
