"""A CSV master read as it streams: bulk hands each workbook's projects on as soon as its last row has gone
by, so a 50,000-project master is never held as 50,000 Projects.

Two passes over the file with the csv module. The first (index) keeps keys only: which row is each
project's last, each workbook's size, and a fingerprint (hashes) of each project's fields, so that it can
check what loading the master whole checks. Whatever it cannot vouch for -- an error, two rows of a project
that disagree, a text near Excel's cell limit, a name pattern that could fail on a later workbook -- makes
bulk load the master whole instead, which raises the same error as ever, before any workbook is written.
The second pass (units) groups the rows as load_records does and, when a project's last row comes, yields
its header fields (a Project) and its indicator rows (plain dicts: the worker makes the Indicators), each
workbook's projects in plan order; a project whose workbook is not next (a master not sorted by 主管部门)
waits pickled in a temp file, not in memory. xlsx, YAML and JSON masters are loaded whole (bulk.load_master).
"""
from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from .. import _fields as F
from ..errors import DataError
from ..model import MAX_CELL_TEXT, Project, coerce
from ..write import _inputs as I
from ._early import is_csv

NO_DEPARTMENT = "未填主管部门"
ALWAYS = frozenset({"主管部门", "序号", "项目数"})     # set by bulk._context for every workbook


@dataclass
class Index:
    """What the first pass learnt: enough to plan the workbooks and stream the second pass."""

    path: Path
    per_project: bool
    blank: bool                        # project rows only (a master for blank forms)
    roles: list = field(default_factory=list)
    found: dict = field(default_factory=dict)
    labels: set = field(default_factory=set)
    last: bytearray = field(default_factory=bytearray)      # record i is its project's last row
    units: dict = field(default_factory=dict)               # department -> (workbook index, projects)
    projects: int = 0
    reserve: int = 0                   # bytes enough for every workbook's manifest row (bulk.Manifest)
    enc: str = "utf-8-sig"             # the file's encoding (telling it reads the whole file: once a run)
    cols: list = field(default_factory=list)                # the header, as csv_table names its columns

    @property
    def workbooks(self) -> int:
        return self.projects if self.per_project else len(self.units)


def is_csv_master(source) -> bool:
    return isinstance(source, (str, Path)) and is_csv(Path(source)) and Path(source).is_file()


def index(path: Path, *, per_project: bool, names: set[str] | frozenset[str] = frozenset()) -> Index | None:
    """The first pass, or None when the master should be loaded whole (see the module docstring).
    names: the fields the file-name pattern uses."""
    enc = I.csv_encoding(path)
    cols, rows = I.csv_table(path, enc)
    if any(I._indicator_only(str(c)) for c in cols):
        rows.close()                               # the header is all this pass takes from csv_table
        ix = Index(path, per_project, False, enc=enc, cols=cols)
        ok = _index_rows(ix, cols, names)
    else:
        ix = Index(path, per_project, True, enc=enc, cols=cols)
        ok = _index_blank(ix, cols, rows, names)
    return ix if ok and ix.projects else None


def _index_rows(ix: Index, header: list, names) -> bool:
    """Keys of an indicator master (one row per indicator), checked as load_records checks them; the rows
    are read as plain lists (the second pass builds what load_records builds)."""
    cols = [c for c in header if str(c) not in I.PROVENANCE[1:]]
    found = {c: (F.project_field(str(c)) or F.indicator_field(str(c))) for c in cols}
    labels = {spec.label for spec in found.values() if spec}
    I._require_columns(cols, found, labels, {}, ix.path)      # before any row, as loading whole does
    roles = I._roles(cols, found)
    if I.duplicated(roles):
        return False                   # a field two columns give: loading whole takes the filled one per row
    ix.roles, ix.found, ix.labels = roles, found, labels
    plabels = list(dict.fromkeys(label for _c, role, label in roles if role == "project"))
    where = _columns(header, roles, plabels)
    seen = _scan(ix.path, ix.enc, len(header), where, len(plabels)) if where is not None else None
    if seen is None:
        return False
    ix.last = bytearray(max((e[0] for e in seen.values()), default=-1) + 1)
    groups: dict[str, list] = {}
    dept_spec = F.project_field("主管部门")
    for (_s, name, _c), (last, fp, dept_raw, _vals) in seen.items():
        ix.last[last] = 1
        dept = str(coerce(dept_spec, dept_raw, "主管部门") or NO_DEPARTMENT) if dept_raw is not None else NO_DEPARTMENT
        _add_unit(ix, groups, dept, name, fp.tobytes())
    ix.projects = len(seen)
    return _names_agree(ix, groups, names, plabels)


