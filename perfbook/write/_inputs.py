"""Structured input: YAML / JSON project files and flat tables (CSV or xlsx, one row per indicator).

Keys and column headers are the official labels (aliases accepted), so an official's own spreadsheet
works without renaming columns.
"""
from __future__ import annotations

import codecs
import csv
import json
import warnings
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from .. import _fields as F
from .._suggest import closest
from ..errors import DataError, PerfbookWarning
from ..model import Indicator, Project, is_missing
from ..readers.formats import ensure_safe

DATA_SUFFIXES = (".yaml", ".yml", ".json", ".csv")   # data files, not workbooks: fill, check and the cycle take them
REQUIRED_COLUMNS = ("项目名称", "一级指标", "二级指标", "三级指标")
PROJECT_SHEET = "项目"


def load(source) -> list[Project]:
    """Projects from a path (by extension), a pandas DataFrame, a dict, a list of dicts, or Projects.

    A list of flat per-indicator records (each dict one indicator row with its project's fields, as
    ``DataFrame.to_dict("records")`` gives) is grouped into projects like a table's rows. NaN, None
    and pandas' NA are empty cells wherever they appear."""
    if isinstance(source, Project):
        return [source]
    if is_dataframe(source):
        return load_dataframe(source)
    if isinstance(source, dict):
        return [_project(source, "数据")]
    if isinstance(source, (list, tuple)):
        if _flat_records(source):
            return load_records(source, row_label="条", first=1)
        return [p if isinstance(p, Project) else _project(p, f"第{i + 1}个项目") for i, p in enumerate(source)]
    if not isinstance(source, (str, Path)):
        raise DataError(f"无法识别的数据类型 {type(source).__name__}（可用文件路径、DataFrame、字典或字典列表）",
                        f"unsupported data of type {type(source).__name__} (use a path, a DataFrame, a dict "
                        "or a list of dicts)")
    path = Path(source)
    if path.is_dir():
        raise DataError("这是一个文件夹，不是数据文件（批量生成请用 perfbook bulk，汇总请用 perfbook collect）",
                        "this is a folder, not a data file (use perfbook bulk or perfbook collect for folders)",
                        path)
    if not path.exists():
        raise DataError("找不到数据文件", "data file not found", path)
    ext = path.suffix.lower()
    if ext in (".yaml", ".yml", ".json"):
        return load_document(path)
    if ext in (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"):
        return load_table(path)
    shown = ext or "（无扩展名）"
    raise DataError(f"不支持的数据文件类型“{shown}”（可用 .yaml .json .csv .xlsx）",
                    f"unsupported data file type '{ext or '(no extension)'}' (use .yaml .json .csv .xlsx)", path)


def is_dataframe(obj) -> bool:
    """A pandas DataFrame, recognised without importing pandas for callers that never use it."""
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns") and hasattr(obj, "to_dict")


def _flat_records(items) -> bool:
    """A list of dicts that are indicator rows (一级/三级指标 … beside the project's fields), not projects."""
    key = F.indicators_key()
    dicts = [d for d in items if isinstance(d, dict)]
    if not dicts or len(dicts) != len(items) or any(key in d for d in dicts):
        return False
    return any(_indicator_only(str(k)) for d in dicts for k in d)


def _indicator_only(label: str) -> bool:
    return F.indicator_field(label) is not None and F.project_field(label) is None


def _project(d, where) -> Project:
    if not isinstance(d, dict):
        raise DataError(f"{where}应为键值对象（项目名称: …）", f"{where}: a project must be a mapping", None)
    return Project.from_dict(d)


def load_document(path: Path) -> list[Project]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("文件不是 UTF-8 编码（请另存为 UTF-8）", "the file is not UTF-8 (save it as UTF-8)", path) from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:    # JSONDecodeError, and a number of more digits than int() reads
        raise DataError(f"文件格式有误：{exc}", f"cannot parse the file: {exc}", path) from None
    except RecursionError:
        raise DataError("文件格式有误：嵌套层数过多", "cannot parse the file: nested too deeply", path) from None
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

def csv_encoding(path: Path) -> str:
    """utf-8-sig, else gb18030 (what a Chinese Excel saves), checked over the whole file in chunks."""
    for enc in ("utf-8-sig", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise DataError("无法识别文件编码（请另存为 UTF-8 或 GBK 编码的 CSV）", "cannot decode the CSV (use UTF-8 or GBK)", path)


FIELD_LIMIT = csv.field_size_limit()    # the csv module's own: a longer cell is an error naming its line


class BadRecord(DataError):
    """A CSV record the csv module cannot read: a cell over the limit, or a quote left open at the end."""


class _Records:
    """A csv reader whose error names the file and the line, instead of escaping as an internal error."""

    def __init__(self, reader, path: Path, limit: int):
        self.reader, self.path, self.limit = reader, path, limit

    @property
    def line_num(self) -> int:
        return self.reader.line_num

    def __iter__(self) -> Iterator[list[str]]:
        try:
            yield from self.reader
        except csv.Error as exc:
            raise self.bad(exc) from None

    def first(self) -> list[str] | None:
        try:
            return next(self.reader, None)
        except csv.Error as exc:
            raise self.bad(exc) from None

    def bad(self, exc: csv.Error) -> BadRecord:
        n = self.reader.line_num
        if "field limit" in str(exc):
            return BadRecord(f"第{n}行有单元格超过 {self.limit} 个字符，无法读取（Excel 单元格最多 32767 个字符）",
                             f"line {n} has a cell of more than {self.limit} characters (an Excel cell holds "
                             f"32767)", self.path, f"第{n}行")
        return BadRecord(f"第{n}行无法按 CSV 读取（{exc}）", f"line {n} is not valid CSV ({exc})", self.path, f"第{n}行")


@contextmanager
def csv_records(path: Path, enc: str, limit: int = FIELD_LIMIT) -> Iterator[tuple[list[str] | None, Any]]:
    """(header, the records after it): a CSV opened the one way every reader here opens it, in its
    encoding, with newline="" (a quoted cell's line breaks are kept). A record the csv module refuses, or
    with a cell longer than limit characters, raises BadRecord naming its line. The limit is the csv
    module's, which is process-wide: it holds while the records are read."""
    old = csv.field_size_limit(limit)
    try:
        with open(path, encoding=enc, newline="") as fh:
            records = _Records(csv.reader(fh), path, limit)
            yield records.first(), records
    finally:
        csv.field_size_limit(old)


def _no_rows() -> Generator[dict, None, None]:
    yield from ()


def csv_table(path: Path, enc: str | None = None) -> tuple[list[str], Generator[dict, None, None]]:
    """A CSV's header and its rows as dicts of text, streamed with the csv module (no pandas): every
    cell stays the text it is ("" for empty), blank lines are skipped, a repeated header gets .1, .2
    (as pandas names them), and a row with more cells than the header is an error naming it. enc: the
    file's encoding when it is known already (csv_encoding reads the whole file to tell)."""
    enc = enc or csv_encoding(path)
    with csv_records(path, enc) as (header, _reader):
        pass
    if header is None:
        return [], _no_rows()                     # a generator, as below: its callers may close it
    seen: dict[str, int] = {}
    cols = []
    for h in header:
        k = seen.get(h, 0)
        seen[h] = k + 1
        cols.append(h if k == 0 else f"{h}.{k}")
    width = len(cols)

    def rows():
        with csv_records(path, enc) as (_header, reader):
            for row in reader:
                if not row:
                    continue
                if len(row) > width:
                    raise DataError(f"第{reader.line_num}行有 {len(row)} 个单元格，多于表头的 {width} 列",
                                    f"line {reader.line_num} has {len(row)} cells, more than the {width} "
                                    f"header columns", path, f"第{reader.line_num}行")
                yield dict(zip(cols, row))
    return cols, rows()


def _read_frames(path: Path) -> list:
    import pandas as pd
    ensure_safe(path)
    sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="calamine", header=0)
    return [sheets[name].assign(__sheet__=name) for name in sheets]


# columns read_frame adds to say where a row came from: provenance, never data
PROVENANCE = ("文件", "工作表", "行")


def _clean(v):
    if v.__class__ is str:             # a CSV cell: text, or "" for empty
        return v or None
    if is_missing(v):
        return None
    if isinstance(v, str) and v == "":
        return None
    return v


def load_dataframe(df) -> list[Project]:
    """Projects from a DataFrame: one row per indicator (grouped by 项目名称/项目编码, and by 文件 when
    the frame came from read_frame), or one row per project when it has no indicator columns."""
    if any(n is not None and (F.project_field(str(n)) or F.indicator_field(str(n))) for n in df.index.names):
        df = df.reset_index()
    records = df.to_dict("records")
    if not any(_indicator_only(str(c)) for c in df.columns):
        out = []
        for i, rec in enumerate(records, start=1):
            d = {str(k): v for k, v in rec.items() if str(k) not in PROVENANCE and _clean(v) is not None}
            if d:
                out.append(Project.from_dict(d))
        if not out:
            raise DataError("DataFrame 中没有任何项目数据", "the DataFrame holds no project rows")
        return out
    return load_records(records, row_label="行", first=1, columns=list(df.columns))


def load_table(path: Path) -> list[Project]:
    if path.suffix.lower() in (".csv", ".txt"):
        cols, records = csv_table(path)
        return load_records(records, path=path, columns=cols)
    frames = _read_frames(path)
    main, projects_sheet = frames[0], None
    for f in frames[1:]:
        if "__sheet__" in f and str(f["__sheet__"].iloc[0] if len(f) else "") == PROJECT_SHEET:
            projects_sheet = f
    cols = [c for c in main.columns if c != "__sheet__"]
    side_rows = {}
    if projects_sheet is not None:
        for _, row in projects_sheet.iterrows():
            d = {str(c): _clean(row[c]) for c in projects_sheet.columns if c != "__sheet__"}
            name = d.get("项目名称")
            if name:
                side_rows[str(name)] = d
    records = main[cols].to_dict("records")
    return load_records(records, path=path, columns=cols, side_rows=side_rows)


def load_records(records, *, path=None, columns=None, side_rows=None, row_label="行", first=2) -> list[Project]:
    """Flat rows (one indicator each, with its project's fields) grouped into projects.

    Rows with the same 项目名称 and 项目编码 (and 文件, when present) are one project; a project field
    that differs between its rows is an error naming both rows. ``first`` is the number of the first
    row in messages (2 for a sheet under its header row)."""
    side_rows = side_rows or {}
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in records for k in r))
    cols = [c for c in cols if str(c) not in PROVENANCE[1:]]
    found = {c: (F.project_field(str(c)) or F.indicator_field(str(c))) for c in cols}
    labels = {spec.label for spec in found.values() if spec}
    _require_columns(cols, found, labels, side_rows, path)
    _warn_columns(found, labels, path)      # called from here: its stacklevel names the caller of load_*
    roles = _roles(cols, found)
    dup = duplicated(roles)
    order: dict[tuple, dict] = {}
    for idx, rec in enumerate(records):
        n = idx + first
        where = f"第{n}{row_label}"
        source, proj, ind = _split_row(rec, roles, dup, where, path)
        name = proj.get("项目名称")
        if name is None and not any(v is not None for v in ind.values()):
            continue
        if name is None:
            raise DataError(f"{where}缺少“项目名称”", f"{row_label} {n} has no 项目名称", path, where)
        key = (source, str(name), proj.get("项目编码"))
        entry = order.setdefault(key, {"fields": {}, "rows": [], "first": n})
        _add_fields(entry, proj, name, n, where, row_label, path)
        if any(v is not None for v in ind.values()):
            entry["rows"].append(Indicator.from_dict({k: v for k, v in ind.items() if v is not None}, row=n))
    return _projects(order, side_rows, path)


