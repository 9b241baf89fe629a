"""What each dialect can and cannot do, as data rather than ``if dialect == ...`` chains.

sqlglot transpiles syntax; these flags cover the places where the same SQL would *mean*
something different, or where sqlglot's rewrite would not run, on a given engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    file_sources: bool = False  # read_parquet('...') / read_csv_auto('...') in FROM
    series: bool = True  # a date series with bounds computed in the same query
    monday_weeks: bool = True  # DATE_TRUNC(week) starts weeks on Monday
    integer_avg: bool = False  # AVG over integers truncates to an integer


_OVERRIDES: dict[str, Capabilities] = {
    "duckdb": Capabilities(file_sources=True),
    # BigQuery's WEEK is WEEK(SUNDAY).
    "bigquery": Capabilities(monday_weeks=False),
    # sqlglot emulates the series with a recursive CTE placed before the CTEs it would read.
    "tsql": Capabilities(series=False, monday_weeks=False, integer_avg=True),
    "fabric": Capabilities(series=False, monday_weeks=False, integer_avg=True),
    "mysql": Capabilities(series=False, monday_weeks=False),
    "doris": Capabilities(series=False, monday_weeks=False),
    "starrocks": Capabilities(series=False, monday_weeks=False),
    "redshift": Capabilities(series=False, integer_avg=True),
    "sqlite": Capabilities(series=False, monday_weeks=False),
    "oracle": Capabilities(series=False, monday_weeks=False),
}


def capabilities(dialect: str) -> Capabilities:
    return _OVERRIDES.get(dialect.lower(), Capabilities())
