"""The perfbook command line. Each subcommand is a module in perfbook/commands with
``add_parser(subparsers)`` and ``run(args) -> int``; they are found, not listed, so adding one
touches no other file."""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import warnings

from . import commands
from ._suggest import closest, hint
from ._version import __version__
from .errors import EXIT_INTERNAL, PerfbookError, environment_error, exit_code
from .rules import _catalog as R

__all__ = ["Parser", "add_common", "parser", "main"]

ORDER = ["new", "fill", "read", "check", "bulk", "collect", "addin"]


def _commands():
    # the folder listed directly: pkgutil.iter_modules imports inspect (~7 ms at every start)
    names = sorted({f[:-3] for d in commands.__path__ for f in os.listdir(d)
                    if f.endswith(".py") and not f.startswith("_")})
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    return [importlib.import_module(f"perfbook.commands.{n}") for n in names]


# argparse's own messages (English, from gettext) with the Chinese put first
_MESSAGES = [
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)", "参数 {0} 的取值 {1} 无效（可选：{2}）"),
    (r"argument (.*?): invalid (\w+) value: (.*)", "参数 {0} 的取值 {2} 不是有效的 {1}"),
    (r"argument (.*?): expected one argument", "参数 {0} 需要一个值"),
    (r"argument (.*?): expected (.*) arguments?", "参数 {0} 需要 {1} 个值"),
    (r"argument (.*?): not allowed with argument (.*)", "参数 {0} 不能与 {1} 同时使用"),
    (r"ambiguous option: (.*?) could match (.*)", "选项 {0} 不明确，可能是：{1}"),
    (r"argument (.*?): (.*)", "参数 {0}：{1}"),
]
_HEADINGS = {"usage: ": "用法 / usage: ", "positional arguments:": "参数 / positional arguments:",
             "options:": "选项 / options:", "optional arguments:": "选项 / options:",
             "show this help message and exit": "显示帮助并退出 / show this help message and exit",
             "show program's version number and exit": "显示版本并退出 / show the version and exit"}


def _zh(message: str) -> str:
    for pattern, zh in _MESSAGES:
        m = re.fullmatch(pattern, message, re.S)
        if m:
            groups = [{"int": "整数", "float": "数字"}.get(g, g) for g in m.groups()]
            text = zh.format(*groups)
            choice = re.fullmatch(r"argument (.*?): invalid choice: '(.*?)' \(choose from (.*)\)", message)
            if choice:
                close = closest(choice.group(2), re.findall(r"'([^']*)'", choice.group(3)))
                if close:
                    text += f"；是否为“{close}”？ / did you mean '{close}'?"
            return text
    return message


class Parser(argparse.ArgumentParser):
    """argparse with Chinese beside its English: usage errors print both and exit 2; help headings too."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        zh, en = _zh(message), message
        unknown = re.fullmatch(r"unrecognized arguments: (.*)", message, re.S)
        if unknown:             # a mistyped option: the closest one any command takes
            options = {o for p in _all_parsers(self) for a in p._actions for o in a.option_strings}
            for word in unknown.group(1).split():
                if word.startswith("-"):
                    z, e = hint(word.split("=")[0], sorted(options))
                    zh, en = zh + z, en + e
        self.exit(2, f"{self.prog}：错误：{zh}\nerror: {en}\n")

    def format_usage(self) -> str:
        return self._headings(super().format_usage())

    def format_help(self) -> str:
        return self._headings(super().format_help())

    @staticmethod
    def _headings(text: str) -> str:
        for en, both in _HEADINGS.items():
            text = text.replace(en, both)
        return text


def add_common(p: argparse.ArgumentParser) -> None:
    """-q / -v / --no-progress, accepted before or after the subcommand (SUPPRESS: a subcommand's
    parser does not reset what was given before it)."""
    g = p.add_argument_group("输出 / output")
    g.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="安静：不显示“已生成”等提示和进度条（结果、警告与错误照常）/ quiet")
    g.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="详细：显示每个写出的文件等更多信息 / verbose")
    g.add_argument("--no-progress", action="store_true", default=argparse.SUPPRESS,
                   help="不显示进度条 / no progress bar")


def _all_parsers(p: argparse.ArgumentParser):
    yield p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _all_parsers(child)


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="perfbook",
        description="项目绩效目标表工具：填表、读表、校验、批量生成与汇总。\n"
                    "Excel-native toolkit for 项目绩效目标表: fill, read, check, bulk, collect.",
        epilog="退出码 / exit codes: 0 无错误 clean；1 校验发现“错误” findings of severity 错误；"
               "2 输入有误或文件无法读取 bad input or unreadable file；3 内部错误 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"perfbook {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _commands():
        mod.add_parser(sub)
    for each in _all_parsers(p):
        add_common(each)
    return p


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]  # a replaced stream may lack it: caught
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


def _bureau_rules(args) -> None:
    """--rules-dir / PERFBOOK_RULES: load the bureau's rules before any file is written (a broken rule
    file stops here), and hand the folder to worker processes (bulk, collect) through the environment."""
    rules_dir = getattr(args, "rules_dir", None)
    if rules_dir is None and not os.environ.get("PERFBOOK_RULES"):
        return
    if rules_dir:
        os.environ[R.ENV_RULES] = os.path.abspath(rules_dir)
    R.set_rules_dir(rules_dir)
    R.rules()


def _guarded(args) -> int:
    """Run a command; every failure becomes one message and its exit code (README 退出码), never a traceback."""
    try:
        _bureau_rules(args)
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
    return os.environ.get("PERFBOOK_DEBUG", "") not in ("", "0")


if __name__ == "__main__":
    sys.exit(main())
