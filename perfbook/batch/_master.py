"""A CSV master read as it streams: bulk hands each workbook to a worker with where its rows are in the file,
and the worker reads them itself, so a 50,000-project master is never held as 50,000 Projects, and the main
process, which only names the workbooks and hands them out, never parses the master twice.

One pass over the file with the csv module (index; in a forked child while bulk compiles the template). It
keeps keys only: per project, where its rows lie (byte spans), its 主管部门, the fields the file-name pattern
uses, and a fingerprint (hashes) of its fields, so that it can check what loading the master whole checks.
Whatever it cannot vouch for -- an error, two rows of a project that disagree, a text near Excel's cell
limit, a name pattern that could fail on a later workbook, a line ended by a lone CR -- makes bulk load the
master whole instead, which raises the same error as ever, before any workbook is written. units() then
gives each workbook's projects in plan order, as their headers and spans; read() (in the worker) reads a
workbook's rows by their spans and groups them as load_records does. A file changed since the pass (its
size or time, or a row that is not the project's) is refused. xlsx, YAML and JSON masters are loaded whole
(bulk.load_master).
"""
from __future__ import annotations

import csv
import io
import os
from array import array
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from .. import _fields as F
from ..errors import DataError
from ..model import MAX_CELL_TEXT, Indicator, Project, coerce
from ..write import _inputs as I
from ._early import is_csv

NO_DEPARTMENT = "未填主管部门"
ALWAYS = frozenset({"主管部门", "序号", "项目数"})     # set by bulk._context for every workbook
KEYED = ("项目名称", "项目编码", "主管部门")             # a project's header has these always (units)


@dataclass
class Index:
    """What the first pass learnt: enough to plan, name and hand out the workbooks, and for the workers to
    read their rows."""

    path: Path
    per_project: bool
    blank: bool                        # project rows only (a master for blank forms)
    roles: list = field(default_factory=list)
    found: dict = field(default_factory=dict)
    labels: set = field(default_factory=set)
    heads: Heads = field(default_factory=lambda: Heads())    # every project's header, in master order
    named: tuple = ()                  # the project fields the file-name pattern uses, beyond the key
    units: dict = field(default_factory=dict)               # department -> (workbook index, projects)
    projects: int = 0
    reserve: int = 0                   # bytes enough for every workbook's manifest row (bulk.Manifest)
    enc: str = "utf-8-sig"             # the file's encoding (telling it reads the whole file: once a run)
    cols: list = field(default_factory=list)                # the header, as csv_table names its columns
    stamp: tuple = ()                  # (size, mtime_ns) before the pass: read() refuses a file changed since

    @property
    def workbooks(self) -> int:
        return self.projects if self.per_project else len(self.units)

    def source(self) -> Source:
        """What a worker needs to read its rows (read)."""
        fi, proj, ind = _positions(self.cols, self.roles)
        return Source(str(self.path), os.path.abspath(self.path), self.enc, self.stamp, len(self.cols), self.blank,
                      tuple(self.cols), fi, tuple(proj), tuple(proj.values()), tuple(ind), tuple(ind.values()))


@dataclass
class Heads:
    """Each project's key, 主管部门 (as typed, and as its workbook's), the fields the name pattern uses (as
    typed) and its spans: (start, end, first record) triples, its rows' bytes in the file. Held compactly (a
    str per name and code, arrays for the rest): at 50,000 projects the main process holds it, and so, in
    the pages they share with it, do the workers it forks (counted in each one's memory)."""

    names: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    files: list = field(default_factory=list)
    named: list = field(default_factory=list)        # empty when the pattern uses no such field
    dept: array = field(default_factory=lambda: array("q"))     # index into depts
    depts: list = field(default_factory=list)        # (as typed, the workbook's): each distinct one once
    known: dict = field(default_factory=dict)        # (as typed, the workbook's) -> its index in depts
    spans: array = field(default_factory=lambda: array("q"))    # every project's triples, one after another
    at: array = field(default_factory=lambda: array("q", [0]))  # where each project's triples start in spans

    def add(self, key: tuple, dept_raw, dept: str, named: tuple, spans: array) -> None:
        file, name, code = key
        self.files.append(file)
        self.names.append(name)
        self.codes.append(code)
        if named:
            self.named.append(named)
        i = self.known.setdefault((dept_raw, dept), len(self.depts))
        if i == len(self.depts):
            self.depts.append((dept_raw, dept))
        self.dept.append(i)
        self.spans.extend(spans)
        self.at.append(len(self.spans))

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> tuple:
        """(key, 主管部门 as typed, the workbook's 主管部门, named fields, spans as bytes)."""
        dept_raw, dept = self.depts[self.dept[i]]
        return ((self.files[i], self.names[i], self.codes[i]), dept_raw, dept,
                self.named[i] if self.named else (), self.spans[self.at[i]:self.at[i + 1]].tobytes())

    def __iter__(self) -> Iterator[tuple]:
        return (self[i] for i in range(len(self)))


