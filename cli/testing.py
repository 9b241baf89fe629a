"""`metrics test`: run the KPI tests on DuckDB in memory, compare with the expected values.

The engine prepares each test (typed rows, the SQL it compiles to, the values to compare;
:mod:`sales_metrics.engine.kpitests`); here each one gets a fresh in-memory DuckDB with its rows loaded as
tables, runs its one SELECT, and every expected value is compared within the tolerance.
A failure prints expected against actual as a small table; the exit code is 1.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sales_metrics.engine.diagnostics import AdapterError, Diagnostic, UsageError, did_you_mean, relpath

from . import formatting, output
from .literal import console as literal_console, join, text as literal, visible

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project
    from sales_metrics.engine.kpitests.records import Check, Prepared, Table

_ARROW = {"boolean": "bool_", "integer": "int64", "double": "float64", "varchar": "string",
          "date": "date32"}


@dataclass(frozen=True)
class Outcome:
    prepared: "Prepared"
    failures: list[tuple["Check", Any]]  # (check, actual value or MISSING)
    error: str | None = None


MISSING = object()  # no result row for the expected period and dimension values


def run(path: Path | None, select: list[str], fmt: str, timeout: float | None = None) -> int:
    from sales_metrics.engine.kpitests import cases as testcases
    from sales_metrics.engine.project import load_project

    started = time.perf_counter()
    project = load_project(path)
    matched: list[str] = []
    keep = _keep(project, path, select, matched)
    prepared, diagnostics = testcases.prepare(project, keep)
    if not project.loaded.tests or not (matched or select):
        where = relpath(path) if project.loaded.tests and path else relpath(project.root)
        typer.echo(f"no tests in {where}: add a 'tests:' list to a YAML file of the "
                   "project (see README, `metrics test`)", err=True)
        return 0
    if not matched:
        names = [testcases.raw_names(d)[0] for d, _ in project.loaded.tests]
        hint = did_you_mean(select[0], names) or f"tests: {', '.join(sorted(names))}"
        raise UsageError(f"no test matches {', '.join(select)}; {hint}")
    output.print_diagnostics(diagnostics, fmt)
    seconds = timeout if timeout is not None else project.settings.limits.timeout
    outcomes = [_outcome(project, p, seconds) for p in prepared]
    _report(project, outcomes, fmt)
    _summary(outcomes, len(matched) - len(prepared), time.perf_counter() - started)
    bad = any(o.failures or o.error for o in outcomes)
    return 1 if bad or any(d.severity == "error" for d in diagnostics) else 0


def _keep(project: "Project", path: Path | None, select: list[str], matched: list[str]):
    from sales_metrics.engine.kpitests.cases import select as by_name

    wanted = by_name(select) if select else None
    inside = _inside(project, path)

    def keep(name: str, file: str, metrics: set[str]) -> bool:
        ok = inside(file) and (wanted is None or wanted(name, file, metrics))
        if ok:
            matched.append(name)
        return ok
    return keep


def _inside(project: "Project", path: Path | None):
    """Tests of the file or folder PATH names; all of them for the project itself."""
    if path is None or path.name == "project.yml":
        return lambda file: True
    chosen = path.resolve()
    if chosen.is_dir() and (chosen == project.root.resolve()
                            or chosen in project.root.resolve().parents):
        return lambda file: True
    return lambda file: (Path(file).resolve() == chosen
                         or chosen in Path(file).resolve().parents)


# ----------------------------------------------------------------------------- running

def _outcome(project: "Project", prepared: "Prepared", timeout: float | None) -> Outcome:
    try:
        table = _execute(project, prepared, timeout)
    except AdapterError as err:
        return Outcome(prepared, [], str(err))
    return Outcome(prepared, _compare(project, prepared, table))


def _execute(project: "Project", prepared: "Prepared", timeout: float | None
             ) -> "pyarrow.Table":
    from sales_metrics.adapters.duckdb import DuckDBAdapter

    with DuckDBAdapter(root=project.root, statement_timeout=timeout) as conn:  # a fresh database in memory
        for table in prepared.tables:
            conn.load_table(table.name, _arrow(table), table.schema)
        return conn.execute(prepared.sql)


def _arrow(table: "Table") -> "pyarrow.Table":
    import pyarrow as pa

    def kind(name: str):
        return pa.timestamp("us") if name == "timestamp" else getattr(pa, _ARROW[name])()
    return pa.table({c.name: pa.array(list(c.values), type=kind(c.type)) for c in table.columns})


def _compare(project: "Project", prepared: "Prepared", table: "pyarrow.Table") -> list:
    rows = table.to_pylist()
    by = prepared.case.by
    failures = []
    for check in prepared.checks:
        row = next((r for r in rows if _period_is(project, prepared, r["period"], check.period)
                    and all(_same(r[d], v) for d, v in zip(by, check.dims, strict=True))), None)
        actual = MISSING if row is None else row[check.metric]
        if actual is MISSING or not _close(actual, check.value, prepared.case.tolerance):
            failures.append((check, actual))
    return failures


def _period_is(project: "Project", prepared: "Prepared", actual: Any, wanted: date | str) -> bool:
    if isinstance(wanted, date):
        return actual == wanted
    label = formatting.period(actual, prepared.grain.value, project.settings)
    return wanted in (label, actual.isoformat())


def _same(actual: Any, wanted: Any) -> bool:
    return actual == wanted or (actual is not None and wanted is not None
                                and str(actual) == str(wanted))


def _close(actual: Any, wanted: float | None, tolerance: float) -> bool:
    empty = actual is None or (isinstance(actual, float) and math.isnan(actual))
    if wanted is None or empty:
        return wanted is None and empty
    return abs(float(actual) - wanted) <= tolerance + 1e-9 * abs(wanted)


# ----------------------------------------------------------------------------- reporting

def _report(project: "Project", outcomes: list[Outcome], fmt: str) -> None:
    console = literal_console(file=sys.stdout, width=_width(),
                              force_terminal=sys.stdout.isatty())
    for o in outcomes:
        case, where = o.prepared.case, o.prepared.span
        failed = bool(o.failures or o.error)
        console.print(join(literal("FAIL", "red") if failed else literal("PASS", "green"),
                           f" {case.name}  ", literal(f"{where.path}:{where.line}", "dim")))
        if not failed:
            continue
        if case.description:
            console.print(_indent(" ".join(case.description.split())))
        if o.error:
            console.print(_indent(f"could not run: {o.error}"))
        else:
            console.print(f"     {len(o.failures)} of {len(o.prepared.checks)} expected "
                          "values differ:")
            console.print(_table(project, o))
    if fmt == "github":
        for d in _annotations(project, outcomes):
            typer.echo(visible(d.github()))


def _indent(text: str):
    from rich.padding import Padding

    return Padding(literal(text), (0, 0, 0, 5), expand=False)


def _table(project: "Project", outcome: Outcome):
    from rich.table import Table

    prepared = outcome.prepared
    view = Table(header_style="bold")
    for head in ("Line", "Period", *prepared.case.by, "Metric", "Expected", "Actual"):
        view.add_column(literal(head.replace("_", " ").capitalize() if head != "Line" else head),
                        justify="right" if head in ("Expected", "Actual") else "left")
    for check, actual in outcome.failures:
        cells = (str(check.span.line), _period(project, prepared, check.period),
                 *(_text(v) for v in check.dims), check.metric,
                 _value(project, check.metric, check.value))
        view.add_row(*map(literal, cells), literal(
            "no such row" if actual is MISSING else _value(project, check.metric, actual), "red"))
    return view


def _annotations(project: "Project", outcomes: list[Outcome]) -> list[Diagnostic]:
    out = []
    for o in outcomes:
        name = o.prepared.case.name
        if o.error:
            out.append(Diagnostic("test-failed", f"test '{name}' could not run: {o.error}",
                                  o.prepared.span))
        for check, actual in o.failures:
            got = "no such row" if actual is MISSING else _value(project, check.metric, actual)
            period = _period(project, o.prepared, check.period)
            dims = "".join(f", {d} {v}"
                           for d, v in zip(o.prepared.case.by, check.dims, strict=True))
            out.append(Diagnostic("test-failed", f"test '{name}': {check.metric} in {period}"
                                  f"{dims}: expected {_value(project, check.metric, check.value)}"
                                  f", got {got}", check.span))
    return out


def _summary(outcomes: list[Outcome], invalid: int, seconds: float) -> None:
    failed = sum(bool(o.failures or o.error) for o in outcomes)
    checks = sum(len(o.prepared.checks) for o in outcomes)
    parts = [f"{len(outcomes) - failed} passed"] + ([f"{failed} failed"] if failed else [])
    parts += [f"{invalid} invalid"] if invalid else []
    typer.echo(f"{', '.join(parts)} ({checks} expected values, {seconds:.2f}s)")


def _period(project: "Project", prepared: "Prepared", period: date | str) -> str:
    if isinstance(period, str):
        return period
    return formatting.period(period, prepared.grain.value, project.settings)


def _value(project: "Project", metric: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "empty"
    fmt = project.metrics[metric].format
    raw = f"{value:.10g}"
    shown = formatting.value(value, fmt, project.settings.currency_symbol)
    return raw if shown.replace(",", "") == raw else f"{raw} ({shown})"


def _text(value: Any) -> str:
    return "–" if value is None else str(value)


def _width() -> int:
    if not sys.stdout.isatty():
        return int(os.environ.get("COLUMNS", 120))
    return shutil.get_terminal_size((120, 40)).columns
