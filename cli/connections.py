"""Where a command runs: the connection options, `--verbose` logging, and progress on a terminal.

Secrets never reach the screen: `--verbose` lines pass through the masking filter, and
adapters mask their own error messages. Progress (a spinner with the elapsed time and which
query of how many) is shown only when both stdout and stderr are terminals and the output is
for people; piped or machine-readable output gets nothing extra.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from collections.abc import Iterator

import typer

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


def setup_logging(verbose: bool) -> None:
    """`--verbose`: the `metrics` logger to stderr, every line masked."""
    if not verbose:
        return
    from sales_metrics.adapters.secrets import MaskingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("-- %(message)s"))
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("metrics")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def interactive(machine_readable: bool = False, verbose: bool = False) -> bool:
    return not (machine_readable or verbose) and sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def step(label: str, index: int, total: int, show: bool) -> Iterator[None]:
    """One query: a spinner on a terminal (elapsed time, "query i of n"), a log line after."""
    log = logging.getLogger("metrics")
    text = f"{label}: query {index} of {total}"
    started = time.monotonic()
    if show:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from .literal import console, visible

        text = visible(text)  # a target's name or path, shown as written
        with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                      TimeElapsedColumn(), console=console(stderr=True),
                      transient=True) as progress:
            progress.add_task(text, total=None)
            yield
    else:
        yield
    log.info("%s done in %.3f s", text, time.monotonic() - started)
