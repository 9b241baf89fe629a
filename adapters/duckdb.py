"""DuckDB, the embedded default: in memory or a database file, always read-only for data.

``data: <folder>`` (or ``data: [<folder>, ...]``, several) exposes every Parquet/CSV file in
the folders as a view named after the file, so the same ``table: opportunities`` source works
here and on a warehouse. Two files that would be the same view (``deals.csv`` and
``deals.parquet``, in one folder or in two) are refused, naming both. Relative folders are
relative to the project file's folder, whatever the working directory. A database file is
opened ``read_only``; the views live in DuckDB's in-memory temp catalog.

**The sandbox.** The tool opens this engine itself, so it decides what the engine may read:
the database file it opened, the files of the ``data:`` folder and the ``path:`` sources the
project declares, nothing else. Once the views exist, ``allowed_paths`` lists exactly those
files (resolved: a symlink in the data folder that leads out of the allowed folders is not
exposed), then ``enable_external_access = false`` turns off every other file, URL, extension
(``INSTALL``/``LOAD``), ``ATTACH`` and ``COPY``, and ``lock_configuration = true`` keeps any
``SET`` from undoing it. Opened from a project (:meth:`DuckDBAdapter.project_options`), the
``data:`` folder must lie in the project folder or in one of its ``allowed_paths``.

**Time.** Each query runs on a worker thread while this one waits: Ctrl-C, or
``statement_timeout`` seconds (default: the project's ``limits.timeout``), interrupts it
with ``connection.interrupt()`` within a fraction of a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.access import data_files, data_folders, outside
from sales_metrics.engine import inputs
from sales_metrics.engine.diagnostics import UsageError

from .base import BaseAdapter, resolve_path
from .sandbox import Sandbox
from .watch import TimedOut, watched

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

log = logging.getLogger("metrics")
_READERS = {".parquet": "read_parquet", ".csv": "read_csv_auto", ".tsv": "read_csv_auto"}
_LOCK = ("SET enable_external_access = false", "SET lock_configuration = true")


class DuckDBAdapter(BaseAdapter):
    name = "duckdb"
    dialect = "duckdb"

    @classmethod
    def project_options(cls, project: "Project") -> dict[str, Any]:
        """Settings only the project gives (a profile cannot widen them)."""
        return {"sandbox": Sandbox.of(project)}

    def __init__(self, root: Path = Path("."), database: str = ":memory:",
                 data: str | list[str] | None = None, threads: int | None = None,
                 writable: bool = False,
                 schema: str | None = None, statement_timeout: float | None = None,
                 sandbox: Sandbox | None = None, **extra: object) -> None:
        import duckdb

        self._duckdb = duckdb
        self.writable = writable
        sandbox = sandbox if isinstance(sandbox, Sandbox) else None
        self.timeout = float(statement_timeout) if statement_timeout else \
            (sandbox.timeout if sandbox else None)
        self.con = self._open(root, database, threads, writable)
        if schema:
            self._set_schema(schema)
        readable = list(sandbox.files) if sandbox else []
        chosen = [self._data_folder(root, folder, sandbox) for folder in data_folders(data)]
        readable += self._expose(chosen, sandbox)
        for path in readable:  # read by DuckDB itself: a replayed validate must see them change
            inputs.data_file(path)
        self._lock(readable)

    def _open(self, root: Path, database: str, threads: int | None, writable: bool) -> Any:
        memory = database in (":memory:", "")
        path = database if memory else str(resolve_path(root, database))
        if not memory and not writable and not Path(path).exists():
            raise self.fail(f"database file {path} does not exist")
        config = {"threads": threads} if threads else {}
        if not memory:
            inputs.data_file(path)
        try:
            return self._duckdb.connect(path, read_only=not (memory or writable), config=config)
        except self._duckdb.Error as err:
            raise self.fail(f"cannot open {path}: {err}") from None

    def _set_schema(self, schema: str) -> None:
        try:
            quoted = schema.replace("'", "''")
            self.con.execute(f"SET search_path = '{quoted}'")
        except self._duckdb.Error as err:
            raise self.fail(f"cannot use schema {schema}: {err}") from None

    def _data_folder(self, root: Path, data: object, sandbox: Sandbox | None) -> Path:
        if not isinstance(data, str) or not data:
            raise UsageError("duckdb: 'data' must be a folder or a list of folders, not "
                             f"{data!r}")
        folder = resolve_path(root, data)
        if sandbox and outside(folder.resolve(), sandbox.folders):
            raise UsageError(f"duckdb: data folder {folder} is outside the project folder; "
                             f"name it in project.yml's 'allowed_paths' to read it")
        if not folder.is_dir():
            raise self.fail(f"data folder {folder} does not exist; run "
                            "`python examples/generate.py` to create the sample data")
        return folder

    def _expose(self, chosen: list[Path], sandbox: Sandbox | None) -> list[Path]:
        """A view per data file of every folder; two files for one view name are refused."""
        views: dict[str, Path] = {}
        for file in data_files(chosen, sandbox.folders if sandbox else ()):
            other = views.setdefault(file.stem.lower(), file)
            if other is not file:
                raise UsageError(f"duckdb: {other} and {file} would both be the table "
                                 f"'{file.stem}'; rename one of them, or leave one of their "
                                 "folders out of 'data'")
        exposed = []
        for file in views.values():
            real = file.resolve()
            literal = str(real).replace("'", "''")
            self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{file.stem}" AS '
                             f"SELECT * FROM {_READERS[file.suffix.lower()]}('{literal}')")
            exposed.append(real)
        return exposed

    def _lock(self, readable: list[Path]) -> None:
        """Only ``readable`` (and the database file) from now on, for good."""
        self.con.execute("SET allowed_paths = ?", [[str(p) for p in dict.fromkeys(readable)]])
        for statement in _LOCK:
            self.con.execute(statement)

    def execute(self, sql: str) -> "pyarrow.Table":
        duckdb = self._duckdb
        try:
            statements = self.con.extract_statements(sql)
        except duckdb.Error as err:
            raise self.fail(str(err), sql) from None
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise self.fail("refused: only a single SELECT statement is ever run", sql)
        return self._watched(sql)

    def _watched(self, sql: str) -> "pyarrow.Table":
        """Run on a worker thread; interrupt it on Ctrl-C or after the timeout."""
        def fetch() -> "pyarrow.Table":
            relation = self.con.sql(sql)
            return relation.to_arrow_table() if hasattr(relation, "to_arrow_table") \
                else relation.arrow()

        try:
            return watched(fetch, self.con.interrupt, self.timeout)
        except TimedOut:
            raise self.timed_out(self.timeout, sql) from None
        except self._duckdb.Error as err:
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
        """Create or replace a table from Arrow (``metrics seed``, ``metrics test``)."""
        target = f'"{schema}"."{name}"' if schema else f'"{name}"'
        try:
            if schema:
                self.con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self.con.register("_metrics_seed", table)
            self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _metrics_seed")
            self.con.unregister("_metrics_seed")
        except self._duckdb.Error as err:
            raise self.fail(f"cannot load {name}: {err}") from None

    def create_views(self, schema: str, views: list[str], statements: list[str],
                     replace: bool, before: Callable[[], None] | None = None) -> None:
        """``metrics publish``: run its DDL (each statement checked by the DDL guard first)
        in one transaction, all or nothing, on a database file opened writable. Any object of
        the schema with a view's name stops it before the first write (a view unless
        ``replace``), and so does a view that would read a table this session alone has (a
        ``data:`` folder's files are temporary views: a BI tool opening the file would not
        find them)."""
        from .guard import check_ddl, check_existing

        if not self.writable:
            raise self.fail("cannot publish: this connection is read-only; open it with "
                            "writable=True")
        check_ddl(self, statements, schema, set(views))
        self._check_reads(statements)
        try:
            rows = self.con.execute(
                "SELECT table_name, table_type FROM information_schema.tables WHERE "
                "table_catalog = current_database() AND table_schema = ? AND "
                "list_contains(?, table_name)", [schema, list(views)]).fetchall()
            check_existing(schema, {name: "view" if kind == "VIEW" else kind.lower()
                                    .replace("base table", "table") for name, kind in rows},
                           replace)
            if before:
                before()
            self.con.execute("BEGIN TRANSACTION")
            try:
                for statement in statements:
                    self.con.execute(statement)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        except self._duckdb.Error as err:
            raise self.fail(f"cannot publish (nothing was written): {err}") from None

    def _check_reads(self, statements: list[str]) -> None:
        """Refuse views whose unqualified tables are this session's temporary views."""
        import sqlglot
        from sqlglot import exp

        from sales_metrics.engine.diagnostics import UsageError

        temporary = {r[0] for r in self.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
        for statement in statements:
            tree = sqlglot.parse_one(statement, read="duckdb")
            if not isinstance(tree, exp.Create) or not temporary:
                continue
            ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
            read = sorted({t.name for t in tree.find_all(exp.Table) if not t.args.get("db")
                           and t.name in temporary and t.name not in ctes})
            if read:
                raise UsageError(f"view {tree.this.name} would read {', '.join(read)}, "
                                 "which this connection reads from files of its 'data:' "
                                 "folder, for this session only; load them into the database "
                                 "file (metrics seed) and publish from a connection without "
                                 "'data:'")

    def close(self) -> None:
        self.con.close()
