"""Outputs: projects as JSON, YAML or a flat CSV table (the same labels the input uses), and the one
safe way every command writes a file.

Writing a file: a temp file beside the target, renamed over it when complete (a crash never leaves half
a workbook under its real name); created with the usual mode 0666 & ~umask (or the mode of the file it
replaces), so colleagues on a shared server can open it. The target is looked at first:

- a symlink is followed: the file it points to is replaced (atomically), the link stays a link;
- a character device (/dev/null, a terminal) or a FIFO is written straight through, like ``>`` does;
- anything else that is not a regular file (a folder, a block device, a socket) is refused with a message.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import yaml

from . import _fields as F
from ._csvtext import row as csv_row
from .errors import PerfbookError
from .model import Project

# data formats and the extensions that name them
DATA_FORMATS = {"json": (".json",), "yaml": (".yaml", ".yml"), "csv": (".csv",)}
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xltx", ".xltm")


def _plain(v):
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return v


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain) + "\n"


def to_yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def flat_columns(projects: list[Project]) -> tuple[list[str], list[str]]:
    """Project columns, then indicator columns: every official label in its fixed order (so the columns
    are the same for every file, empty or not), then extra labels in the order first met."""
    order_p = [s.label for s in F.project_fields()]
    order_i = [s.label for s in F.indicator_fields()]
    pcols: dict[str, None] = dict.fromkeys(order_p)
    icols: dict[str, None] = dict.fromkeys(order_i)
    for p in projects:
        for k in p.to_dict():
            if k != F.indicators_key():
                pcols.setdefault(k)
        for ind in p.indicators:
            for k in ind.to_dict():
                icols.setdefault(k)
    return list(pcols), list(icols)


def flat_rows(projects: list[Project]):
    pcols, icols = flat_columns(projects)
    for p in projects:
        d = p.to_dict()
        base = [d.get(k) for k in pcols]
        if not p.indicators:
            yield base + [None] * len(icols)
        for ind in p.indicators:
            di = ind.to_dict()
            yield base + [di.get(k) for k in icols]


def to_csv(projects: list[Project]) -> str:
    pcols, icols = flat_columns(projects)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_row(pcols + icols))
    for row in flat_rows(projects):
        w.writerow(csv_row(_plain(v) for v in row))     # "=…" stays text in Excel (CSV injection)
    return buf.getvalue()


def dump(projects: list[Project], fmt: str) -> str:
    data = [p.to_dict() for p in projects]
    one = data[0] if len(data) == 1 else data
    if fmt == "json":
        return to_json(one)
    if fmt == "yaml":
        return to_yaml(one)
    if fmt == "csv":
        return to_csv(projects)
    raise ValueError(fmt)


# --- where an output goes ---------------------------------------------------------------------

def is_folder_target(path: str | Path) -> bool:
    """``-o DIR/`` (a trailing slash) or an existing folder: the output is a file inside it."""
    text = str(path)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def output_path(path: str | Path, name: str, allowed: tuple[str, ...], what: str = "输出") -> Path:
    """The file to write for ``-o path``: inside the folder when path is one (named ``name``), else path
    itself, whose extension must be one of allowed (case-insensitive)."""
    if is_folder_target(path):
        return Path(path) / name
    p = Path(path)
    if p.suffix.lower() not in allowed:
        shown = p.suffix or "（无扩展名）"
        raise PerfbookError(
            f"{what}文件的扩展名“{shown}”与写出的格式不符（应为 {' '.join(allowed)}）",
            f"the output's extension '{p.suffix or '(none)'}' does not match the format written "
            f"(use {' '.join(allowed)})", p)
    return p


def data_format(path: str | Path | None, fmt: str | None) -> str:
    """The data format for ``read``: as asked, else from the output's extension, else JSON. An asked
    format that contradicts the extension is refused rather than written under the wrong name."""
    ext = Path(path).suffix.lower() if path is not None and not is_folder_target(path) else ""
    by_ext = next((f for f, exts in DATA_FORMATS.items() if ext in exts), None)
    if path is not None and ext and by_ext is None and not is_folder_target(path):
        raise PerfbookError(
            f"无法从扩展名“{ext}”判断输出格式（可用 .json .yaml .csv）",
            f"cannot tell the output format from the extension '{ext}' (use .json .yaml .csv)", path)
    if fmt and by_ext and fmt != by_ext:
        raise PerfbookError(
            f"--format {fmt} 与输出文件的扩展名“{ext}”不符",
            f"--format {fmt} does not match the output's extension '{ext}'", path)
    return fmt or by_ext or "json"


# --- writing safely ---------------------------------------------------------------------------

def real_target(path: str | Path) -> tuple[Path, os.stat_result | None]:
    """The file an output really goes to (symlinks followed) and its status, None when it does not exist."""
    target, st = _target(os.fspath(path))
    return Path(target), st


def _target(path: str) -> tuple[str, os.stat_result | None]:
    """real_target as a string, in one lstat when path is no symlink (bulk asks once per workbook)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path, None
    if not stat.S_ISLNK(st.st_mode):
        return path, st
    path = os.path.realpath(path)
    try:
        return path, os.stat(path)
    except FileNotFoundError:
        return path, None