def _columns(header: list, roles: list, plabels: list) -> tuple | None:
    """Where each thing the first pass reads is in a row: the column that gives a label is its last one
    (as in _split_row). (名称, 编码, 文件, 主管部门, indicator columns, (fingerprint slot, column))."""
    at = {c: i for i, c in enumerate(header)}
    last_col = {(role, label): at[c] for c, role, label in roles}
    ni = last_col.get(("project", "项目名称"))
    if ni is None:
        return None
    icols = sorted({last_col[(r, lab)] for _c, r, lab in roles if r == "indicator"})
    pcols = [(j, last_col[("project", lab)]) for j, lab in enumerate(plabels) if lab not in ("项目名称", "项目编码")]
    return (ni, last_col.get(("project", "项目编码")), last_col.get(("file", "文件")),
            last_col.get(("project", "主管部门")), icols, pcols)


def _scan(path: Path, enc: str, width: int, where: tuple, slots: int) -> dict | None:
    """key -> [last record, fingerprint, 主管部门 as typed] over the rows; None when loading whole must decide
    (a record the csv module refuses, one longer than the header, a text that may be over Excel's cell
    limit: the csv module stops at a cell longer than MAX_CELL_TEXT // 2 itself)."""
    ni, ci, fi, di, icols, pcols = where
    seen: dict[tuple, list] = {}
    inds = _getter(icols)
    pvals = _getter([c for _j, c in pcols])
    try:
        with closing(_raw_rows(path, enc, width, MAX_CELL_TEXT // 2)) as rows:
            for idx, row in enumerate(rows):
                if row is None:
                    return None                    # a row longer than the header
                name = row[ni]
                if not name:
                    if any(inds(row)):
                        return None                # an error: loading whole names the row
                    continue
                key = ((row[fi] or None) if fi is not None else None, name,
                       (row[ci] or None) if ci is not None else None)
                e = seen.get(key)
                if e is None:
                    seen[key] = e = [idx, array("q", bytes(8 * slots)), None, None]
                e[0] = idx
                # a row whose project fields hash as the last merged row's needs no merging again: the hash,
                # not the cells, is kept (keys only, so memory stays flat), and the fingerprint is hashes too
                if (h := hash(vals := pvals(row))) != e[3] and any(vals):
                    if not _merge(e[1], row, pcols):
                        return None                # the rows disagree: loading whole says where
                    e[3] = h
                if di is not None and row[di]:
                    e[2] = row[di]
    except I.BadRecord:
        return None
    return seen


def _getter(positions: list[int]):
    """row -> the cells at positions, as a tuple (one C call, where a loop would index each)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        i = positions[0]
        return lambda row: (row[i],)
    return lambda _row: ()


def _merge(fp: array, row: list, pcols: list) -> bool:
    """A row's project fields into its project's fingerprint; False when one differs from an earlier row's."""
    for j, col in pcols:
        v = row[col]
        if v:
            h = hash(v) or 1
            if fp[j] != h:
                if fp[j]:
                    return False
                fp[j] = h
    return True


def _raw_rows(path: Path, enc: str, width: int, limit: int = I.FIELD_LIMIT) -> Generator[list | None, None, None]:
    """The records of csv_table as lists padded to the header's width (None for one longer than it)."""
    try:
        with I.csv_records(path, enc, limit) as (_header, reader):
            for row in reader:
                if not row:
                    continue
                if len(row) > width:
                    yield None
                    return
                if len(row) < width:
                    row += [""] * (width - len(row))
                yield row
    except UnicodeDecodeError:                    # it decoded whole when its encoding was told
        raise _changed(path) from None


def _index_blank(ix: Index, cols: list, rows, names) -> bool:
    """A master of project rows: each row is one project, checked as bulk.load_master checks it."""
    path = ix.path
    if not any(F.project_field(str(c)) is F.project_field("项目名称") for c in cols):
        rows.close()
        return False
    groups: dict[str, list] = {}
    for i, row in enumerate(rows, start=2):
        d = _blank_dict(row)
        if not d:
            continue
        p = Project.from_dict(d)
        if not p.name:
            raise DataError(f"第{i}行缺少“项目名称”", f"row {i} has no 项目名称", path, f"第{i}行")
        fp = tuple(sorted((k, repr(v)) for k, v in p.to_dict().items()))
        _add_unit(ix, groups, str(p.department or NO_DEPARTMENT), p.name, hash(fp).to_bytes(8, "little", signed=True))
        ix.projects += 1
    return _names_agree(ix, groups, names, None)


def _blank_dict(row: dict) -> dict:
    return {str(k): v for k, v in row.items() if v is not None and v != "" and str(k) != "__sheet__"}


def _add_unit(ix: Index, groups: dict, dept: str, name: str, fp: bytes) -> None:
    """One project into its workbook's count, its manifest room and (for the name check) its fingerprint."""
    if ix.per_project:
        ix.reserve += _row_room(dept, [name])
        return
    u = ix.units.get(dept)
    ix.units[dept] = (len(ix.units) if u is None else u[0], 1 if u is None else u[1] + 1)
    groups.setdefault(dept, []).append((name, fp))


def _row_room(dept: str, names: list[str]) -> int:
    """Generous bytes for one manifest row (the file name is not known yet: room for a deep one)."""
    text = 2 * len(dept) + sum(len(n) + 1 for n in names)
    return 3 * text + 1024


def _names_agree(ix: Index, groups: dict, names, plabels: list | None) -> bool:
    """True when the name pattern cannot fail on a later workbook: it uses only fields every workbook has
    (bulk._context), and in department mode only fields whose text is the same for all of a workbook's
    projects. Each department's manifest room is counted here too."""
    if set(names) - ALWAYS - {spec.label for spec in F.project_fields()}:
        return False
    for dept, members in groups.items():
        ix.reserve += _row_room(dept, [n for n, _fp in members])
        if names - ALWAYS and len(members) > 1 and not _agree(members, names - ALWAYS, plabels):
            return False
    return True


def _agree(members: list, names: set[str], plabels: list | None) -> bool:
    """Whether the fields names uses hash alike over a department's projects (项目名称 and 项目编码 too)."""
    if plabels is None:                           # blank forms: a fingerprint of the whole project
        return len({fp for _n, fp in members}) == 1
    check = [i for i, lab in enumerate(plabels) if lab in names]
    if "项目名称" in names and len({n for n, _fp in members}) > 1:
        return False
    if "项目编码" in names:
        return False                              # part of the key, not of the fingerprint
    firsts = None
    for _n, fp in members:
        a = array("q")
        a.frombytes(fp)
        vals = [a[i] for i in check]
        if firsts is None:
            firsts = vals
        elif vals != firsts:
            return False
    return True


# --- the second pass -------------------------------------------------------------------------

# a project as the second pass hands it on: its header fields as a Project, and its indicator rows as
# (row number, cells), which the worker makes into Indicators (bulk.Job.complete)
Part = tuple[Project, list]


def projects(ix: Index) -> Iterator[tuple[int, Part]]:
    """(position in master order, Part) of each project as soon as its last row has been read."""
    if ix.blank:
        yield from _blank_projects(ix)
        return
    I._warn_columns(ix.found, ix.labels, ix.path)
    cols = ix.cols                                # the rows are read as lists, by position
    fi, proj, ind = _positions(cols, ix.roles)
    ni, ci = proj.get("项目名称"), proj.get("项目编码")
    plabels, pget = list(proj), _getter(list(proj.values()))
    ilabels, iget = list(ind), _getter(list(ind.values()))
    open_: dict[tuple, dict] = {}
    pos = 0
    last = ix.last
    for idx, cells in enumerate(_raw_rows(ix.path, ix.enc, len(cols))):
        if cells is None:                         # longer than the header: it was not, in the first pass
            raise _changed(ix.path)
        name = cells[ni] or None if ni is not None else None
        ivals = iget(cells)
        has_ind = any(ivals)
        if name is None and not has_ind:
            continue
        n = idx + 2
        if name is None:
            raise DataError(f"第{n}行缺少“项目名称”", f"行 {n} has no 项目名称", ix.path, f"第{n}行")
        key = ((cells[fi] or None) if fi is not None else None, name, (cells[ci] or None) if ci is not None else None)
        entry = open_.get(key)
        if entry is None:
            open_[key] = entry = {"fields": {}, "rows": [], "first": n, "pos": pos, "seen": None}
            pos += 1
        pvals = pget(cells)
        if pvals != entry["seen"] and any(pvals):  # a row that repeats the fields merged already adds nothing
            _take_fields(entry, zip(plabels, pvals), name, n, ix.path)
            entry["seen"] = pvals
        if has_ind:                               # made into an Indicator by the worker (bulk.Job.complete)
            entry["rows"].append((n, {label: v for label, v in zip(ilabels, ivals) if v}))
        if idx < len(last) and last[idx]:
            del open_[key]
            yield entry["pos"], (Project.from_dict(entry["fields"]), entry["rows"])
    if open_:                                     # the file changed between the passes
        raise _changed(ix.path)


def _take_fields(entry: dict, cells, name: str, n: int, path: Path) -> None:
    """_inputs._add_fields on a row's (label, cell) pairs: an empty cell adds nothing."""
    fields = entry["fields"]
    for label, v in cells:
        if v:
            prev = fields.get(label)
            if prev is None:
                fields[label] = v
            elif prev != v:
                I._add_fields(entry, {label: v}, name, n, f"第{n}行", "行", path)   # raises, naming both rows


def _blank_projects(ix: Index) -> Iterator[tuple[int, Part]]:
    pos = 0
    try:
        for row in I.csv_table(ix.path, ix.enc)[1]:
            d = _blank_dict(row)
            if d:
                yield pos, (Project.from_dict(d), [])
                pos += 1
    except UnicodeDecodeError:                    # it decoded whole when its encoding was told
        raise _changed(ix.path) from None


def _changed(path: Path) -> DataError:
    return DataError("主表在读取过程中被修改", "the master table changed while it was read", path)


def _positions(cols: list, roles: list) -> tuple[int | None, dict, dict]:
    """Where _inputs._split_row takes each thing from, as positions in a row: (文件, project label ->
    position, indicator label -> position); a label two columns give comes from the last of them, in the
    place its first one has (as the dicts _split_row fills)."""
    at = {c: i for i, c in enumerate(cols)}
    fi = None
    proj: dict[str, int] = {}
    ind: dict[str, int] = {}
    for c, role, label in roles:
        if role == "file":
            fi = at[c]
        elif role == "project":
            proj[label] = at[c]
        else:
            ind[label] = at[c]
    return fi, proj, ind


class Counter:
    """Projects held in memory at once (built, not yet finished by a worker): BulkResult.peak_projects."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    def add(self, n: int) -> None:
        self.now += n
        self.peak = max(self.peak, self.now)


def units(ix: Index, held: Counter) -> Iterator[tuple[str, list[Part]]]:
    """(主管部门, projects) of every workbook, in plan order (bulk.plan's), each as soon as it is complete."""
    if ix.per_project:
        yield from _per_project(ix, held)
    else:
        yield from _departments(ix, held)


def _per_project(ix: Index, held: Counter) -> Iterator[tuple[str, list[Part]]]:
    waiting: dict[int, Part] = {}
    nxt = 0
    for pos, p in projects(ix):
        held.add(1)
        waiting[pos] = p
        while nxt in waiting:
            q = waiting.pop(nxt)
            nxt += 1
            yield (q[0].department or NO_DEPARTMENT), [q]


def _departments(ix: Index, held: Counter) -> Iterator[tuple[str, list[Part]]]:
    """Workbooks in order of first appearance; a project of a workbook that is not next waits on disk."""
    order = sorted(ix.units.items(), key=lambda kv: kv[1][0])
    names = [d for d, _ in order]
    sizes = [n for _d, (_i, n) in order]
    at = {d: i for i, d in enumerate(names)}
    mem: dict[int, list] = {}                      # workbook -> [(pos, Part)] of the next workbook
    disk: dict[int, list] = {}                     # workbook -> [(pos, offset, length)] in the spill file
    nxt = 0
    with tempfile.TemporaryFile(prefix="perfbook-bulk-") as spill:
        def ready():
            nonlocal nxt
            while nxt < len(names) and len(mem.get(nxt, ())) + len(disk.get(nxt, ())) == sizes[nxt]:
                group = mem.pop(nxt, [])
                for pos, off, length in disk.pop(nxt, []):
                    spill.seek(off)
                    group.append((pos, pickle.loads(spill.read(length))))
                    held.add(1)
                spill.seek(0, 2)
                group.sort(key=lambda x: x[0])
                yield names[nxt], [q for _pos, q in group]
                nxt += 1
        for pos, p in projects(ix):
            u = at.get(str(p[0].department or NO_DEPARTMENT))
            if u is None:
                raise DataError("主表在读取过程中被修改", "the master table changed while it was read", ix.path)
            if u == nxt:
                held.add(1)
                mem.setdefault(u, []).append((pos, p))
            else:
                data = pickle.dumps(p, pickle.HIGHEST_PROTOCOL)
                off = spill.tell()
                spill.write(data)
                disk.setdefault(u, []).append((pos, off, len(data)))
            yield from ready()
        yield from ready()
        if nxt < len(names):
            raise DataError("主表在读取过程中被修改", "the master table changed while it was read", ix.path)
