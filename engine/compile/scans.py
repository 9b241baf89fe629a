"""One aggregate query per group: the only place the engine reads a source's rows.

Each leaf's filters move inside its aggregate, filters every leaf shares go to WHERE, and
only the joins the request needs are added. Two variants keep the single scan:

- a group with balance leaves reads rows opened before the range too, counting them in
  the period before the first one, so running totals start from the right balance;
- a snapshot group keeps, in each period, only the rows of its last snapshot day.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlglot import exp

from .. import sql
from ..catalog import JoinStep
from .grains import MONTHS, key_of, key_period, period_key, period_sql
from ..model import Grain
from .plan import Group, Plan, all_period
from .stages import (HIST_CUM, HIST_N, HIST_TOTAL, HIST_VALUE, KEY, STAGE, histogram,
                     histogrammable, stageable, two_stage)

PERIOD = "period"
RETAIL = "retail_calendar"  # the CTE listing retail periods, when the project uses one


def quote(name: str) -> bool:
    """Quote only names that need it (``reps.region``), so the SQL stays readable."""
    return not (name.isidentifier() and name.islower())


def date_literal(value: date) -> exp.Expression:
    return sql.cast(exp.Literal.string(value.isoformat()), "DATE", copy=False)


def table(name: str) -> exp.Table:
    """A table or CTE reference, built rather than parsed. The builders below are all called
    with ``copy=False`` on nodes made for them: sqlglot copies (and parses strings) by default,
    which made compiling a 1,000-metric project mostly copying."""
    return exp.Table(this=exp.to_identifier(name))


def cte(query: exp.Select, name: str, body: exp.Expression) -> exp.Select:
    return query.with_(exp.TableAlias(this=exp.to_identifier(name)), as_=body, copy=False)


_JOINS = {"left": {"side": "LEFT"}, "inner": {"kind": "INNER"}, "cross": {"kind": "CROSS"}}


def join(query: exp.Select, target: exp.Expression, on: exp.Expression | None,
         how: str) -> exp.Select:
    """``query <how> JOIN target ON on`` (sqlglot's ``join`` builder parses the join type)."""
    query.append("joins", exp.Join(this=target, on=on, **_JOINS[how]))
    return query


def scan(plan: Plan, group: Group, bounds: tuple[date | None, date | None]) -> exp.Select:
    if group.timeless:
        return _timeless(plan, group)
    time_col = time_column(group)
    local = _local_time(plan, group, time_col)
    retail = plan.calendar.is_retail(plan.grain)
    period, key = _period(plan, group, local, time_col, bounds)
    dims = [plan.grouping(group.source, name) for name in plan.request.by]
    shared = group.shared_filters()
    named_dims = [d.expr.as_(n, quoted=quote(n)) for d, n in zip(dims, plan.request.by)]
    columns = [period.as_(PERIOD, copy=False), *named_dims]
    if group.last:
        columns.append(sql.cast(local, "DATE").as_("snapshot_day", copy=False))
    columns += [_leaf_column(plan, group, leaf, shared, bounds) for leaf in group.leaves.values()]
    retail_join = None
    if retail:
        day = sql.cast(local, "DATE")
        retail_join = exp.and_(
            exp.LTE(this=exp.column("period_start", table=RETAIL), expression=day),
            exp.LT(this=day.copy(), expression=exp.column("next_start", table=RETAIL)),
            copy=False)
    staged = two_stage(group, shared) if stageable(plan, group) else None
    if staged is None and histogrammable(plan, group):
        staged = histogram(group, shared)
    if staged is not None:
        inner = _select_from(plan, group, [key.copy().as_(KEY, copy=False), *named_dims,
                                           *staged.inner], dims)
        inner = inner.where(sql.conjunction(_conditions(plan, group, time_col, bounds,
                                                        shared), copy=False), copy=False)
        inner = _fence(plan, group, inner.group_by(
            key.copy(), *(d.expr.copy() for d in dims), *(c.copy() for c in staged.columns),
            copy=False))
        held = exp.column(KEY, table=STAGE)
        period_of = key_period(held, plan.grain, plan.calendar) if _keyed(plan) \
            else held.copy()
        by = [exp.column(n, table=STAGE, quoted=quote(n)) for n in plan.request.by]
        source = inner.subquery(STAGE, copy=False)
        if staged.histogram:
            source = _running_counts(source, [held, *by]).subquery(STAGE, copy=False)
        outer = exp.select(period_of.as_(PERIOD, copy=False),
                           *(c.copy().as_(c.name, quoted=quote(c.name)) for c in by),
                           *staged.outer, copy=False).from_(source, copy=False)
        return outer.group_by(held.copy(), *by, copy=False)
    query = _select_from(plan, group, columns, dims, retail_join)
    query = query.where(sql.conjunction(_conditions(plan, group, time_col, bounds, shared),
                                        copy=False), copy=False)
    keys = [key.copy(), *(d.expr.copy() for d in dims)]
    if plan.grain is Grain.all:  # one period: the constant is not grouped by (T-SQL refuses)
        keys = keys[1:]
    if group.last:
        keys.append(sql.cast(local, "DATE"))
    if keys:
        query = _fence(plan, group, query.group_by(*keys, copy=False))
    return _last_snapshot(plan, query) if group.last else query


FENCE = "fence_key_"


def _fence(plan: Plan, group: Group, query: exp.Select) -> exp.Select:
    """Where the dialect asks for it, the scan's group keys are computed in a subquery the
    planner cannot flatten (``OFFSET 0``), which passes the source's own columns on:
    PostgreSQL estimates a key over a column (``date_trunc('month', created_at)``) to have as
    many values as the column (millions of timestamps), so it sized hash tables for millions
    of groups or sorted the rows to disk; over the subquery's column it assumes 200. Left as
    it is where an aggregate reads a joined table's column (the subquery passes only the
    source's)."""
    group_by = query.args.get("group")
    if not plan.can.estimate_fence or group_by is None:
        return query
    keys = group_by.expressions
    names = {k: f"{FENCE}{i}" for i, k in enumerate(dict.fromkeys(keys))}
    if any(_reads_beyond(c, names, group.source) for c in query.expressions):
        return query
    outer = [_over_fence(c, names, group.source) for c in query.expressions]
    query.set("group", None)
    query.set("expressions", [k.as_(n, copy=False) for k, n in zip(names, names.values())]
              + [exp.Column(this=exp.Star(), table=exp.to_identifier(group.source))])
    fenced = exp.select(*outer, copy=False).from_(
        query.offset(0, copy=False).subquery(group.source, copy=False), copy=False)
    return fenced.group_by(*(exp.column(n, table=group.source) for n in names.values()),
                           copy=False)


def _reads_beyond(tree: exp.Expression, keys: dict, source: str) -> bool:
    """Whether ``tree``, its group keys aside, reads a column of another table than
    ``source`` (the fence passes only the source's columns on)."""
    if isinstance(tree, _kinds(keys)) and tree in keys:
        return False
    if isinstance(tree, exp.Column):
        return bool(tree.table) and tree.table != source
    return any(_reads_beyond(child, keys, source) for child in tree.iter_expressions())


def _over_fence(tree: exp.Expression, names: dict, source: str) -> exp.Expression:
    """``tree`` with each group key in it read from the fence's column (in place)."""
    kinds = _kinds(names)

    def swap(node: exp.Expression) -> exp.Expression:
        name = names.get(node) if isinstance(node, kinds) else None
        return exp.column(name, table=source) if name else node
    return tree.transform(swap, copy=False)


def _kinds(keys: dict) -> tuple[type, ...]:
    """The node types of the keys: only nodes of those types can equal one (comparing a
    tree with a key hashes the whole tree)."""
    return tuple({type(k) for k in keys})


def _running_counts(first: exp.Subquery, partition: list[exp.Column]) -> exp.Select:
    """The histogram's middle stage: each value's running count within its period and
    group, and the period's count of values (compile/stages.py: histogram)."""
    count = exp.column(HIST_N, table=STAGE)

    def window(order: bool) -> exp.Window:
        return exp.Window(this=exp.Sum(this=count.copy()),
                          partition_by=[c.copy() for c in partition],
                          order=exp.Order(expressions=[exp.Ordered(
                              this=exp.column(HIST_VALUE, table=STAGE))]) if order else None)
    return exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(STAGE)),
                      window(True).as_(HIST_CUM, copy=False),
                      window(False).as_(HIST_TOTAL, copy=False), copy=False).from_(
        first, copy=False)


