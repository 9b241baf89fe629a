"""Time grains: the SQL that buckets a timestamp into its period, and the same rule in Python.

A period is named by its first day (a DATE). Weeks start on the project's ``week_start``;
quarters and years follow the fiscal year's first month. Both are done by shifting the time
back by the offset, truncating, and shifting forward again, which every dialect can express.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from typing import assert_never

from sqlglot import exp

from .. import sql
from ..diagnostics import UsageError
from ..model import Grain, Project
from .retail import FIRST_YEAR as RETAIL_FIRST, LAST_YEAR as RETAIL_LAST, Retail

_MONDAY = date(1900, 1, 1)
YEARS = (1900, 2200)  # the years a request may name (--start, --end), both included
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Calendar:
    week_start: int = 0  # 0 = Monday
    fiscal_start_month: int = 1
    retail: Retail | None = None

    @classmethod
    def of(cls, project: Project) -> Calendar:
        week_start = _WEEKDAYS.index(project.week_start.value)
        spec = project.calendar
        retail = None
        if spec.type == "retail":
            pattern = tuple(int(n) for n in spec.pattern.split("-"))
            retail = Retail(pattern, spec.year_end_month, spec.year_end == "nearest",
                            week_start)  # type: ignore[arg-type]
        return cls(week_start, project.fiscal_year_start_month, retail)

    def is_retail(self, grain: Grain) -> bool:
        """Whether periods of this grain come from the retail calendar table."""
        return self.retail is not None and grain in (Grain.month, Grain.quarter, Grain.year)

    def months_offset(self, grain: Grain) -> int:
        if grain is Grain.quarter:
            return (self.fiscal_start_month - 1) % 3
        if grain is Grain.year:
            return self.fiscal_start_month - 1
        return 0


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


MONTHS = {Grain.month: 1, Grain.quarter: 3, Grain.year: 12}  # the month-based grains


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


def period_start(day: date, grain: Grain, calendar: Calendar) -> date:
    """The first day of the period that contains ``day`` (mirrors :func:`period_sql`)."""
    if calendar.is_retail(grain):
        assert calendar.retail is not None
        starts = calendar.retail.starts(grain)
        return _retail(starts, bisect.bisect_right(starts, day) - 1, day)
    match grain:
        case Grain.day | Grain.all:  # the whole range starts on its first day
            return day
        case Grain.week:
            return day - timedelta(days=(day.weekday() - calendar.week_start) % 7)
        case Grain.month | Grain.quarter | Grain.year:
            size = {Grain.month: 1, Grain.quarter: 3, Grain.year: 12}[grain]
            months = day.year * 12 + day.month - 1 - calendar.months_offset(grain)
            months -= months % size
            months += calendar.months_offset(grain)
            return date(months // 12, months % 12 + 1, 1)
        case _:
            assert_never(grain)


def periods_between(first: date, end_exclusive: date, grain: Grain,
                    calendar: Calendar | None = None) -> list[date]:
    """Every period start from ``first`` (a period start) up to ``end_exclusive``."""
    out = []
    while first < end_exclusive:
        out.append(first)
        first = next_period(first, grain, calendar)
    return out


def previous_period(start: date, grain: Grain, calendar: Calendar) -> date:
    """The first day of the period before the one starting on ``start``."""
    if start == date.min:
        raise out_of_range(start)
    return period_start(start - timedelta(days=1), grain, calendar)


def next_period(start: date, grain: Grain, calendar: Calendar | None = None) -> date:
    """The first day of the period after the one starting on ``start``."""
    if calendar is not None and calendar.is_retail(grain):
        assert calendar.retail is not None
        starts = calendar.retail.starts(grain)
        return _retail(starts, bisect.bisect_right(starts, start), start)
    try:
        if grain is Grain.all:  # the range ends after its last day
            return start + timedelta(days=1)
        if grain in (Grain.day, Grain.week):
            return start + timedelta(days=1 if grain is Grain.day else 7)
        months = start.year * 12 + start.month - 1 + MONTHS[grain]
        return date(months // 12, months % 12 + 1, 1)
    except (OverflowError, ValueError):  # past 9999-12-31, the last day Python can name
        raise out_of_range(start) from None


def out_of_range(day: date) -> UsageError:
    return UsageError(f"{day.isoformat()} is out of range: a request may name the years "
                      f"{YEARS[0]} to {YEARS[1]}")


def check_year(day: date, name: str) -> None:
    """Refuse a request day outside :data:`YEARS` (the flag's name in the message)."""
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise UsageError(f"--{name} {day.isoformat()} is out of range: a request may name "
                         f"the years {YEARS[0]} to {YEARS[1]}")


def _retail(starts: list[date], index: int, day: date) -> date:
    if not 0 <= index < len(starts):
        raise UsageError(f"{day.isoformat()} is outside the retail calendar, which covers "
                         f"the years {RETAIL_FIRST} to {RETAIL_LAST}")
    return starts[index]


def period_label(day: date | None, grain: Grain, calendar: Calendar) -> str:
    """A period's name from its first day: 2025-03, 2025 Q1, FY2026 Q1, FY2025 P07, 2025.

    Fiscal and retail years are named by the calendar year they end in.
    """
    if calendar.is_retail(grain):
        assert calendar.retail is not None
        _, year, index = next(p for p in calendar.retail.periods(grain) if p[0] == day)
        return {Grain.month: f"FY{year} P{index:02d}", Grain.quarter: f"FY{year} Q{index}",
                Grain.year: f"FY{year}"}[grain]
    if day is None:  # one row for all the data (--grain all, or rows without time only)
        return "whole range"
    if grain is Grain.all:  # the whole range from --start
        return f"from {day.isoformat()}"
    if grain is Grain.month:
        return f"{day.year}-{day.month:02d}"
    if grain in (Grain.quarter, Grain.year):
        start = calendar.fiscal_start_month
        year = day.year if start == 1 else day.year + (1 if day.month >= start else 0)
        prefix = str(year) if start == 1 else f"FY{year}"
        return prefix if grain is Grain.year else f"{prefix} Q{(day.month - start) % 12 // 3 + 1}"
    return day.isoformat()
