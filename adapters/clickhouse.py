"""ClickHouse: a server through clickhouse-connect, or the embedded engine through chdb.

Both run only what passes the SELECT-only guard and :func:`sandbox_problem`: no table function
but the generators the engine itself emits (``numbers``, ``generate_series``, ...), no function
that reads the machine (``file('...')``, ``hostName()``, ...), no ``system`` tables, no
``FORMAT`` or ``SETTINGS`` clause. Then the engine refuses writes itself: every query runs with
``readonly = 1``, which ClickHouse enforces for writes, DDL, setting changes (``readonly``
included) and every table function, ``file``/``url``/``s3`` among them. Results come back as
Arrow from ClickHouse's own Arrow output, with integers widened to int64 (``count()`` is
UInt64 there) when they fit, and ``String`` as Arrow strings.

:class:`ClickHouseAdapter` (``type: clickhouse``): ``url`` (``clickhouse://user:pw@host:8123/db``,
``clickhouses://`` for TLS) and/or ``host``, ``port``, ``user``, ``password``, ``database``,
``secure``, ``connect_timeout`` (default 10), ``statement_timeout`` (``max_execution_time``).

:class:`ChdbAdapter` (``type: chdb``): ``database`` (a chdb data folder, default in memory),
``schema`` (the ClickHouse database to use), ``data`` (a folder whose Parquet files become
``File(Parquet)`` tables named after them; read in place, never copied), ``statement_timeout``
(``max_execution_time``, which chdb enforces itself). chdb runs one engine per process, on one
folder: every ChdbAdapter (and ``chdb.query``) of a process shares it.

**Stopping a query.** The server adapter sends ``cancel_http_readonly_queries_on_client_close``
with every query and closes its HTTP connection on Ctrl-C, so the server cancels the query (as
ClickHouse documents that setting; no server runs in this project's tests). chdb offers no way
to stop a running query from Python (``KILL QUERY`` and a stream's ``cancel()`` wait for it, and
chdb ignores SIGINT while it runs), so its queries run on a worker thread (adapters/watch.py):
Ctrl-C returns at once, and the CLI ends the process without waiting for the query; in Python,
the query runs on in its thread, bounded by ``statement_timeout``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from sales_metrics.engine.access import FILE_FUNCTIONS, function_name

from .base import BaseAdapter, resolve_path, url_settings
from .watch import watched

if TYPE_CHECKING:
    import pyarrow

# Table functions the engine's ClickHouse SQL may use: generators that read nothing.
SAFE_TABLE_FUNCTIONS = frozenset({"numbers", "numbersmt", "generateseries", "zeros", "zerosmt",
                                  "values"})
READ_ONLY = {"readonly": 1}
# The server cancels a read-only HTTP query when its client goes away (Ctrl-C closes it).
SERVER = {**READ_ONLY, "cancel_http_readonly_queries_on_client_close": 1}
URL_OPTIONS = {"connect_timeout", "statement_timeout", "secure"}


def sandbox_problem(sql: str) -> str | None:
    """Why ``sql`` (a single SELECT, past the guard) could reach beyond the data, or None."""
    tree = sqlglot.parse_one(sql, read="clickhouse")
    for node in tree.find_all(exp.Func):
        name = _function_name(node)
        if isinstance(node.parent, exp.Table) and name not in SAFE_TABLE_FUNCTIONS:
            return f"table function {_shown(node)}() reads outside the project's tables"
        if function_name(node) in FILE_FUNCTIONS:  # the engine's one list (engine/access.py)
            return f"function {_shown(node)}() reads the machine, not the project's tables"
    if any(table.db.lower() == "system" for table in tree.find_all(exp.Table)):
        return "system tables are not the project's data"
    for select in tree.find_all(exp.Select):
        if select.args.get("settings") or select.args.get("format"):
            return "SETTINGS and FORMAT clauses are not allowed"
    return None


def _function_name(node: exp.Func) -> str:
    return _shown(node).lower().replace("_", "")


def _shown(node: exp.Func) -> str:
    return node.name if isinstance(node, exp.Anonymous) else node.sql_name()


class _ClickHouseBase(BaseAdapter):
    dialect = "clickhouse"

    def guard(self, sql: str) -> None:
        super().guard(sql)
        from .guard import REFUSED

        problem = sandbox_problem(sql)
        if problem:
            raise self.fail(f"{REFUSED} ({problem})", sql)

    def columns(self, relation: str) -> dict[str, str]:
        """Column name -> Arrow type of a table (or a parenthesised query)."""
        table = self.execute(self.relation_sql(relation))
        return {f.name: str(f.type) for f in table.schema}


class ClickHouseAdapter(_ClickHouseBase):
    name = "clickhouse"

    def __init__(self, root: Path = Path("."), url: str | None = None,
                 connect_timeout: float = 10, statement_timeout: float | None = None,
                 **params: Any) -> None:
        import clickhouse_connect

        logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)  # one line, ours
        self._errors = clickhouse_connect.driver.exceptions.ClickHouseError
        options = {**_from_url(url), **params} if url else params
        if "user" in options:
            options["username"] = options.pop("user")
        self.settings = dict(SERVER)
        if statement_timeout:
            self.settings["max_execution_time"] = float(statement_timeout)
        where = f"{options.get('host', 'localhost')}:{options.get('port', 8123)}"
        try:
            self.client = clickhouse_connect.get_client(
                connect_timeout=float(connect_timeout), settings=self.settings,
                autogenerate_session_id=False, **options)
        except self._errors as err:
            raise self.fail(f"cannot connect to {where}: {_message(err)}") from None

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)
        try:
            table = self.client.query_arrow(sql.strip().rstrip(";"), settings=self.settings,
                                            use_strings=True)
        except self._errors as err:
            raise self.fail(_message(err), sql) from None
        except KeyboardInterrupt:
            self.client.close()  # the server sees the client go and cancels the query
            raise
        return widened(table)

    def close(self) -> None:
        self.client.close()


class ChdbAdapter(_ClickHouseBase):
    name = "chdb"

    def __init__(self, root: Path = Path("."), database: str = ":memory:",
                 schema: str | None = None, data: str | None = None, writable: bool = False,
                 statement_timeout: float | None = None, **extra: object) -> None:
        from chdb import session

        self.writable = writable
        self.timeout = float(statement_timeout) if statement_timeout else None
        memory = database in ("", ":memory:")
        self.location = ":memory:" if memory else str(resolve_path(root, database))
        if not memory and not writable and not Path(self.location).is_dir():
            raise self.fail(f"database folder {self.location} does not exist")
        folder = resolve_path(root, data) if data else None
        if folder and not folder.is_dir():
            raise self.fail(f"data folder {folder} does not exist")
        try:
            self.session = session.Session(self.location)
        except RuntimeError as err:
            raise self.fail(f"cannot open {self.location}: {_message(err)}") from None
        try:
            self._setup(schema, folder, writable)
        except RuntimeError as err:
            self.close()
            raise self.fail(f"cannot set up the session: {_message(err)}") from None

    def _setup(self, schema: str | None, data: Path | None, writable: bool) -> None:
        if schema:
            if writable or data:
                self.session.query(f"CREATE DATABASE IF NOT EXISTS {_ident(schema)}")
            self.session.query(f"USE {_ident(schema)}")
        if data:
            self._expose(data)
        self.session.query("SET session_timezone = 'UTC'")
        if self.timeout:  # before readonly, which freezes the settings
            self.session.query(f"SET max_execution_time = {self.timeout:g}")
        if not writable:
            self.session.query("SET readonly = 1")

    def _expose(self, folder: Path) -> None:
        for file in sorted(folder.glob("*.parquet")):
            if file.stem.isidentifier():
                path = str(file).replace("\\", "\\\\").replace("'", "\\'")
                self.session.query(f"CREATE OR REPLACE TABLE {_ident(file.stem)} "
                                   f"ENGINE = File(Parquet, '{path}')")

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)
        text = sql.strip().rstrip(";")
        try:  # on a worker thread so that Ctrl-C returns (chdb cannot be stopped: see above)
            return widened(watched(lambda: self.session.query(text, "ArrowTable"), None))
        except KeyboardInterrupt:
            self.abandoned = True  # closing would wait for the query
            raise
        except RuntimeError as err:  # chdb's ChdbError
            if "TIMEOUT_EXCEEDED" in str(err):
                raise self.timed_out(self.timeout or 0, sql) from None
            raise self.fail(_message(err), sql) from None

    def tables(self, schema: str | None) -> set[str]:
        where = "currentDatabase()" if schema is None else _literal(schema)
        text = self.session.query(f"SELECT name FROM system.tables WHERE database = {where}",
                                  "TabSeparated")
        return set(str(text).split())

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace a MergeTree table from Arrow (``metrics seed``; writable only)."""
        self.require_writable(name)
        target = f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)
        columns = ", ".join(f"{_ident(f.name)} Nullable({_clickhouse_type(f.type)})"
                            for f in table.schema)
        try:
            if schema:
                self.session.query(f"CREATE DATABASE IF NOT EXISTS {_ident(schema)}")
            self.session.query(f"DROP TABLE IF EXISTS {target}")
            self.session.query(f"CREATE TABLE {target} ({columns}) ENGINE = MergeTree "
                               "ORDER BY tuple()")
            with self.session.send_insert(f"INSERT INTO {target}", "ArrowStream") as insert:
                insert.append(_arrow_stream(table))
                insert.finish()
        except RuntimeError as err:
            raise self.fail(f"cannot load {name}: {_message(err)}") from None

    def close(self) -> None:
        if not getattr(self, "abandoned", False):
            self.session.close()


