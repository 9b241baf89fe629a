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
from ..model import EntityMetric, Grain
from ..calendar import next_period, period_start
from .plan import EntityPlan, Plan, all_period
from .scans import PERIOD, RETAIL, cte, date_literal, filtered, join, own_range, quote, scan, table
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
    if plan.grain is Grain.all or whole_range(plan):  # one period: a spine of one row
        query = cte(query, "spine", exp.select(date_literal(all_period(plan)).as_(
            PERIOD, copy=False), copy=False))
        if plan.request.by:
            query = cte(query, "grid", _grid(plan))
        return _stages(plan, query, "grid" if plan.request.by else "spine", None)
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


def _timed(plan: Plan) -> list[str]:
    """The scans with a period column (not those of rows without time)."""
    return [g.name for g in plan.groups.values() if not g.timeless] + \
        [e.name for e in plan.entities.values()]


def whole_range(plan: Plan) -> bool:
    """Only rows without time, and no range asked for: nothing says which periods to show,
    so there is one row, as with ``--grain all``."""
    return not _timed(plan) and not (plan.request.start and plan.request.end)


def _from(query: exp.Select, source: str | exp.Expression) -> exp.Select:
    return query.from_(table(source) if isinstance(source, str) else source, copy=False)


def _data_bounds(plan: Plan) -> exp.Select:
    """The range when the request gives none: from the first to the last period of the
    sources' own rows. A scan whose WHERE keeps every row with a time found those periods
    itself; for one that filters (shared filters, --where), the source's range is read apart
    (the retail calendar's periods are known only through the scans)."""
    lo, hi = exp.column("lo"), exp.column("hi")
    # A scan of shifted times (a balance's `days`) reads the rows its unshifted twin reads:
    # their range, moved later, is not the data's.
    shifted = {g.name for g in plan.groups.values() if g.shift_days}
    parts = [_from(exp.select(exp.Min(this=exp.column(PERIOD)).as_("lo", copy=False),
                              exp.Max(this=exp.column(PERIOD)).as_("hi", copy=False),
                              copy=False), name) for name in _timed(plan)
             if name not in shifted]
    if not plan.calendar.is_retail(plan.grain):
        pending = [plan]
        while pending:  # the request's scans, and those of its entity metrics' own queries
            current = pending.pop()
            pending += [e.inner for e in current.entities.values()]
            parts += [own_range(current, group) for group in current.groups.values()
                      if not group.timeless and not group.shift_days
                      and filtered(current, group)]
    # Scans of one source and time column (filtered ones, an entity metric's own) share
    # its range: read it once (trees compare by structure).
    parts = list(dict.fromkeys(parts))
    if len(parts) == 1:
        return parts[0]
    return _from(exp.select(exp.Min(this=lo).as_("lo", copy=False),
                            exp.Max(this=hi).as_("hi", copy=False), copy=False),
                 _union(parts, distinct=False).subquery("scans", copy=False))


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


def _entity(entity: EntityPlan) -> exp.Query:
    """An aggregate over the rows of a per-entity query (one row per period, dims, entity).

    The per-entity query's grid is every period crossed with the population (see
    :class:`EntityPlan`), so an entity without rows in a period counts with the value of `of`
    there (0 for counts and sums). With a roster, each entity is joined to its roster row,
    whose dimensions place it in a group. Without a grid (``sparse``: only the rows the scan
    found), a row of no period for each group of the population makes the main query's grid
    show every group (its count 0 where none of its entities has rows)."""
    model = entity.metric.model
    assert isinstance(model, EntityMetric)
    built = build(entity.inner)
    if not entity.inner.sparse:
        _population_grid(built, _population(entity, entity.inner.request.by))
    inner = _own_names(built, entity.name)
    inner.set("order", None)
    value = exp.column(model.of, table="per_entity", quoted=quote(model.of))
    hit = None
    if entity.metric.condition is not None:
        hit = entity.metric.condition.copy().transform(
            lambda n: value.copy() if isinstance(n, exp.Column) else n)
    place = "population" if entity.population else "per_entity"
    by = [exp.column(n, table=place, quoted=quote(n)) for n in entity.by]
    agg = _entity_aggregate(model.aggregate, value, hit)
    if entity.inner.can.integer_avg:
        agg = sql.float_avg(agg)
    period = exp.column(PERIOD, table="per_entity")
    name = f"{entity.metric.name}__ent"
    query = _from(exp.select(_named(period, PERIOD), *(_named(b, n) for b, n in zip(by, entity.by)),
                             agg.as_(name, copy=False), copy=False),
                  inner.subquery("per_entity", copy=False))
    key = model.entity
    if entity.population:  # the roster's entities only, each in the groups of its row
        rows = _population(entity, entity.by + (key,)).subquery("population", copy=False)
        on = exp.EQ(this=exp.column(key, table="per_entity", quoted=quote(key)),
                    expression=exp.column(key, table="population", quoted=quote(key)))
        query = join(query, rows, on, "inner")
    else:  # rows that name no entity (no account on the deal) belong to none
        query = query.where(exp.column(key, table="per_entity", quoted=quote(key)).is_(
            exp.Null()).not_(), copy=False)
    query = query.group_by(period.copy(), *(b.copy() for b in by), copy=False)
    if not (entity.inner.sparse and entity.by):
        return query
    groups = _from(exp.select(exp.Null().as_(PERIOD, copy=False),
                              *(_named(exp.column(n, table="population", quoted=quote(n)), n)
                                for n in entity.by),
                              exp.Null().as_(name, copy=False), copy=False),
                   _population(entity, entity.by).subquery("population", copy=False))
    return exp.union(query, groups, distinct=False, copy=False)


