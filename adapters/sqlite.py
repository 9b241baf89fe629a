"""SQLite through the standard library: a database file opened read-only, results as Arrow.

Three locks, under the SELECT-only guard: the file is opened with the URI ``mode=ro`` (SQLite
refuses every write to it), ``PRAGMA query_only = ON``, and an authorizer that lets a
statement be prepared only if all it does is read tables, call functions and recurse in a
CTE; ATTACH (which could open or create another file), PRAGMA, writes and DDL are denied
before they run, even when sent to the connection directly. Extensions stay off (Python's
``sqlite3`` never enables ``load_extension``), so no SQL can reach files beyond this one.

Results: ``sqlite3`` returns Python values and SQLite has no column types for computed
columns, so each column becomes Arrow from its values (built column by column from the
fetched rows): integers -> int64, reals -> float64 (a column mixing both -> float64), text
-> string, blobs -> binary, only NULLs -> null. SQLite has no DATE type either: dates are ISO
text. The one rule for dates: a text column named ``period`` (the engine's time bucket)
whose values all read as ISO dates (``YYYY-MM-DD``) becomes date32; every other date or
timestamp stays the ISO text SQLite holds. ``columns()`` reports a table's declared types
(read with ``PRAGMA table_info`` on a second read-only connection: the authorizer denies
PRAGMA).

Settings: ``database`` (the file; ``sqlite:///relative.db``, ``sqlite:////abs/path.db``) and
``writable`` (seeding only). Seeded tables hold dates as ``YYYY-MM-DD``, timestamps as
``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), booleans as 0/1 and decimals as REAL. A SQLite file is
one schema, so ``schema`` is ignored. ``statement_timeout`` (seconds; the CLI passes
``--timeout`` or ``limits.timeout``): each query runs on a worker thread (adapters/watch.py),
and Ctrl-C or the timeout stops it with ``sqlite3.Connection.interrupt()``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .base import BaseAdapter, resolve_path
from .watch import TimedOut, watched

if TYPE_CHECKING:
    import pyarrow

PERIOD = "period"
# What the authorizer lets a read-only statement do.
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
            sqlite3.SQLITE_RECURSIVE}


def _authorize(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


class SQLiteAdapter(BaseAdapter):
    name = "sqlite"
    dialect = "sqlite"

    def __init__(self, root: Path = Path("."), database: str = "", writable: bool = False,
                 schema: str | None = None, statement_timeout: float | None = None,
                 **extra: object) -> None:
        self.timeout = float(statement_timeout) if statement_timeout else None
        if not database or database == ":memory:":
            raise self.fail("needs 'database': the path of a SQLite file")
        self.writable = writable
        self.path = resolve_path(root, database)
        if not writable and not self.path.is_file():
            raise self.fail(f"database file {self.path} does not exist")
        try:
            self.con = self._open(writable)
        except sqlite3.Error as err:
            raise self.fail(f"cannot open {self.path}: {err}") from None

    def _open(self, writable: bool, authorized: bool = True) -> sqlite3.Connection:
        if writable:
            return sqlite3.connect(self.path, check_same_thread=False)
        # Queries run on a worker thread (adapters/watch.py), one at a time.
        con = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True,
                              check_same_thread=False)
        con.execute("PRAGMA query_only = ON")
        if authorized:
            con.set_authorizer(_authorize)
        return con

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)

        def fetch() -> tuple[list[str], list[tuple]]:
            cursor = self.con.execute(sql.strip().rstrip(";"))
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description or ()], rows

        try:
            names, rows = watched(fetch, self.con.interrupt, self.timeout)
        except TimedOut:
            raise self.timed_out(self.timeout or 0, sql) from None
        except sqlite3.Error as err:
            raise self.fail(_message(err), sql) from None
        return _to_arrow(names, rows)

    def columns(self, relation: str) -> dict[str, str]:
        """Column name -> declared type of a table; a query's columns have no type here."""
        if relation.lstrip().startswith("("):
            return {name: "" for name in self.execute(self.relation_sql(relation)).column_names}
        # PRAGMA is beyond the authorizer: read it on a short-lived read-only connection.
        with closing(self._open(writable=False, authorized=False)) as meta:
            rows = meta.execute("SELECT name, type FROM pragma_table_info(?)",
                                [relation.strip('"')]).fetchall()
        if not rows:
            raise self.fail(f"no such table: {relation}")
        return {name: kind for name, kind in rows}

    def tables(self, schema: str | None) -> set[str]:
        rows = self.con.execute("SELECT name FROM sqlite_master WHERE type IN "
                                "('table', 'view')").fetchall()
        return {row[0] for row in rows}

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace one table from Arrow (``metrics seed``; a writable adapter only)."""
        self.require_writable(name)
        target = _ident(name)
        columns = ", ".join(f"{_ident(f.name)} {_sqlite_type(f.type)}" for f in table.schema)
        marks = ", ".join(["?"] * table.num_columns)
        rows = list(zip(*(_values(column) for column in table.columns)))
        try:
            with self.con:
                self.con.execute(f"DROP TABLE IF EXISTS {target}")
                self.con.execute(f"CREATE TABLE {target} ({columns})")
                self.con.executemany(f"INSERT INTO {target} VALUES ({marks})", rows)
        except sqlite3.Error as err:
            raise self.fail(f"cannot load {name}: {err}") from None

    def close(self) -> None:
        self.con.close()


def _message(err: sqlite3.Error) -> str:
    text = str(err).strip() or type(err).__name__
    if text == "not authorized":
        return "not authorized: the connection only reads"
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _to_arrow(names: list[str], rows: list[tuple]) -> "pyarrow.Table":
    import pyarrow as pa

    columns = list(zip(*rows)) if rows else [()] * len(names)
    arrays = [_column(pa, name, list(values)) for name, values in zip(names, columns)]
    return pa.Table.from_arrays(arrays, names=names)


def _column(pa: Any, name: str, values: list) -> "pyarrow.Array":
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # text and numbers in one column
        array = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if name.lower() == PERIOD and (pa.types.is_string(array.type) or pa.types.is_null(array.type)):
        try:
            return array.cast(pa.date32())
        except pa.ArrowInvalid:  # not ISO dates: keep the text
            return array
    return array


def _values(column: "pyarrow.ChunkedArray") -> list:
    """Python values sqlite3 stores without its deprecated date adapters (see above)."""
    import pyarrow as pa
    import pyarrow.types as t

    if t.is_timestamp(column.type):
        column = column.cast(pa.timestamp(column.type.unit)).cast(pa.string())
    elif t.is_date(column.type):
        column = column.cast(pa.string())
    elif t.is_decimal(column.type):
        column = column.cast(pa.float64())
    return column.to_pylist()


def _sqlite_type(arrow: "pyarrow.DataType") -> str:
    import pyarrow.types as t

    checks = [(t.is_boolean, "BOOLEAN"), (t.is_integer, "BIGINT"), (t.is_floating, "DOUBLE"),
              (t.is_decimal, "DOUBLE"), (t.is_date, "DATE"), (t.is_timestamp, "TIMESTAMP"),
              (t.is_binary, "BLOB"), (t.is_large_binary, "BLOB")]
    return next((name for check, name in checks if check(arrow)), "TEXT")