def time_column(group: Group) -> exp.Expression:
    """The time a scan buckets its rows by: the column, or ``shift_days`` after it (a
    balance whose rows count for N days closes them N days after they open)."""
    column = exp.column(group.time, table=group.source)
    if not group.shift_days:
        return column
    return exp.DateAdd(this=column, expression=exp.Literal.number(group.shift_days),
                       unit=exp.var("DAY"))


def _timeless(plan: Plan, group: Group) -> exp.Select:
    """A scan of rows without time: each group's aggregates over all its rows, no period
    (joined to every period of the request on the dimensions alone)."""
    dims = [plan.grouping(group.source, name) for name in plan.request.by]
    shared = group.shared_filters()
    columns = [d.expr.as_(n, quoted=quote(n)) for d, n in zip(dims, plan.request.by)]
    columns += [_leaf_column(plan, group, leaf, shared, (None, None))
                for leaf in group.leaves.values()]
    query = _select_from(plan, group, columns, dims)
    conditions = [_on_source(plan, w, group.source) for w in plan.where]
    conditions += [f.copy() for f in shared.values()]
    if conditions:
        query = query.where(sql.conjunction(conditions, copy=False), copy=False)
    if dims:
        query = query.group_by(*(d.expr.copy() for d in dims), copy=False)
    return query


