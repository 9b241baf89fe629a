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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.access import data_files, data_folders, folders, outside, resolved
from sales_metrics.engine import inputs
from sales_metrics.engine.diagnostics import UsageError

from .base import BaseAdapter, resolve_path
from .watch import TimedOut, watched

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

log = logging.getLogger("metrics")
_READERS = {".parquet": "read_parquet", ".csv": "read_csv_auto", ".tsv": "read_csv_auto"}
_LOCK = ("SET enable_external_access = false", "SET lock_configuration = true")


@dataclass(frozen=True)
class Sandbox:
    """What a project lets its DuckDB connection read, and for how long a query may run."""

    folders: tuple[Path, ...] = ()  # where `data:` may be: the project folder, allowed_paths
    files: tuple[Path, ...] = ()  # the `path:` sources inside those folders, resolved
    timeout: float | None = None

    @classmethod
    def of(cls, project: "Project") -> "Sandbox":
        allowed = tuple(folders(project.root, project.settings.allowed_paths))
        paths = [resolved(project.root, s.model.path)
                 for s in project.catalog.sources.values() if s.model.path]
        return cls(allowed, tuple(p for p in paths if not outside(p, allowed)),
                   project.settings.limits.timeout)


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

    def close(self) -> None:
        self.con.close()
