"""The calendar in Python: periods' first days, the period before and after, their names.

A period is named by its first day. Weeks start on the project's ``week_start``; quarters and
years follow the fiscal year's first month; a retail calendar (4-4-5, 4-5-4, 5-4-4) has
52- or 53-week years of whole weeks, whose periods are listed rather than computed. The SQL
that buckets a time the same way is :mod:`engine.compile.grains`. Standard library only: the
views of a kept plan (:mod:`sales_metrics.cli.planned`) name periods with it.

Retail years: a retail year ends on the last week-end day of its closing month (or the one
nearest that month's end), so it has 364 or 371 days. Its twelve periods ("months") follow the
pattern, three per quarter; in a 53-week year the last period gets the extra week.
"""

from __future__ import annotations

import bisect
import calendar as gregorian
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, assert_never

from .diagnostics import UsageError
from .vocabulary import Grain

if TYPE_CHECKING:
    from .model import Project

YEARS = (1900, 2200)  # the years a request may name (--start, --end), both included
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

FIRST_YEAR, LAST_YEAR = 2000, 2040  # the years a retail calendar table covers


@dataclass(frozen=True)
class Retail:
    pattern: tuple[int, int, int] = (4, 5, 4)
    year_end_month: int = 1
    nearest: bool = False
    week_start: int = 6  # 0 = Monday

    def year_end(self, year: int) -> date:
        """The last day of the retail year that ends in ``year``."""
        last_day = date(year, self.year_end_month,
                        gregorian.monthrange(year, self.year_end_month)[1])
        end_weekday = (self.week_start + 6) % 7
        back = (last_day.weekday() - end_weekday) % 7
        if self.nearest and back > 3:
            return last_day + timedelta(days=7 - back)
        return last_day - timedelta(days=back)

    def periods(self, grain: Grain) -> tuple[tuple[date, int, int], ...]:
        """(first day, retail year, index within the year) of every period, in order."""
        return _periods(self, grain)

    def starts(self, grain: Grain) -> list[date]:
        return [p[0] for p in self.periods(grain)]


@lru_cache(maxsize=64)
def _periods(retail: Retail, grain: Grain) -> tuple[tuple[date, int, int], ...]:
    out = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        start = retail.year_end(year - 1) + timedelta(days=1)
        weeks = (retail.year_end(year) - start).days // 7 + 1
        lengths = list(retail.pattern) * 4
        lengths[-1] += weeks - 52
        if grain is Grain.quarter:
            lengths = [sum(lengths[i:i + 3]) for i in range(0, 12, 3)]
        elif grain is Grain.year:
            lengths = [weeks]
        for index, length in enumerate(lengths):
            out.append((start, year, index + 1))
            start += timedelta(weeks=length)
    return tuple(out)


@dataclass(frozen=True)
class Calendar:
    week_start: int = 0  # 0 = Monday
    fiscal_start_month: int = 1
    retail: Retail | None = None

    @classmethod
    def of(cls, project: Project) -> Calendar:
        kept = getattr(project, "calendar_rules", None)  # a kept plan's settings carry it
        if isinstance(kept, Calendar):
            return kept
        week_start = _WEEKDAYS.index(project.week_start.value)
        spec = project.calendar
        retail = None
        if spec.type == "retail":
            pattern = tuple(int(n) for n in spec.pattern.split("-"))
            retail = Retail(pattern, spec.year_end_month, spec.year_end == "nearest",
                            week_start)  # type: ignore[arg-type]
        return cls(week_start, project.fiscal_year_start_month, retail)

    def saved(self) -> dict:
        """As JSON-able data (a kept plan labels its periods with it)."""
        retail = self.retail
        return {"week_start": self.week_start, "fiscal_start_month": self.fiscal_start_month,
                "retail": None if retail is None else [list(retail.pattern),
                                                       retail.year_end_month, retail.nearest,
                                                       retail.week_start]}

    @classmethod
    def restored(cls, saved: dict) -> Calendar:
        retail = saved["retail"]
        return cls(saved["week_start"], saved["fiscal_start_month"],
                   None if retail is None else Retail(tuple(retail[0]), *retail[1:]))

    def is_retail(self, grain: Grain) -> bool:
        """Whether periods of this grain come from the retail calendar table."""
        return self.retail is not None and grain in (Grain.month, Grain.quarter, Grain.year)

    def months_offset(self, grain: Grain) -> int:
        if grain is Grain.quarter:
            return (self.fiscal_start_month - 1) % 3
        if grain is Grain.year:
            return self.fiscal_start_month - 1
        return 0


MONTHS = {Grain.month: 1, Grain.quarter: 3, Grain.year: 12}  # the month-based grains


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
                         f"the years {FIRST_YEAR} to {LAST_YEAR}")
    return starts[index]


def period_label(day: date | None, grain: Grain, calendar: Calendar, short: bool = False) -> str:
    """A period's name from its first day: 2025-03, 2025 Q1, FY2026 Q1, FY2025 P07, 2025.

    Fiscal and retail years are named by the calendar year they end in. A week says what it
    is: its ISO week and first day when weeks start on Monday (2025-W03 (Mon 13 Jan)), else
    its first day with the weekday (week of Sun 12 Jan 2025). ``short`` (weeks only):
    2025-W03, or the first day's ISO date.
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
    if grain is Grain.week:
        return _week_label(day, short)
    return day.isoformat()


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")  # English whatever the locale, as the other labels are


def _week_label(first: date, short: bool) -> str:
    named = f"{_DAY_NAMES[first.weekday()]} {first.day} {_MONTH_NAMES[first.month - 1]}"
    if first.weekday() == 0:  # an ISO week: its year may be the next one (Mon 30 Dec 2024)
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}" if short else f"{year}-W{week:02d} ({named})"
    return first.isoformat() if short else f"week of {named} {first.year}"