def untimed(plan: Plan, group: Group, leaves: list) -> exp.Select:
    """For each of ``leaves`` (a column named after it), how many rows it would count but
    leaves out for having no time: the rows whose time column is empty and that pass the
    leaf's filters and --where."""
    time_col = exp.column(group.time, table=group.source)
    counts = [exp.Count(this=exp.Case(ifs=[exp.If(
        this=sql.conjunction([f.copy() for f in leaf.side.filters], copy=False),
        true=exp.Literal.number(1))]) if leaf.side.filters else exp.Star()).as_(
            leaf.alias, copy=False) for leaf in leaves]
    query = _select_from(plan, group, counts, [])
    conditions = [exp.Is(this=time_col, expression=exp.Null())]
    conditions += [_on_source(plan, w, group.source) for w in plan.where]
    return query.where(sql.conjunction(conditions, copy=False), copy=False)


def filtered(plan: Plan, group: Group) -> bool:
    """Whether the scan's WHERE drops rows beyond those without a time (shared filters,
    --where): then its periods may not span the source's own range."""
    return bool(group.shared_filters()) or bool(plan.where)


def own_range(plan: Plan, group: Group) -> exp.Select:
    """The first and last period of the source's rows on this time column, whatever the
    metrics' filters: the range a request without --start/--end shows (so a metric whose
    filters match nothing shows its zeros there, not an empty result)."""
    time_col = exp.column(group.time, table=group.source)
    local = _local_time(plan, group, time_col)
    bucket = lambda agg: period_sql(agg, plan.grain, plan.calendar,  # noqa: E731
                                    plan.can.monday_weeks)
    return _select_from(plan, group, [bucket(exp.Min(this=local)).as_("lo", copy=False),
                                      bucket(exp.Max(this=local.copy())).as_("hi", copy=False)],
                        None)


def _select_from(plan: Plan, group: Group, columns: list[exp.Expression], dims: list | None,
                 retail: exp.Expression | None = None) -> exp.Select:
    """``SELECT columns FROM <source> [JOIN the retail calendar ON retail] [LEFT JOIN what
    the dimensions, --where and the leaves read]``; ``dims=None``: no joins at all."""
    source = plan.catalog.sources[group.source]
    assert source.relation is not None, "sources that failed to resolve are not compiled"
    query = exp.select(*columns, copy=False).from_(
        exp.alias_(source.relation.copy(), group.source, table=True, copy=False), copy=False)
    if retail is not None:
        query = join(query, table(RETAIL), retail, "inner")
    for step in _joins(plan, group, dims) if dims is not None else ():
        target = plan.catalog.sources[step.target].relation
        assert target is not None
        query = join(query, exp.alias_(target.copy(), step.alias, table=True, copy=False),
                     step.on.copy(), "left")
    return query


