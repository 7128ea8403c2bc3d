"""Errors that reach a user: always bilingual, always naming the file (and the cell, where there is one)."""
from __future__ import annotations

import errno as _errno
from pathlib import Path
from urllib.parse import unquote

__all__ = ["PerfbookError", "UnreadableWorkbook", "DataError", "TemplateError", "NoTable", "PerfbookWarning",
           "EnvironmentProblem", "EXIT_INTERNAL", "environment_error", "database_error", "exit_code"]


class PerfbookError(Exception):
    """A problem with the user's input or environment, never a bug; the CLI prints it without a traceback."""

    def __init__(self, zh: str, en: str, path: str | Path | None = None, cell: str | None = None):
        self.zh, self.en = zh, en
        self.path = str(path) if path is not None else None
        self.cell = cell
        super().__init__(self.message())

    def __reduce__(self):
        # raised in a worker process (bulk, collect), it must reach the main process whole: the default
        # pickling calls __init__ with the message alone, which fails, and the pool then breaks
        return (type(self), (self.zh, self.en, self.path, self.cell))

    def where(self) -> str:
        parts = [p for p in (self.path, self.cell) if p]
        return "（" + "，".join(parts) + "）" if parts else ""

    def message(self) -> str:
        where = self.where()
        return f"{self.zh}{where}\n{self.en}{' (' + ', '.join(p for p in (self.path, self.cell) if p) + ')' if where else ''}"


class UnreadableWorkbook(PerfbookError):
    """The file is not a workbook perfbook can safely open (hostile, encrypted, corrupt, empty, unknown)."""


class DataError(PerfbookError):
    """Structured input (YAML/JSON/table) is missing a label or has an unusable value."""


class TemplateError(PerfbookError):
    """The template has no place for something, or its placeholders are malformed."""


class NoTable(PerfbookError):
    """The workbook opened fine but holds no 项目绩效目标表: an error, never a pass."""


class PerfbookWarning(UserWarning):
    """Something the user should know that does not stop the job (a field with no place in the template)."""


class EnvironmentProblem(PerfbookError):
    """The machine, not the input: disk full, read-only folder, no permission, database unreachable."""


# Exit codes, the same for every command (README "退出码").
EXIT_OK = 0            # done, nothing wrong
EXIT_FINDINGS = 1      # check found 错误 (or bulk/collect finished with files it could not handle)
EXIT_INPUT = 2         # bad input, unreadable file, no table, environment (disk, permission, database)
EXIT_INTERNAL = 3      # a bug in perfbook: please report it

_ERRNO_TEXT = {
    "ENOSPC": ("磁盘空间不足", "no space left on the device"),
    "EDQUOT": ("磁盘配额已用完", "disk quota exceeded"),
    "EFBIG": ("文件超过系统允许的大小", "file too large for the system"),
    "EROFS": ("文件系统为只读", "read-only file system"),
    "EACCES": ("没有权限", "permission denied"),
    "EPERM": ("操作不被允许", "operation not permitted"),
    "ENOENT": ("找不到文件或文件夹", "no such file or folder"),
    "ENOTDIR": ("路径中有一段不是文件夹", "a part of the path is not a folder"),
    "EISDIR": ("这是文件夹，不是文件", "this is a folder, not a file"),
    "EIO": ("磁盘读写错误", "input/output error"),
    "ENAMETOOLONG": ("文件名过长", "file name too long"),
    "EMFILE": ("打开的文件过多", "too many open files"),
}


def environment_error(exc: OSError, path=None) -> EnvironmentProblem:
    """An OSError as one bilingual line naming the path (never a traceback)."""
    name = _errno.errorcode.get(exc.errno or 0, "")
    zh, en = _ERRNO_TEXT.get(name, (f"系统错误（{exc.strerror or exc}）", f"system error ({exc.strerror or exc})"))
    where = path or exc.filename
    return EnvironmentProblem(f"无法写入或读取文件：{zh}", f"cannot write or read the file: {en}", where)


def database_error(exc: BaseException, url: str) -> EnvironmentProblem:
    """A database failure named by its address (password hidden); never SQL text or data rows."""
    try:
        from sqlalchemy.engine import make_url
        shown = unquote(make_url(url).render_as_string(hide_password=True))
    except Exception:   # noqa: BLE001 - only for display
        shown = url.split("@")[-1]
    orig = getattr(exc, "orig", None) or exc
    kind = type(orig).__name__
    return EnvironmentProblem(f"数据库无法连接或写入失败（{kind}），本批次未写入任何数据",
                              f"the database is unreachable or refused the write ({kind}); nothing of this run was stored",
                              shown)


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, PerfbookError):
        return EXIT_INPUT
    if isinstance(exc, OSError):
        return EXIT_INPUT
    return EXIT_INTERNAL
