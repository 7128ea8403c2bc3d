"""perfbook addin: the 绩效目标 ribbon as an Excel/WPS add-in (perfbook.xlam), built from the VBA sources."""
from __future__ import annotations

import sys

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser("addin", help="生成 Excel/WPS 加载项（功能区“绩效目标”：校验、清除标记、新增指标行）/ build the add-in")
    asub = p.add_subparsers(dest="addin_command", metavar="ACTION")
    b = asub.add_parser("build", help="生成 perfbook.xlam")
    b.add_argument("-o", "--output", default="perfbook.xlam", help="输出文件（默认 perfbook.xlam）")
    b.add_argument("--frame", help="工作簿未记录框架时使用的指标框架，如 yunnan-2022（默认按指标名称识别）")
    b.add_argument("--rules-dir", help="另外的规则目录（含 *.yaml，增加或覆盖规则；也可用环境变量 PERFBOOK_RULES）")
    b.add_argument("--verify", action="store_true", help="生成后用 olevba 读回宏源码并核对")
    e = asub.add_parser("export", help="导出 VBA 源文件（.bas）与功能区 XML，供在 VBA 编辑器中手工导入")
    e.add_argument("folder", help="输出文件夹")
    e.add_argument("--frame", help="默认指标框架")
    e.add_argument("--rules-dir", help="另外的规则目录（含 *.yaml，增加或覆盖规则；也可用环境变量 PERFBOOK_RULES）")
    p.set_defaults(run=run, _parser=p)


def run(args) -> int:
    from ..excel import _addin as addin, _vba as vba
    if args.addin_command == "build":
        path = addin.build(args.output, frame=args.frame)
        print(f"已生成 / written: {path}")
        if args.verify:
            import zipfile
            with zipfile.ZipFile(path) as z:
                got = vba.extract_sources(z.read(vba.VBA_PART))
            want = {m.name: m.source for m in vba.standard_modules(args.frame)}
            bad = [n for n, src in want.items() if got.get(n, "").replace("\r\n", "\n") != src.replace("\r\n", "\n")]
            if bad:
                print(f"错误：olevba 读回的源码与源文件不一致：{'、'.join(bad)}", file=sys.stderr)
                return 1
            print(f"olevba 读回 {len(want)} 个模块，与源文件一致 / olevba reads back every module intact")
        return 0
    if args.addin_command == "export":
        for p in addin.export_sources(args.folder, frame=args.frame):
            print(p)
        return 0
    args._parser.print_help()
    return 2
