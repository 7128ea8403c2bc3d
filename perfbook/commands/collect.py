"""perfbook collect: every workbook under a folder into one summary workbook (and a database)."""
from __future__ import annotations

import sys

from . import existing_file
from .bulk import add_execution_args, execution


def add_parser(sub):
    p = sub.add_parser(
        "collect", help="汇总目录下所有工作簿并校验 / read, check and summarise every workbook under a folder",
        description="读取目录（含子目录）下的全部工作簿（xlsx、xlsm、xls、ods 等），逐个校验，写出一个汇总工作簿："
                    "“项目”（每个项目一行）、“指标”（每个指标一行，注明来源文件、工作表和行）、"
                    "“问题”（每条校验结果、每个无法读取的文件）、“文件”（每个文件一行）。")
    p.add_argument("folder", help="要汇总的目录（或单个文件）")
    p.add_argument("-o", "--output", required=True, help="汇总工作簿，如 汇总.xlsx；以 / 结尾或为已有目录时写入该目录的 汇总.xlsx")
    p.add_argument("--db", help="同时写入数据库：SQLAlchemy 地址，如 sqlite:///汇总.db 或 "
                                "postgresql+psycopg://user@host/db；只写文件路径时视为 SQLite")
    p.add_argument("--template", type=existing_file, help="填表所用的模板（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--frame", help="校验所用的指标框架，如 yunnan-2022")
    p.add_argument("--no-check", action="store_true", help="只汇总，不校验")
    p.add_argument("--replace", action="store_true",
                   help="数据库中同一目录此前的批次由本次汇总替换（不加时每次汇总新增一个批次）")
    add_execution_args(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from .._outputs import output_path
    from ..batch.collect import collect
    from . import single
    out = output_path(args.output, "汇总.xlsx", (".xlsx",), "汇总工作簿")
    res = collect(single(args.folder), out, template=args.template, frame=args.frame, db=args.db,
                  validate=not args.no_check, execution=execution(args), replace=args.replace)
    print(f"已汇总 {res.files} 个文件：读取 {res.read} 个，无法读取 {res.unreadable} 个，内部错误 {res.internal} 个；"
          f"项目 {res.projects} 个，指标 {res.indicators} 个，问题 {res.problems} 条 → {res.output}"
          + (f"；数据库批次 {res.batch}" if res.batch is not None else "")
          + (f"；非工作簿文件 {res.skipped} 个已跳过（见“文件”表）" if res.skipped else ""), file=sys.stdout)
    print(f"collected {res.files} file(s): {res.read} read, {res.unreadable} unreadable, {res.internal} internal "
          f"error(s); {res.projects} project(s), {res.indicators} indicator(s), {res.problems} problem(s)")
    return 2 if res.unreadable or res.internal else 0     # the summary is written either way
