"""`metrics publish`: the views for BI tools (engine/publish.py) created on a target.

Besides `seed`, the one command that writes, and only through the adapter's narrow
``create_views`` (a connection opened writable, every statement checked by the DDL guard of
adapters/guard.py). Before the first write it says on stderr where, in which schema, how many
views, and whether it creates or replaces them.

``--dry-run`` connects to nothing: the target's type gives the dialect (each adapter's
class names its own), and the DDL is printed to stdout, every statement ending in ``;``.
What already exists in the schema is therefore not checked by a dry run.

Writing: PostgreSQL and DuckDB run the whole publish in one transaction (all or nothing;
``--replace`` on PostgreSQL is DROP VIEW then CREATE VIEW inside it, as CREATE OR REPLACE
VIEW cannot drop or retype a column, and a view something else depends on stops it).
MySQL and MariaDB commit each DDL statement: every name is checked before the first write,
but a failure midway leaves the views created before it (the error says how far it got).
DuckDB needs a database file that holds the tables (in memory, views die with the command).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sales_metrics.engine.diagnostics import UsageError

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project

    from .connections import Where


def publish(project: "Project", where: "Where", schema: str | None, replace: bool,
            dry_run: bool) -> None:
    from sales_metrics.adapters.base import open_prepared
    from sales_metrics.engine.publish import plan

    prepared = where.prepare(project)
    adapter = _adapter_class(prepared.kind)
    if not hasattr(adapter, "create_views"):
        raise UsageError(f"{prepared.label}: publish creates views on postgres, mysql, mariadb "
                         f"and duckdb targets, not on '{prepared.kind}'")
    if prepared.kind == "duckdb" and not dry_run:
        _check_duckdb_file(prepared)
    publication = plan(project, adapter.dialect, schema, prepared.options.get("schema"))
    statements = publication.statements(replace)
    if dry_run:
        typer.echo("".join(f"{s};\n\n" for s in statements).rstrip("\n"))
        _notes(publication, where.verbose)
        typer.echo(f"dry run: {len(publication.views)} views in schema "
                   f"'{publication.schema}', {len(statements)} statements; nothing was sent "
                   f"to {prepared.label}", err=True)
        return
    writable = dataclasses.replace(prepared, options={**prepared.options, "writable": True})
    names = publication.names

    def announce() -> None:  # said once nothing stands in the way, before the first write
        typer.echo(f"publish writes to {prepared.label}: creates"
                   f"{' or replaces' if replace else ''} {len(names)} views in schema "
                   f"'{publication.schema}': {', '.join(names)}", err=True)

    with open_prepared(writable) as conn:
        conn.create_views(publication.schema, names, statements, replace, announce)
    _notes(publication, where.verbose)
    typer.echo(f"done: {len(names)} views in schema '{publication.schema}'", err=True)


def _notes(publication, verbose: bool) -> None:
    """What each view leaves out: every metric with --verbose, else a count per view."""
    if verbose:
        for note in publication.notes:
            typer.echo(note, err=True)
        return
    for view, count in publication.left_out().items():
        typer.echo(f"note: {view} leaves out {count} metric{'s' * (count > 1)} its grain, "
                   "grouping or dialect does not allow (--verbose names them)", err=True)


def _adapter_class(kind: str) -> type:
    import importlib

    from sales_metrics.adapters.base import REGISTRY

    module, name = REGISTRY[kind].split(":")  # prepare() has refused an unknown type
    return getattr(importlib.import_module(module, "sales_metrics.adapters"), name)


def _check_duckdb_file(prepared) -> None:
    """Views in an in-memory DuckDB would vanish with the command, and opening a missing
    file writable would create an empty database: both refused before connecting."""
    from sales_metrics.adapters.base import resolve_path

    database = str(prepared.options.get("database") or ":memory:")
    if database == ":memory:":
        raise UsageError(f"{prepared.label}: an in-memory DuckDB forgets its views when the "
                         "command ends; publish to a database file "
                         "(--connection duckdb:///path/to/file.duckdb)")
    path = resolve_path(Path(prepared.root), database)
    if not path.is_file():
        raise UsageError(f"{prepared.label}: database file {path} does not exist; publish adds "
                         "views to a database that holds the tables")
