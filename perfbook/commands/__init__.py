"""The subcommands, one module each, and what several of them share: paths checked while the command
line is parsed (a mistyped --template is a usage error, exit 2), and glob patterns expanded by perfbook
itself, since Windows cmd passes '*.xlsx' through unexpanded."""
from __future__ import annotations

import argparse
import glob
from pathlib import Path

from ..errors import PerfbookError

__all__ = ["existing_file", "expand", "single", "say", "no_progress"]


def existing_file(text: str) -> str:
    """argparse type for --template and other input files: the file must exist and be a file."""
    p = Path(text)
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"“{text}”是文件夹，不是文件 / is a folder, not a file")
    if not p.exists():
        raise argparse.ArgumentTypeError(f"找不到文件“{text}” / file not found: {text}")
    return text


def expand(patterns: list[str]) -> list[str]:
    """Each argument as given when it names a file, else its glob matches (sorted); a pattern that
    matches nothing is an error naming it, not a silently empty run."""
    out: list[str] = []
    for text in patterns:
        if Path(text).exists() or not glob.has_magic(text):
            out.append(text)
            continue
        hits = sorted(glob.glob(text, recursive=True))
        if not hits:
            raise PerfbookError("没有与模式匹配的文件", "no file matches the pattern", text)
        out += hits
    return out


def single(text: str) -> str:
    """One input file: a glob pattern must match exactly one."""
    hits = expand([text])
    if len(hits) != 1:
        raise PerfbookError(f"此命令只接受一个文件，模式匹配到 {len(hits)} 个",
                            f"this command takes one file; the pattern matches {len(hits)}", text)
    return hits[0]


def say(args, message: str, *, verbose: bool = False) -> None:
    """An informational line on stderr ("已生成 …"): hidden by -q; verbose=True lines only with -v.
    Results (the data, the report) go to stdout and are never hidden; warnings and errors neither."""
    import sys
    if getattr(args, "quiet", False) or (verbose and not getattr(args, "verbose", False)):
        return
    print(message, file=sys.stderr)


def no_progress(args) -> bool:
    """--no-progress or -q: no progress bar (parallel.py reads PERFBOOK_NO_PROGRESS)."""
    import os
    off = bool(getattr(args, "no_progress", False) or getattr(args, "quiet", False))
    if off:
        os.environ["PERFBOOK_NO_PROGRESS"] = "1"
    return off
