"""The perfbook command line. Each subcommand is a module in perfbook/commands with
``add_parser(subparsers)`` and ``run(args) -> int``; they are found, not listed, so adding one
touches no other file."""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import warnings

from . import __version__
from .errors import PerfbookError

ORDER = ["new", "fill", "read", "check", "bulk", "collect", "addin"]


def _commands():
    from . import commands
    names = [m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    return [importlib.import_module(f"perfbook.commands.{n}") for n in names]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="perfbook",
        description="项目绩效目标表工具：填表、读表、校验、批量生成与汇总。\n"
                    "Excel-native toolkit for 项目绩效目标表: fill, read, check, bulk, collect.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"perfbook {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _commands():
        mod.add_parser(sub)
    return p


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    args = parser().parse_args(argv)
    if not getattr(args, "run", None):
        parser().print_help()
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if getattr(args, "rules_dir", None) is not None or os.environ.get("PERFBOOK_RULES"):
                from . import rules as R
                if getattr(args, "rules_dir", None):
                    # worker processes (bulk, collect) read the same folder
                    os.environ[R.ENV_RULES] = os.path.abspath(args.rules_dir)
                R.set_rules_dir(getattr(args, "rules_dir", None))
                R.rules()                    # a broken bureau rule stops here, before any file is written
            code = args.run(args)
        except PerfbookError as exc:
            print(f"错误：{exc.zh}{exc.where()}\nError: {exc.en}", file=sys.stderr)
            code = 2
        except KeyboardInterrupt:
            print("已中断 / interrupted", file=sys.stderr)
            code = 130
    for w in caught:
        if w.category.__name__ == "PerfbookWarning":
            print(f"注意：{w.message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
