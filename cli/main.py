"""The `metrics` command: parse arguments, call the engine, format. Nothing else lives here.

Exit codes are stable so CI can rely on them: 0 ok, 1 invalid definitions, 2 usage or
connection errors. Problems go to stderr as one line each; data goes to stdout.
Heavy modules (sqlglot, DuckDB, pyarrow, rich) are imported inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar
from collections.abc import Callable

import typer

from engine.diagnostics import MetricsError

OK, INVALID, USAGE = 0, 1, 2
T = TypeVar("T")

app = typer.Typer(
    name="metrics", no_args_is_help=True, add_completion=False,
    pretty_exceptions_show_locals=False,  # a password may sit in a local variable
    help="Sales KPIs as code: validate YAML definitions, compile them to SQL, run them.",
)


class GrainOpt(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"


class DiagnosticFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


ProjectOpt = Annotated[Path | None, typer.Option(
    "--project", "-p", envvar="METRICS_PROJECT", show_default=False,
    help="Project folder or project.yml (default: ./project.yml, then ./metrics/project.yml).")]
GrainArg = Annotated[GrainOpt | None, typer.Option(
    "--grain", "-g", case_sensitive=False, show_default=False,
    help="Time grain (default: the first metric's own grain).")]
ByOpt = Annotated[list[str] | None, typer.Option(
    "--by", "-b", show_default=False, help="Group by this dimension; repeat for more.")]
StartOpt = Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (inclusive).")]
EndOpt = Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (inclusive).")]
WhereOpt = Annotated[list[str] | None, typer.Option(
    "--where", "-w", show_default=False,
    help="Row filter over dimensions, e.g. \"region = 'EMEA'\"; repeat to AND them.")]


def _guard(action: Callable[[], T]) -> T:
    """Run a command body; a user error becomes clean lines on stderr and its exit code."""
    try:
        return action()
    except MetricsError as err:
        for line in err.lines():
            typer.echo(line, err=True)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `metrics run | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(OK) from None


def _load(project: Path | None):
    from engine.project import load_project

    return load_project(project)


def _request_options(grain: GrainOpt | None, by: list[str] | None, start: str | None,
                     end: str | None, where: list[str] | None) -> dict:
    return {"grain": grain.value if grain else None, "by": by or [], "start": start,
            "end": end, "where": where or []}


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(
        show_default=False, help="Project folder or project.yml (default: as for --project).")]
    = None,
    fmt: Annotated[DiagnosticFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="text for people, json or github for CI.")]
    = DiagnosticFormat.text,
) -> None:
    """Check every definition; exit 1 with one line per problem (file:line:col)."""
    from . import output

    def body() -> int:
        from engine.project import check_project

        project, diagnostics = check_project(path)
        output.print_diagnostics(diagnostics, fmt.value)
        if project is not None and fmt is DiagnosticFormat.text:
            typer.echo(f"ok: {len(project.catalog.metrics)} metrics and "
                       f"{len(project.catalog.sources)} sources are valid", err=True)
        return OK if project is not None else INVALID

    raise typer.Exit(_guard(body))


@app.command("compile")
def compile_(
    metrics: Annotated[list[str], typer.Argument(help="Metric names.")],
    grain: GrainArg = None, by: ByOpt = None, start: StartOpt = None, end: EndOpt = None,
    where: WhereOpt = None,
    dialect: Annotated[str | None, typer.Option(
        "--dialect", "-d", help="Any sqlglot dialect: duckdb, postgres, snowflake, bigquery, "
        "spark, tsql, trino, ... (default: the project's).", show_default=False)] = None,
    project: ProjectOpt = None,
) -> None:
    """Print the SQL for metrics, in any dialect; no connection needed."""
    def body() -> None:
        loaded = _load(project)
        typer.echo(loaded.compile(metrics, dialect=dialect,
                                  **_request_options(grain, by, start, end, where)))

    _guard(body)


@app.command()
def run(
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", "-m", show_default=False, help="Metric to run; repeat for more (default: all).")]
    = None,
    grain: GrainArg = None, by: ByOpt = None, start: StartOpt = None, end: EndOpt = None,
    where: WhereOpt = None,
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="table for people; csv, json, parquet for tools.")]
    = OutputFormat.table,
    out: Annotated[Path | None, typer.Option(
        "--output", "-o", show_default=False, help="Write to this file (whole or not at all).")]
    = None,
    project: ProjectOpt = None,
) -> None:
    """Compute metrics per period and print them (or write them to --output)."""
    from . import output

    def body() -> None:
        from adapters import connect

        loaded = _load(project)
        if fmt is OutputFormat.parquet and out is None:
            raise output.usage("--format parquet writes a binary file; add --output FILE")
        options = _request_options(grain, by, start, end, where)
        names = metric or _whole_catalog(loaded, options)
        sql = loaded.compile(names, **options)  # a bad request fails before connecting
        with connect(loaded) as conn:
            if conn.dialect != loaded.settings.dialect:
                sql = loaded.compile(names, dialect=conn.dialect, **options)
            table = conn.execute(sql)
        grain_used = options["grain"] or loaded.catalog.metrics[names[0]].model.grain.value
        output.emit(table, fmt.value, out, loaded, names, grain_used, by_file=not metric)

    _guard(body)


def _whole_catalog(loaded, options: dict) -> list[str]:
    """Every metric that this grain and grouping allow; a note for each one left out."""
    names, skipped = loaded.runnable(loaded.catalog.metrics, **options)
    for name, why in skipped.items():
        typer.echo(f"note: skipped {name}: {why}", err=True)
    if not names:
        raise MetricsError("no metric of the catalog can be computed for this request")
    return names


@app.command("list")
def list_(project: ProjectOpt = None) -> None:
    """List the metrics: name, label, format, owner, source."""
    from . import output

    _guard(lambda: output.print_list(_load(project)))


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Metric name.")],
    dialect: Annotated[str | None, typer.Option("--dialect", "-d", show_default=False,
                                                   help="Dialect of the SQL shown.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Show one metric: its definition, lineage (what it reads, what uses it) and its SQL."""
    from . import output

    _guard(lambda: output.print_metric(_load(project), name, dialect))


def main() -> None:  # the console script
    app(prog_name="metrics")


if __name__ == "__main__":
    main()
