"""The adapter protocol, the registry of backends, and how a connection is opened.

An adapter is small: a ``dialect`` for sqlglot, ``execute(sql) -> pyarrow.Table``,
``columns(relation)`` and ``close()``. Driver imports live inside each backend's module, so
compiling never needs a driver installed, and ``metrics --help`` never imports one.

Which connection: ``--connection URL``, else ``--target NAME`` from a profiles file (see
:mod:`adapters.profiles`), else the profiles file's default target, else the project's own
``connection:``. Settings are rendered with ``env_var()``; secrets are registered with
:mod:`adapters.secrets` before anything could print them.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sales_metrics.engine.diagnostics import AdapterError, UsageError

from . import secrets

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

    from .profiles import Target

log = logging.getLogger("metrics")

REGISTRY: dict[str, str] = {
    "duckdb": ".duckdb:DuckDBAdapter",
    "postgres": ".postgres:PostgresAdapter",
    "postgresql": ".postgres:PostgresAdapter",
    "spark": ".spark:SparkAdapter",
    "mysql": ".mysql:MySQLAdapter",
    "mariadb": ".mysql:MySQLAdapter",
    "sqlite": ".sqlite:SQLiteAdapter",
    "clickhouse": ".clickhouse:ClickHouseAdapter",
    "chdb": ".clickhouse:ChdbAdapter",
    "snowflake": ".snowflake:SnowflakeAdapter",
    "databricks": ".generic:DatabricksAdapter",
    "sqlalchemy": ".generic:GenericAdapter",
    "dbapi": ".generic:GenericAdapter",
}
EXTRAS = {"psycopg": "postgres", "pyspark": "spark", "sqlalchemy": "sqlalchemy",
          "databricks": "databricks", "pymysql": "mysql", "clickhouse_connect": "clickhouse",
          "chdb": "chdb", "snowflake": "snowflake"}


class Adapter(Protocol):
    name: str
    dialect: str

    def execute(self, sql: str) -> "pyarrow.Table": ...

    def columns(self, relation: str) -> dict[str, str]: ...

    def close(self) -> None: ...

    def __enter__(self) -> "Adapter": ...

    def __exit__(self, *exc: object) -> None: ...


class BaseAdapter:
    """Shared plumbing: context management, the SELECT-only guard and masked one-line errors."""

    name = "base"
    dialect = "duckdb"

    def __enter__(self) -> "BaseAdapter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def fail(self, message: str, sql: str | None = None) -> AdapterError:
        first = next((line for line in str(message).splitlines() if line.strip()), "failed")
        return AdapterError(self.name, secrets.mask(first.strip()), sql)

    def timed_out(self, seconds: float, sql: str) -> AdapterError:
        return self.fail(f"query stopped: it ran longer than statement_timeout ({seconds:g} s; "
                         "limits.timeout in project.yml, --timeout)", sql)

    def guard(self, sql: str) -> None:
        """Refuse anything but a single read-only SELECT, before the backend sees it."""
        from .guard import REFUSED, select_problem

        problem = select_problem(sql, self.dialect)
        if problem:
            raise self.fail(f"{REFUSED} ({problem})", sql)

    def require_writable(self, name: str) -> None:
        """Seeding is the one write: only on an adapter opened with ``writable=True``."""
        if not getattr(self, "writable", False):
            raise self.fail(f"cannot load {name}: this connection is read-only; seeding needs "
                            "one opened with 'writable: true'")

    def relation_sql(self, relation: str) -> str:
        """A query that describes a table or a parenthesised subquery without reading it."""
        return f"SELECT * FROM {relation} AS described WHERE 1 = 0"


def connect(project: "Project", settings: dict[str, Any] | None = None, *,
            target: str | None = None, connection: str | None = None,
            profiles_dir: str | Path | None = None, **overrides: Any) -> Adapter:
    """Open a connection: ``settings``, a URL, a profile's target, or the project's own.

    ``overrides`` (``connect_timeout=5``) are added to the target's settings.
    """
    from .profiles import resolve_target

    chosen = resolve_target(project, settings, target, connection, profiles_dir)
    return open_target(project, chosen, **overrides)


def open_target(project: "Project", chosen: "Target", **overrides: Any) -> Adapter:
    return open_prepared(prepare(project, chosen, **overrides))


def prepare(project: "Project", chosen: "Target", **overrides: Any) -> "Prepared":
    """Everything opening a connection needs from the project: the target's settings
    rendered (secrets registered with the masker), the overrides, and what only the project
    may decide (DuckDB's sandbox). Opening it needs nothing else (:func:`open_prepared`)."""
    raw = dict(chosen.settings)
    kind = str(raw.pop("type", "duckdb")).lower()
    if kind not in REGISTRY:
        raise UsageError(f"{chosen.describe()}: unknown connection type '{kind}'; expected one "
                         "of: " + ", ".join(sorted(REGISTRY)))
    from_env = {k for k, v in raw.items() if isinstance(v, str) and "env_var" in v}
    options = {k: _render(project, v, chosen) for k, v in raw.items()}
    options.update({k: v for k, v in overrides.items() if v is not None})
    secrets.register_settings(options, from_env)
    adapter_class = _adapter_class(kind, chosen)
    if hasattr(adapter_class, "project_options"):  # what only the project may decide
        options.update(adapter_class.project_options(project))
    return Prepared(kind, chosen.describe(), str(project.root), options, bool(from_env))


@dataclass(frozen=True)
class Prepared:
    """A connection ready to open: its type, how it is named, the project folder its
    relative paths start from, and its settings (with secrets when ``secret`` says so)."""

    kind: str
    label: str
    root: str
    options: dict[str, Any]
    secret: bool = False  # a setting came from env_var(): never to be written anywhere

    def saved(self) -> dict[str, Any] | None:
        """As JSON-able data, for an embedded DuckDB whose settings hold no secret (what a
        kept plan may hold); None for anything else."""
        if self.kind != "duckdb" or self.secret:
            return None
        options = dict(self.options)
        sandbox = options.pop("sandbox", None)
        return {"kind": self.kind, "label": self.label, "root": self.root, "options": options,
                "sandbox": sandbox.saved() if sandbox is not None else None}

    @classmethod
    def restored(cls, saved: dict[str, Any]) -> "Prepared":
        from .sandbox import Sandbox

        options = dict(saved["options"])
        if saved["sandbox"] is not None:
            options["sandbox"] = Sandbox.restored(saved["sandbox"])
        return cls(saved["kind"], saved["label"], saved["root"], options)


def open_prepared(prepared: Prepared) -> Adapter:
    kind, label, options = prepared.kind, prepared.label, prepared.options
    log.info("connecting to %s: %s", label, _shown(kind, options))
    module, cls = REGISTRY[kind].split(":")
    try:
        adapter_class = getattr(importlib.import_module(module, __package__), cls)
        return adapter_class(root=Path(prepared.root), **options)
    except ModuleNotFoundError as err:  # the driver, imported when the adapter opens
        raise _missing_driver(err, kind, label) from None
    except AdapterError as err:
        detail = str(err).removeprefix(f"{err.adapter}: ")
        raise AdapterError(f"{err.adapter} {label}", secrets.mask(detail)) from None
    except TypeError as err:
        raise UsageError(f"{label}: {secrets.mask(str(err))}") from None


def _adapter_class(kind: str, chosen: "Target") -> type:
    module, cls = REGISTRY[kind].split(":")
    try:
        return getattr(importlib.import_module(module, __package__), cls)
    except ModuleNotFoundError as err:
        raise _missing_driver(err, kind, chosen.describe()) from None


def _missing_driver(err: ModuleNotFoundError, kind: str, label: str) -> UsageError:
    package = (err.name or "").split(".")[0]
    extra = EXTRAS.get(package, kind)
    return UsageError(f"{label} needs the '{package}' package: "
                      f"pip install 'sales-metrics[{extra}]'")


def _shown(kind: str, options: dict[str, Any]) -> str:
    shown = secrets.masked_settings(options)
    return ", ".join([f"type={kind}"] + [f"{k}={v}" for k, v in shown.items()])


def _render(project: "Project", value: Any, chosen: "Target") -> Any:
    from sales_metrics.engine.templating import TemplateProblem

    if isinstance(value, dict):
        return {k: _render(project, v, chosen) for k, v in value.items()}
    if isinstance(value, list):  # DuckDB's `data: [folder, ...]`
        return [_render(project, v, chosen) for v in value]
    if not isinstance(value, str):
        return value
    try:
        return project.loaded.templates.render(value, secrets=True)
    except TemplateProblem as err:
        raise UsageError(f"connection settings of {chosen.describe()}: {err}") from None


def resolve_path(root: Path, value: str) -> Path:
    """A setting's path, as the engine resolves project paths (engine/access.py)."""
    from sales_metrics.engine.access import resolved

    return resolved(root, value)


def url_settings(url: str, options: set[str]) -> tuple[dict[str, Any], list[str]]:
    """A connection URL's host, port, user, password and ``?options`` (each one of
    ``options``), and its path segments: what a driver's URL-less ``connect()`` takes."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    extra = dict(parse_qsl(parts.query))
    unknown = sorted(set(extra) - options)
    if unknown:
        raise UsageError(f"unknown option{'s' * (len(unknown) > 1)} in the URL: "
                         f"{', '.join(unknown)}; known: {', '.join(sorted(options))}")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"the port in '{secrets.mask(url)}' is not a number") from None
    found = {"host": parts.hostname, "port": port,
             "user": unquote(parts.username) if parts.username else None,
             "password": unquote(parts.password) if parts.password else None}
    segments = [unquote(p) for p in parts.path.strip("/").split("/") if p]
    return {**{k: v for k, v in found.items() if v is not None}, **extra}, segments
