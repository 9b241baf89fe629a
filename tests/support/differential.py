"""Differential testing: the same request on DuckDB and on another backend gives the same rows.

Values are equal within REL/ABS (floating-point sums may add up in another order on another
engine); periods, dimension values and row counts are equal exactly. Rows are compared as a
set keyed by (period, dimensions): engines sort NULLs and text (collations) differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

GRAINS = ("day", "week", "month", "quarter", "year", "all")
REL, ABS = 1e-9, 1e-9
DAY_RANGE = {"start": "2025-01-01", "end": "2025-03-31"}  # day grain: one quarter of days


@dataclass(frozen=True)
class Case:
    kpi: str
    grain: str
    by: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.kpi}-{self.grain}-{'-'.join(self.by) or 'all'}"

    @property
    def options(self) -> dict:
        extra = DAY_RANGE if self.grain == "day" else {}
        return {"grain": self.grain, "by": list(self.by), **extra}


def allowed_dimensions(project, kpi: str) -> list[str]:
    dims = project.metrics[kpi].dimensions
    return list(dims) if dims else []


def cases(project, grains=GRAINS) -> list[Case]:
    """Every KPI at every grain it offers, grouped by one of the dimensions it allows
    (rotating, so the catalog's dimensions, own and joined, are all used across the cases).

    A grain or dimension the engine refuses for a KPI (quotas are kept per quarter) is left
    out: the engine refuses it the same way on every backend.
    """
    out = []
    for k, kpi in enumerate(sorted(project.metrics)):
        dims = allowed_dimensions(project, kpi)
        for g, grain in enumerate(grains):
            choices = [(dims[(k + g + i) % len(dims)],) for i in range(len(dims))] or [()]
            case = next((c for c in (Case(kpi, grain, by) for by in choices)
                         if compiles(project, [kpi], c)), None)
            if case is not None:
                out.append(case)
    return out


def compiles(project, metrics: list[str], case: Case) -> bool:
    from sales_metrics import engine

    try:
        project.compile(metrics, dialect="duckdb", **case.options)
        return True
    except engine.UsageError:
        return False


def catalog_at(project, grain: str) -> list[str]:
    """The KPIs offered at a grain (all of them but those kept at a coarser grain)."""
    return [k for k in project.metrics if compiles(project, [k], Case(k, grain, ()))]


def repeated_ctes(sql: str, dialect: str) -> list[str]:
    """Top-level CTE names that appear more than once (an engine would reject the query)."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read=dialect)
    names = [cte.alias for cte in (tree.args.get("with_") or tree.args.get("with") or
                                   _no_ctes()).expressions]
    return sorted({n for n in names if names.count(n) > 1})


def _no_ctes():
    from sqlglot import exp

    return exp.With(expressions=[])


def run_case(project, conn, case: Case, metrics: list[str] | None = None):
    return project.query(metrics or [case.kpi], connection=conn, **case.options)


def _norm(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def _key(row: tuple) -> tuple:
    return tuple((v is None, str(v)) for v in row)


def assert_same(expected, actual, metrics, label: str = "") -> int:
    """Same columns, same keys, same values within tolerance; returns the number of rows."""
    assert expected.column_names == actual.column_names, (label, expected.column_names,
                                                          actual.column_names)
    names = expected.column_names
    keys = [n for n in names if n not in metrics]
    exp_rows = sorted(_rows(expected), key=lambda r: _key(tuple(r[n] for n in keys)))
    act_rows = sorted(_rows(actual), key=lambda r: _key(tuple(r[n] for n in keys)))
    assert len(exp_rows) == len(act_rows), (label, len(exp_rows), len(act_rows))
    for want, got in zip(exp_rows, act_rows):
        for name in names:
            assert _equal(want[name], got[name]), (label, name, want, got)
    return len(exp_rows)


def _rows(table) -> list[dict]:
    return [{k: _norm(v) for k, v in row.items()} for row in table.to_pylist()]


def _equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)
    if isinstance(a, date) and isinstance(b, date):
        return a == b
    return a == b