def _refuse_special(st: os.stat_result, path) -> None:
    kind = "文件夹" if stat.S_ISDIR(st.st_mode) else "特殊文件"
    raise PerfbookError(f"无法写入：输出位置是一个{kind}，不是普通文件",
                        "cannot write: the output is not a regular file (a folder, block device or socket)",
                        path)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _temp_beside(target: str, st: os.stat_result | None, path, suffix: str) -> tuple[int, str]:
    """A new temp file in target's folder (made when missing), open for writing: (fd, its path).

    Named as tempfile.mkstemp names it (.~NAME.xxxxxxxx.tmp, 8 random characters, created exclusively,
    never through a symlink), but opened once for writing. Its mode: the replaced file's, or 0666 given
    to the kernel, which takes the umask off as it is at that moment (the process may change it; nothing
    is cached) -- the mode ``>`` gives a new file (in a folder with a default ACL the ACL applies instead
    of the umask, as for every program's new files).
    """
    folder, name = os.path.split(target)
    prefix = os.path.join(folder, ".~" + name[:40] + ".")
    mode = (st.st_mode & 0o7777) if st is not None else 0o666
    made = False
    for _ in range(100):
        tmp = prefix + "".join(_NAME_CHARS[b % 37] for b in os.urandom(8)) + suffix
        try:
            fd = os.open(tmp, _CREATE, mode)
        except FileExistsError:
            continue
        except FileNotFoundError as exc:
            if made or not folder:
                raise _named(exc, path) from None
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc2:
                raise _named(exc2, path) from None
            made = True
            continue
        except OSError as exc:
            raise _named(exc, path) from None
        if st is not None:
            try:
                _chmod(fd, tmp, mode)           # the kernel took the umask off: the replaced file's mode exactly
            except BaseException as exc:
                os.close(fd)
                _give_up(tmp, exc, path)
        return fd, tmp
    raise _named(FileExistsError(17, "no free temp file name"), path)


def _chmod(fd: int, tmp: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:                                       # Windows before Python 3.13
        os.chmod(tmp, mode)


def _unlink(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _give_up(tmp: str, exc: BaseException, path) -> NoReturn:
    """The temp file removed, and what failed raised again: an environment error naming the user's file."""
    _unlink(tmp)
    failed = _failed(exc, path)
    if failed is exc:
        raise exc
    raise failed from None


def _failed(exc: BaseException, path) -> BaseException:
    """What a failed write raises: an environment error names the user's file, anything else as it was."""
    if isinstance(exc, OSError) and exc.filename != str(path):
        return _named(exc, path)
    return exc


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp"):
    """A temp file to write into; it becomes path when the block succeeds and is removed when it fails.
    See the module docstring for symlinks, devices and FIFOs."""
    target, st = _target(os.fspath(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            with _through(Path(target), suffix) as tmp:
                yield tmp
            return
        _refuse_special(st, path)
    fd, tmp = _temp_beside(target, st, path, suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        _give_up(tmp, exc, path)


def _named(exc: OSError, path) -> OSError:
    """The same error, naming the file the user asked for (a failed write() names none; the temp name means nothing)."""
    return type(exc)(exc.errno, exc.strerror, str(path)) if exc.errno else OSError(exc.errno, str(exc), str(path))


@contextmanager
def _through(target: Path, suffix: str):
    """Write a device or FIFO as ``>`` would: the whole content, once it is complete."""
    fd, tmp = tempfile.mkstemp(prefix="perfbook-", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write a whole file or nothing: atomic_path's guarantees, with the data written straight through
    the temp file's descriptor (no second open, no umask lookup: bulk writes thousands of files)."""
    target, st = _target(os.fspath(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        with atomic_path(path) as tmp:            # a device or FIFO written through, anything else refused
            tmp.write_bytes(data)
        return Path(path)
    fd, tmp = _temp_beside(target, st, path, ".tmp")
    try:
        try:
            view, done = memoryview(data), 0
            while done < len(view):
                done += os.write(fd, view[done:])
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException as exc:
        _give_up(tmp, exc, path)
    return path if isinstance(path, Path) else Path(path)
