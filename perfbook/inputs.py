"""Structured input: YAML / JSON project files and flat tables (CSV or xlsx, one row per indicator).

Keys and column headers are the official labels (aliases accepted), so an official's own spreadsheet
works without renaming columns.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from . import fields as F
from .errors import DataError
from .model import Indicator, Project

REQUIRED_COLUMNS = ("项目名称", "一级指标", "二级指标", "三级指标")
PROJECT_SHEET = "项目"


def load(source) -> list[Project]:
    """Projects from a path (by extension), a dict, a list of dicts, or Project objects."""
    if isinstance(source, Project):
        return [source]
    if isinstance(source, dict):
        return [_project(source, "数据")]
    if isinstance(source, (list, tuple)):
        return [p if isinstance(p, Project) else _project(p, f"第{i + 1}个项目") for i, p in enumerate(source)]
    path = Path(source)
    if not path.exists():
        raise DataError("找不到数据文件", "data file not found", path)
    ext = path.suffix.lower()
    if ext in (".yaml", ".yml", ".json"):
        return load_document(path)
    if ext in (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"):
        return load_table(path)
    raise DataError(f"不支持的数据文件类型“{ext}”（可用 .yaml .json .csv .xlsx）",
                    f"unsupported data file type '{ext}' (use .yaml .json .csv .xlsx)", path)


def _project(d, where) -> Project:
    if not isinstance(d, dict):
        raise DataError(f"{where}应为键值对象（项目名称: …）", f"{where}: a project must be a mapping", None)
    return Project.from_dict(d)


def load_document(path: Path) -> list[Project]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"文件格式有误：{exc}", f"cannot parse the file: {exc}", path) from None
    if isinstance(doc, dict) and "项目" in doc and isinstance(doc["项目"], list):
        doc = doc["项目"]
    items = doc if isinstance(doc, list) else [doc]
    out = []
    for i, d in enumerate(items):
        if not isinstance(d, dict):
            raise DataError(f"第{i + 1}个项目应为键值对象", f"item {i + 1} must be a mapping of labels to values", path)
        try:
            out.append(Project.from_dict(d))
        except DataError as exc:
            raise DataError(exc.zh, exc.en, path) from None
    return out


# --- flat tables ---------------------------------------------------------------------------

def _read_frames(path: Path) -> list:
    import pandas as pd
    if path.suffix.lower() in (".csv", ".txt"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return [pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)]
            except UnicodeDecodeError:
                continue
        raise DataError("无法识别文件编码（请另存为 UTF-8 或 GBK 编码的 CSV）", "cannot decode the CSV (use UTF-8 or GBK)", path)
    from .sniff import ensure_safe
    ensure_safe(path)
    sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="calamine", header=0)
    return [sheets[name].assign(__sheet__=name) for name in sheets]


def _clean(v):
    import math
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, str) and v == "":
        return None
    return v


def load_table(path: Path) -> list[Project]:
    frames = _read_frames(path)
    main, projects_sheet = frames[0], None
    for f in frames[1:]:
        if "__sheet__" in f and str(f["__sheet__"].iloc[0] if len(f) else "") == PROJECT_SHEET:
            projects_sheet = f
    cols = [c for c in main.columns if c != "__sheet__"]
    found = {c: (F.project_field(str(c)) or F.indicator_field(str(c))) for c in cols}
    labels = {spec.label for spec in found.values() if spec}
    side = set()
    if projects_sheet is not None:
        side = {s.label for c in projects_sheet.columns if (s := F.project_field(str(c)))}
    missing = [lab for lab in REQUIRED_COLUMNS if lab not in labels and lab not in side]
    if missing or "项目名称" not in labels:
        missing = missing or ["项目名称"]
        raise DataError(
            f"表格缺少必需的列：{'、'.join(missing)}；找到的列：{'、'.join(map(str, cols)) or '（无）'}",
            f"the table lacks required column(s): {', '.join(missing)}; found: {', '.join(map(str, cols)) or '(none)'}",
            path)
    side_rows = {}
    if projects_sheet is not None:
        for _, row in projects_sheet.iterrows():
            d = {str(c): _clean(row[c]) for c in projects_sheet.columns if c != "__sheet__"}
            name = d.get("项目名称")
            if name:
                side_rows[str(name)] = d
    order: dict[tuple, dict] = {}
    # each column's role decided once (not per cell): a project field, or an indicator field / extra column
    roles = []
    for c in cols:
        spec = found[c]
        is_proj = spec is not None and F.project_field(str(c)) is spec and F.indicator_field(str(c)) is None
        roles.append((is_proj, spec.label if spec is not None else str(c)))
    for idx, values in enumerate(main[cols].itertuples(index=False, name=None)):
        excel_row = idx + 2
        proj, ind = {}, {}
        for (is_proj, label), raw in zip(roles, values):
            v = _clean(raw)
            if is_proj:
                proj[label] = v
            else:
                ind[label] = v
        name = proj.get("项目名称")
        if name is None and not any(v is not None for v in ind.values()):
            continue
        if name is None:
            raise DataError(f"第{excel_row}行缺少“项目名称”", f"row {excel_row} has no 项目名称", path, f"第{excel_row}行")
        key = (str(name), proj.get("项目编码"))
        entry = order.setdefault(key, {"fields": {}, "rows": [], "first": excel_row})
        for label, v in proj.items():
            if v is None:
                continue
            prev = entry["fields"].get(label)
            if prev is not None and str(prev) != str(v):
                raise DataError(
                    f"项目“{name}”的“{label}”前后不一致（第{entry['first']}行起为“{prev}”，第{excel_row}行为“{v}”）",
                    f"project '{name}': '{label}' differs between rows ({prev!r} vs {v!r} on row {excel_row})",
                    path, f"第{excel_row}行")
            entry["fields"][label] = v
        if any(v is not None for v in ind.values()):
            entry["rows"].append(Indicator.from_dict({k: v for k, v in ind.items() if v is not None}, row=excel_row))
    out = []
    for (name, _code), entry in order.items():
        fields = dict(side_rows.get(name, {}))
        fields.update({k: v for k, v in entry["fields"].items() if v is not None})
        p = Project.from_dict({k: v for k, v in fields.items() if v is not None})
        out.append(p.with_indicators(entry["rows"]))
    if not out:
        raise DataError("表格中没有任何项目数据", "the table holds no project rows", path)
    return out