@dataclass(frozen=True)
class Source:
    """The master as a worker reads it: where, in which encoding, as it was when indexed, and where each
    field is in a row (the positions _inputs._split_row takes them from)."""

    path: str                          # as the user named it (messages)
    file: str                          # absolute (a worker's working folder need not be this one's)
    enc: str
    stamp: tuple
    width: int
    blank: bool
    cols: tuple                        # blank forms: a row is a dict of these
    fi: int | None                     # the 文件 column (part of a project's key)
    plabels: tuple
    ppos: tuple
    ilabels: tuple
    ipos: tuple


def is_csv_master(source) -> bool:
    return isinstance(source, (str, Path)) and is_csv(Path(source)) and Path(source).is_file()


def index(path: Path, *, per_project: bool, names: set[str] | frozenset[str] = frozenset()) -> Index | None:
    """The first pass, or None when the master should be loaded whole (see the module docstring).
    names: the fields the file-name pattern uses. The pass decodes every line, so it tells the encoding
    itself: UTF-8 first; a line that is not (a Chinese Excel's CSV is GB18030) sends it to csv_encoding,
    which reads the whole file to tell, and the pass is made again."""
    try:
        return _index(path, "utf-8-sig", per_project, names)
    except UnicodeDecodeError:
        pass
    try:
        return _index(path, I.csv_encoding(path), per_project, names)
    except UnicodeDecodeError:                    # it decoded whole when its encoding was told
        raise _changed(path) from None


def _index(path: Path, enc: str, per_project: bool, names) -> Index | None:
    st = os.stat(path)
    cols, rows = I.csv_table(path, enc)
    rows.close()                                   # the header is all this pass takes from csv_table
    ix = Index(path, per_project, not any(I._indicator_only(str(c)) for c in cols), enc=enc, cols=cols,
               stamp=(st.st_size, st.st_mtime_ns))
    ok = _index_blank(ix, cols, names) if ix.blank else _index_rows(ix, cols, names)
    return ix if ok and ix.projects else None


def _index_rows(ix: Index, header: list, names) -> bool:
    """Keys of an indicator master (one row per indicator), checked as load_records checks them; the rows
    are read as plain lists (the worker builds what load_records builds: read)."""
    cols = [c for c in header if str(c) not in I.PROVENANCE[1:]]
    found = {c: (F.project_field(str(c)) or F.indicator_field(str(c))) for c in cols}
    labels = {spec.label for spec in found.values() if spec}
    I._require_columns(cols, found, labels, {}, ix.path)      # before any row, as loading whole does
    roles = I._roles(cols, found)
    if I.duplicated(roles):
        return False                   # a field two columns give: loading whole takes the filled one per row
    ix.roles, ix.found, ix.labels = roles, found, labels
    plabels = list(dict.fromkeys(label for _c, role, label in roles if role == "project"))
    ix.named = tuple(lab for lab in plabels if lab in names and lab not in KEYED)
    where = _columns(header, roles, plabels, ix.named)
    seen = _scan(ix.path, ix.enc, len(header), where, len(plabels)) if where is not None else None
    if seen is None:
        return False
    groups: dict[str, list] = {}
    dept_spec = F.project_field("主管部门")
    for key, (fp, dept_raw, _h, spans, named) in seen.items():
        dept = str(coerce(dept_spec, dept_raw, "主管部门") or NO_DEPARTMENT) if dept_raw is not None else NO_DEPARTMENT
        ix.heads.add(key, dept_raw, dept, tuple(named), spans)
        _add_unit(ix, groups, dept, key[1], fp.tobytes())
    ix.projects = len(seen)
    return _names_agree(ix, groups, names, plabels)


def _columns(header: list, roles: list, plabels: list, named: tuple) -> tuple | None:
    """Where each thing the first pass reads is in a row: the column that gives a label is its last one
    (as in _split_row). (名称, 编码, 文件, 主管部门, indicator columns, (fingerprint slot, column), named
    columns)."""
    at = {c: i for i, c in enumerate(header)}
    last_col = {(role, label): at[c] for c, role, label in roles}
    ni = last_col.get(("project", "项目名称"))
    if ni is None:
        return None
    icols = sorted({last_col[(r, lab)] for _c, r, lab in roles if r == "indicator"})
    pcols = [(j, last_col[("project", lab)]) for j, lab in enumerate(plabels) if lab not in ("项目名称", "项目编码")]
    return (ni, last_col.get(("project", "项目编码")), last_col.get(("file", "文件")),
            last_col.get(("project", "主管部门")), icols, pcols, [last_col[("project", lab)] for lab in named])


