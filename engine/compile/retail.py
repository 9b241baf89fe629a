"""Retail (4-4-5, 4-5-4, 5-4-4) calendars: 52- or 53-week years of whole weeks.

A retail year ends on the last week-end day of its closing month (or the one nearest that
month's end), so it has 364 or 371 days. Its twelve periods ("months") follow the pattern,
three per quarter; in a 53-week year the last period gets the extra week. Periods cannot be
found by truncation, so they are listed here and joined as a small table in SQL.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from ..model import Grain

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
