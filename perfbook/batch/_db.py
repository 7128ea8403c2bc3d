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
from typing import Any

from ..errors import PerfbookError, database_error

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

    def __init__(self, url: str, sheets: dict[str, Sequence[str]], integer_columns: set[str], source: str,
                 replace: bool = False):
        self.url = url_for(url)
        self.replace = replace
        self.sheets = sheets
        self.integer_columns = integer_columns
        self.source = source
        self.buffers: dict[str, list[dict]] = {name: [] for name in sheets}
        self.counts: dict[str, int] = {name: 0 for name in sheets}
        self.conn: Any = None             # sqlalchemy's Connection and Transaction, once __enter__ opened them
        self.tx: Any = None

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> "Database":
        import sqlalchemy as sa
        self.engine = _engine(self.url)
        self.tx = self.conn = None
        try:
            self.conn = self.engine.connect()
            self.tx = self.conn.begin()
            self.tables = self._tables()
            if self.replace:
                self._delete(self.conn.execute(sa.select(self.runs.c.batch).where(
                    self.runs.c.source == self.source)).scalars().all())
            res = self.conn.execute(self.runs.insert().values(started=_now(), source=self.source))
            self.run_id = res.inserted_primary_key[0]
        except sa.exc.SQLAlchemyError as exc:
            self._close(ok=False)
            raise database_error(exc, self.url) from None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.prepare()
            self.commit()
        else:
            self.rollback()

    def prepare(self) -> None:
        """Every buffered row sent and the batch row completed, inside the still open transaction."""
        def finish() -> None:
            self.flush()
            self.conn.execute(self.runs.update().where(self.runs.c.batch == self.run_id).values(
                ended=_now(), **{f"n{i}": n for i, n in enumerate(self.counts.values())}))
        self._guard(finish)

    def commit(self) -> None:
        self._guard(lambda: self._close(ok=True))

    def rollback(self) -> None:
        try:
            self._close(ok=False)
        except Exception:    # noqa: BLE001 - the connection is gone already: nothing was committed
            pass

    def undo(self) -> None:
        """Remove this (committed) batch again: the summary that should have gone with it failed."""
        import sqlalchemy as sa
        self.engine = _engine(self.url)
        try:
            with self.engine.begin() as conn:
                self.conn = conn
                self._delete([self.run_id])
        except sa.exc.SQLAlchemyError as exc:
            raise database_error(exc, self.url) from None
        finally:
            self.engine.dispose()

    def _delete(self, batches) -> None:
        if not batches:
            return
        for table in self.tables.values():
            self.conn.execute(table.delete().where(table.c.batch.in_(batches)))
        self.conn.execute(self.runs.delete().where(self.runs.c.batch.in_(batches)))

    def _guard(self, step) -> None:
        import sqlalchemy as sa
        try:
            step()
        except sa.exc.SQLAlchemyError as exc:
            self.rollback()
            raise database_error(exc, self.url) from None

    def _close(self, ok: bool) -> None:
        tx, conn = getattr(self, "tx", None), getattr(self, "conn", None)
        self.tx = self.conn = None
        try:
            if tx is not None:
                (tx.commit if ok else tx.rollback)()
        finally:
            if conn is not None:
                conn.close()
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
                typ: Any = sa.Integer if label in self.integer_columns else sa.Text
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
            self._guard(lambda: self._flush(sheet))

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
