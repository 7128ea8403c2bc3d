"""What the reader saw of a sheet's layout: which columns the indicator table has (and what the sheet
calls them), where each 一级/二级 label stands, where each header field's value goes, and whether the
sheet has drop-downs. check uses it to point a finding at the cell an official must change on the
layout actually read, and to word its advice in the sheet's own column names."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    sheet: str
    template: bool = False                      # laid out like perfbook's own template
    header: str | None = None                   # the indicator table's header cell ("A11"): the fallback cell
    columns: tuple[tuple[str, str, str], ...] = ()   # (field label, column letter, the sheet's own header text)
    groups: tuple[tuple[int, str | None, str | None], ...] = ()  # (row, 一级 as printed, 二级 as printed), every table row
    fields: tuple[tuple[str, str], ...] = ()    # header field label → the cell its value goes in ("E2")
    lists: bool = False                         # the sheet has drop-down lists (data validation)

    def column(self, label: str) -> str | None:
        return next((c for lab, c, _t in self.columns if lab == label), None)

    def heading(self, label: str) -> str | None:
        """The sheet's own name for a field's column (目标值 for 指标值 on the Shenzhen form)."""
        return next((t or lab for lab, _c, t in self.columns if lab == label), None)

    def field_cell(self, label: str) -> str | None:
        return dict(self.fields).get(label)

    def group_row(self, frame, level1: str, level2: str | None) -> tuple[int, bool] | None:
        """(row, exact) of a frame group on this sheet: the first row whose 一级/二级 labels name it
        (a blank 一级 means "same as above"); else the first row of its 一级 (where a missing 二级 is
        inserted, exact False); None when the sheet has neither."""
        prev = None
        first1 = None
        for r, l1, l2 in self.groups:
            l1 = l1 or prev
            prev = l1
            f1 = frame.find1(l1) if l1 else None
            if f1 is None or f1.name != level1:
                continue
            if not level2:
                return r, True
            if first1 is None:
                first1 = r
            f2 = frame.find2(f1, l2) if l2 else None
            if f2 is not None and f2.name == level2:
                return r, True
        return (first1, False) if first1 is not None else None

    @property
    def combined(self) -> bool:
        """The 指标值 cell holds the comparator and the unit too (no 指标性质 / 度量单位 columns)."""
        return not self.template and self.column("指标性质") is None and self.column("度量单位") is None
