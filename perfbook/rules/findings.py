"""What a check finds: one Finding per problem, with rule id, severity, Chinese message and cell.

Shared by the Python validator, the workbook formulas, the VBA module, collect's 问题 sheet and
the annotated copy, so every consumer speaks about a problem the same way.
"""
from __future__ import annotations

__all__ = ["Finding", "Report", "ERROR", "WARNING", "INFO", "SEVERITIES"]

from dataclasses import dataclass, field, replace

ERROR, WARNING, INFO = "错误", "警告", "提示"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Finding:
    rule: str                 # stable id from rules.yaml, e.g. "value-numeric"
    severity: str             # 错误 | 警告 | 提示
    message: str              # Chinese, for the official
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None   # "E12" (no sheet part)
    fix: str | None = None    # suggested correction, when there is one
    project: str | None = None
    cells: tuple[str, ...] = ()   # a folded finding (one for many cells): every cell, the first is `cell`

    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.cell or ""

    def to_dict(self) -> dict:
        d: dict = {"规则": self.rule, "级别": self.severity, "说明": self.message, "文件": self.file,
             "工作表": self.sheet, "单元格": self.cell, "建议": self.fix, "项目": self.project}
        if self.cells:
            d["全部单元格"] = list(self.cells)
        return d


RANK = {ERROR: 0, WARNING: 1, INFO: 2}


def _row(cell: str | None) -> int:
    digits = "".join(ch for ch in cell or "" if ch.isdigit())
    return int(digits) if digits else 0


def presented(findings, folds: dict[str, str] | None = None) -> tuple[Finding, ...]:
    """The findings as a report shows them: a folding rule's findings (folds: rule id → the folded
    message, with {count} and {cells}) made one per project and sheet, listing the cells; then ordered
    by severity, then sheet (in the order the sheets came), then row, else as found. The rules stay
    one finding per cell: this is the report layer (the 校验 button's results sheet does the same)."""
    folds = folds or {}
    out: list[Finding] = []
    first: dict[tuple, int] = {}
    for f in findings:
        if f.rule in folds and f.cell:
            key = (f.rule, f.file, f.project, f.sheet)
            if key in first:
                out[first[key]] = _fold(out[first[key]], f, folds[f.rule])
                continue
            first[key] = len(out)
        out.append(f)
    sheets: dict = {}
    for f in out:
        sheets.setdefault(f.sheet, len(sheets))
    order = sorted(range(len(out)), key=lambda i: (RANK.get(out[i].severity, 3), sheets[out[i].sheet], _row(out[i].cell), i))
    return tuple(out[i] for i in order)


def _fold(first: Finding, more: Finding, message: str) -> Finding:
    cells = tuple(c or "" for c in (first.cells or (first.cell,)) + (more.cell,))
    return replace(first, message=message.format(count=len(cells), cells="、".join(cells)), cells=cells)


@dataclass(frozen=True)
class Report:
    """What check() says about one workbook or data set.

    ``ok`` is True when there is no finding of severity 错误; ``errors`` and ``warnings`` split the
    findings; each Finding carries rule id, severity, Chinese message, sheet, cell and fix. ``frame`` is
    the indicator frame used and ``frame_source`` how it was chosen; ``notes`` are the reader's notes."""

    file: str | None
    findings: tuple[Finding, ...] = ()
    frame: str | None = None
    projects: int = 0
    notes: tuple = field(default=(), compare=False)   # reader notes (unmapped cells, macros present)
    frame_source: str | None = field(default=None, compare=False)   # how the frame was chosen (指定, 工作簿记录, …)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __repr__(self) -> str:
        return (f"Report({self.file!r}, frame={self.frame!r}, {self.projects} projects, "
                f"{len(self.errors)} errors, {len(self.warnings)} warnings)")
