"""The commands that look at a warehouse itself: `validate --against` and `seed`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sales_metrics.engine.diagnostics import Diagnostic
    from sales_metrics.engine.project import Project

    from .connections import Where

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "examples" / "data"


def check_against(project: "Project", where: "Where", fmt: str) -> list["Diagnostic"]:
    """Describe every source's relation on the target and compare it with the definitions."""
    from sales_metrics.engine import schema_check
    from sales_metrics.engine.diagnostics import AdapterError

    from .connections import interactive, step

    label = where.label(project)
    with where.open(project) as conn:
        relations = schema_check.relations(project.catalog, conn.dialect)
        described: schema_check.Schema = {}
        show = interactive(fmt != "text", where.verbose)
        for i, (source, relation) in enumerate(relations.items(), 1):
            with step(label, i, len(relations), show):
                try:
                    described[source] = conn.columns(relation)
                except AdapterError as err:
                    described[source] = str(err).removeprefix(f"{err.adapter}: ")
    return schema_check.check(project.catalog, described, label)


def seed_target(project: "Project", where: "Where", schema: str, data: Path | None,
                replace: bool) -> None:
    from sales_metrics.adapters.base import open_target
    from sales_metrics.adapters.profiles import resolve_target
    from sales_metrics.adapters.seed import sample_files, seed

    from .connections import interactive, step

    folder = (data or SAMPLE_DATA).expanduser().resolve()
    names = list(sample_files(folder))
    chosen = resolve_target(project, None, where.target, where.connection, where.profiles_dir)
    label = chosen.describe()
    show = interactive(False, where.verbose)
    with open_target(project, chosen, connect_timeout=where.connect_timeout,
                     **_writable(chosen.kind)) as conn:
        def progress(i: int, total: int, name: str) -> None:
            if i == 1:  # said once nothing stands in the way, before the first write
                typer.echo(f"seed writes to {label}: creates{' or replaces' if replace else ''}"
                           f" {total} tables in schema '{schema}': {', '.join(names)}", err=True)
            typer.echo(f"  {name} ({i} of {total})", err=True)

        with step(label, 1, 1, show):
            seed(conn, folder, schema, replace, progress)
    typer.echo(f"done: point a target at schema '{schema}' (e.g. `schema: {schema}` in "
               "profiles.yml) and run `metrics run --target NAME`", err=True)


def _writable(kind: str) -> dict:
    """Seeding is the one write: ask the adapter for a writable connection."""
    if kind in ("postgres", "postgresql", "duckdb", "mysql", "mariadb", "sqlite", "chdb",
                "snowflake"):
        return {"writable": True}
    return {}
