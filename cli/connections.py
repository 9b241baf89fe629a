"""Where a command runs: the connection options (logging and progress: :mod:`.progress`).

Secrets never reach the screen: adapters mask their own error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from .progress import interactive, setup_logging, step  # noqa: F401  (the commands' names)

TargetOpt = Annotated[str | None, typer.Option(
    "--target", "-t", envvar="METRICS_TARGET", show_default=False,
    help="Target in profiles.yml (default: the profile's own default, else project.yml's "
         "connection).")]
ConnectionOpt = Annotated[str | None, typer.Option(
    "--connection", show_default=False,
    help="Connection URL for one run: duckdb:///file.duckdb, postgresql://user@host/db, "
         "sc://host:15002, or any SQLAlchemy URL.")]
ProfilesDirOpt = Annotated[Path | None, typer.Option(
    "--profiles-dir", envvar="METRICS_PROFILES_DIR", show_default=False,
    help="Folder of profiles.yml (default: the project's folder, then ~/.metrics).")]
TimeoutOpt = Annotated[float, typer.Option(
    "--connect-timeout", min=0.1, help="Seconds to wait for the connection.")]
QueryTimeoutOpt = Annotated[float | None, typer.Option(
    "--timeout", min=0.001, show_default=False,
    help="Seconds a query may run before it is stopped (the connection's statement_timeout; "
         "default: limits.timeout in project.yml, 600). Connection types that cannot stop a "
         "query after a time (spark, generic) refuse an explicit --timeout.")]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Log the target (secrets masked), the SQL and timings to stderr.")]


@dataclass(frozen=True)
class Where:
    """The connection options of one command."""

    target: str | None = None
    connection: str | None = None
    profiles_dir: Path | None = None
    connect_timeout: float = 10.0
    verbose: bool = False
    timeout: float | None = None  # --timeout; None: the project's limits.timeout

    def open(self, project: Any) -> Any:
        from sales_metrics.adapters import connect

        return connect(project, target=self.target, connection=self.connection,
                       profiles_dir=self.profiles_dir, connect_timeout=self.connect_timeout,
                       **self._statement_timeout(project))

    def prepare(self, project: Any) -> Any:
        """The connection ready to open (:func:`sales_metrics.adapters.base.prepare`)."""
        from sales_metrics.adapters.base import prepare
        from sales_metrics.adapters.profiles import resolve_target

        chosen = resolve_target(project, None, self.target, self.connection, self.profiles_dir)
        return prepare(project, chosen, connect_timeout=self.connect_timeout,
                       **self._statement_timeout(project))

    def _statement_timeout(self, project: Any) -> dict[str, float]:
        """``statement_timeout`` for an adapter that takes it; an explicit --timeout for one
        that cannot stop a query is refused rather than ignored."""
        seconds = self.timeout if self.timeout is not None else project.settings.limits.timeout
        if seconds is None:
            return {}
        from sales_metrics.adapters.profiles import resolve_target

        chosen = resolve_target(project, None, self.target, self.connection, self.profiles_dir)
        kind = str(chosen.settings.get("type", "duckdb")).lower()
        if _takes_timeout(kind):
            return {"statement_timeout": seconds}
        if self.timeout is not None:
            from sales_metrics.engine.diagnostics import UsageError

            raise UsageError(f"--timeout: a '{kind}' connection cannot stop a query after a "
                             "time; leave --timeout out")
        return {}

    def label(self, project: Any) -> str:
        from sales_metrics.adapters.profiles import resolve_target

        chosen = resolve_target(project, None, self.target, self.connection, self.profiles_dir)
        return chosen.describe()


def _takes_timeout(kind: str) -> bool:
    """Whether the adapter of a connection type names ``statement_timeout`` among its
    settings (one that passes unknown settings to a driver does not count)."""
    import importlib
    import inspect

    from sales_metrics.adapters.base import REGISTRY

    if kind not in REGISTRY:
        return False  # connecting reports the unknown type
    module, name = REGISTRY[kind].split(":")
    try:
        adapter = getattr(importlib.import_module(module, "sales_metrics.adapters"), name)
    except ModuleNotFoundError:
        return False  # connecting reports the missing driver
    return "statement_timeout" in inspect.signature(adapter.__init__).parameters


def against(value: str, profiles_dir: Path | None, timeout: float, verbose: bool) -> Where:
    """`--against NAME` names a target; `--against URL` is a connection."""
    if "://" in value:
        return Where(None, value, profiles_dir, timeout, verbose)
    return Where(value, None, profiles_dir, timeout, verbose)
