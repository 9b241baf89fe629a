"""MySQL and MariaDB through PyMySQL (pure Python): read-only transactions, typed Arrow results.

The session's default is ``SET SESSION TRANSACTION READ ONLY`` and every query runs inside
``START TRANSACTION READ ONLY ... ROLLBACK``, after the SELECT-only guard: a write that got
past the guard (a stored function that inserts, ``NEXTVAL`` of a sequence), or any statement
sent on the raw connection, is refused by the server (error 1792). The session time zone is
UTC (``+00:00``, which needs no time zone tables), so TIMESTAMP columns read as UTC. On
MariaDB the session allows hash joins (``join_cache_level = 8``): its default joins the
spine to each scan by nested loops over unindexed CTEs, and the catalog at day grain grouped
by a dimension took 10.1 s instead of 1.2 s (MySQL 8 hash-joins by default). MariaDB also
merges derived tables into the query that reads them (``derived_merge``), which put the
per-entity grid of a roster (every day x every rep) into nested loops with the digits of the
spine: activities_per_rep at day grain took 27.2 s, 0.46 s with ``derived_merge=off``.

Results: PyMySQL has no Arrow fetch and, being pure Python, parses every row of the wire
protocol itself. The adapter asks it for the server's text values as they are (no decoders,
so no ``datetime`` or ``Decimal`` object per value), transposes the fetched tuples into
columns (``zip``: the one pass over rows, inside the interpreter's C code) and lets pyarrow
cast each text column to its type at once. Types follow the result's column types:
DATE -> date32, integer types -> int64 (``TINYINT(1)``, MySQL's BOOLEAN, -> bool), DOUBLE and
FLOAT -> float64, DECIMAL -> decimal128(p, s), exact (decimal256 past 38 digits), DATETIME ->
timestamp[us], TIMESTAMP -> timestamp[us, UTC], text -> string, binary -> binary; anything
else (TIME, JSON, ENUM, ...) stays text.

Settings: ``url`` (``mysql://user:pw@host:3306/db``, ``mariadb://...``; query options such as
``?connect_timeout=5`` become settings) and/or ``host``, ``port``, ``user``, ``password``,
``database`` (or ``dbname``/``schema``: a MySQL schema is a database), ``charset`` (utf8mb4),
``connect_timeout`` (seconds, default 10), ``statement_timeout`` (seconds: MariaDB's
``max_statement_time``, MySQL's ``max_execution_time``). Ctrl-C kills the running query on the
server (``KILL QUERY`` from a second connection); the next query opens a new connection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import BaseAdapter, url_settings

if TYPE_CHECKING:
    import pyarrow

# MySQL protocol column type codes -> Arrow type names; codes not listed stay text/binary.
ARROW_TYPES = {1: "int64", 2: "int64", 3: "int64", 8: "int64", 9: "int64", 13: "int64",
               4: "float64", 5: "float64", 10: "date32", 14: "date32", 12: "timestamp",
               7: "timestamptz", 0: "decimal", 246: "decimal", 6: "null"}
TINY = 1
# information_schema.tables.table_type -> what publish calls it
_KINDS = {"BASE TABLE": "table", "VIEW": "view", "SYSTEM VIEW": "system view",
          "SEQUENCE": "sequence", "TEMPORARY": "temporary table"}
_OPTIONS = {"connect_timeout", "statement_timeout", "charset", "database", "dbname", "schema"}


class MySQLAdapter(BaseAdapter):
    name = "mysql"
    dialect = "mysql"

    def __init__(self, root: Path = Path("."), url: str | None = None,
                 connect_timeout: float | int = 10, statement_timeout: float | None = None,
                 writable: bool = False, **params: Any) -> None:
        import pymysql

        self._pymysql = pymysql
        params = {**_from_url(url), **params} if url else params
        self.writable = writable
        self._session = (writable, params.pop("statement_timeout", statement_timeout))
        self._params = _connect_args(params, params.pop("connect_timeout", connect_timeout))
        self._connect()

    def _connect(self) -> None:
        try:
            self.conn = self._pymysql.connect(**self._params)
        except self._pymysql.Error as err:
            raise self.fail(f"cannot connect: {_message(err)}") from None
        try:
            self._configure(*self._session)
        except self._pymysql.Error as err:
            self.conn.close()
            raise self.fail(f"cannot set up the session: {_message(err)}") from None

    def _configure(self, writable: bool, statement_timeout: float | None) -> None:
        with self.conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            mariadb = "mariadb" in self.conn.get_server_info().lower()
            if mariadb:  # hash joins of the spine with the scans (MySQL 8 has them already),
                # and each CTE and derived table computed once rather than merged into the
                # query that reads it (see the module's docstring)
                cur.execute("SET SESSION join_cache_level = 8")
                cur.execute("SET SESSION optimizer_switch = 'derived_merge=off'")
            if not writable:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
            if statement_timeout:
                if mariadb:
                    cur.execute("SET SESSION max_statement_time = %s", [float(statement_timeout)])
                else:
                    cur.execute("SET SESSION max_execution_time = %s",
                                [int(float(statement_timeout) * 1000)])

    @property
    def thread_id(self) -> int:
        return self.conn.thread_id()

    def execute(self, sql: str) -> "pyarrow.Table":
        import pyarrow as pa

        self.guard(sql)
        sql = sql.strip().rstrip(";")
        if not self.conn.open:  # after an interrupted query
            self._connect()
        try:
            return _to_arrow(*self._read(sql))
        except KeyboardInterrupt:
            self.cancel()
            raise
        except self._pymysql.Error as err:
            raise self.fail(_message(err), sql) from None
        except pa.ArrowException as err:  # a value that does not fit its column's type
            raise self.fail(f"cannot read the result: {err}", sql) from None

    def _read(self, sql: str) -> tuple[tuple, tuple]:
        """The description and the rows, inside a read-only transaction."""
        with self.conn.cursor() as cur:
            cur.execute("START TRANSACTION READ ONLY")
            try:
                cur.execute(sql)
                result = cur.description or (), cur.fetchall()
            except self._pymysql.Error:
                self.conn.rollback()
                raise
            self.conn.rollback()
            return result

    def cancel(self) -> None:
        """Kill the running query on the server, then drop this connection (its protocol
        state is unknown after an interrupt)."""
        try:
            with self._pymysql.connect(**{**self._params, "connect_timeout": 5}) as killer:
                killer.cursor().execute(f"KILL QUERY {int(self.thread_id)}")
        except self._pymysql.Error:
            pass
        self.close()

    def columns(self, relation: str) -> dict[str, str]:
        """Column name -> Arrow type of a table (or a parenthesised query)."""
        table = self.execute(self.relation_sql(relation))
        return {f.name: str(f.type) for f in table.schema}

    def tables(self, schema: str | None) -> set[str]:
        """The tables of a database (default: the connection's own)."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = COALESCE(%s, DATABASE())", [schema])
            return {row[0] for row in cur.fetchall()}

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace one table from Arrow (``metrics seed``; a writable adapter only)."""
        self.require_writable(name)
        target = f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)
        columns = ", ".join(f"{_ident(f.name)} {_mysql_type(f.type)}" for f in table.schema)
        marks = ", ".join(["%s"] * table.num_columns)
        rows = list(zip(*(_values(column) for column in table.columns)))
        try:
            with self.conn.cursor() as cur:
                if schema:
                    cur.execute(f"CREATE DATABASE IF NOT EXISTS {_ident(schema)}")
                cur.execute(f"DROP TABLE IF EXISTS {target}")
                cur.execute(f"CREATE TABLE {target} ({columns})")
                cur.executemany(f"INSERT INTO {target} VALUES ({marks})", rows)
        except self._pymysql.Error as err:
            raise self.fail(f"cannot load {name}: {_message(err)}") from None

    def create_views(self, schema: str, views: list[str], statements: list[str],
                     replace: bool, before: Callable[[], None] | None = None) -> None:
        """``metrics publish``: run its DDL (each statement checked by the DDL guard first)
        on a connection opened with ``writable=True``. MySQL and MariaDB commit each DDL
        statement on its own, so there is no all-or-nothing: every name is checked first
        (a view stops it unless ``replace``, anything else always), then the statements
        run in order; a failure midway leaves the views created before it. A database
        that exists is not created again (that needs a privilege a publisher may lack)."""
        from .guard import check_ddl, check_existing, without_schema

        if not self.writable:
            raise self.fail("cannot publish: this connection is read-only; open it with "
                            "writable=True")
        check_ddl(self, statements, schema, set(views))
        marks = ", ".join(["%s"] * len(views))
        done, run = 0, statements
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT table_name, table_type FROM information_schema.tables "
                            f"WHERE table_schema = %s AND table_name IN ({marks})",
                            [schema, *views])
                check_existing(schema, {str(name): _KINDS.get(str(kind), str(kind).lower())
                                        for name, kind in cur.fetchall()}, replace)
                cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                            [schema])
                if cur.fetchone() is not None:
                    run = without_schema(statements)
                if before:
                    before()
                for statement in run:
                    cur.execute(statement)
                    done += 1
        except self._pymysql.Error as err:
            left = (f"after {done} of {len(run)} statements: MySQL commits each one, "
                    "so what ran before stays" if done else "nothing was written")
            raise self.fail(f"cannot publish ({left}): {_message(err)}") from None

    def close(self) -> None:
        if self.conn.open:
            self.conn.close()


def _connect_args(params: dict[str, Any], timeout: float) -> dict[str, Any]:
    """PyMySQL's ``connect()`` arguments: a database by any of its names, UTF-8, autocommit,
    and encoders only (without decoders PyMySQL hands back the server's text, see above)."""
    import pymysql.converters

    names = [params.pop(key, None) for key in ("schema", "database", "dbname")]
    encoders = {k: v for k, v in pymysql.converters.conversions.items() if isinstance(k, type)}
    return {"charset": "utf8mb4", **{k: v for k, v in params.items() if v is not None},
            "database": next((n for n in names if n), None), "conv": encoders,
            "autocommit": True, "connect_timeout": max(1, int(round(float(timeout))))}


def _from_url(url: str) -> dict[str, Any]:
    settings, path = url_settings(url, _OPTIONS)
    return {**settings, "database": path[0]} if path else settings


def _message(err: BaseException) -> str:
    """PyMySQL's ``(code, message)`` as the message, on one line."""
    args = getattr(err, "args", ())
    text = str(args[1]) if len(args) > 1 else str(err) or type(err).__name__
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _to_arrow(description: tuple, rows: tuple) -> "pyarrow.Table":
    import pyarrow as pa

    names = [d[0] for d in description]
    columns = list(zip(*rows)) if rows else [()] * len(names)
    arrays = [_column(pa, list(values), d[1], d[4], d[5])
              for values, d in zip(columns, description)]
    return pa.Table.from_arrays(arrays, names=names)


def _column(pa: Any, values: list, code: int, size: int, scale: int) -> "pyarrow.Array":
    """One column of server text as its Arrow type (see the module docstring)."""
    kind = ARROW_TYPES.get(code)
    if kind is None:
        array = pa.array(values)  # str, or bytes for binary columns
        return array.cast(pa.string()) if pa.types.is_null(array.type) else array
    text = pa.array(values, type=pa.string())
    if code == TINY and size == 1:
        return text.cast(pa.int64()).cast(pa.bool_())
    if kind == "decimal":
        return text.cast(_decimal(pa, size, scale))
    if kind in ("timestamp", "timestamptz"):
        naive = text.cast(pa.timestamp("us"))
        return naive.cast(pa.timestamp("us", tz="UTC")) if kind == "timestamptz" else naive
    if kind == "null":
        return pa.nulls(len(values))
    return text.cast(getattr(pa, kind)())


def _decimal(pa: Any, size: int, scale: int) -> "pyarrow.DataType":
    """The column's display size bounds its digits (it counts a sign and a point too)."""
    precision = max(int(size or 0), int(scale or 0) + 1, 1)
    if precision <= 38:
        return pa.decimal128(precision, scale)
    return pa.decimal256(min(precision, 76), scale)


def _values(column: "pyarrow.ChunkedArray") -> list:
    """Python values PyMySQL can send: timestamps with a zone as UTC wall time."""
    import pyarrow as pa

    if pa.types.is_timestamp(column.type) and column.type.tz:
        column = column.cast(pa.timestamp(column.type.unit))
    return column.to_pylist()


def _mysql_type(arrow: "pyarrow.DataType") -> str:
    import pyarrow.types as t

    if t.is_decimal(arrow):
        return f"DECIMAL({min(arrow.precision, 65)}, {min(arrow.scale, 30)})"
    checks = [(t.is_boolean, "BOOLEAN"), (t.is_int8, "SMALLINT"), (t.is_int16, "SMALLINT"),
              (t.is_int32, "INT"), (t.is_integer, "BIGINT"), (t.is_float32, "FLOAT"),
              (t.is_floating, "DOUBLE"), (t.is_date, "DATE"), (t.is_timestamp, "DATETIME(6)"),
              (t.is_binary, "LONGBLOB"), (t.is_large_binary, "LONGBLOB")]
    return next((name for check, name in checks if check(arrow)), "LONGTEXT")
