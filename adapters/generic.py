"""Any engine with a SQLAlchemy dialect or a DB-API driver: Snowflake, BigQuery, Redshift,
Trino, MySQL, SQL Server, ClickHouse, Databricks, ...

``url:`` is a SQLAlchemy URL; its scheme picks the sqlglot dialect the SQL is compiled to
(``mssql+pyodbc://`` -> ``tsql``), unless ``dialect:`` says otherwise. ``module:`` instead
names a DB-API module whose ``connect(**settings)`` opens the connection (``dialect:`` is then
required). The SQL runs on the driver's own cursor; results come back as Arrow through the
driver's Arrow fetch when it has one (Snowflake, Databricks, ADBC), else built column by column
from batches of rows. Reads are guarded (one SELECT), and run in a read-only transaction
where the dialect has one (PostgreSQL, Redshift, MySQL).
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.diagnostics import UsageError

from .base import BaseAdapter

if TYPE_CHECKING:
    import pyarrow

# SQLAlchemy URL scheme (before any "+driver") -> sqlglot dialect.
DIALECTS = {
    "postgresql": "postgres", "postgres": "postgres", "psycopg": "postgres",
    "redshift": "redshift", "mysql": "mysql", "mariadb": "mysql", "mssql": "tsql",
    "snowflake": "snowflake", "bigquery": "bigquery", "trino": "trino", "presto": "presto",
    "clickhouse": "clickhouse", "clickhousedb": "clickhouse", "databricks": "databricks",
    "oracle": "oracle", "sqlite": "sqlite", "duckdb": "duckdb", "awsathena": "athena",
    "hive": "hive", "teradatasql": "teradata", "exa": "exasol", "doris": "doris",
    "starrocks": "starrocks", "risingwave": "risingwave", "materialize": "materialize",
    "dremio": "dremio", "druid": "druid",
}
# Dialects whose transactions can be made read-only by a statement before the query.
READ_ONLY = {"postgres": "SET TRANSACTION READ ONLY", "redshift": "SET TRANSACTION READ ONLY",
             "mysql": "SET TRANSACTION READ ONLY"}
# Drivers' own Arrow fetches, tried in order.
ARROW_FETCH = ("fetch_arrow_table", "fetch_arrow_all", "fetchall_arrow")
BATCH = 10_000


def dialect_for_url(url: str) -> str:
    scheme = url.split("://", 1)[0].lower().split("+")[0] if "://" in url else ""
    if scheme not in DIALECTS:
        raise UsageError(f"no sqlglot dialect known for '{scheme}://' URLs; add "
                         "'dialect: <name>' to the target (any sqlglot dialect)")
    return DIALECTS[scheme]


class GenericAdapter(BaseAdapter):
    name = "sqlalchemy"

    def __init__(self, root: Path = Path("."), url: str | None = None,
                 dialect: str | None = None, module: str | None = None,
                 connect_args: dict[str, Any] | None = None,
                 connect_timeout: float | None = None, **params: Any) -> None:
        if not url and not module:
            raise UsageError("a sqlalchemy or dbapi target needs 'url:' (a SQLAlchemy URL) "
                             "or 'module:' (a DB-API module)")
        self.dialect = (dialect or dialect_for_url(url or "")).lower()
        self.name = url.split("://", 1)[0] if url else module or self.name
        self._engine = None
        self.conn = self._open(url, module, connect_args or {}, connect_timeout, params)

    def _open(self, url: str | None, module: str | None, args: dict[str, Any],
              timeout: float | None, params: dict[str, Any]) -> Any:
        if module:
            driver = importlib.import_module(module)
            try:
                return driver.connect(**params, **args)
            except Exception as err:  # noqa: BLE001 - DB-API errors have no common base
                raise self.fail(f"cannot connect: {err}") from None
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        if timeout and self.dialect in ("postgres", "mysql", "redshift"):
            args.setdefault("connect_timeout", int(timeout))
        try:
            self._engine = sqlalchemy.create_engine(url, connect_args=args, poolclass=NullPool)
            return self._engine.raw_connection()
        except sqlalchemy.exc.NoSuchModuleError as err:
            raise UsageError(f"SQLAlchemy has no dialect for this URL ({err}); install the "
                             "package that provides it") from None
        except Exception as err:  # noqa: BLE001 - the driver's own errors come through as-is
            raise self.fail(f"cannot connect: {_first_line(err)}") from None

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)
        cursor = self.conn.cursor()
        try:
            if self.dialect in READ_ONLY:
                cursor.execute(READ_ONLY[self.dialect])
            cursor.execute(sql.strip().rstrip(";"))
            return to_arrow(cursor)
        except KeyboardInterrupt:
            self._cancel()
            raise
        except Exception as err:  # noqa: BLE001 - the driver's Error classes
            raise self.fail(_first_line(err), sql) from None
        finally:
            self._end(cursor)

    def _end(self, cursor: Any) -> None:
        for step in (cursor.close, self.conn.rollback):
            try:
                step()
            except Exception:  # noqa: BLE001 - closing after a failure
                pass

    def _cancel(self) -> None:
        """Drivers that can cancel do it on close (psycopg, Snowflake); close the connection."""
        raw = getattr(self.conn, "driver_connection", self.conn)
        for method in ("cancel", "cancel_safe"):
            if callable(getattr(raw, method, None)):
                try:
                    getattr(raw, method)()
                    break
                except Exception:  # noqa: BLE001
                    pass
        self.close()

    def columns(self, relation: str) -> dict[str, str]:
        table = self.execute(self.relation_sql(relation))
        return {f.name: str(f.type) for f in table.schema}

    def tables(self, schema: str | None) -> set[str]:
        if self._engine is None:
            return set()
        import sqlalchemy

        return set(sqlalchemy.inspect(self._engine).get_table_names(schema=schema))

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - already closed
            pass
        if self._engine is not None:
            self._engine.dispose()


class DatabricksAdapter(GenericAdapter):
    """A Databricks SQL warehouse through ``databricks-sql-connector`` (Arrow fetches).

    Settings: ``server_hostname``, ``http_path``, ``access_token`` (use env_var()).
    """

    def __init__(self, root: Path = Path("."), **params: Any) -> None:
        params.setdefault("module", "databricks.sql")
        params.setdefault("dialect", "databricks")
        super().__init__(root, **params)
        self.name = "databricks"


def to_arrow(cursor: Any) -> "pyarrow.Table":
    """The cursor's result as Arrow: the driver's Arrow fetch, or columns built from batches."""
    import pyarrow as pa

    for method in ARROW_FETCH:
        fetch = getattr(cursor, method, None)
        if callable(fetch):
            return fetch()
    names = [d[0] for d in cursor.description or []]
    columns: list[list[Any]] = [[] for _ in names]
    while batch := cursor.fetchmany(BATCH):
        for column, values in zip(columns, zip(*batch)):
            column.extend(values)
    return pa.Table.from_arrays([_array(pa, values) for values in columns], names=names)


def _array(pa: Any, values: list[Any]) -> "pyarrow.Array":
    """One column; decimals become doubles (metrics are measures, not money ledgers)."""
    if any(isinstance(v, Decimal) for v in values):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    return pa.array(values)


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip() or type(err).__name__
    return " ".join(line.strip() for line in text.splitlines()[:2] if line.strip())
