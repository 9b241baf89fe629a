"""The adapter protocol, the registry of backends, and how a project's connection is opened.

An adapter is small: a ``dialect`` for sqlglot, ``execute(sql) -> pyarrow.Table``,
``columns(table)`` and ``close()``. Driver imports live inside each backend's module, so
compiling never needs a driver installed, and ``metrics --help`` never imports one.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.diagnostics import AdapterError, UsageError

if TYPE_CHECKING:
    import pyarrow

    from engine.project import Project

REGISTRY: dict[str, str] = {
    "duckdb": "adapters.duckdb:DuckDBAdapter",
}


class Adapter(Protocol):
    name: str
    dialect: str

    def execute(self, sql: str) -> "pyarrow.Table": ...

    def columns(self, table: str) -> dict[str, str]: ...

    def close(self) -> None: ...

    def __enter__(self) -> "Adapter": ...

    def __exit__(self, *exc: object) -> None: ...


class BaseAdapter:
    """Shared plumbing: context management and one-line errors."""

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
        return AdapterError(self.name, first.strip(), sql)


def connect(project: "Project", settings: dict[str, Any] | None = None) -> Adapter:
    """Open the project's default connection (or ``settings``), rendered with env_var()."""
    raw = dict(settings if settings is not None else project.settings.connection.model_dump())
    kind = str(raw.pop("type", "duckdb"))
    if kind not in REGISTRY:
        raise UsageError(f"unknown connection type '{kind}'; expected one of: "
                         + ", ".join(sorted(REGISTRY)))
    options = {k: _render(project, v) for k, v in raw.items()}
    module, cls = REGISTRY[kind].split(":")
    adapter_class = getattr(importlib.import_module(module), cls)
    return adapter_class(root=project.root, **options)


def _render(project: "Project", value: Any) -> Any:
    from engine.templating import TemplateProblem

    if not isinstance(value, str):
        return value
    try:
        return project.loaded.templates.render(value, secrets=True)
    except TemplateProblem as err:
        raise UsageError(f"connection settings: {err}") from None


def resolve_path(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path).resolve()
