"""The perfbook command line. Each subcommand is a module in perfbook/commands with
``add_parser(subparsers)`` and ``run(args) -> int``; they are found, not listed, so adding one
touches no other file."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings

from . import __version__
from .errors import EXIT_INTERNAL, PerfbookError, environment_error, exit_code

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
        code = _guarded(args)
    for w in caught:
        if w.category.__name__ == "PerfbookWarning":
            print(f"注意：{w.message}", file=sys.stderr)
    return code


def _guarded(args) -> int:
    """Run a command; every failure becomes one message and its exit code (README 退出码), never a traceback."""
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:            # `perfbook read x | head`: the reader left, not an error of ours
        try:
            sys.stdout = open("/dev/null", "w")
        except OSError:
            pass
        return 0
    except (PerfbookError, OSError) as exc:
        if not isinstance(exc, PerfbookError):
            exc = environment_error(exc)
        print(f"错误：{exc.zh}{exc.where()}\nError: {exc.en}", file=sys.stderr)
        return exit_code(exc)
    except MemoryError:
        print("错误：内存不足 / Error: out of memory", file=sys.stderr)
        return 2
    except SystemExit:
        raise
    except BaseException as exc:       # noqa: BLE001 - a bug (or a native panic): say so, with what to report
        if _debug():
            raise
        print(f"内部错误：{type(exc).__name__}: {str(exc)[:300]}（请把所用文件和这条信息报告给维护者；"
              f"设置 PERFBOOK_DEBUG=1 可看到完整回溯）\n"
              f"Internal error: {type(exc).__name__}; please report it (PERFBOOK_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def _debug() -> bool:
    import os
    return os.environ.get("PERFBOOK_DEBUG", "") not in ("", "0")


if __name__ == "__main__":
    sys.exit(main())