def _require_columns(cols: list, found: dict, labels: set, side_rows: dict, path) -> None:
    """Stop before reading any row when a required column is missing (the 项目 sheet may hold project ones),
    naming the columns found and the closest labels for those that name no field."""
    side = {s.label for d in side_rows.values() for c in d if (s := F.project_field(str(c)))}
    missing = [lab for lab in REQUIRED_COLUMNS if lab not in labels and lab not in side]
    shown = [str(c) for c in cols if str(c) not in PROVENANCE]
    if missing or "项目名称" not in labels:
        missing = missing or ["项目名称"]
        hint = _suggestions([str(c) for c, spec in found.items() if spec is None])
        raise DataError(
            f"表格缺少必需的列：{'、'.join(missing)}；找到的列：{'、'.join(shown) or '（无）'}{hint[0]}",
            f"the table lacks required column(s): {', '.join(missing)}; found: {', '.join(shown) or '(none)'}{hint[1]}",
            path)


def _roles(cols: list, found: dict) -> list[tuple]:
    """(column, role, label) of each column, decided once (not per cell): provenance ("file"), a project
    field, or an indicator field / extra column under its own header."""
    roles = []
    for c in cols:
        spec = found[c]
        if str(c) == "文件":
            roles.append((c, "file", "文件"))
            continue
        is_proj = spec is not None and F.project_field(str(c)) is spec and F.indicator_field(str(c)) is None
        roles.append((c, "project" if is_proj else "indicator", spec.label if spec is not None else str(c)))
    return roles


