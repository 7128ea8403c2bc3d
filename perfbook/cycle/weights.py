"""分值 pre-set for a self-evaluation: the scheme's points per 一级 (or 二级) split over its indicators.

The points of a 一级 the project has no indicator for go to the scheme's fallback 一级 (domain.md §4.2:
"if a project sets no 满意度, its 10 points are usually moved to 效益 or 产出"), so the table sums to 100.
Whole points where there are enough to go round, else hundredths; the first rows take the remainder.
"""
from __future__ import annotations

from decimal import Decimal

from ..rules._frames import norm_name

__all__ = ["split", "allocate"]


def split(total, n: int) -> list:
    if n <= 0:
        return []
    unit = Decimal(1) if Decimal(str(total)) >= n else Decimal("0.01")
    units = int(Decimal(str(total)) / unit)
    base, extra = divmod(units, n)
    out = [(base + (1 if i < extra else 0)) * unit for i in range(n)]
    return [int(v) if v == v.to_integral_value() else float(v) for v in out]


def allocate(inds: list[dict], scheme) -> list:
    """One 分值 per indicator, in order."""
    groups: dict[tuple, list[int]] = {}
    points: dict[tuple, float] = {}
    names = {norm_name(k): k for k in scheme.weights if k != "预算执行率"}
    for i, ind in enumerate(inds):
        l1 = names.get(norm_name(ind.get("一级指标")))
        spec = scheme.weights.get(l1) if l1 else None
        if isinstance(spec, dict):
            l2 = {norm_name(k): k for k in spec}.get(norm_name(ind.get("二级指标")))
            key = (l1, l2)
            points[key] = spec.get(l2, 0) if l2 else 0
        else:
            key = (l1, None)
            points[key] = spec or 0
        groups.setdefault(key, []).append(i)
    # points with no indicator to hold them: to the first fallback 一级 present, else the largest group
    spare = 0
    for l1, spec in scheme.weights.items():
        if l1 == "预算执行率":
            continue
        subs = spec if isinstance(spec, dict) else {None: spec}
        for l2, pts in subs.items():
            if (l1, l2) not in groups:
                spare += pts
    target = next((k for f in scheme.fallback for k in groups if k[0] == f), None) if spare else None
    if spare and target is None and groups:
        target = max(groups, key=lambda k: len(groups[k]))
    if target is not None:
        points[target] += spare
    out: list = [0] * len(inds)
    for key, idx in groups.items():
        for i, w in zip(idx, split(points[key], len(idx))):
            out[i] = w
    return out
