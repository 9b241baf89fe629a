"""The time spine: every period from the first to the last, so a period without rows shows.

Which construction a dialect gets is data (``Capabilities.spine`` in :mod:`..dialects`):

- ``series``: the dialect's own date series, ``UNNEST(GENERATE_DATE_ARRAY(lo, hi, step))``
  as sqlglot renders it (DuckDB, PostgreSQL, Spark, Databricks, BigQuery), bounds computed in
  the same query;
- ``numbers``: for every other dialect, a relation of the numbers 0 .. 10^k - 1 made from ten
  ``SELECT d UNION ALL`` rows cross-joined k times, each number turned into a period by the
  dialect's own date arithmetic (``DATEADD``, ``DATE_ADD(.. INTERVAL ..)``, SQLite's
  ``DATE(lo, 'n MONTH')``), and kept while it is not after the last period. No recursive CTE
  and no series function: it runs on MySQL/MariaDB, SQLite, ClickHouse, Snowflake, T-SQL,
  Redshift and Trino alike.

With ``--start/--end`` the number of periods is known and k is the fewest digits that count
them. Over the data's own range k is :data:`DIGITS` of the grain: at most 100,000 days
(273 years), 10,000 weeks or months, 1,000 quarters or years.

Literal rows (the retail calendar's periods) are ``VALUES`` where the dialect names a
``VALUES`` table's columns, else a ``UNION ALL`` of one-row SELECTs (SQLite, ClickHouse).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from sqlglot import exp

from .. import sql
from ..model import Grain
from ..calendar import period_start, periods_between
from .grains import step_sql
from .plan import Plan
from .scans import PERIOD, RETAIL, date_literal, join, table

DIGITS_TABLE = "digits"
DIGITS = {Grain.day: 5, Grain.week: 4, Grain.month: 4, Grain.quarter: 3, Grain.year: 3}
STEPS = {Grain.day: (1, "DAY"), Grain.week: (7, "DAY"), Grain.month: (1, "MONTH"),
         Grain.quarter: (3, "MONTH"), Grain.year: (12, "MONTH")}


def needs_digits(plan: Plan) -> bool:
    return plan.can.spine == "numbers" and not plan.calendar.is_retail(plan.grain)


def digits() -> exp.Query:
    """``SELECT 0 AS d UNION ALL SELECT 1 ... UNION ALL SELECT 9``"""
    return literal_rows(["d"], [[exp.Literal.number(i)] for i in range(10)], values=False)


def spine(plan: Plan, bounds: tuple[date | None, date | None]) -> exp.Select:
    lo, hi = bounds
    if plan.can.spine == "numbers" and not plan.calendar.is_retail(plan.grain):
        return _numbers(plan, lo, hi)
    first = date_literal(lo) if lo else _bound("lo")
    if plan.calendar.is_retail(plan.grain):
        return _retail(first, hi)
    last = date_literal(_last_start(plan, hi)) if hi else _bound("hi")
    series = exp.GenerateDateArray(start=first, end=last, step=step_sql(plan.grain))
    alias = exp.TableAlias(this=exp.to_identifier("periods"), columns=[exp.to_identifier(PERIOD)])
    return exp.select(exp.column(PERIOD), copy=False).from_(
        exp.Unnest(expressions=[series], alias=alias), copy=False)


def _numbers(plan: Plan, lo: date | None, hi: date | None) -> exp.Select:
    """``SELECT lo + n * step AS period FROM digits AS d0 CROSS JOIN digits AS d1 ...
    [CROSS JOIN bounds] WHERE lo + n * step <= last``"""
    count = len(periods_between(lo, hi, plan.grain, plan.calendar)) if lo and hi else 0
    width = max(1, math.ceil(math.log10(count + 1))) if lo and hi else DIGITS[plan.grain]
    first = date_literal(lo) if lo else exp.column("lo", table="bounds")
    last = date_literal(_last_start(plan, hi)) if hi else exp.column("hi", table="bounds")
    amount, unit = STEPS[plan.grain]
    steps = _number(width)
    if amount != 1:
        steps = exp.Mul(this=exp.paren(steps, copy=False), expression=exp.Literal.number(amount))
    period = sql.cast(exp.DateAdd(this=first, expression=steps, unit=exp.var(unit)), "DATE",
                      copy=False)
    query = exp.select(period.as_(PERIOD, copy=False), copy=False).from_(_digits(0), copy=False)
    for i in range(1, width):
        join(query, _digits(i), None, "cross")
    if lo is not None and hi is not None:  # the count is known: no date arithmetic to filter
        return query.where(exp.LT(this=_number(width), expression=exp.Literal.number(count)),
                           copy=False)
    join(query, table("bounds"), None, "cross")
    # First a bound in days that every wanted number meets (a month has at least 28 days),
    # so no date is made far past the last one (ClickHouse's Date wraps around after 2149);
    # then the exact test.
    days = exp.DateDiff(this=last, expression=first.copy(), unit=exp.var("DAY"))
    least = steps.copy() if unit == "DAY" else exp.Mul(this=exp.paren(steps.copy(), copy=False),
                                                       expression=exp.Literal.number(28))
    return query.where(exp.and_(exp.LTE(this=least, expression=days),
                                exp.LTE(this=period.copy(), expression=last.copy()), copy=False),
                       copy=False)


def _digits(i: int) -> exp.Table:
    return exp.Table(this=exp.to_identifier(DIGITS_TABLE),
                     alias=exp.TableAlias(this=exp.to_identifier(f"d{i}")))


def _number(width: int) -> exp.Expression:
    """``d0.d + d1.d * 10 + d2.d * 100 ...``"""
    total: exp.Expression = exp.column("d", table="d0")
    for i in range(1, width):
        total = exp.Add(this=total, expression=exp.Mul(
            this=exp.column("d", table=f"d{i}"), expression=exp.Literal.number(10 ** i)))
    return total


def _retail(first: exp.Expression, hi: date | None) -> exp.Select:
    start = exp.column("period_start")
    last = exp.LT(this=start, expression=date_literal(hi)) if hi else \
        exp.LTE(this=start.copy(), expression=_bound("hi"))
    return exp.select(start.copy().as_(PERIOD, copy=False), copy=False).from_(
        table(RETAIL), copy=False).where(
        exp.and_(exp.GTE(this=start.copy(), expression=first), last, copy=False), copy=False)


def retail_table(plan: Plan, bounds: tuple[date | None, date | None]) -> exp.Query:
    """The retail periods as rows (period_start, next_start): only the range's when known."""
    assert plan.calendar.retail is not None
    starts = plan.calendar.retail.starts(plan.grain)
    lo, hi = bounds
    rows = [[date_literal(a), date_literal(b)] for a, b in zip(starts, starts[1:])
            if (lo is None or b > lo - timedelta(days=400)) and (hi is None or a < hi)]
    return literal_rows(["period_start", "next_start"], rows, plan.can.values_table)


