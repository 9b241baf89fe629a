"""PostgreSQL through psycopg 3: read-only transactions, results streamed as CSV into Arrow.

Every query runs in a ``READ ONLY`` transaction on a session whose
``default_transaction_read_only`` is on, after the SELECT-only guard. Results never become
Python rows: the column names and types come from describing the query (``LIMIT 0``), the
data from ``COPY (query) TO STDOUT`` in CSV, parsed column by column by pyarrow's C++ reader.
Ctrl-C cancels the query on the server (psycopg sends the cancel request, and the
transaction is rolled back).

Settings: ``url`` (``postgresql://user@host:5432/db``) and/or ``host``, ``port``, ``user``,
``password``, ``dbname`` (or ``database``), ``schema`` (the search path), ``sslmode``,
``connect_timeout`` (seconds, default 10), ``statement_timeout`` (seconds), ``jit`` (default
false: the session turns PostgreSQL's JIT compilation off. The planner cannot know how many
periods a spine has, so it assumes 1,000 per ``generate_series`` and the estimated cost of a
whole-catalog query crosses ``jit_above_cost``; compiling it then took 0.7-6 s while running it
took milliseconds. ``jit: true`` keeps the server's setting.)
"""

from __future__ import annotations

import io
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .base import BaseAdapter

if TYPE_CHECKING:
    import pyarrow

APPLICATION = "metrics"
# PostgreSQL type name -> Arrow type name; anything else is read as text.
ARROW_TYPES = {
    "bool": "bool_", "int2": "int16", "int4": "int32", "int8": "int64", "oid": "int64",
    "float4": "float32", "float8": "float64", "numeric": "float64", "date": "date32",
    "timestamp": "timestamp", "timestamptz": "timestamptz",
}
_SESSION = ("SELECT set_config('default_transaction_read_only', 'on', false), "
            "set_config('DateStyle', 'ISO, YMD', false), "
            "set_config('extra_float_digits', '3', false), set_config('TimeZone', 'UTC', false), "
            "set_config('application_name', %(app)s, false)")


