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

from sales_metrics.engine.diagnostics import MetricsError

from .connections import (ConnectionOpt, ProfilesDirOpt, QueryTimeoutOpt, TargetOpt, TimeoutOpt,
                          VerboseOpt, Where)

OK, INVALID, USAGE = 0, 1, 2
T = TypeVar("T")

app = typer.Typer(
    name="metrics", no_args_is_help=True, add_completion=False,
    pretty_exceptions_show_locals=False,  # a password may sit in a local variable
    # Plain help and usage errors: Rich's formatter costs ~0.1 s of imports on every
    # `--help` and every mistyped option (start-up budget: issue 6).
    rich_markup_mode=None,
    help="Sales KPIs as code: validate YAML definitions, compile them to SQL, run them.",
)

DISTRIBUTION = "sales-metrics"  # the name pip knows; the import namespace is sales_metrics


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"metrics (sales-metrics) {version(DISTRIBUTION)}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("metrics (sales-metrics): not installed; pip install -e . first", err=True)
            raise typer.Exit(USAGE) from None
        raise typer.Exit(OK)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the installed version and exit.")] = False) -> None:
    """Sales KPIs as code: validate YAML definitions, compile them to SQL, run them."""


class GrainOpt(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    all = "all"  # one row for the whole range


class DiagnosticFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    spark = "spark"  # the terminal view: one line per KPI, a sparkline over the periods
    html = "html"  # a self-contained page of charts against targets (cli/charts.py)
    png = "png"
    svg = "svg"
    xlsx = "xlsx"  # a workbook of typed, formatted cells (cli/workbook.py)


BINARY = (OutputFormat.parquet, OutputFormat.png, OutputFormat.xlsx)

ProjectOpt = Annotated[Path | None, typer.Option(
    "--project", "-p", envvar="METRICS_PROJECT", show_default=False,
    help="Project folder or project.yml (default: ./project.yml, then ./metrics/project.yml).")]
GrainArg = Annotated[GrainOpt | None, typer.Option(
    "--grain", "-g", case_sensitive=False, show_default=False,
    help="Time grain (default: the first metric's own grain); 'all': one row for the whole "
         "range.")]
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
        from .literal import visible

        for line in err.lines():
            typer.echo(visible(line), err=True)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        watch = sys.modules.get("sales_metrics.adapters.watch")
        if watch and watch.ABANDONED.is_set():  # an engine still at work (chdb): no teardown
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `metrics run | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(OK) from None
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(_file_problem(err), err=True)
        raise typer.Exit(USAGE) from None


def _file_problem(err: OSError | UnicodeDecodeError) -> str:
    """A file a flag names that cannot be read or is not text: one line. An OSError without
    a file name is not about the user's files: it stays a traceback, as our bug."""
    from .literal import visible

    if isinstance(err, UnicodeDecodeError):
        return f"error: a file read is not UTF-8 text ({err.reason} at byte {err.start})"
    if err.filename is None:
        raise err
    return visible(f"error: cannot use {err.filename}: {err.strerror or err}")


def _load(project: Path | None):
    from sales_metrics.engine.project import load_project

    return load_project(project)


def _request_options(grain: GrainOpt | None, by: list[str] | None, start: str | None,
                     end: str | None, where: list[str] | None) -> dict:
    return {"grain": grain.value if grain else None, "by": by or [],
            "start": start, "end": end, "where": where or []}


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(
        show_default=False, help="Project folder or project.yml (default: as for --project).")]
    = None,
    fmt: Annotated[DiagnosticFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="text for people, json or github for CI.")]
    = DiagnosticFormat.text,
    against: Annotated[str | None, typer.Option(
        "--against", show_default=False,
        help="Also check that every table and column used exists in this target (a "
             "profiles.yml target name, or a connection URL) with a type that fits.")] = None,
    profiles_dir: ProfilesDirOpt = None, connect_timeout: TimeoutOpt = 10.0,
    verbose: VerboseOpt = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Fail (exit 1) on warnings too, not only on errors.")] = False,
) -> None:
    """Check every definition; exit 1 with one line per problem (file:line:col).

    Lint warnings (severities set under `lint:` in project.yml) fail only with --strict."""
    from . import output

    def body() -> int:
        from sales_metrics.engine.project import check_project

        from .connections import against as where_of, setup_logging

        setup_logging(verbose)
        project, diagnostics = check_project(path)
        if project is not None and against:
            from .warehouse import check_against

            where = where_of(against, profiles_dir, connect_timeout, verbose)
            diagnostics = diagnostics + check_against(project, where, fmt.value)
        elif project is not None:
            from sales_metrics.adapters.local import check_local_data, is_local

            if is_local(project, profiles_dir):  # the data is here: check it too, no flag
                diagnostics = diagnostics + check_local_data(project)
        if project is not None and any(d.severity == "error" for d in diagnostics):
            project = None
        output.print_diagnostics(diagnostics, fmt.value)
        warned = strict and any(d.severity == "warning" for d in diagnostics)
        if project is not None and fmt is DiagnosticFormat.text:
            typer.echo("failed: --strict fails on warnings" if warned else
                       f"ok: {len(project.catalog.metrics)} metrics and "
                       f"{len(project.catalog.sources)} sources are valid", err=True)
        return OK if project is not None and not warned else INVALID

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
    fmt: Annotated[OutputFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False, show_default=False,
        help="table or spark (a trend line per KPI) for people; html (charts against "
             "targets), png or svg (the charts as an image), xlsx (a workbook); csv, json, "
             "parquet for tools (default: from the --output suffix, else table).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--output", "-o", show_default=False, help="Write to this file (whole or not at all); "
        ".csv, .json, .parquet, .html, .png, .svg, .xlsx, or .txt for the table.")] = None,
    project: ProjectOpt = None, target: TargetOpt = None, connection: ConnectionOpt = None,
    profiles_dir: ProfilesDirOpt = None, connect_timeout: TimeoutOpt = 10.0,
    timeout: QueryTimeoutOpt = None, verbose: VerboseOpt = False,
) -> None:
    """Compute metrics per period and print them (or write them to --output)."""
    from . import output

    def body() -> None:
        from . import planned
        from .checks import output_format, writable
        from .connections import setup_logging

        setup_logging(verbose)
        if fmt in BINARY and out is None:
            raise output.usage(f"--format {fmt.value} writes a binary file; add --output FILE")
        chosen = OutputFormat(output_format(fmt.value if fmt else None, out))
        if out is not None:
            writable(out)
        loaded = _load(project)
        options = _request_options(grain, by, start, end, where)
        notes: list[str] = []
        names = metric or _whole_catalog(loaded, options, notes)
        first = loaded.catalog.metrics.get(names[0])  # an unknown name: the compile says so
        grain_used = options["grain"] or (first.model.grain.value if first else "month")
        place = Where(target, connection, profiles_dir, connect_timeout, verbose, timeout)
        prepared = place.prepare(loaded)
        if prepared.kind != "duckdb":
            loaded.compile(names, **options)  # a bad request fails before connecting

        def plan(dialect: str) -> dict:
            return planned.make(loaded, prepared, dialect, names, options, notes, chosen.value,
                                grain_used, by_file=not metric)

        from sales_metrics.adapters.base import open_prepared

        if prepared.kind == "duckdb":  # the plan's SQL is DuckDB's before connecting
            made = plan("duckdb")
            made |= {"out": str(out) if out is not None else None, "verbose": verbose}
            planned.keep(made)
            with open_prepared(prepared) as conn:
                planned.execute(made, out, verbose, conn)
            return
        with open_prepared(prepared) as conn:
            planned.execute(plan(conn.dialect), out, verbose, conn)

    _guard(body)


def _whole_catalog(loaded, options: dict, notes: list[str]) -> list[str]:
    """Every metric that this grain and grouping allow; a note for each one left out."""
    names, skipped = loaded.runnable(loaded.catalog.metrics, **options)
    notes += [f"note: skipped {name}: {why}" for name, why in skipped.items()]
    if not names:
        from .planned import say

        for line in notes:
            say(line)
        raise MetricsError("no metric of the catalog can be computed for this request")
    return names


@app.command()
def seed(
    target: TargetOpt = None, connection: ConnectionOpt = None,
    schema: Annotated[str, typer.Option(
        help="Schema (database, on Spark) to create the sample tables in.")] = "metrics_sample",
    data: Annotated[Path | None, typer.Option(
        show_default=False, help="Folder of Parquet files (default: examples/data of this "
                                 "repository).")] = None,
    replace: Annotated[bool, typer.Option(
        help="Replace sample tables that already exist in the schema.")] = False,
    project: ProjectOpt = None, profiles_dir: ProfilesDirOpt = None,
    connect_timeout: TimeoutOpt = 10.0, verbose: VerboseOpt = False,
) -> None:
    """Load the sample data into a target, one table per Parquet file. This command WRITES:
    it creates (or with --replace, replaces) those tables in --schema, and nothing else."""
    def body() -> None:
        from .connections import setup_logging
        from .warehouse import seed_target

        setup_logging(verbose)
        place = Where(target, connection, profiles_dir, connect_timeout, verbose)
        seed_target(_load(project), place, schema, data, replace)

    _guard(body)


@app.command()
def publish(
    target: TargetOpt = None, connection: ConnectionOpt = None,
    schema: Annotated[str | None, typer.Option(
        show_default=False, help="Schema (database, on MySQL) to create the views in "
                                 "(default: publish.schema in project.yml, else kpis).")] = None,
    replace: Annotated[bool, typer.Option(
        help="Replace views of the same names (never a table or anything else).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the DDL, in the target's dialect, and connect to nothing.")]
    = False,
    project: ProjectOpt = None, profiles_dir: ProfilesDirOpt = None,
    connect_timeout: TimeoutOpt = 10.0, verbose: VerboseOpt = False,
) -> None:
    """Create views of the KPIs for BI tools: one per grain, one per view project.yml
    declares under publish:, each live over the data. This command WRITES: it creates (or
    with --replace, replaces) those views in --schema, and nothing else."""
    def body() -> None:
        from .connections import setup_logging
        from .publish import publish as publish_views

        setup_logging(verbose)
        place = Where(target, connection, profiles_dir, connect_timeout, verbose)
        publish_views(_load(project), place, schema, replace, dry_run)

    _guard(body)


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


@app.command()
def schema() -> None:
    """Print the JSON Schema of the YAML files (project file and definitions), for editors:
    `metrics schema > metrics.schema.json` (see the README for VS Code)."""
    def body() -> None:
        from sales_metrics.engine.schema import json_text

        typer.echo(json_text(), nl=False)

    _guard(body)


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"


@app.command()
def diff(
    path: Annotated[Path | None, typer.Argument(
        show_default=False, help="Project folder or project.yml (default: as for --project).")]
    = None,
    base: Annotated[str, typer.Option(
        "--base", help="Git ref to compare with: a branch, tag or commit (HEAD: the "
        "uncommitted changes).")] = "HEAD",
    values: Annotated[bool, typer.Option(
        "--values", help="Run both versions of each changed metric on the same data and "
        "show how its values moved.")] = False,
    grain: GrainArg = None, start: StartOpt = None, end: EndOpt = None,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="Periods shown per metric with --values, largest change first.")]
    = 10,
    fmt: Annotated[DiffFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="text for people, markdown for a pull "
        "request comment.")] = DiffFormat.text,
    fail_on_breaking: Annotated[bool, typer.Option(
        "--fail-on-breaking", help="Exit 1 when a change breaks consumers (for CI).")] = False,
    target: TargetOpt = None, connection: ConnectionOpt = None,
    profiles_dir: ProfilesDirOpt = None, connect_timeout: TimeoutOpt = 10.0,
    timeout: QueryTimeoutOpt = None, verbose: VerboseOpt = False,
) -> None:
    """Compare the definitions at a git ref with the working tree: added, removed, renamed
    and changed metrics, which changes break consumers, and (--values) how values move."""
    def body() -> int:
        from .connections import setup_logging
        from .diff.command import command

        setup_logging(verbose)
        place = Where(target, connection, profiles_dir, connect_timeout, verbose, timeout)
        options = _request_options(grain, None, start, end, None)
        del options["by"], options["where"]
        return command(path, base, fmt.value, values, options, top, fail_on_breaking, place)

    raise typer.Exit(_guard(body))


@app.command()
def docs(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Folder to write the HTML catalog to (replaced whole).")],
    project: ProjectOpt = None,
    with_values: Annotated[bool, typer.Option(
        "--with-values", help="Also run the KPIs on the project's connection and show each "
        "one's latest values and its chart against the target.")] = False,
    grain: GrainArg = None, start: StartOpt = None, end: EndOpt = None,
    target: TargetOpt = None, connection: ConnectionOpt = None,
    profiles_dir: ProfilesDirOpt = None, connect_timeout: TimeoutOpt = 10.0,
    timeout: QueryTimeoutOpt = None, verbose: VerboseOpt = False,
) -> None:
    """Write a static, searchable HTML catalog of every KPI (open index.html; no server)."""
    def body() -> None:
        from .connections import setup_logging
        from .docs import write_docs

        setup_logging(verbose)
        place = Where(target, connection, profiles_dir, connect_timeout, verbose, timeout) \
            if with_values else None
        options = {"grain": grain.value if grain else None, "start": start, "end": end}
        write_docs(_load(project), output, values=place, options=options)

    _guard(body)


class TestFormat(str, Enum):
    text = "text"
    github = "github"


@app.command("test")
def test_(
    path: Annotated[Path | None, typer.Argument(
        show_default=False, help="Project folder or project.yml, or a test file or folder "
        "of the project to run only its tests (default: as for --project).")] = None,
    select: Annotated[list[str] | None, typer.Option(
        "--select", "-s", show_default=False, help="Run the tests with this name, or that "
        "check this metric (glob patterns work); repeat for more.")] = None,
    fmt: Annotated[TestFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="text, or github to also annotate "
        "failures in a pull request.")] = TestFormat.text,
    timeout: QueryTimeoutOpt = None,
) -> None:
    """Run the KPI tests (the 'tests:' lists of the YAML files) on DuckDB in memory;
    exit 1 when a test fails or is invalid."""
    def body() -> int:
        from .testing import run as run_tests

        return run_tests(path, select or [], fmt.value, timeout)

    raise typer.Exit(_guard(body))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    force: Annotated[bool, typer.Option(
        "--force", help="Write into a folder that is not empty (replacing the files the "
        "new project consists of).")] = False,
    starter: Annotated[str | None, typer.Option(
        "--from", metavar="salesforce|hubspot|zoho", show_default=False,
        help="Start from a CRM: the catalog's KPIs over its tables as Fivetran lands them, "
        "with a sample of such tables.")] = None,
) -> None:
    """Create a new project that runs at once: project file, a source with sample data,
    two KPIs and a test (or, with --from, a CRM starter)."""
    def body() -> None:
        from .scaffold import init as scaffold

        scaffold(directory, force, starter)

    _guard(body)


class ImportKind(str, Enum):
    metricflow = "metricflow"
    osi = "osi"


class ExportKind(str, Enum):
    osi = "osi"
    snowflake = "snowflake-semantic-view"
    databricks = "databricks-metric-view"


@app.command("import")
def import_(
    kind: Annotated[ImportKind, typer.Argument(
        case_sensitive=False, help="metricflow: a dbt project's semantic models and metrics; "
        "osi: an Open Semantic Interchange file.")],
    path: Annotated[Path, typer.Argument(help="The dbt project folder, or the OSI file.")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Folder to write the new project to (must not exist, or be "
        "empty).")],
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when any construct could not be mapped.")] = False,
) -> None:
    """Write our YAML from another tool's definitions; every construct that could not be
    mapped is reported with its file and line (nothing is dropped silently)."""
    def body() -> int:
        from sales_metrics.engine.interchange import importer

        return importer(kind.value)(path, output, strict)

    raise typer.Exit(_guard(body))


@app.command("export")
def export(
    kind: Annotated[ExportKind, typer.Argument(
        case_sensitive=False, help="osi, snowflake-semantic-view or databricks-metric-view.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", show_default=False, help="File (or folder, for one file per view) "
        "to write (whole or not at all); default: stdout.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Hand the definitions to another tool; a report on stderr lists each metric of a kind
    the target cannot express."""
    def body() -> int:
        from sales_metrics.engine.interchange import exporter

        return exporter(kind.value)(_load(project), output)

    raise typer.Exit(_guard(body))


@app.command()
def serve(
    host: Annotated[str, typer.Option(
        help="Address to listen on. Anything but loopback (127.0.0.1, ::1, localhost) "
             "needs a token (METRICS_SERVE_TOKEN or --tokens).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    project: ProjectOpt = None, target: TargetOpt = None, connection: ConnectionOpt = None,
    profiles_dir: ProfilesDirOpt = None,
    tokens: Annotated[Path | None, typer.Option(
        "--tokens", envvar="METRICS_SERVE_TOKENS", show_default=False,
        help="YAML file of tokens ('tokens:', a list of {name, token, metrics, dimensions}), "
             "each limited to some metrics (glob patterns) and dimensions.")] = None,
    max_concurrent: Annotated[int, typer.Option(
        "--max-concurrent", "--workers", min=1,
        help="Queries run at once (one connection each).")] = 4,
    cache_ttl: Annotated[float, typer.Option(
        min=0, help="Seconds a result is kept in the cache; 0: no cache.")] = 60.0,
    max_rows: Annotated[int, typer.Option(
        min=1, help="Most rows a result may have; more is refused.")] = 100_000,
    max_body: Annotated[int, typer.Option(
        min=1024, help="Most bytes of a request body.")] = 1 << 20,
    connect_timeout: TimeoutOpt = 10.0, timeout: QueryTimeoutOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Serve the catalog and its numbers over HTTP (read-only), until Ctrl-C: GET
    /v1/metrics, POST /v1/query, ... (GET /openapi.json describes them all)."""
    def body() -> None:
        from .serve.command import serve as run_server

        run_server(project, host, port, target=target, connection=connection,
                   profiles_dir=profiles_dir, tokens=tokens, max_concurrent=max_concurrent,
                   cache_ttl=cache_ttl, max_rows=max_rows, timeout=timeout,
                   connect_timeout=connect_timeout, max_body=max_body, verbose=verbose)

    _guard(body)


class McpTransport(str, Enum):
    stdio = "stdio"
    http = "http"


@app.command()
def mcp(
    project: ProjectOpt = None,
    transport: Annotated[McpTransport, typer.Option(
        case_sensitive=False, help="stdio: the client starts this command and talks over "
        "stdin/stdout; http: streamable HTTP at /mcp.")] = McpTransport.stdio,
    host: Annotated[str, typer.Option(
        help="With --transport http: address to listen on. Anything but loopback needs a "
             "token (METRICS_SERVE_TOKEN or --tokens).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="With --transport http: port.")] = 8001,
    target: TargetOpt = None, connection: ConnectionOpt = None,
    profiles_dir: ProfilesDirOpt = None,
    tokens: Annotated[Path | None, typer.Option(
        "--tokens", envvar="METRICS_SERVE_TOKENS", show_default=False,
        help="With --transport http: YAML file of tokens, as for `metrics serve`.")] = None,
    max_concurrent: Annotated[int, typer.Option(
        "--max-concurrent", min=1, help="Queries run at once (one connection each).")] = 4,
    cache_ttl: Annotated[float, typer.Option(
        min=0, help="Seconds a result is kept in the cache; 0: no cache.")] = 60.0,
    max_rows: Annotated[int, typer.Option(
        min=1, help="Most rows a result may have; more is refused.")] = 100_000,
    connect_timeout: TimeoutOpt = 10.0, timeout: QueryTimeoutOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Serve the catalog to AI assistants over the Model Context Protocol (read-only):
    tools list_metrics, describe_metric, dimension_values, query_metrics, compile_sql,
    compare_periods, validate."""
    def body() -> None:
        from .serve.command import serve_mcp

        serve_mcp(project, transport.value, host, port, target=target, connection=connection,
                  profiles_dir=profiles_dir, tokens=tokens, max_concurrent=max_concurrent,
                  cache_ttl=cache_ttl, max_rows=max_rows, timeout=timeout,
                  connect_timeout=connect_timeout, verbose=verbose)

    _guard(body)


def main() -> None:  # the console script
    app(prog_name="metrics")


if __name__ == "__main__":
    main()