def duplicated(roles: list[tuple]) -> frozenset[str]:
    """The fields two or more columns give (指标值 and its alias 年度指标值, say): _split_row takes the one
    that is filled, and refuses a row where they disagree."""
    seen: set[tuple[str, str]] = set()
    dup = set()
    for _c, role, label in roles:
        if (role, label) in seen:
            dup.add(label)
        seen.add((role, label))
    return frozenset(dup)


def _split_row(rec: dict, roles: list[tuple], dup: frozenset[str] = frozenset(), where: str = "", path=None) -> tuple:
    """(文件, project fields, indicator fields) of one flat row, every cell cleaned. A field two columns
    give (dup) takes the filled one, in the place of the first: the empty one never hides it."""
    proj: dict[str, Any] = {}
    ind: dict[str, Any] = {}
    source = None
    for c, role, label in roles:
        v = _clean(rec.get(c))
        if role == "file":
            source = v
            continue
        d = proj if role == "project" else ind
        if label in dup and label in d:
            prev = d[label]
            if v is None:
                continue
            if prev is not None and str(prev) != str(v):
                first = next(str(c0) for c0, r0, lab0 in roles if lab0 == label and r0 == role and _clean(rec.get(c0)) is not None)
                raise DataError(f"{where}的“{first}”列和“{c}”列都是“{label}”，但填写不同（“{prev}”和“{v}”），请只保留正确的一个",
                                f"columns '{first}' and '{c}' both give '{label}' but differ ({prev!r} vs {v!r})",
                                path, where or None)
        d[label] = v
    return source, proj, ind


