"""`metrics init DIR`: a new project that validates, runs and passes its test at once.

The definitions go in ``DIR/metrics/`` (so other YAML files of the repository, such as CI
workflows, are never read as definitions) and a small CSV sample in ``DIR/data/``.
``--from salesforce|hubspot|zoho`` writes a CRM starter instead (``cli/starters/``): the
catalog's KPIs over that CRM's tables as its sync tool lands them, with a sample of them.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from pathlib import Path

import typer

from sales_metrics.engine.diagnostics import UsageError, relpath

PROJECT = """\
# The project file: settings every definition under this folder shares (see the README of
# sales-metrics for every setting).
name: {name}
dialect: duckdb                 # the SQL dialect expressions are written in
connection:                     # where `metrics run` executes
  type: duckdb
  database: ":memory:"
  data: ../data                 # every CSV/Parquet file there is a table named after the file
# Definitions and the engine may read only the project's own folder and these (relative to
# this file): ../data is outside metrics/, so it is named here.
allowed_paths: [../data]
week_start: monday
fiscal_year_start_month: 1
currency_symbol: "$"
vars:
  won_stage: won
  lost_stage: lost
"""

SOURCES = """\
# Where the numbers come from: one source per table (or `sql:` query, or file).
sources:
  - name: deals
    description: One row per sales opportunity, open or closed.
    table: deals                # data/deals.csv; on a warehouse, the table's name
    time: created_at            # default time column of the metrics on this source
    key: deal_id
    dimensions:                 # what metrics may be grouped by: name -> SQL
      region: region
      product: product
"""

METRICS = """\
# Two KPIs: a sum and a ratio. `metrics run` computes them per month.
metrics:
  - name: won_revenue
    label: Won revenue
    description: Total amount of the deals won, by the month they were won.
    owner: sales-ops
    source: deals
    time: closed_at
    numerator: sum(amount)
    filters: ["stage = '{{ var('won_stage') }}'"]
    dimensions: [region, product]
    format: currency

  - name: win_rate
    label: Win rate
    description: Deals won over deals closed (won or lost) in the month.
    owner: sales-ops
    source: deals
    time: closed_at
    numerator: count(*)
    denominator: count(*)
    filters: ["stage in ('{{ var('won_stage') }}', '{{ var('lost_stage') }}')"]
    numerator_filters: ["stage = '{{ var('won_stage') }}'"]
    dimensions: [region, product]
    format: percent
    target: {value: 0.5, direction: higher}
"""

TESTS = """\
# A KPI test: a few input rows and the values the KPIs must take on them. `metrics test`
# runs it on DuckDB in memory; change a definition and it tells you what moved.
tests:
  - name: win_rate_counts_closed_deals_only
    description: >-
      Open deals are neither won nor lost: they count on neither side of the win rate,
      even with an expected close date.
    grain: month
    given:
      deals:
        - {stage: won, amount: 1000, closed_at: 2025-01-10 10:00:00}
        - {stage: lost, amount: 500, closed_at: 2025-01-20 10:00:00}
        - {stage: negotiation, amount: 700, closed_at: 2025-01-31 10:00:00}
        - {stage: won, amount: 2000, closed_at: 2025-02-05 10:00:00}
    expect:
      # January: 1 won of 2 closed (the open deal would make it 1 of 3); $1,000 won
      - {period: 2025-01, win_rate: 1/2, won_revenue: 1000}
      # February: 1 won of 1 closed; $2,000 won
      - {period: 2025-02, win_rate: 1, won_revenue: 2000}
