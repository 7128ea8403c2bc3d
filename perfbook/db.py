"""collect --db: the summary's rows into a database through SQLAlchemy (SQLite, PostgreSQL, …).

Tables and columns carry the same Chinese names as the summary workbook's sheets and headers, so
one vocabulary serves the workbook and SQL (quote them: SELECT "项目名称" FROM "汇总_项目"). Every
collect run is one 批次 (a row in 汇总_批次); its rows carry the 批次 number, so rounds of collection
sit side by side. The whole run is one transaction: a run that fails leaves nothing half-written.
Field values are stored as text, exactly as read (a 项目编码 keeps its leading zeros); counts and row
numbers as integers.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from .errors import PerfbookError

RUNS = "汇总_批次"
PREFIX = "汇总_"
BATCH = 500


def _engine(url: str):
    import sqlalchemy as sa
    try:
        return sa.create_engine(url, future=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise PerfbookError(f"数据库地址无法识别：{url}（{exc}）", f"cannot use the database URL {url!r}: {exc}") from None
    except ImportError as exc:
        raise PerfbookError(f"缺少数据库驱动（{exc.name}）；PostgreSQL 请安装：pip install 'perfbook[postgres]'",
                            f"database driver missing ({exc.name}); for PostgreSQL: pip install 'perfbook[postgres]'") from None


def url_for(target: str) -> str:
    """A plain file path means SQLite: `--db 汇总.db` is `sqlite:///汇总.db`."""
    return target if "://" in target else f"sqlite:///{target}"


class Database:
    """A writer for one collect run. Use as a context manager; rows are inserted in batches."""

    def __init__(self, url: str, sheets: dict[str, Sequence[str]], integer_columns: set[str], source: str):
        self.url = url_for(url)
        self.sheets = sheets
        self.integer_columns = integer_columns
        self.source = source
        self.buffers: dict[str, list[dict]] = {name: [] for name in sheets}
        self.counts: dict[str, int] = {name: 0 for name in sheets}

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> "Database":
        import sqlalchemy as sa
        self.engine = _engine(self.url)
        try:
            self.conn = self.engine.connect()
            self.tx = self.conn.begin()
            self.tables = self._tables()
            res = self.conn.execute(self.runs.insert().values(started=_now(), source=self.source))
            self.run_id = res.inserted_primary_key[0]
        except sa.exc.SQLAlchemyError as exc:
            self._close(ok=False)
            raise PerfbookError(f"无法写入数据库：{_short(exc)}", f"cannot write to the database: {_short(exc)}") from None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        import sqlalchemy as sa
        ok = exc_type is None
        try:
            if ok:
                self.flush()
                self.conn.execute(self.runs.update().where(self.runs.c.batch == self.run_id).values(
                    ended=_now(), **{f"n{i}": n for i, n in enumerate(self.counts.values())}))
        except sa.exc.SQLAlchemyError as e:
            self._close(ok=False)
            raise PerfbookError(f"无法写入数据库：{_short(e)}", f"cannot write to the database: {_short(e)}") from None
        self._close(ok)

    def _close(self, ok: bool) -> None:
        try:
            if getattr(self, "tx", None) is not None:
                (self.tx.commit if ok else self.tx.rollback)()
        finally:
            if getattr(self, "conn", None) is not None:
                self.conn.close()
            self.engine.dispose()

    # -- schema --------------------------------------------------------------------------------
    def _tables(self) -> dict:
        import sqlalchemy as sa
        md = sa.MetaData()
        self.runs = sa.Table(
            RUNS, md,
            sa.Column("批次", sa.Integer, primary_key=True, autoincrement=True, key="batch"),
            sa.Column("开始时间", sa.Text, key="started"), sa.Column("结束时间", sa.Text, key="ended"),
            sa.Column("目录", sa.Text, key="source"),
            *(sa.Column(f"{name}数", sa.Integer, key=f"n{i}") for i, name in enumerate(self.sheets)))
        tables = {}
        for name, columns in self.sheets.items():
            cols = [sa.Column("批次", sa.Integer, key="batch", index=True)]
            for i, label in enumerate(columns):
                typ = sa.Integer if label in self.integer_columns else sa.Text
                cols.append(sa.Column(label, typ, key=f"c{i}"))   # ASCII keys: bind names every driver accepts
            tables[name] = sa.Table(PREFIX + name, md, *cols)
        md.create_all(self.conn, checkfirst=True)
        self._add_missing_columns(md)
        return tables

    def _add_missing_columns(self, md) -> None:
        """A table made by an earlier run with another template: add the columns it lacks."""
        import sqlalchemy as sa
        insp = sa.inspect(self.conn)
        prep = self.conn.dialect.identifier_preparer
        for table in md.tables.values():
            have = {c["name"] for c in insp.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have:
                    typ = col.type.compile(dialect=self.conn.dialect)
                    self.conn.execute(sa.text(
                        f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {prep.quote(col.name)} {typ}"))

    # -- rows ----------------------------------------------------------------------------------
    def add(self, sheet: str, row: Sequence) -> None:
        ints = self.integer_columns
        cols = self.sheets[sheet]
        rec = {"batch": self.run_id}
        for i, (label, v) in enumerate(zip(cols, row)):
            rec[f"c{i}"] = v if v is None or label in ints else _text(v)
        buf = self.buffers[sheet]
        buf.append(rec)
        self.counts[sheet] += 1
        if len(buf) >= BATCH:
            self._flush(sheet)

    def flush(self) -> None:
        for sheet in self.buffers:
            self._flush(sheet)

    def _flush(self, sheet: str) -> None:
        buf = self.buffers[sheet]
        if buf:
            self.conn.execute(self.tables[sheet].insert(), buf)
            buf.clear()


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _short(exc) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
