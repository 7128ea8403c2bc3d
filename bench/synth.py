"""Synthetic but realistic masters: many projects across departments, built from the two real seeds.

Project texts and indicators are the seeds' own (real wording, real lengths); names, codes and
departments vary. A few departments carry names that are hostile to file systems (a "/", a trailing
dot, a Windows device name) and a few values that must stay text (codes with leading zeros, a text
starting with "="), so every run also exercises the edge cases.
"""
from __future__ import annotations

import random
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [ROOT / "examples" / "seed-000.yaml", ROOT / "examples" / "seed-001.yaml"]

DEPARTMENTS = [
    "昆明市呈贡区融媒体中心", "中国共产党昆明市呈贡区委员会宣传部", "呈贡区教育体育局", "呈贡区卫生健康局",
    "呈贡区农业农村局", "呈贡区住房和城乡建设局", "呈贡区民政局", "呈贡区人力资源和社会保障局",
    "呈贡区文化和旅游局", "呈贡区交通运输局", "呈贡区水务局", "呈贡区应急管理局", "呈贡区市场监督管理局",
    "呈贡区司法局", "呈贡区财政局/预算科", "呈贡区统计局.", "CON", "呈贡区林业和草原局 ",
    "呈贡区退役军人事务局", "呈贡区医疗保障局",
]


def _seeds() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in SEEDS]


def projects(n: int, *, departments: int = 20, indicators: tuple[int, int] = (8, 15), blank: bool = False,
             seed: int = 0) -> list[dict]:
    """n project dicts (official labels as keys) spread over the first `departments` departments."""
    rnd = random.Random(seed)
    seeds = _seeds()
    pool = [ind for s in seeds for ind in s["指标"]]
    depts = (DEPARTMENTS * (departments // len(DEPARTMENTS) + 1))[:departments]
    depts = [d if i < len(DEPARTMENTS) else f"{d}{i // len(DEPARTMENTS) + 1}" for i, d in enumerate(depts)]
    out = []
    for i in range(n):
        base = dict(seeds[i % len(seeds)])
        base.pop("指标", None)
        d = dict(base)
        d["项目名称"] = f"{base['项目名称']}{i + 1:05d}"
        d["项目编码"] = f"0053{i + 1:010d}"             # leading zeros: must stay text end to end
        d["主管部门"] = depts[i % len(depts)]
        d["实施单位"] = d["主管部门"].strip(" ./") + "本级"
        if i % 97 == 5:
            d["项目基本概况"] = "=SUM(A1:A9) 不是公式，是说明文字"
        if not blank:
            k = rnd.randint(*indicators)
            inds = sorted(rnd.sample(pool, min(k, len(pool))), key=lambda x: (x["一级指标"], x["二级指标"]))
            d["指标"] = [dict(x) for x in inds]
        out.append(d)
    return out


def write_master(path, items: list[dict], *, compact: bool = False) -> Path:
    """A flat master table (CSV, UTF-8 with BOM): one row per indicator, or per project when blank.

    compact: project columns only on each project's first row (as an export of merged cells looks);
    the loader takes a project's fields from whichever of its rows has them.
    """
    import csv
    from perfbook.write._inputs import load
    from perfbook._outputs import flat_columns, flat_rows
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    projects = load(items)
    pcols, icols = flat_columns(projects)
    keep = [pcols.index(c) for c in ("项目名称", "项目编码") if c in pcols]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(pcols + icols)
        prev = None
        for row in flat_rows(projects):
            key = tuple(row[j] for j in keep)
            if compact and key == prev:
                row = [v if j in keep or j >= len(pcols) else None for j, v in enumerate(row)]
            prev = key
            w.writerow(["" if v is None else v for v in row])
    return path