def _add_fields(entry: dict, proj: dict, name, n: int, where: str, row_label: str, path) -> None:
    """One more row's project fields into its project: a field that differs from an earlier row's is an
    error naming both rows (which of the two is right is the official's call, not ours)."""
    for label, v in proj.items():
        if v is None:
            continue
        prev = entry["fields"].get(label)
        if prev is not None and str(prev) != str(v):
            raise DataError(
                f"项目“{name}”的“{label}”前后不一致（第{entry['first']}{row_label}起为“{prev}”，{where}为“{v}”）",
                f"project '{name}': '{label}' differs between rows ({prev!r} vs {v!r} on row {n})",
                path, where)
        entry["fields"][label] = v


def _projects(order: dict, side_rows: dict, path) -> list[Project]:
    """The grouped rows as Projects; a project's row on the 项目 sheet gives the fields its rows leave out."""
    out = []
    for (_source, name, _code), entry in order.items():
        fields = dict(side_rows.get(name, {}))
        fields.update({k: v for k, v in entry["fields"].items() if v is not None})
        p = Project.from_dict({k: v for k, v in fields.items() if v is not None})
        out.append(p.with_indicators(entry["rows"]))
    if not out:
        raise DataError("表格中没有任何项目数据", "the table holds no project rows", path)
    return out


def known_labels() -> list[str]:
    """Every label and alias a data column may use."""
    return [n for spec in (*F.project_fields(), *F.indicator_fields()) for n in (spec.label, *spec.aliases)]


def _suggestions(unknown: list[str]) -> tuple[str, str]:
    """"Did you mean" for column headers that name no field: the closest official labels (difflib)."""
    pairs = []
    labels = known_labels()
    for col in unknown:
        target = closest(col, labels, key=F.label_key)
        if target:
            spec = F.project_field(target) or F.indicator_field(target)
            if (spec.label if spec else target) != col:     # a field with no place is its own closest label
                pairs.append((col, spec.label if spec else target))
    if not pairs:
        return "", ""
    return ("；" + "；".join(f"“{c}”是否应为“{t}”？" for c, t in pairs),
            "; " + "; ".join(f"did you mean '{t}' for '{c}'?" for c, t in pairs))


def _warn_columns(found: dict, labels: set, path) -> None:
    """Warn (without stopping) about headers that look like misspelled labels, and a missing 指标值 column."""
    where = f"（{path}）" if path else ""
    zh, en = _suggestions([str(c) for c, spec in found.items() if spec is None and str(c) not in PROVENANCE])
    if zh:
        warnings.warn(PerfbookWarning(f"未识别的列{where}{zh}\nunrecognised column(s){en}"), stacklevel=4)
    if "指标值" not in labels:
        warnings.warn(PerfbookWarning(f"表格没有“指标值”列{where}，所有指标的指标值为空\n"
                                      "the table has no 指标值 column: every indicator's value is empty"),
                      stacklevel=4)