def widened(table: "pyarrow.Table") -> "pyarrow.Table":
    """Integers as int64 where the values fit (ClickHouse counts are UInt64)."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_integer(field.type) and field.type != pa.int64():
            try:
                column = table.column(i).cast(pa.int64())
            except pa.ArrowInvalid:  # a UInt64 beyond int64
                continue
            table = table.set_column(i, pa.field(field.name, pa.int64(), field.nullable),
                                     column)
    return table


def _arrow_stream(table: "pyarrow.Table") -> bytes:
    """The table in Arrow's IPC stream format: what ``FORMAT ArrowStream`` inserts read."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_url(url: str) -> dict[str, Any]:
    settings, path = url_settings(url, URL_OPTIONS)
    if path:
        settings["database"] = path[0]
    if url.lower().startswith("clickhouses:"):
        settings["secure"] = True
    return settings


def _message(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    refused = re.search(r"\[Errno -?\d+\] ([^\"')]+)", text)
    if refused:
        return refused.group(1).strip()
    return " ".join(line.strip() for line in text.splitlines()[:2] if line.strip())


def _ident(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _clickhouse_type(arrow: "pyarrow.DataType") -> str:
    import pyarrow.types as t

    if t.is_decimal(arrow):
        return f"Decimal({arrow.precision}, {arrow.scale})"
    if t.is_timestamp(arrow):
        return f"DateTime64(6, '{arrow.tz or 'UTC'}')"
    checks = [(t.is_boolean, "Bool"), (t.is_int8, "Int8"), (t.is_int16, "Int16"),
              (t.is_int32, "Int32"), (t.is_integer, "Int64"), (t.is_float32, "Float32"),
              (t.is_floating, "Float64"), (t.is_date, "Date32")]
    return next((name for check, name in checks if check(arrow)), "String")