def _scan(path: Path, enc: str, width: int, where: tuple, slots: int) -> dict | None:
    """key -> [fingerprint, 主管部门 as typed, last merged hash, spans, named fields as typed] over the rows;
    None when loading whole must decide (a record the csv module refuses, one longer than the header, a text
    that may be over Excel's cell limit: the csv module stops at a cell longer than MAX_CELL_TEXT // 2
    itself)."""
    ni, ci, fi, di, icols, pcols, ncols = where
    seen: dict[tuple, list] = {}
    inds = _getter(icols)
    pvals = _getter([c for _j, c in pcols])
    try:
        at = [0, 0]
        with closing(_rows_at(path, enc, width, MAX_CELL_TEXT // 2, at)) as rows:
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
                    seen[key] = e = [array("q", bytes(8 * slots)), None, None, array("q"), [""] * len(ncols)]
                spans = e[3]
                if spans and spans[-2] == at[0]:   # the row after the project's last: one span longer
                    spans[-2] = at[1]
                else:
                    spans.extend((at[0], at[1], idx))
                # a row whose project fields hash as the last merged row's needs no merging again: the hash,
                # not the cells, is kept (keys only, so memory stays flat), and the fingerprint is hashes too
                if (h := hash(vals := pvals(row))) != e[2] and any(vals):
                    if not _merge(e[0], row, pcols):
                        return None                # the rows disagree: loading whole says where
                    e[2] = h
                    for j, col in enumerate(ncols):
                        if row[col]:
                            e[4][j] = row[col]     # they agree, so any filled one is the project's
                if di is not None and row[di]:
                    e[1] = row[di]
    except I.BadRecord:
        return None
    return seen


def _getter(positions: Sequence[int]):
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


def _body_encoding(enc: str) -> str:
    """The encoding of a line after the first (a BOM only ever starts the file)."""
    return "utf-8" if enc == "utf-8-sig" else enc


def _rows_at(path: Path, enc: str, width: int, limit: int, at: list[int]) -> Generator[list | None, None, None]:
    """The records after the header as csv_records reads them, each padded to the header's width (None for
    one longer than it); at is [start, end], the bytes in the file of the record last given. The file is
    split at b"\\n" and decoded a line at a time, which is exact in UTF-8 and GB18030 (no byte of a
    multi-byte character is a line feed); a lone CR, which text mode takes for a line's end, is then inside
    a line, where the csv module refuses it (BadRecord: the master is loaded whole). A line not in enc
    raises UnicodeDecodeError (index tells the encoding then)."""
    pos = 0
    body = _body_encoding(enc)

    def lines(fh):
        nonlocal pos
        first = fh.readline()
        pos = len(first)
        yield first.decode(enc)
        for raw in fh:
            pos += len(raw)
            yield raw.decode(body)
    old = csv.field_size_limit(limit)
    try:
        with open(path, "rb") as fh:
            records = I._Records(csv.reader(lines(fh)), path, limit)
            if records.first() is None:
                return
            at[1] = pos
            for row in records:
                at[0], at[1] = at[1], pos
                if row:
                    if len(row) > width:
                        yield None
                        return
                    if len(row) < width:
                        row += [""] * (width - len(row))
                    yield row
    finally:
        csv.field_size_limit(old)


def _index_blank(ix: Index, cols: list, names) -> bool:
    """A master of project rows: each row is one project, checked as bulk.load_master checks it."""
    path = ix.path
    if not any(F.project_field(str(c)) is F.project_field("项目名称") for c in cols):
        return False
    ix.named = tuple(spec.label for spec in F.project_fields() if spec.label in names and spec.label not in KEYED)
    groups: dict[str, list] = {}
    at = [0, 0]
    for i, row in enumerate(_rows_at(path, ix.enc, len(cols), I.FIELD_LIMIT, at)):
        if row is None:
            return False                              # loading whole names the row longer than the header
        d = _blank_dict(dict(zip(cols, row)))
        if not d:
            continue
        p = Project.from_dict(d)
        if not p.name:
            raise DataError(f"第{i + 2}行缺少“项目名称”", f"row {i + 2} has no 项目名称", path, f"第{i + 2}行")
        fields = p.to_dict()
        dept = str(p.department or NO_DEPARTMENT)
        ix.heads.add((None, p.name, p.code), p.department, dept, tuple(fields.get(lab) for lab in ix.named),
                     array("q", (at[0], at[1], i)))
        fp = tuple(sorted((k, repr(v)) for k, v in fields.items()))
        _add_unit(ix, groups, dept, p.name, hash(fp).to_bytes(8, "little", signed=True))
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


# --- handing out and reading back -----------------------------------------------------------------

# a project as units() hands it on: its header (the fields the key and the name pattern use, as a
# Project) and what read() needs to read the rest: (key, spans)
Part = tuple[Project, tuple]


class Counter:
    """Projects held in memory at once (handed out, not yet finished by a worker): BulkResult.peak_projects."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    def add(self, n: int) -> None:
        self.now += n
        self.peak = max(self.peak, self.now)


def units(ix: Index, held: Counter) -> Iterator[tuple[str, list[Part]]]:
    """(主管部门, projects) of every workbook, in plan order (bulk.plan's: per department in order of first
    appearance, a department's projects and every project in master order)."""
    if not ix.blank:
        I._warn_columns(ix.found, ix.labels, ix.path)
    if ix.per_project:
        for h in ix.heads:
            held.add(1)
            yield h[2], [_part(ix, h)]
        return
    groups: dict[str, list] = {}
    for h in ix.heads:
        groups.setdefault(h[2], []).append(h)
    for dept, hs in groups.items():
        held.add(len(hs))
        yield dept, [_part(ix, h) for h in hs]


def _head(ix: Index, h: tuple) -> Project:
    (_file, name, code), dept_raw, _dept, named, _spans = h
    d = {"项目名称": name, "项目编码": code, "主管部门": dept_raw, **dict(zip(ix.named, named))}
    return Project.from_dict({k: v for k, v in d.items() if v is not None and v != ""})


def _part(ix: Index, h: tuple) -> Part:
    return _head(ix, h), (h[0], h[4])


def read(src: Source, wanted: Sequence[tuple]) -> list[Project]:
    """The projects whose (key, spans) are wanted, read from the master by their spans and made whole, as
    loading it whole makes them (in a worker). A file changed since the first pass is refused."""
    try:
        with open(src.file, "rb") as fh:
            st = os.fstat(fh.fileno())
            if (st.st_size, st.st_mtime_ns) != src.stamp:
                raise _changed(src.path)
            return [_project(src, fh, key, spans) for key, spans in wanted]
    except (UnicodeDecodeError, csv.Error):
        raise _changed(src.path) from None
    except FileNotFoundError:
        raise _changed(src.path) from None


def _records(src: Source, fh, spans: bytes) -> Iterator[tuple[int, list]]:
    """(row number, cells padded to the header) of each record in spans."""
    a = array("q")
    a.frombytes(spans)
    body = _body_encoding(src.enc)
    for i in range(0, len(a), 3):
        fh.seek(a[i])
        text = fh.read(a[i + 1] - a[i]).decode(body)
        n = a[i + 2] + 2
        for cells in csv.reader(io.StringIO(text, newline="")):   # as csv_records opens the file
            if not cells:
                continue
            if len(cells) > src.width:
                raise _changed(src.path)
            if len(cells) < src.width:
                cells += [""] * (src.width - len(cells))
            yield n, cells
            n += 1


def _project(src: Source, fh, key: tuple, spans: bytes) -> Project:
    if src.blank:
        got = [Project.from_dict(_blank_dict(dict(zip(src.cols, cells)))) for _n, cells in _records(src, fh, spans)]
        if len(got) != 1 or got[0].name != key[1]:
            raise _changed(src.path)
        return got[0]
    pget, iget = _getter(src.ppos), _getter(src.ipos)
    ni = src.ppos[src.plabels.index("项目名称")]
    ci = src.ppos[src.plabels.index("项目编码")] if "项目编码" in src.plabels else None
    entry: dict = {"fields": {}, "first": None}
    rows, seen = [], None
    for n, cells in _records(src, fh, spans):
        if ((cells[src.fi] or None) if src.fi is not None else None, cells[ni] or None,
                (cells[ci] or None) if ci is not None else None) != key:
            raise _changed(src.path)               # not the project's row: the file is not what was indexed
        if entry["first"] is None:
            entry["first"] = n
        pvals = pget(cells)
        if pvals != seen and any(pvals):           # a row that repeats the fields merged already adds nothing
            _take_fields(entry, zip(src.plabels, pvals), str(key[1]), n, Path(src.path))
            seen = pvals
        ivals = iget(cells)
        if any(ivals):
            rows.append(Indicator.from_dict({label: v for label, v in zip(src.ilabels, ivals) if v}, row=n))
    if entry["first"] is None:
        raise _changed(src.path)
    p = Project.from_dict(entry["fields"])
    return p.with_indicators(rows) if rows else p


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


def _changed(path) -> DataError:
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
