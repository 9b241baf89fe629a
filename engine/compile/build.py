"""Build the query for a plan as one sqlglot tree: scans, a time spine, values, in stages.

Shape of the result::

    WITH agg_<source>_<time> AS (one scan each, conditional aggregation, GROUP BY period, dims),
         ent_<metric> AS (an aggregate over a per-entity query),      -- entity metrics only
         spine AS (every period from the first to the last, gaps included),
         grid AS (spine x the dimension values seen)                  -- only when grouping
    SELECT period, dims, <metric values> FROM grid LEFT JOIN agg_... ORDER BY period, dims

Counts and sums of empty periods are 0, other aggregates stay empty (NULL); ratios divide
after aggregation. When a metric looks back (a comparison, a trailing window, a balance),
the spine starts earlier and the result keeps only the requested periods.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from .. import sql
from ..diagnostics import UsageError
from ..model import EntityMetric
from .grains import next_period, period_start
from .plan import EntityPlan, Plan
from .scans import PERIOD, RETAIL, cte, date_literal, join, quote, scan, table
from .spine import DIGITS_TABLE, digits, needs_digits, retail_table, spine
from .values import Values, _ratio


def build(plan: Plan) -> exp.Select:
    first, end = _bounds(plan)
    read_from = plan.read_from or first
    bounds = (read_from, end)
    query = exp.select()
    if plan.calendar.is_retail(plan.grain):
        query = cte(query, RETAIL, retail_table(plan, bounds))
    for group in plan.groups.values():
        query = cte(query, group.name, scan(plan, group, bounds))
    for entity in plan.entities.values():
        query = cte(query, entity.name, _entity(entity))
    if plan.sparse:  # the values of the rows the one scan found, nothing more
        return _stages(plan, query, next(iter(plan.groups.values())).name, None)
    if not (bounds[0] and bounds[1]):
        query = cte(query, "bounds", _data_bounds(plan))
    if needs_digits(plan):
        query = cte(query, DIGITS_TABLE, digits())
    query = cte(query, "spine", spine(plan, bounds))
    base = "spine"
    if plan.request.by:
        query = cte(query, "grid", _grid(plan))
        base = "grid"
    return _stages(plan, query, base, first if read_from != first else None)


def _bounds(plan: Plan) -> tuple[date | None, date | None]:
    """The request's range widened to whole periods: [first day, first day after the end)."""
    start, end = plan.request.start, plan.request.end
    if start and end and start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    lo = period_start(start, plan.grain, plan.calendar) if start else None
    hi = next_period(period_start(end, plan.grain, plan.calendar), plan.grain,
                     plan.calendar) if end else None
    return lo, hi


def _scans(plan: Plan) -> list[str]:
    return [g.name for g in plan.groups.values()] + [e.name for e in plan.entities.values()]


def _from(query: exp.Select, source: str | exp.Expression) -> exp.Select:
    return query.from_(table(source) if isinstance(source, str) else source, copy=False)


def _data_bounds(plan: Plan) -> exp.Select:
    """The first and last period any scan found: the range when the request gives none."""
    union = _union([_from(exp.select(exp.column(PERIOD), copy=False), name)
                    for name in _scans(plan)], distinct=False)
    return _from(exp.select(exp.Min(this=exp.column(PERIOD)).as_("lo", copy=False),
                            exp.Max(this=exp.column(PERIOD)).as_("hi", copy=False), copy=False),
                 union.subquery("scans", copy=False))


def _union(parts: list[exp.Select], distinct: bool) -> exp.Query:
    union: exp.Query = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=distinct, copy=False)
    return union.distinct(copy=False) if distinct and len(parts) == 1 else union  # type: ignore


def _grid(plan: Plan) -> exp.Select:
    """Every period crossed with every combination of dimension values seen in the scans."""
    by = plan.request.by
    seen = _union([_from(exp.select(*(exp.column(n, quoted=quote(n)) for n in by), copy=False),
                         name) for name in _scans(plan)], distinct=True).subquery("dims",
                                                                                  copy=False)
    return join(_from(exp.select(_named(exp.column(PERIOD, table="spine"), PERIOD),
                            *(_named(exp.column(n, table="dims", quoted=quote(n)), n)
                              for n in by), copy=False), "spine"), seen, None, "cross")


def _named(column: exp.Column, name: str) -> exp.Alias:
    """``t.c AS c``: ClickHouse names an unaliased ``t.c`` of a subquery ``t.c``, not ``c``."""
    return column.as_(name, quoted=quote(name), copy=False)


def _entity(entity: EntityPlan) -> exp.Select:
    """An aggregate over the rows of a per-entity query (one row per period, dims, entity)."""
    model = entity.metric.model
    assert isinstance(model, EntityMetric)
    inner = _own_names(build(entity.inner), entity.name)
    inner.set("order", None)
    value = exp.column(model.of, quoted=quote(model.of))
    hit = None
    if entity.metric.condition is not None:
        hit = entity.metric.condition.copy().transform(
            lambda n: value.copy() if isinstance(n, exp.Column) else n)
    by = [exp.column(n, quoted=quote(n)) for n in entity.inner.request.by[:-1]]
    agg = _entity_aggregate(model.aggregate, value, hit)
    if entity.inner.can.integer_avg:
        agg = sql.float_avg(agg)
    query = exp.select(exp.column(PERIOD), *by, agg.as_(f"{entity.metric.name}__ent", copy=False),
                       copy=False)
    return _from(query, inner.subquery("per_entity", copy=False)).group_by(
        exp.column(PERIOD), *(b.copy() for b in by), copy=False)