def _population_grid(query: exp.Select, population: exp.Query) -> None:
    """Make the per-entity query's grid the spine x the population, in place of the
    dimension values its scans found in the range (which made an entity's value depend on
    the range, and left out entities whose rows the metric's filters drop)."""
    with_ = query.args.get("with_")
    grid = next((c for c in with_.expressions if c.alias == "grid"), None) if with_ else None
    dims = next((s for s in grid.this.find_all(exp.Subquery) if s.alias == "dims"),
                None) if grid is not None else None
    assert dims is not None, "the grid of a per-entity query crosses the spine with 'dims'"
    dims.replace(population.subquery("dims", copy=False))


def _population(entity: EntityPlan, names: tuple[str, ...]) -> exp.Query:
    """The population's distinct values of ``names`` (dimensions, the entity last): the rows
    of the roster, or of every source of `of` at any time, whatever its filters. The
    request's --where applies where the source has its dimensions (the roster's own)."""
    plan = entity.inner
    parts = [_population_rows(plan, source, names) for source in entity.sources]
    return _union(parts, distinct=True)


def _population_rows(plan: Plan, source: str, names: tuple[str, ...]) -> exp.Select:
    catalog = plan.catalog
    dims = [plan.grouping(source, n) for n in names]
    conditions, used = [], list(dims)
    for where in plan.where:
        for part in where.flatten() if isinstance(where, exp.And) else [where]:
            found = {_dotted_name(c): catalog.dimension(source, _dotted_name(c))
                     for c in part.find_all(exp.Column)}
            if not all(found.values()):  # a dimension the roster lacks filters `of` only
                continue
            conditions.append(part.copy().transform(
                lambda n, found=found: exp.paren(found[_dotted_name(n)].expr.copy(), copy=False)
                if isinstance(n, exp.Column) else n))
            used += list(found.values())
    relation = catalog.sources[source].relation
    assert relation is not None, "sources that failed to resolve are not compiled"
    query = exp.select(*(d.expr.copy().as_(n, quoted=quote(n)) for d, n in zip(dims, names)),
                       copy=False).from_(exp.alias_(relation.copy(), source, table=True,
                                                    copy=False), copy=False)
    steps = {}  # join alias -> step, each once
    for dim in used:
        for step in dim.path:
            steps.setdefault(step.alias, step)
    for step in sorted(steps.values(), key=lambda s: s.alias.count("__")):
        target = catalog.sources[step.target].relation
        assert target is not None
        join(query, exp.alias_(target.copy(), step.alias, table=True, copy=False),
             step.on.copy(), "left")
    return query.where(sql.conjunction(conditions, copy=False), copy=False) if conditions \
        else query


def _dotted_name(col: exp.Column) -> str:
    return ".".join(p for p in (col.table, col.name) if p)


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
    timed = set(_timed(plan))
    for name in _scans(plan):
        if name == base:
            continue
        keys = [exp.EQ(this=exp.column(PERIOD, table=name),
                       expression=exp.column(PERIOD, table=base))] if name in timed else []
        keys += [_same(plan, exp.column(n, table=name, quoted=quote(n)),
                       exp.column(n, table=base, quoted=quote(n))) for n in by]
        on = sql.conjunction(keys, copy=False) if keys else None
        select = join(select, table(name), on, "left" if on is not None else "cross")
    return select.select(*(_alias(e, n) for n, e in columns.items()), copy=False)


def _same(plan: Plan, left: exp.Column, right: exp.Column) -> exp.Expression:
    """``left IS NOT DISTINCT FROM right``, or where the engine cannot hash that, the same
    test as equalities it can: ``COALESCE(CAST(l AS TEXT), '') = COALESCE(CAST(r AS TEXT),
    '') AND (l IS NULL) = (r IS NULL)`` (the second tells an empty value from '')."""
    if plan.can.hashed_null_safe:
        return exp.NullSafeEQ(this=left, expression=right)

    def text(column: exp.Column) -> exp.Expression:
        return exp.Coalesce(this=sql.cast(column, "TEXT", copy=False),
                            expressions=[exp.Literal.string("")])

    def empty(column: exp.Column) -> exp.Expression:
        return exp.Paren(this=exp.Is(this=column, expression=exp.Null()))

    return exp.and_(exp.EQ(this=text(left), expression=text(right)),
                    exp.EQ(this=empty(left.copy()), expression=empty(right.copy())), copy=False)


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
