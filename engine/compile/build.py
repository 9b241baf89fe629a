"""Build the query for a plan as one sqlglot tree: scans, a time spine, and the final select.

Shape of the result::

    WITH agg_<source>_<time> AS (one scan each, conditional aggregation, GROUP BY period, dims),
         spine AS (every period from the first to the last, gaps included),
         grid AS (spine x the dimension values seen)          -- only when grouping
    SELECT period, dims, <metric values> FROM grid LEFT JOIN agg_... ORDER BY period, dims

Ratios divide after aggregation, with ``NULLIF(denominator, 0)``; counts and sums of empty
periods are 0, other aggregates stay empty (NULL).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlglot import exp

from .. import sql
from ..catalog import JoinStep, ResolvedMetric
from ..diagnostics import UsageError
from .grains import (Calendar, next_period, period_sql, period_start, periods_between,
                     step_sql)
from .plan import Group, Plan

PERIOD = "period"


def build(plan: Plan) -> exp.Select:
    calendar = Calendar.of(plan.catalog.project)
    bounds = _bounds(plan, calendar)
    query = exp.select()
    for group in plan.groups.values():
        query = query.with_(group.name, as_=_scan(plan, group, calendar, bounds))
    if not (bounds[0] and bounds[1]):
        query = query.with_("bounds", as_=_data_bounds(plan))
    query = query.with_("spine", as_=_spine(plan, bounds))
    base = "spine"
    if plan.request.by:
        query = query.with_("grid", as_=_grid(plan))
        base = "grid"
    return _final(plan, query, base)


def _bounds(plan: Plan, calendar: Calendar) -> tuple[date | None, date | None]:
    """The request's range widened to whole periods: [first day, first day after the end)."""
    start, end = plan.request.start, plan.request.end
    if start and end and start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    lo = period_start(start, plan.grain, calendar) if start else None
    hi = next_period(period_start(end, plan.grain, calendar), plan.grain) if end else None
    return lo, hi


def _date(value: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat()), "DATE")


def _scan(plan: Plan, group: Group, calendar: Calendar,
          bounds: tuple[date | None, date | None]) -> exp.Select:
    catalog = plan.catalog
    source = catalog.sources[group.source]
    time = exp.column(group.time, table=group.source)
    period = period_sql(time, plan.grain, calendar, plan.can.monday_weeks)
    dims = [plan.dimension(group.source, name) for name in plan.request.by]
    shared = _shared_filters(group)
    columns = [period.as_(PERIOD)] + [d.expr.as_(n, quoted=_quote(n))
                                   for d, n in zip(dims, plan.request.by)]
    for leaf in group.leaves.values():
        rest = [f for f in leaf.side.filters if f.sql() not in shared]
        measure = sql.conditional(leaf.side.expr, sql.conjunction(rest))
        columns.append((sql.float_avg(measure) if plan.can.integer_avg else measure).as_(leaf.alias))
    assert source.relation is not None, "sources that failed to resolve are not compiled"
    relation = exp.alias_(source.relation.copy(), group.source, table=True)
    query = exp.select(*columns).from_(relation)
    for step in _joins(plan, group, dims):
        target = catalog.sources[step.target].relation
        assert target is not None
        query = query.join(exp.alias_(target.copy(), step.alias, table=True),
                           on=step.on.copy(), join_type="left")
    conditions = [exp.Not(this=exp.Is(this=time.copy(), expression=exp.Null()))]
    if bounds[0]:
        conditions.append(exp.GTE(this=time.copy(), expression=_date(bounds[0])))
    if bounds[1]:
        conditions.append(exp.LT(this=time.copy(), expression=_date(bounds[1])))
    conditions += [_on_source(plan, w, group.source) for w in plan.where]
    conditions += [f.copy() for f in shared.values()]
    return query.where(sql.conjunction(conditions)).group_by(
        period.copy(), *(d.expr.copy() for d in dims))


def _shared_filters(group: Group) -> dict[str, exp.Expression]:
    """Filters every leaf of the scan has: pushed into WHERE, so fewer rows are read."""
    per_leaf = [{f.sql(): f for f in leaf.side.filters} for leaf in group.leaves.values()]
    common = set.intersection(*(set(p) for p in per_leaf)) if per_leaf else set()
    return {key: per_leaf[0][key] for key in sorted(common)}


def _joins(plan: Plan, group: Group, dims: list) -> list[JoinStep]:
    """The joins this scan needs, parents first, each once; unused joins are left out."""
    steps: dict[str, JoinStep] = {}
    wanted = list(dims)
    for where in plan.where:
        wanted += [plan.dimension(group.source, _dotted(c)) for c in where.find_all(exp.Column)]
    for dim in wanted:
        for step in dim.path:
            steps.setdefault(step.alias, step)
    direct = plan.catalog.direct_joins(group.source)
    for leaf in group.leaves.values():
        for tree in (leaf.side.expr, *leaf.side.filters):
            for table in sql.tables_used(tree) - {group.source}:
                if table in direct:
                    steps.setdefault(table, direct[table])
    return sorted(steps.values(), key=lambda s: s.alias.count("__"))


