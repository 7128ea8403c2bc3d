"""perfbook check: validate workbooks (or data files) against the rule set; exit 1 on any 错误."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import existing_file

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("check", help="校验工作簿 / check workbooks against the rules")
    p.add_argument("books", nargs="*", metavar="BOOK",
                   help="要校验的工作簿（也可以是 .yaml .json .csv 数据文件）；可写通配符，如 回收/*.xlsx")
    p.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认中文文本报告）")
    p.add_argument("--frame", help="指标框架编号（默认：工作簿记录的框架，否则按指标名称识别）")
    p.add_argument("--frames-dir", help="另外的框架目录（含 *.yaml；也可用环境变量 PERFBOOK_FRAMES）")
    p.add_argument("--list-frames", action="store_true", help="列出可用的指标框架")
    p.add_argument("--annotate", metavar="OUT.xlsx",
                   help="另存一份标出问题单元格并加批注的副本（多个工作簿时为目录）；原文件不改动")
    p.add_argument("--template", type=existing_file, help="填表所用的模板（默认 templates/绩效目标表.xlsx）")
    p.add_argument("--target", help="绩效自评表/监控表：与批复的绩效目标表比对年度指标值（工作簿或数据文件）")
    p.add_argument("--rules-dir", help="另外的规则目录（含 *.yaml，增加或覆盖规则；也可用环境变量 PERFBOOK_RULES）")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..errors import PerfbookError
    from ..rules import _frames as FR
    from ..rules.check import check, format_report
    if args.list_frames:
        return _list_frames(FR.frames(args.frames_dir), args.format)
    if not args.books:
        print("请指定要校验的工作簿（或用 --list-frames 列出指标框架）", file=sys.stderr)
        return 2
    if args.frame:
        FR.get(args.frame, args.frames_dir)          # an unknown frame stops here, before any file is read
    from . import expand
    args.books = expand(args.books)
    reports, code = [], 0
    for book in args.books:
        try:
            report = check(book, frame=args.frame, template=args.template, frames_dir=args.frames_dir, target=args.target)
        except PerfbookError as exc:
            print(f"错误：{exc.zh}{exc.where()}\nError: {exc.en}", file=sys.stderr)
            code = 2
            continue
        reports.append(report)
        if not report.ok:
            code = max(code, 1)
        if args.annotate:
            try:
                _annotate(book, report, args.annotate, len(args.books), args)
            except (PerfbookError, OSError) as exc:     # the report is still printed; exit 2 says the copy failed
                from ..errors import environment_error
                exc = exc if isinstance(exc, PerfbookError) else environment_error(exc)
                print(f"错误：{exc.zh}{exc.where()}\nError: {exc.en}", file=sys.stderr)
                code = 2
    if args.format == "json":
        data = [_json(r) for r in reports]
        sys.stdout.write(json.dumps(data if len(args.books) > 1 else (data[0] if data else None),
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write("\n\n".join(format_report(r) for r in reports) + "\n")
    return code


def _annotate(book, report, target, n, args=None):
    from ..rules._annotate import annotate
    out = Path(target)
    if n > 1:
        out.mkdir(parents=True, exist_ok=True)
        out = out / f"{Path(book).stem}-校验{Path(book).suffix}"
    written = annotate(book, out, report)
    from . import say
    say(args, f"已写出批注副本 / annotated copy written: {written}")


def _json(report) -> dict:
    return {"文件": report.file, "框架": report.frame, "框架来源": report.frame_source, "项目数": report.projects,
            "通过": report.ok, "错误": len(report.errors), "警告": len(report.warnings),
            "问题": [f.to_dict() for f in report.findings],
            "读取提示": [{"类型": n.kind, "说明": n.zh, "工作表": n.sheet, "单元格": n.cell} for n in report.notes]}


def _list_frames(frames, fmt) -> int:
    if fmt == "json":
        out = [{"编号": f.id, "名称": f.title, "地区": f.region, "年度": list(f.years), "文件": f.path,
                "一级指标": {l1.name: [l2.name for l2 in l1.level2] for l1 in f.level1}} for f in frames.values()]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
        return 0
    for f in frames.values():
        tree = "；".join(f"{l1.name}（{'、'.join(l2.name for l2 in l1.level2)}）" for l1 in f.level1)
        print(f"{f.id}\t{f.title}\n\t{tree}\n\t{f.path}")
    return 0
