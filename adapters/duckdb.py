"""DuckDB, the embedded default: in memory or a database file, always read-only for data.

``data: <folder>`` exposes every Parquet/CSV file in the folder as a view named after the
file, so the same ``table: opportunities`` source works here and on a warehouse. A database
file is opened ``read_only``; the views live in DuckDB's in-memory temp catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .base import BaseAdapter, resolve_path

if TYPE_CHECKING:
    import pyarrow

_READERS = {".parquet": "read_parquet", ".csv": "read_csv_auto", ".tsv": "read_csv_auto"}


class DuckDBAdapter(BaseAdapter):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, root: Path = Path("."), database: str = ":memory:",
                 data: str | None = None, threads: int | None = None, writable: bool = False,
                 schema: str | None = None, **extra: object) -> None:
        import duckdb

        self._duckdb = duckdb
        memory = database in (":memory:", "")
        path = database if memory else str(resolve_path(root, database))
        if not memory and not writable and not Path(path).exists():
            raise self.fail(f"database file {path} does not exist")
        config = {"threads": threads} if threads else {}
        try:
            self.con = duckdb.connect(path, read_only=not (memory or writable), config=config)
        except duckdb.Error as err:
            raise self.fail(f"cannot open {path}: {err}") from None
        if schema:
            try:
                quoted = schema.replace("'", "''")
                self.con.execute(f"SET search_path = '{quoted}'")
            except duckdb.Error as err:
                raise self.fail(f"cannot use schema {schema}: {err}") from None
        if data:
            self._expose(resolve_path(root, data))

    def _expose(self, folder: Path) -> None:
        if not folder.is_dir():
            raise self.fail(f"data folder {folder} does not exist; run "
                            "`python examples/generate.py` to create the sample data")
        for file in sorted(folder.iterdir()):
            reader = _READERS.get(file.suffix.lower())
            if reader and file.stem.isidentifier():
                literal = str(file).replace("'", "''")
                self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{file.stem}" AS '
                                 f"SELECT * FROM {reader}('{literal}')")

    def execute(self, sql: str) -> "pyarrow.Table":
        duckdb = self._duckdb
        try:
            statements = self.con.extract_statements(sql)
            if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
                raise self.fail("refused: only a single SELECT statement is ever run", sql)
            relation = self.con.sql(sql)
            return relation.to_arrow_table() if hasattr(relation, "to_arrow_table") \
                else relation.arrow()
        except KeyboardInterrupt:
            self.con.interrupt()
            raise
        except duckdb.Error as err:
            raise self.fail(str(err), sql) from None

    def columns(self, table: str) -> dict[str, str]:
        try:
            rows = self.con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
        except self._duckdb.Error as err:
            raise self.fail(str(err)) from None
        return {row[0]: row[1] for row in rows}

    def tables(self, schema: str | None) -> set[str]:
        rows = self.con.execute("SELECT table_name FROM information_schema.tables WHERE "
                                "table_schema = coalesce(?, current_schema())",
                                [schema]).fetchall()
        return {r[0] for r in rows}

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace a table from Arrow (``metrics seed``; writable file only)."""
        target = f'"{schema}"."{name}"' if schema else f'"{name}"'
        try:
            if schema:
                self.con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self.con.register("_metrics_seed", table)
            self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _metrics_seed")
            self.con.unregister("_metrics_seed")
        except self._duckdb.Error as err:
            raise self.fail(f"cannot load {name}: {err}") from None

    def close(self) -> None:
        self.con.close()
