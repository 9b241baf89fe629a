"""KPI tests: a few input rows per source and the values some KPIs must take on them.

Test cases are written in YAML under a top-level ``tests:`` key of any file of the project
(the catalog keeps them in ``<topic>.test.yml`` beside ``<topic>.yml``)::

    tests:
      - name: win_rate_ignores_open_deals
        grain: month
        given:
          opportunities:                   # a source (or a table a source's SQL reads)
            - {stage: won,  closed_at: 2025-01-10}
            - {stage: open, closed_at: 2025-01-31}
        expect:
          - {period: 2025-01, win_rate: 1/1, deals_won: 1}

This module is pure: :func:`prepare` turns what the loader read into :class:`Prepared` cases
(typed tables, the SQL to run, the values to compare) and reports every problem with a test
as a diagnostic at its file:line:col. Running them needs a database: ``metrics test`` loads
the rows into DuckDB in memory (``cli/testing.py``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from datetime import date
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from sqlglot import exp

from . import data as testdata
from . import given as testgiven
from ..diagnostics import Diagnostic, MetricsError, Span, did_you_mean, one_of
from ..loader import _validate
from .records import DIALECT, Check, Prepared, Table, TestCase
from ..yamlspan import SpanMap

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..project import Project

__all__ = ["TestCase", "Table", "Check", "Prepared", "prepare", "select", "DIALECT"]


Keep = Callable[[str, str, set[str]], bool]  # (test name, file, metric names) -> run it?


def select(patterns: list[str]) -> Keep:
    """Keep tests whose name, or a metric they check, matches one of the glob patterns."""
    return lambda name, path, metrics: any(
        fnmatch.fnmatchcase(n, p) for p in patterns for n in {name, *metrics})


def raw_names(data: Any) -> tuple[str, set[str]]:
    """A test's name and the keys of its expected rows, before it is validated."""
    if not isinstance(data, dict):
        return "", set()
    rows = data.get("expect") if isinstance(data.get("expect"), list) else []
    return str(data.get("name", "")), {k for r in rows if isinstance(r, dict) for k in r}


def prepare(project: Project,
            keep: Keep | None = None) -> tuple[list[Prepared], list[Diagnostic]]:
    """Every test of the project that ``keep`` selects, ready to run; every problem found."""
    out: list[Diagnostic] = []
    prepared: list[Prepared] = []
    seen: dict[str, Span] = {}
    for data, spans in project.loaded.tests:
        name, keys = raw_names(data)
        if keep is not None and not keep(name, spans.path, keys):
            continue
        case = _validate(TestCase, data, spans, out)
        if case is None:
            continue
        span = spans.value(("name",))
        if case.name in seen:
            out.append(Diagnostic("duplicate-name", f"test '{case.name}' is defined twice",
                                  span, f"rename one; the first is at {seen[case.name]}"))
            continue
        seen[case.name] = span
        one = _prepare(project, case, span, out)
        if one is not None:
            prepared.append(one)
    out.sort(key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span else ("", 0, 0))
    return prepared, out


def _prepare(project: Project, case: TestCase, span: Span,
             out: list[Diagnostic]) -> Prepared | None:
    problems: list[Diagnostic] = []
    catalog = project.catalog
    metrics, checks = _expectations(catalog, case, problems)
    tables, relations, direct = testgiven.given(catalog, case, problems)
    if not problems:
        problems += testgiven.missing(catalog, case, metrics, tables, direct)
    sql = None if problems else _compile(project, case, metrics, relations, problems)
    out.extend(problems)
    if sql is None:
        return None
    grain = case.grain or catalog.metrics[metrics[0]].model.grain
    return Prepared(case, span, tuple(metrics), grain, tuple(tables.values()), tuple(checks),
                    sql)


# ----------------------------------------------------------------------------- expect

def _expectations(catalog: Catalog, case: TestCase,
                  out: list[Diagnostic]) -> tuple[list[str], list[Check]]:
    spans, metrics, checks = case.spans, {}, []
    dims = _all_dimensions(catalog)
    for i, row in enumerate(case.expect):
        at = ("expect", i)
        if not isinstance(row, dict):
            out.append(Diagnostic("wrong-type", "an expected row must be a mapping",
                                  spans.value(at), "write {period: 2025-01, win_rate: 0.25}"))
            continue
        period = testdata.period(row.get("period"))
        if period is None:
            out.append(Diagnostic("missing-key", "this expected row has no 'period'" if
                                  "period" not in row else "'period' must be a date or a "
                                  "period's name", spans.value(at + ("period",)),
                                  "write the period's first day (2025-01-01) or its name as "
                                  "`metrics run` prints it (2025-01, 2025 Q1)"))
            continue
        missing = [d for d in case.by if d not in row]
        if missing:
            out.append(Diagnostic("missing-key", f"this expected row has no '{missing[0]}'; "
                                  f"the test is grouped by {', '.join(case.by)}",
                                  spans.value(at), f"add '{missing[0]}: <value>'"))
            continue
        values = {k: v for k, v in row.items() if k != "period" and k not in case.by}
        if not values:
            out.append(Diagnostic("missing-key", "this expected row gives no KPI value",
                                  spans.value(at), "add 'metric_name: value'"))
        key = tuple(row[d] for d in case.by)
        for metric, value in values.items():
            check = _check(catalog, metric, value, period, key, spans, at, dims, out)
            if check is not None:
                metrics.setdefault(metric, None)
                checks.append(check)
    return list(metrics), checks


def _check(catalog: Catalog, metric: str, value: Any, period: date | str, key: tuple,
           spans: SpanMap, at: tuple, dims: set[str],
           out: list[Diagnostic]) -> Check | None:
    if metric not in catalog.metrics:
        hint = did_you_mean(metric, catalog.metrics) or one_of(catalog.metrics)
        if metric in dims:
            hint = f"'{metric}' is a dimension: add it to the test's 'by'"
        out.append(Diagnostic("unknown-metric", f"'{metric}' is not a metric",
                              spans.key(at + (metric,)), hint))
        return None
    try:
        expected = testdata.expected(value)
    except ValueError:
        out.append(Diagnostic("wrong-type", f"expected value {value!r} of '{metric}' is not "
                              "a number", spans.value(at + (metric,)),
                              "write a number, null (an empty value), or arithmetic such "
                              "as 2/3"))
        return None
    return Check(metric, period, key, expected, spans.value(at + (metric,)))


def _all_dimensions(catalog: Catalog) -> set[str]:
    return {name for source in catalog.sources for name in catalog.dimensions(source)}


# ----------------------------------------------------------------------------- compile

def _compile(project: Project, case: TestCase, metrics: list[str],
             relations: dict[str, exp.Table], out: list[Diagnostic]) -> str | None:
    from ..project import Project

    swapped = Project(with_relations(project.catalog, relations), project.loaded)
    try:
        return swapped.compile(metrics, dialect=DIALECT, grain=case.grain, by=case.by,
                               start=case.start, end=case.end, where=case.where)
    except MetricsError as err:
        at = ("by",) if case.by and "dimension" in str(err) else ("name",)
        out.append(Diagnostic("invalid-test", f"test '{case.name}' cannot be computed: {err}",
                              case.spans.value(at), None))
        return None


def with_relations(catalog: Catalog, relations: dict[str, exp.Table]) -> Catalog:
    """The catalog with some sources reading other tables (the test's rows)."""
    if not relations:
        return catalog
    sources = {name: dataclasses.replace(src, relation=relations[name])
               if name in relations else src for name, src in catalog.sources.items()}
    return dataclasses.replace(catalog, sources=sources, _dims={})