def _own_names(query: exp.Select, prefix: str) -> exp.Select:
    """Prefix the names of a nested query's CTEs (``spine`` -> ``ent_x__spine``) and every
    reference to them. Spark, Databricks and T-SQL allow no nested WITH; sqlglot hoists it to
    the top, where the inner ``spine`` or scan would otherwise be defined twice."""
    with_ = query.args.get("with_")
    if not with_:
        return query
    names = {item.alias: f"{prefix}__{item.alias}" for item in with_.expressions}
    for item in with_.expressions:
        item.set("alias", exp.TableAlias(this=exp.to_identifier(names[item.alias])))
    for ref in query.find_all(exp.Table):
        if not ref.args.get("db") and ref.name in names:
            ref.set("this", exp.to_identifier(names[ref.name]))
        if ref.alias in names:
            ref.set("alias", exp.TableAlias(this=exp.to_identifier(names[ref.alias])))
    for col in query.find_all(exp.Column):
        if col.table in names:
            col.set("table", exp.to_identifier(names[col.table]))
    return query


def _entity_aggregate(kind: str, value: exp.Expression, hit: exp.Expression | None
                      ) -> exp.Expression:
    counted = exp.Count(this=exp.Case(ifs=[exp.If(this=hit.copy(), true=exp.Literal.number(1))])
                        if hit else value.copy())
    if kind == "count":
        return counted if hit else exp.Count(this=value.copy())
    if kind == "share":
        return _ratio(counted, exp.Count(this=value.copy()), None)
    kept = exp.Case(ifs=[exp.If(this=hit, true=value.copy())]) if hit else value.copy()
    funcs = {"avg": exp.Avg, "median": exp.Median, "sum": exp.Sum, "min": exp.Min,
             "max": exp.Max}
    return funcs[kind](this=kept)


def _stages(plan: Plan, query: exp.Select, base: str, keep_from: date | None) -> exp.Select:
    """The values, in as many SELECTs as windows over windows need; then the requested rows."""
    values = Values(plan, base)
    for metric in plan.metrics:
        values.materialize(metric.name, values.at(metric.name))
    last = max(values.columns)
    by = plan.request.by
    stage1 = _stage1(plan, base, values.columns[1])
    if last == 1 and keep_from is None:
        return _ordered(plan, _attach(query, stage1), base)
    query = cte(query, "stage1", stage1)
    carried = list(values.columns[1])
    for stage in range(2, last + 1):
        cols = [exp.column(PERIOD), *(exp.column(n, quoted=quote(n)) for n in by),
                *(exp.column(c, quoted=quote(c)) for c in carried)]
        cols += [_alias(e, name) for name, e in values.columns[stage].items()]
        query = cte(query, f"stage{stage}", _from(exp.select(*cols, copy=False),
                                                  f"stage{stage - 1}"))
        carried += list(values.columns[stage])
    final = _from(query.select(exp.column(PERIOD), *(exp.column(n, quoted=quote(n)) for n in by),
                               *(exp.column(m.name, quoted=quote(m.name)) for m in plan.metrics),
                               copy=False), f"stage{last}")
    if keep_from is not None:
        final = final.where(exp.GTE(this=exp.column(PERIOD), expression=date_literal(keep_from)),
                            copy=False)
    return _ordered(plan, final, None)


def _stage1(plan: Plan, base: str, columns: dict[str, exp.Expression]) -> exp.Select:
    by = plan.request.by
    select = _from(exp.select(_named(exp.column(PERIOD, table=base), PERIOD),
                              *(_named(exp.column(n, table=base, quoted=quote(n)), n)
                                for n in by), copy=False), base)
    for name in _scans(plan):
        if name == base:
            continue
        keys = [exp.EQ(this=exp.column(PERIOD, table=name),
                       expression=exp.column(PERIOD, table=base))]
        keys += [exp.NullSafeEQ(this=exp.column(n, table=name, quoted=quote(n)),
                                expression=exp.column(n, table=base, quoted=quote(n)))
                 for n in by]
        select = join(select, table(name), sql.conjunction(keys, copy=False), "left")
    return select.select(*(_alias(e, n) for n, e in columns.items()), copy=False)


def _alias(value: exp.Expression, name: str) -> exp.Alias:
    """``value AS name``; a value already placed elsewhere in the tree is copied."""
    return value.as_(name, quoted=quote(name), copy=value.parent is not None)


def _attach(query: exp.Select, stage1: exp.Select) -> exp.Select:
    """Make the stage-1 SELECT the main query under the WITH clauses gathered so far."""
    stage1.set("with_", query.args.get("with_"))
    return stage1


def _ordered(plan: Plan, query: exp.Select, base: str | None) -> exp.Select:
    order = [exp.column(PERIOD, table=base)] + [
        exp.column(n, table=base, quoted=quote(n)) for n in plan.request.by]
    return query.order_by(*order, copy=False)
