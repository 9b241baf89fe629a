"""Snowflake through snowflake-connector-python, with the connector's Arrow fetch.

Read-only as far as Snowflake lets a client make it: the SELECT-only guard checks every
statement, and the session allows one statement per call (``MULTI_STATEMENT_COUNT = 1``).
Snowflake has no read-only session or transaction, so the real protection is a role that
can only read (``role:``, granted SELECT and USAGE and nothing else); give the tool one.
The session runs in UTC (``TIMEZONE``), tags its queries ``QUERY_TAG = 'metrics'``, and the
connector itself cancels the running query on Ctrl-C.

Results are ``cursor.fetch_arrow_all()`` (Snowflake sends Arrow): NUMBER(p, 0) -> int64,
NUMBER(p, s) -> decimal128, FLOAT -> float64, DATE -> date32, TEXT -> string. Snowflake folds
unquoted names to upper case, the engine writes them in lower case: a result column whose
name is all upper case (a folded one) comes back in lower case.

Settings: ``account``, ``user``, ``password``, ``warehouse``, ``database``, ``schema``,
``role``, ``authenticator`` (``externalbrowser``, ``snowflake_jwt`` with
``private_key_file``, ...), ``connect_timeout`` (the login timeout, default 10),
``statement_timeout`` (seconds); any other setting goes to ``snowflake.connector.connect``
as is. URL: ``snowflake://user:pw@account/database/schema?warehouse=wh&role=analyst``.

Tested against fakesnow (a Snowflake emulator over DuckDB, in its server mode, so the real
connector and its Arrow decoding run): weaker evidence than Snowflake itself, because
DuckDB computes the results and fakesnow translates the SQL first.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .base import BaseAdapter, url_settings

if TYPE_CHECKING:
    import pyarrow

SESSION = {"TIMEZONE": "UTC", "QUERY_TAG": "metrics", "MULTI_STATEMENT_COUNT": 1}
URL_OPTIONS = {"warehouse", "role", "authenticator", "host", "port", "protocol", "region",
               "connect_timeout", "statement_timeout", "private_key_file"}


class SnowflakeAdapter(BaseAdapter):
    name = "snowflake"
    dialect = "snowflake"

    def __init__(self, root: Path = Path("."), url: str | None = None,
                 connect_timeout: float = 10, statement_timeout: float | None = None,
                 writable: bool = False, session_parameters: dict | None = None,
                 **params: Any) -> None:
        import snowflake.connector

        self._connector = snowflake.connector
        self.writable = writable
        params = {**_from_url(url), **params} if url else params
        timeout = float(params.pop("connect_timeout", connect_timeout))
        statement_timeout = params.pop("statement_timeout", statement_timeout)
        session = {**SESSION, **(session_parameters or {})}
        if statement_timeout:
            session["STATEMENT_TIMEOUT_IN_SECONDS"] = int(float(statement_timeout))
        try:
            self.conn = snowflake.connector.connect(
                login_timeout=max(1, int(timeout)), session_parameters=session,
                **{k: v for k, v in params.items() if v is not None})
        except snowflake.connector.errors.Error as err:
            raise self.fail(f"cannot connect: {_message(err)}") from None

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql.strip().rstrip(";"))
                table = cur.fetch_arrow_all(force_return_table=True)
        except self._connector.errors.Error as err:
            raise self.fail(_message(err), sql) from None
        return _plain(table)

    def columns(self, relation: str) -> dict[str, str]:
        """Column name -> Arrow type of a table (or a parenthesised query)."""
        table = self.execute(self.relation_sql(relation))
        return {f.name: str(f.type) for f in table.schema}

    def tables(self, schema: str | None) -> set[str]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE "
                        "table_schema = COALESCE(%s, CURRENT_SCHEMA())",
                        [schema.upper() if schema else None])
            return {_unfolded(row[0]) for row in cur.fetchall()}

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace a table, then load it from a Parquet file put on its table
        stage (``PUT`` + ``COPY INTO``, as Snowflake loads files); ``metrics seed`` only."""
        import pyarrow.parquet as pq

        self.require_writable(name)
        target = f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)
        stage = f"@{_ident(schema)}.%{_bare(name)}" if schema else f"@%{_bare(name)}"
        columns = ", ".join(f"{_ident(f.name)} {_snowflake_type(f.type)}" for f in table.schema)
        try:
            with tempfile.TemporaryDirectory() as folder, self.conn.cursor() as cur:
                file = Path(folder) / f"{name}.parquet"
                pq.write_table(table, file)
                if schema:
                    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
                cur.execute(f"CREATE OR REPLACE TABLE {target} ({columns})")
                cur.execute(f"PUT '{file.as_uri()}' {stage} OVERWRITE = TRUE")
                cur.execute(f"COPY INTO {target} FROM {stage} FILE_FORMAT = (TYPE = PARQUET) "
                            "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE PURGE = TRUE")
        except self._connector.errors.Error as err:
            raise self.fail(f"cannot load {name}: {_message(err)}") from None

    def close(self) -> None:
        self.conn.close()


def _from_url(url: str) -> dict[str, Any]:
    """``snowflake://user:pw@account/database/schema?warehouse=...`` as settings."""
    settings, path = url_settings(url, URL_OPTIONS)
    parts = urlsplit(url)
    settings["account"] = parts.hostname  # the URL's host is the account ...
    settings.pop("host", None)
    settings.update(dict(zip(("database", "schema"), path)))
    host = dict(parse_qsl(parts.query)).get("host")
    return {**settings, "host": host} if host else settings  # ... ?host= is an endpoint


def _plain(table: "pyarrow.Table") -> "pyarrow.Table":
    """Names unfolded (see above), without the connector's per-field metadata."""
    import pyarrow as pa

    fields = [pa.field(_unfolded(f.name), f.type, f.nullable) for f in table.schema]
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields))


def _unfolded(name: str) -> str:
    return name.lower() if name.isupper() else name


def _ident(name: str) -> str:
    """Quoted in Snowflake's folded case, so the engine's unquoted names find it."""
    return '"' + name.upper().replace('"', '""') + '"'


def _bare(name: str) -> str:
    """A table stage's name: unquoted when it can be (fakesnow reads no quoted stage)."""
    return name.upper() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else _ident(name)


def _message(err: BaseException) -> str:
    text = str(getattr(err, "msg", None) or err).strip() or type(err).__name__
    return " ".join(line.strip() for line in text.splitlines()[:3] if line.strip())


def _snowflake_type(arrow: "pyarrow.DataType") -> str:
    import pyarrow.types as t

    if t.is_decimal(arrow):
        return f"NUMBER({min(arrow.precision, 38)}, {min(arrow.scale, 37)})"
    if t.is_timestamp(arrow):
        return "TIMESTAMP_TZ" if arrow.tz else "TIMESTAMP_NTZ"
    checks = [(t.is_boolean, "BOOLEAN"), (t.is_integer, "NUMBER(38, 0)"),
              (t.is_floating, "FLOAT"), (t.is_date, "DATE"), (t.is_binary, "BINARY")]
    return next((name for check, name in checks if check(arrow)), "TEXT")