def _dotted(col: exp.Column) -> str:
    return ".".join(p for p in (col.table, col.name) if p)


def _on_source(plan: Plan, where: exp.Expression, source: str) -> exp.Expression:
    """A --where filter with each dimension name replaced by its SQL on this source."""
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            return exp.paren(plan.dimension(source, _dotted(node)).expr.copy(), copy=False)
        return node
    return where.copy().transform(swap)


def _spine(plan: Plan, bounds: tuple[date | None, date | None]) -> exp.Select:
    """Every period from the first to the last, so a period without rows still shows."""
    lo, hi = bounds
    alias = exp.TableAlias(this=exp.to_identifier("periods"), columns=[exp.to_identifier(PERIOD)])
    if not plan.can.series:
        assert lo and hi, "checked when compiling"
        rows = [exp.Tuple(expressions=[_date(p)]) for p in periods_between(lo, hi, plan.grain)]
        return exp.select(PERIOD).from_(exp.Values(expressions=rows, alias=alias))
    first = _date(lo) if lo else exp.select("lo").from_("bounds").subquery()
    last = _date(_last_start(plan, hi)) if hi else exp.select("hi").from_("bounds").subquery()
    series = exp.GenerateDateArray(start=first, end=last, step=step_sql(plan.grain))
    return exp.select(PERIOD).from_(exp.Unnest(expressions=[series], alias=alias))


def _last_start(plan: Plan, end_exclusive: date) -> date:
    calendar = Calendar.of(plan.catalog.project)
    return period_start(end_exclusive - timedelta(days=1), plan.grain, calendar)


def _data_bounds(plan: Plan) -> exp.Select:
    """The first and last period any scan found: the range when the request gives none."""
    union: exp.Query | None = None
    for group in plan.groups.values():
        part = exp.select(PERIOD).from_(group.name)
        union = part if union is None else exp.union(union, part, distinct=False)
    assert union is not None
    return exp.select(exp.Min(this=exp.column(PERIOD)).as_("lo"),
                      exp.Max(this=exp.column(PERIOD)).as_("hi")).from_(union.subquery("scans"))


def _grid(plan: Plan) -> exp.Select:
    """Every period crossed with every combination of dimension values seen in the scans."""
    by = plan.request.by
    union: exp.Query | None = None
    for group in plan.groups.values():
        part = exp.select(*(exp.column(n, quoted=_quote(n)) for n in by)).from_(group.name)
        union = part if union is None else exp.union(union, part, distinct=True)
    assert union is not None
    if len(plan.groups) == 1:
        union = union.distinct()  # type: ignore[union-attr]
    seen = union.subquery("dims")
    return exp.select(exp.column(PERIOD, table="spine"),
                      *(exp.column(n, table="dims", quoted=_quote(n)) for n in by)
                      ).from_("spine").join(seen, join_type="cross")


def _final(plan: Plan, query: exp.Select, base: str) -> exp.Select:
    by = plan.request.by
    query = query.select(exp.column(PERIOD, table=base),
                         *(exp.column(n, table=base, quoted=_quote(n)).as_(n, quoted=_quote(n)) for n in by)
                         ).from_(base)
    for group in plan.groups.values():
        keys = [exp.EQ(this=exp.column(PERIOD, table=group.name),
                       expression=exp.column(PERIOD, table=base))]
        keys += [exp.NullSafeEQ(this=exp.column(n, table=group.name, quoted=_quote(n)),
                                expression=exp.column(n, table=base, quoted=_quote(n))) for n in by]
        query = query.join(group.name, on=sql.conjunction(keys), join_type="left")
    for metric in plan.metrics:
        query = query.select(_value(plan, metric).as_(metric.name))
    order = [exp.column(PERIOD, table=base)] + [exp.column(n, table=base, quoted=_quote(n)) for n in by]
    return query.order_by(*order)


def _value(plan: Plan, metric: ResolvedMetric) -> exp.Expression:
    """The metric's value from the aggregated columns; ratios divide safely here."""
    num = _side_value(plan, metric, "num")
    if metric.denominator is None:
        return num
    den = _side_value(plan, metric, "den")
    return exp.Div(this=exp.cast(num, "DOUBLE"),
                   expression=exp.Nullif(this=den, expression=exp.Literal.number(0)))


def _side_value(plan: Plan, metric: ResolvedMetric, which: str) -> exp.Expression:
    side = metric.numerator if which == "num" else metric.denominator
    assert side is not None
    if side.metric:
        return exp.paren(_value(plan, plan.catalog.metrics[side.metric]), copy=False)
    alias = f"{metric.name}__{which}"
    group = plan.leaf_group(alias)
    column = exp.column(alias, table=group.name)
    if group.leaves[alias].additive:
        return exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
    return column


def _quote(name: str) -> bool:
    """Quote only names that need it (``reps.region``), so the SQL stays readable."""
    return not (name.isidentifier() and name.islower())