def literal_rows(columns: list[str], rows: list[list[exp.Expression]], values: bool) -> exp.Query:
    """Rows of literals with named columns: ``SELECT .. FROM (VALUES ..) AS t(cols)``, or a
    ``UNION ALL`` of one-row SELECTs where a dialect cannot name a VALUES table's columns."""
    if values:
        alias = exp.TableAlias(this=exp.to_identifier("t"),
                               columns=[exp.to_identifier(c) for c in columns])
        return exp.select(*(exp.column(c) for c in columns), copy=False).from_(
            exp.Values(expressions=[exp.Tuple(expressions=r) for r in rows], alias=alias),
            copy=False)
    selects = [exp.select(*(v.as_(c, copy=False) for v, c in zip(row, columns)), copy=False)
               for row in rows]
    union: exp.Query = selects[0]
    for part in selects[1:]:
        union = exp.union(union, part, distinct=False, copy=False)
    return union


def _bound(name: str) -> exp.Subquery:
    """``(SELECT lo FROM bounds)``"""
    return exp.select(exp.column(name), copy=False).from_(table("bounds"), copy=False).subquery(
        copy=False)


def _last_start(plan: Plan, end_exclusive: date) -> date:
    return period_start(end_exclusive - timedelta(days=1), plan.grain, plan.calendar)