def _period(plan: Plan, group: Group, local: exp.Expression, time_col: exp.Column,
            bounds: tuple[date | None, date | None]) -> tuple[exp.Expression, exp.Expression]:
    """Each row's period (a DATE) and the expression to group by: the same, or an integer
    key that the period is made from once per group, where the dialect computes it faster."""
    grain, calendar = plan.grain, plan.calendar
    if grain is Grain.all:
        constant = date_literal(all_period(plan))
        return constant, constant.copy()
    retail = calendar.is_retail(grain)
    keyed = _keyed(plan)
    if retail:
        key: exp.Expression = exp.column("period_start", table=RETAIL)
    elif keyed:
        key = period_key(local, grain, calendar)  # type: ignore[assignment]
    else:
        key = period_sql(local, grain, calendar, plan.can.monday_weeks)
    if group.history and bounds[0]:
        first = exp.Literal.number(key_of(bounds[0], grain, calendar)) if keyed \
            else date_literal(bounds[0])
        before = _instant(plan, group, bounds[0])
        key = exp.Case(ifs=[exp.If(this=exp.LT(this=time_col.copy(), expression=before),
                                   true=first)], default=key)
    return (key_period(key.copy(), grain, calendar) if keyed else key), key


def _keyed(plan: Plan) -> bool:
    return plan.can.period_keys and not plan.calendar.is_retail(plan.grain) \
        and plan.grain in MONTHS


def _leaf_column(plan: Plan, group: Group, leaf, shared, bounds) -> exp.Expression:
    rest = [f for f in leaf.side.filters if f not in shared]
    if group.history and not leaf.history and bounds[0]:
        time_col = time_column(group)
        rest.append(exp.GTE(this=time_col, expression=_instant(plan, group, bounds[0])))
    measure = sql.conditional(leaf.side.expr, sql.conjunction(rest))
    return (sql.float_avg(measure) if plan.can.integer_avg else measure).as_(leaf.alias,
                                                                              copy=False)


def _conditions(plan: Plan, group: Group, time_col: exp.Column,
                bounds: tuple[date | None, date | None], shared) -> list[exp.Expression]:
    conditions: list[exp.Expression] = [
        exp.Not(this=exp.Is(this=time_col.copy(), expression=exp.Null()))]
    if bounds[0] and not group.history:
        conditions.append(exp.GTE(this=time_col.copy(),
                                  expression=_instant(plan, group, bounds[0])))
    if bounds[1]:
        conditions.append(exp.LT(this=time_col.copy(),
                                 expression=_instant(plan, group, bounds[1])))
    conditions += [_on_source(plan, w, group.source) for w in plan.where]
    conditions += [f.copy() for f in shared.values()]
    return conditions


def _local_time(plan: Plan, group: Group, column: exp.Column) -> exp.Expression:
    """The time column in the project's time zone (timestamps are stored as UTC)."""
    zone = plan.catalog.project.timezone
    if not zone or plan.catalog.sources[group.source].model.timezone == "none":
        return column
    return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"),
                               target_tz=exp.Literal.string(zone), timestamp=column)


def _instant(plan: Plan, group: Group, day: date) -> exp.Expression:
    """The stored (UTC) instant at which a local day starts, so range filters stay plain
    comparisons on the column and the engine can skip row groups."""
    zone = plan.catalog.project.timezone
    if not zone or plan.catalog.sources[group.source].model.timezone == "none":
        return date_literal(day)
    utc = datetime.combine(day, time(), ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))
    return sql.cast(exp.Literal.string(utc.strftime("%Y-%m-%d %H:%M:%S")), "TIMESTAMP",
                    copy=False)


def _last_snapshot(plan: Plan, per_day: exp.Select) -> exp.Select:
    """Keep each period's last snapshot day: a semi-additive measure is a level, not a flow."""
    by = [exp.column(n, quoted=quote(n)) for n in plan.request.by]
    leaves = [e.alias for e in per_day.expressions if e.alias not in
              {PERIOD, "snapshot_day", *plan.request.by}]
    last_day = exp.Window(this=exp.Max(this=exp.column("snapshot_day")),
                          partition_by=[exp.column(PERIOD)])
    ranked = exp.select(exp.Star(), last_day.as_("last_day", copy=False), copy=False).from_(
        per_day.subquery("per_day", copy=False), copy=False)
    return exp.select(exp.column(PERIOD), *by, *(exp.column(n) for n in leaves),
                      copy=False).from_(ranked.subquery("ranked", copy=False), copy=False).where(
        exp.EQ(this=exp.column("snapshot_day"), expression=exp.column("last_day")), copy=False)


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
    for dim in wanted:  # a dimension of the source written over a join (`reps.region`)
        for table in sql.tables_used(dim.expr) - {group.source}:
            if table in direct:
                steps.setdefault(table, direct[table])
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