"""

DEALS = """\
deal_id,created_at,closed_at,stage,amount,region,product
1,2025-01-03 09:00:00,2025-01-20 15:00:00,won,12000,EMEA,Platform
2,2025-01-06 10:30:00,2025-01-28 11:00:00,lost,8000,EMEA,Platform
3,2025-01-09 14:00:00,2025-02-11 16:30:00,won,25000,Americas,Analytics
4,2025-01-15 08:45:00,2025-02-03 10:00:00,lost,5000,Americas,Platform
5,2025-01-22 13:15:00,,negotiation,18000,APAC,Analytics
6,2025-02-02 09:30:00,2025-02-24 17:00:00,won,9500,APAC,Platform
7,2025-02-05 11:00:00,2025-03-07 12:00:00,lost,14000,EMEA,Analytics
8,2025-02-12 16:00:00,2025-03-03 09:30:00,won,31000,Americas,Platform
9,2025-02-19 10:00:00,,proposal,7000,EMEA,Platform
10,2025-02-25 15:30:00,2025-03-18 14:00:00,won,11000,EMEA,Analytics
11,2025-03-03 09:00:00,2025-03-21 10:00:00,lost,6000,APAC,Platform
12,2025-03-10 12:00:00,2025-03-27 16:00:00,won,15500,Americas,Analytics
13,2025-03-14 10:30:00,,qualification,20000,APAC,Platform
14,2025-03-20 14:45:00,,proposal,9000,Americas,Platform
"""

FILES = {"metrics/project.yml": PROJECT, "metrics/sources.yml": SOURCES,
         "metrics/sales.yml": METRICS, "metrics/sales.test.yml": TESTS,
         "data/deals.csv": DEALS}


def init(directory: Path, force: bool = False, starter: str | None = None) -> None:
    """Write the project into ``directory``, which must be empty (or new) unless ``force``.

    ``starter`` names a CRM starter (:mod:`sales_metrics.cli.starters`): its definitions over
    the CRM's tables and a sample of them, instead of the small generic project."""
    from .starters import STARTERS

    if starter is not None and starter.lower() not in STARTERS:
        raise UsageError(f"unknown starter '{starter}' for --from; choose one of: "
                         f"{', '.join(STARTERS)}")
    shown = relpath(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{shown} exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise UsageError(f"{shown} is not empty; choose a new folder, or pass --force to "
                         "write the project's files into it")
    name = project_name(directory)
    contents = _contents(name, starter.lower() if starter else None)
    try:
        _write_all(directory, contents)
    except OSError as err:
        raise UsageError(f"cannot write the project in {shown}: "
                         f"{err.strerror or err}") from None
    _report(name, shown, starter.lower() if starter else None, contents)


def _contents(name: str, starter: str | None) -> dict[str, bytes]:
    """Every file of the new project, by its path in it, its project.yml named ``name``."""
    if starter is None:
        out = {path: text.encode() for path, text in FILES.items()}
    else:
        from .starters import files

        out = files(starter)
    out["metrics/project.yml"] = (out["metrics/project.yml"].decode()
                                  .replace("{name}", name).encode())
    return out


def _write_all(directory: Path, contents: dict[str, bytes]) -> None:
    """Write every file or none: a failure removes the files and folders this call created."""
    made: list[Path] = []
    try:
        for path, data in contents.items():
            target = directory / path
            for folder in reversed(target.parents):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
            existed = target.exists()
            target.write_bytes(data)
            if not existed:
                made.append(target)
    except OSError:
        for item in reversed(made):
            with contextlib.suppress(OSError):
                item.rmdir() if item.is_dir() else item.unlink()
        raise


def _report(name: str, shown: str, starter: str | None, contents: dict[str, bytes]) -> None:
    if starter is None:
        typer.echo(f"created project '{name}' in {shown}: {', '.join(contents)}", err=True)
    else:
        from .starters import STARTERS

        info = STARTERS[starter]
        definitions = [p for p in contents if p.startswith("metrics/") and p.endswith(".yml")]
        tables = [p for p in contents if p.startswith("data/")]
        typer.echo(f"created project '{name}' in {shown} from the {info.title} starter "
                   f"(tables as {info.tool} lands them; schema: {info.schema}): "
                   f"{len(definitions)} definition files in metrics/, a sample of "
                   f"{len(tables)} tables in data/", err=True)
    typer.echo(f"next: cd {shlex.quote(shown)} && metrics validate && metrics run && "
               "metrics test", err=True)


def project_name(directory: Path) -> str:
    """A valid project name from the folder's name (``My KPIs`` -> ``my_kpis``)."""
    name = re.sub(r"[^a-z0-9_]+", "_", directory.resolve().name.lower()).strip("_")
    if not name:
        return "sales_metrics"
    return f"p_{name}" if name[0].isdigit() else name
