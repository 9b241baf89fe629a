"""Periods: the SQL bucketing (run on DuckDB) agrees with hand-picked dates and the Python rule."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from sqlglot import exp

from sales_metrics.engine.calendar import Calendar, next_period, period_start
from sales_metrics.engine.compile.grains import period_sql
from sales_metrics.engine.model import Grain

DAYS = [date(2023, 12, 25) + timedelta(days=i) for i in range(0, 800, 3)]


def sql_periods(grain: Grain, calendar: Calendar, monday_weeks: bool = True) -> list[date]:
    expr = period_sql(exp.column("d"), grain, calendar, monday_weeks).sql("duckdb")
    con = duckdb.connect()
    values = ", ".join(f"(TIMESTAMP '{d} 13:45:00', {i})" for i, d in enumerate(DAYS))
    rows = con.execute(f"SELECT {expr} FROM (VALUES {values}) AS t(d, i) ORDER BY i").fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("day, grain, calendar, expected", [
    (date(2025, 3, 19), Grain.day, Calendar(), date(2025, 3, 19)),
    (date(2025, 3, 19), Grain.week, Calendar(), date(2025, 3, 17)),          # a Wednesday
    (date(2025, 3, 16), Grain.week, Calendar(), date(2025, 3, 10)),          # a Sunday
    (date(2025, 3, 16), Grain.week, Calendar(week_start=6), date(2025, 3, 16)),
    (date(2025, 3, 15), Grain.week, Calendar(week_start=6), date(2025, 3, 9)),
    (date(2025, 3, 19), Grain.month, Calendar(), date(2025, 3, 1)),
    (date(2025, 3, 19), Grain.quarter, Calendar(), date(2025, 1, 1)),
    (date(2025, 3, 19), Grain.year, Calendar(), date(2025, 1, 1)),
    # fiscal year starting in February: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan
    (date(2025, 1, 19), Grain.quarter, Calendar(fiscal_start_month=2), date(2024, 11, 1)),
    (date(2025, 2, 1), Grain.quarter, Calendar(fiscal_start_month=2), date(2025, 2, 1)),
    (date(2025, 1, 31), Grain.year, Calendar(fiscal_start_month=2), date(2024, 2, 1)),
    (date(2025, 7, 1), Grain.year, Calendar(fiscal_start_month=7), date(2025, 7, 1)),
    (date(2025, 6, 30), Grain.year, Calendar(fiscal_start_month=7), date(2024, 7, 1)),
])
def test_period_start_by_hand(day, grain, calendar, expected):
    assert period_start(day, grain, calendar) == expected


# `all` has no per-row period: every row is in the one period (tests/oracles/test_whole_range.py)
@pytest.mark.parametrize("grain", [g for g in Grain if g is not Grain.all])
@pytest.mark.parametrize("calendar", [Calendar(), Calendar(week_start=6, fiscal_start_month=2),
                                      Calendar(week_start=2, fiscal_start_month=10)])
def test_sql_matches_python(grain, calendar):
    assert sql_periods(grain, calendar) == [period_start(d, grain, calendar) for d in DAYS]


@pytest.mark.parametrize("week_start", range(7))
def test_week_arithmetic_matches_truncation(week_start):
    """The portable week formula (for engines without Monday DATE_TRUNC) gives the same weeks."""
    calendar = Calendar(week_start=week_start)
    assert sql_periods(Grain.week, calendar, monday_weeks=False) == \
        sql_periods(Grain.week, calendar, monday_weeks=True)
    assert all(p.weekday() == week_start for p in sql_periods(Grain.week, calendar, False))


@pytest.mark.parametrize("start, grain, expected", [
    (date(2025, 12, 1), Grain.month, date(2026, 1, 1)),
    (date(2025, 11, 1), Grain.quarter, date(2026, 2, 1)),
    (date(2024, 2, 1), Grain.year, date(2025, 2, 1)),
    (date(2025, 12, 29), Grain.week, date(2026, 1, 5)),
])
def test_next_period(start, grain, expected):
    assert next_period(start, grain) == expected