class PostgresAdapter(BaseAdapter):
    name = "postgres"
    dialect = "postgres"

    def __init__(self, root: Path = Path("."), url: str | None = None,
                 schema: str | None = None, connect_timeout: float | int = 10,
                 statement_timeout: float | int | None = None, database: str | None = None,
                 application_name: str = APPLICATION, writable: bool = False,
                 jit: bool = False, **params: Any) -> None:
        import psycopg

        self._psycopg = psycopg
        if database and "dbname" not in params:
            params["dbname"] = database
        try:
            self._conninfo = psycopg.conninfo.make_conninfo(
                url or "", connect_timeout=max(1, int(round(float(connect_timeout)))),
                **{k: v for k, v in params.items() if v is not None})
        except psycopg.Error as err:
            raise self.fail(f"cannot connect: {_first_line(err)}") from None
        self.schema = schema
        self.writable = writable
        self._session = (application_name, schema, statement_timeout, writable, jit)
        self._connect()

    def _connect(self) -> None:
        try:
            self.conn = self._psycopg.connect(self._conninfo, autocommit=True)
        except self._psycopg.Error as err:
            raise self.fail(f"cannot connect: {_first_line(err)}") from None
        self._configure(*self._session)

    def _configure(self, app: str, schema: str | None, statement_timeout: Any,
                   writable: bool, jit: bool) -> None:
        try:
            session = _SESSION if not writable else _SESSION.replace("'on'", "'off'")
            self.conn.execute(session, {"app": app})
            if not jit and self.conn.info.server_version >= 110000:  # JIT came in 11
                self.conn.execute("SELECT set_config('jit', 'off', false)")
            if schema:
                self.conn.execute("SELECT set_config('search_path', %s, false)", [schema])
            if statement_timeout:
                millis = str(int(float(statement_timeout) * 1000))
                self.conn.execute("SELECT set_config('statement_timeout', %s, false)", [millis])
            if not writable:
                self.conn.autocommit = False
                self.conn.read_only = True
        except self._psycopg.Error as err:
            self.conn.close()
            raise self.fail(f"cannot set up the session: {_first_line(err)}") from None

    @property
    def backend_pid(self) -> int:
        return self.conn.info.backend_pid

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)
        sql = sql.strip().rstrip(";")
        if self.conn.closed:  # after an interrupted query
            self._connect()
        try:
            names, types = self._describe(sql)
            data = self._copy(sql)
        except KeyboardInterrupt:
            self.cancel()
            raise
        except self._psycopg.Error as err:
            self._rollback()
            raise self.fail(_first_line(err), sql) from None
        finally:
            self._rollback()
        return _to_arrow(data, names, types)

    def _describe(self, sql: str) -> tuple[list[str], list[str]]:
        """Column names and PostgreSQL type names, without running the query."""
        with self.conn.cursor() as cur:
            cur.execute(self.relation_sql(f"({sql})").encode())
            description = cur.description or []
            names = [c.name for c in description]
            oids = [c.type_code for c in description]
        return names, self._type_names(oids)

    def _type_names(self, oids: list[int]) -> list[str]:
        known = {oid: info.name + ("[]" if oid == info.array_oid else "") for oid in set(oids)
                 if (info := self._psycopg.postgres.types.get(oid)) is not None}
        missing = sorted(set(oids) - set(known))
        if missing:
            rows = self.conn.execute("SELECT oid::int8, format_type(oid, NULL) FROM pg_type "
                                     "WHERE oid = ANY(%s)", [missing]).fetchall()
            known.update({int(oid): name for oid, name in rows})
        return [known.get(oid, "text") for oid in oids]

    def _copy(self, sql: str) -> bytes:
        buffer = io.BytesIO()
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT CSV)".encode()) as copy:
                for chunk in copy:
                    buffer.write(chunk)
        return buffer.getvalue()

    def cancel(self) -> None:
        """Stop the running query on the server, then drop the connection (its protocol
        state is unknown after an interrupt); the next query opens a new one."""
        try:
            self.conn.cancel_safe(timeout=5)
        except self._psycopg.Error:
            pass
        self.conn.close()

    def _rollback(self) -> None:
        if not self.conn.closed:
            try:
                self.conn.rollback()
            except self._psycopg.Error:
                pass

    def columns(self, relation: str) -> dict[str, str]:
        """Column name -> PostgreSQL type of a table (or a parenthesised query)."""
        sql = self.relation_sql(relation)
        self.guard(sql)
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.encode())
                description = cur.description or []
            return dict(zip([c.name for c in description],
                            self._type_names([c.type_code for c in description])))
        except self._psycopg.Error as err:
            raise self.fail(_first_line(err), sql) from None
        finally:
            self._rollback()

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace one table from Arrow (``metrics seed``; a writable adapter only)."""
        import pyarrow.csv as pcsv
        from psycopg import sql as q

        target = q.Identifier(schema, name) if schema else q.Identifier(name)
        columns = q.SQL(", ").join(q.SQL("{} {}").format(q.Identifier(f.name),
                                                          q.SQL(_pg_type(f.type)))
                                   for f in table.schema)
        data = io.BytesIO()
        pcsv.write_csv(table, data)
        try:
            with self.conn.transaction():
                if schema:
                    self.conn.execute(q.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        q.Identifier(schema)))
                self.conn.execute(q.SQL("DROP TABLE IF EXISTS {}").format(target))
                self.conn.execute(q.SQL("CREATE TABLE {} ({})").format(target, columns))
                with self.conn.cursor() as cur, cur.copy(q.SQL(
                        "COPY {} FROM STDIN (FORMAT CSV, HEADER)").format(target)) as copy:
                    copy.write(data.getvalue())
        except self._psycopg.Error as err:
            raise self.fail(f"cannot load {name}: {_first_line(err)}") from None

    def tables(self, schema: str | None) -> set[str]:
        """The tables that exist in a schema (default: the first on the search path)."""
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "coalesce(%s, current_schema())", [schema]).fetchall()
        self._rollback()
        return {r[0] for r in rows}

    def create_views(self, schema: str, views: list[str], statements: list[str],
                     replace: bool, before: Callable[[], None] | None = None) -> None:
        """``metrics publish``: run its DDL (each statement checked by the DDL guard first)
        in one transaction, all or nothing, on a connection opened with ``writable=True``.
        Any object of the schema with a view's name stops it before the first write: a
        view unless ``replace``, anything else always (PostgreSQL names tables, views,
        sequences, indexes, ... in one namespace). A schema that exists is not created
        again: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even
        then, and a publisher may have it on the schema only."""
        from psycopg import sql as q

        from .guard import check_ddl, check_existing, without_schema

        if not self.writable:
            raise self.fail("cannot publish: this connection is read-only; open it with "
                            "writable=True")
        check_ddl(self, statements, schema, set(views))
        try:
            with self.conn.transaction():
                rows = self.conn.execute(q.SQL(
                    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON "
                    "n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s)"),
                    [schema, list(views)]).fetchall()
                check_existing(schema, {name: _RELKINDS.get(kind, "relation")
                                        for name, kind in rows}, replace)
                found = self.conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                          [schema]).fetchone()
                if before:
                    before()
                for statement in without_schema(statements) if found else statements:
                    self.conn.execute(statement.encode())
        except self._psycopg.Error as err:
            raise self.fail(f"cannot publish (nothing was written): {_first_line(err)}") \
                from None

    def close(self) -> None:
        self.conn.close()


# pg_class.relkind -> what publish calls it
_RELKINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
             "i": "index", "I": "index", "S": "sequence", "f": "foreign table",
             "c": "type", "t": "TOAST table"}


def _pg_type(arrow: "pyarrow.DataType") -> str:
    import pyarrow.types as t

    checks = [(t.is_boolean, "boolean"), (t.is_int8, "smallint"), (t.is_int16, "smallint"),
              (t.is_int32, "integer"), (t.is_int64, "bigint"), (t.is_float32, "real"),
              (t.is_floating, "double precision"), (t.is_decimal, "numeric"),
              (t.is_date, "date"), (t.is_string, "text"), (t.is_large_string, "text")]
    for check, name in checks:
        if check(arrow):
            return name
    if t.is_timestamp(arrow):
        return "timestamptz" if arrow.tz else "timestamp"
    return "text"


def _first_line(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(part.strip() for part in text.splitlines()[:2] if part.strip())


def _to_arrow(data: bytes, names: list[str], types: list[str]) -> "pyarrow.Table":
    """PostgreSQL's CSV (NULL unquoted and empty, text quoted) as a typed Arrow table."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    arrow = [_arrow_type(pa, t) for t in types]
    fields = [f"c{i}" for i in range(len(names))]
    if not data:
        return pa.Table.from_arrays([pa.array([], type=t) for t in arrow], names=names)
    # One thread: results are small, and pyarrow's threaded CSV reader alongside libpq made
    # the process abort at exit now and then ("terminate called without an active exception").
    table = pcsv.read_csv(
        io.BytesIO(data),
        read_options=pcsv.ReadOptions(column_names=fields, block_size=1 << 24,
                                       use_threads=False),
        convert_options=pcsv.ConvertOptions(
            column_types=dict(zip(fields, arrow)), null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]))
    return table.rename_columns(names)


def _arrow_type(pa: Any, pg_type: str) -> "pyarrow.DataType":
    name = ARROW_TYPES.get(pg_type, "string")
    if name == "timestamp":
        return pa.timestamp("us")
    if name == "timestamptz":
        return pa.timestamp("us", tz="UTC")
    return getattr(pa, name)()
