"""perfbook bulk: a master table of many projects into one workbook per department (or per project)."""
from __future__ import annotations

import sys

from . import existing_file


def add_parser(sub):
    p = sub.add_parser(
        "bulk", help="按主管部门批量生成绩效目标表 / one workbook per department from a master table",
        description="按主表（每行一个指标或一个项目）为每个主管部门生成一个工作簿（每个项目一组工作表），"
                    "或用 --per-project 为每个项目生成一个工作簿；输出目录中另写一份清单.csv。")
    p.add_argument("master", help="主表：.xlsx 或 .csv，列为官方标签（项目名称、主管部门、一级指标……）")
    p.add_argument("-o", "--output", required=True, help="输出目录")
    p.add_argument("--per-project", action="store_true", help="每个项目一个工作簿（默认每个主管部门一个）")
    p.add_argument("--name", help='文件名模式（jinja2），如 "{{主管部门}}/{{项目名称}}.xlsx"；'
                                  '默认 "{{主管部门}}.xlsx"，--per-project 时 "{{主管部门}}/{{项目名称}}.xlsx"')
    p.add_argument("--blank-rows", type=int, default=0, help="每个项目在指标后追加的空白指标行数（0–10000）")
    p.add_argument("--template", type=existing_file, help="模板文件（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--frame", help="指标框架，如 yunnan-2022")
    p.add_argument("--macros", action="store_true", help="生成含“校验”宏的 .xlsm")
    p.add_argument("--kind", choices=["target", "selfeval", "monitor"], default="target",
                   help="生成哪种表：target 绩效目标表（默认）、selfeval 绩效自评表、monitor 绩效监控表")
    p.add_argument("--manifest", default="清单.csv", help="清单文件名（写在输出目录中；默认 清单.csv）")
    add_execution_args(p)
    p.add_argument("--rules-dir", help="另外的规则目录（含 *.yaml，增加或覆盖规则；也可用环境变量 PERFBOOK_RULES）")
    p.set_defaults(run=run)


def add_execution_args(p):
    p.add_argument("-j", "--jobs", type=int, default=None, help="并行进程数（默认：全部 CPU 核）")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local：本机多进程（默认）；dask：在 dask.distributed 集群上运行")
    p.add_argument("--scheduler", help="dask 调度器地址，如 tcp://10.0.0.5:8786（不填则在本机启动集群）")


def execution(args):
    from ..batch._parallel import Plan
    from . import no_progress
    no_progress(args)
    return Plan(executor=args.executor, jobs=args.jobs, scheduler=args.scheduler)


def run(args) -> int:
    from ..batch._early import index_early, start
    from ..batch._names import pattern_for
    from . import say, single
    master, plan = single(args.master), execution(args)
    start(master, plan, template=args.template, frame=args.frame, macros=args.macros, kind=args.kind)
    index_early(master, plan, per_project=args.per_project, pattern=pattern_for(args.name, args.per_project))
    from ..batch.bulk import bulk  # the engine: imported while a fork server (where bulk cannot fork) warms up
    res = bulk(master, args.output, template=args.template, frame=args.frame, blank_rows=args.blank_rows,
               per_project=args.per_project, name=args.name, macros=args.macros, manifest=args.manifest,
               execution=plan, kind=args.kind)
    if res.unplaced:
        print(f"注意：模板中没有位置的列未写入：{'、'.join(res.unplaced)}", file=sys.stderr)
    for f in res.failed:
        print(f"失败：{res.outdir / f.file}：{f.message}", file=sys.stderr)
    for w in res.written:
        say(args, f"  {w.file}（{len(w.projects)} 个项目，{w.indicators} 个指标）", verbose=True)
    say(args, f"已生成 {len(res.written)} 个工作簿（{res.projects} 个项目）→ {res.outdir}；清单：{res.manifest}\n"
          f"written {len(res.written)} workbook(s), {res.projects} project(s); manifest: {res.manifest}")
    return 2 if res.failed else 0       # workbooks that could not be written: environment (README 退出码)
