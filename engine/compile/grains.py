"""Time grains: the SQL that buckets a timestamp into its period (the same rule in Python,
and the periods' names: :mod:`engine.calendar`).

A period is named by its first day (a DATE). Weeks start on the project's ``week_start``;
quarters and years follow the fiscal year's first month. Both are done by shifting the time
back by the offset, truncating, and shifting forward again, which every dialect can express.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import assert_never

from sqlglot import exp

from .. import sql
from ..model import Grain
from ..calendar import MONTHS, Calendar

_MONDAY = date(1900, 1, 1)


def period_sql(column: exp.Expression, grain: Grain, calendar: Calendar,
               monday_weeks: bool = True) -> exp.Expression:
    """``CAST(<first day of the period containing column> AS DATE)``."""
    match grain:
        case Grain.day:
            return sql.cast(column, "DATE")
        case Grain.week if not monday_weeks:
            return _week_by_arithmetic(column, calendar.week_start)
        case Grain.week:
            return sql.cast(_shifted_trunc(column, "WEEK", calendar.week_start, "DAY"), "DATE")
        case Grain.month | Grain.quarter | Grain.year:
            offset = calendar.months_offset(grain)
            return sql.cast(_shifted_trunc(column, grain.value.upper(), offset, "MONTH"), "DATE")
        case _:
            assert_never(grain)




def period_key(column: exp.Expression, grain: Grain, calendar: Calendar) -> exp.Expression | None:
    """An integer numbering the periods of a month-based grain (fiscal months since year 0,
    divided by the period's length), or None for days and weeks.

    Grouping by it and turning each group's key into a date (:func:`key_period`) gives the
    same periods as :func:`period_sql`, for less work per row on engines whose date
    truncation is slower than reading a year and a month (DuckDB: about half the cost).
    """
    size = MONTHS.get(grain)
    if size is None:
        return None
    year = exp.Mul(this=exp.Year(this=column.copy()), expression=exp.Literal.number(12))
    months: exp.Expression = exp.Sub(this=exp.Add(this=year, expression=exp.Month(
        this=column.copy())), expression=exp.Literal.number(1 + calendar.months_offset(grain)))
    return months if size == 1 else exp.IntDiv(this=exp.paren(months, copy=False),
                                               expression=exp.Literal.number(size))


def key_of(day: date, grain: Grain, calendar: Calendar) -> int:
    """The :func:`period_key` of a day."""
    return (day.year * 12 + day.month - 1 - calendar.months_offset(grain)) // MONTHS[grain]


def key_period(key: exp.Expression, grain: Grain, calendar: Calendar) -> exp.Expression:
    """The first day (a DATE) of the period a :func:`period_key` numbers."""
    months: exp.Expression = key
    if MONTHS[grain] != 1:
        months = exp.Mul(this=exp.paren(key, copy=False),
                         expression=exp.Literal.number(MONTHS[grain]))
    if calendar.months_offset(grain):
        months = exp.Add(this=months, expression=exp.Literal.number(calendar.months_offset(grain)))
    months = exp.paren(months, copy=False)
    return exp.DateFromParts(
        year=exp.IntDiv(this=months, expression=exp.Literal.number(12)),
        month=exp.Add(this=exp.Mod(this=months.copy(), expression=exp.Literal.number(12)),
                      expression=exp.Literal.number(1)),
        day=exp.Literal.number(1))


def _shifted_trunc(column: exp.Expression, unit: str, offset: int, step: str) -> exp.Expression:
    if offset:
        column = _add(column, -offset, step)
    truncated: exp.Expression = exp.TimestampTrunc(this=column, unit=exp.var(unit))
    return _add(truncated, offset, step) if offset else truncated


def _week_by_arithmetic(column: exp.Expression, week_start: int) -> exp.Expression:
    """Week start without DATE_TRUNC: step back (days since a known week start) mod 7.

    For engines whose week truncation starts on another day or depends on a session setting.
    """
    day = sql.cast(column, "DATE")
    anchor = sql.cast(exp.Literal.string(
        (_MONDAY + timedelta(days=week_start)).isoformat()), "DATE", copy=False)
    since = exp.DateDiff(this=day, expression=anchor, unit=exp.var("DAY"))
    back = exp.Neg(this=exp.paren(exp.Mod(this=since, expression=exp.Literal.number(7))))
    return sql.cast(exp.DateAdd(this=day.copy(), expression=back, unit=exp.var("DAY")), "DATE",
                    copy=False)


def _add(value: exp.Expression, amount: int, unit: str) -> exp.Expression:
    return exp.DateAdd(this=value, expression=exp.Literal.number(amount), unit=exp.var(unit))


def step_sql(grain: Grain) -> exp.Interval:
    """The interval from one period's first day to the next one's."""
    amount, unit = {Grain.day: (1, "DAY"), Grain.week: (7, "DAY"), Grain.month: (1, "MONTH"),
                    Grain.quarter: (3, "MONTH"), Grain.year: (12, "MONTH")}[grain]
    return exp.Interval(this=exp.Literal.string(str(amount)), unit=exp.var(unit))
