"""Two-stage aggregation of a scan, where it pays: group the rows first by the period key and
the few categorical columns the metrics' filters test, then apply those tests to the groups.

The activities scan counts calls, emails and meetings, and opened, clicked and attended
among them: seven filters, each read on every row. Grouped first by (month, activity_type),
with the flags counted inside the groups, the type is tested on a few dozen groups instead of
every row (DuckDB 2.0, 51M activities, one thread: 2.34 s of CPU against 2.79 s with
COUNT_IF per metric; even at 5M rows). A column counts as categorical when the filters only
compare it with literals (``=``, ``<>``, ``IN``) and name at least two values of it, which
says it enumerates kinds (type, stage) rather than naming one thing (an account).

Only aggregates that re-aggregate exactly take part: counts and sums add up, minimums and
maximums keep, an average is a sum over a count. A distinct count, a median or a percentile
reads rows. Where the rest of its scan could aggregate in two stages, it moves to the scan
that reads rows apart (:func:`split_rows`): the closed deals' 90th percentile of won amounts
kept the deals' scan reading every row for thirteen counts and sums; apart, it reads the
won deals with the distinct count of accounts won, its filter in that scan's WHERE, and the
deals' scan groups by (month, stage) first. The SQL stays one SELECT: the first stage is a
subquery of the scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from sqlglot import exp

from .. import sql
from ..model import Grain
from .plan import Group, Plan

KEY = "period_key"  # the first stage's period key, made a date in the second
STAGE = "stage1"
MAX_COLUMNS = 2  # more would multiply the groups
_SIMPLE = (exp.Count, exp.CountIf, exp.Sum, exp.Min, exp.Max, exp.Avg)


HIST_VALUE, HIST_N, HIST_CUM, HIST_TOTAL = "hist_value", "hist_n", "hist_cum", "hist_total"
_WHOLE_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}  # a few hundred values at most


@dataclass
class Staged:
    columns: list[exp.Expression]  # what the first stage groups by besides period and dims
    inner: list[exp.Expression] = field(default_factory=list)  # first-stage columns
    outer: list[exp.Expression] = field(default_factory=list)  # the leaves, re-aggregated
    histogram: bool = False  # a middle stage adds running counts over ``hist_value``


def stageable(plan: Plan, group: Group) -> bool:
    """Whether the dialect and the scan's kind allow two stages at all."""
    return plan.can.two_stage and _groups_again(plan, group)


def histogrammable(plan: Plan, group: Group) -> bool:
    return plan.can.histogram_medians and _groups_again(plan, group)


def _groups_again(plan: Plan, group: Group) -> bool:
    """Whether a scan's rows can be grouped finer first: not for snapshots (each period keeps
    its last day), balances read from a start (the rows before it count in the first period,
    the other leaves' not), retail periods (a calendar is joined) or the whole range (no
    period key)."""
    return not (group.last or group.timeless or plan.grain is Grain.all
                or (group.history and plan.request.start is not None)
                or plan.calendar.is_retail(plan.grain))


def split_rows(plan: Plan) -> None:
    """Move the leaves that read rows (distinct counts, medians, percentiles) out of a scan
    into the source's scan that reads rows apart, where the rest gains by it: on DuckDB when
    the rest would then aggregate in two stages; where the dialect sorts a whole scan for one
    such aggregate (``hash_apart``: PostgreSQL), whenever the rest can then hash its groups,
    unless the scan's medians come from a histogram. Elsewhere one scan reads the rows once
    for all."""
    for group in list(plan.groups.values()):
        if group.rows or not _groups_again(plan, group):
            continue
        apart = {a: leaf for a, leaf in group.leaves.items() if not _simple(leaf.side.expr)}
        if not apart or len(apart) == len(group.leaves):
            continue
        rest = Group(group.source, group.time, shift_days=group.shift_days, leaves={
            a: leaf for a, leaf in group.leaves.items() if a not in apart})
        if plan.can.hash_apart:
            if plan.can.histogram_medians and _histogram_of(group, group.shared_filters()):
                continue
        elif not (plan.can.two_stage and _stage_columns(rest, rest.shared_filters())[0]):
            continue
        group.leaves = rest.leaves
        plan.group(group.source, group.time, rows=True,
                   shift_days=group.shift_days).leaves.update(apart)


def _stage_columns(group: Group, shared: dict) -> tuple[list[str], dict[str, list]]:
    """The categorical columns a first stage would group ``group`` by (none where a leaf
    does not re-aggregate), and each leaf's filters as atoms."""
    atoms = {alias: _atoms([f for f in leaf.side.filters if f not in shared])
             for alias, leaf in group.leaves.items()}
    if not all(_simple(leaf.side.expr) for leaf in group.leaves.values()):
        return [], atoms
    return _categorical(group.source, [a for each in atoms.values() for a in each]), atoms


def two_stage(group: Group, shared: dict) -> Staged | None:
    """The two stages of ``group``'s aggregates, or None when one stage is as good."""
    columns, atoms = _stage_columns(group, shared)
    if not columns:
        return None
    staged = Staged([exp.column(c, table=group.source) for c in columns])
    names = {c: f"category_{i}" for i, c in enumerate(columns)}
    staged.inner += [col.as_(names[c], copy=False) for c, col in zip(columns, staged.columns)]
    partial = _partials(staged)
    for alias, leaf in group.leaves.items():
        tests = [a for a in atoms[alias] if _column_of(a, group.source) in names]
        rest = [a.copy() for a in atoms[alias] if a not in tests]
        test = sql.conjunction([_on_stage(a, group.source, names) for a in tests]) \
            if tests else None
        staged.outer.append(_over_groups(leaf.side.expr, rest, test, partial).as_(
            alias, copy=False))
    return staged


def _partials(staged: Staged):
    """A function giving the first-stage column for a tree, adding it to ``staged.inner``
    (one column for equal trees: they compare by structure)."""
    partials: dict[exp.Expression, str] = {}

    def partial(tree: exp.Expression) -> exp.Column:
        if tree not in partials:
            partials[tree] = f"part_{len(partials)}"
            staged.inner.append(tree.as_(partials[tree], copy=False))
        return exp.column(partials[tree], table=STAGE)
    return partial


def _over_groups(measure: exp.Expression, rest: list[exp.Expression],
                 test: exp.Expression | None, partial) -> exp.Expression:
    """The measure with each of its aggregates re-aggregated over the first stage's groups
    (:func:`_second`)."""
    tree = measure.copy()
    for agg in sql.aggregates(tree):
        new = _second(agg, sql.conjunction([r.copy() for r in rest]) if rest else None,
                      test, partial)
        if agg is tree:  # the measure is the aggregate itself
            tree = new
        else:
            agg.replace(new)
    return tree


def histogram(group: Group, shared: dict) -> Staged | None:
    """Medians and percentiles of a whole number of days from a histogram, where the
    ordered-set aggregate is what makes the scan slow (PostgreSQL sorts every row of the
    scan for it, and cannot hash the group; 3M leads: 2.0 s against 0.65 s this way).

    The first stage groups the rows by (period, dimensions, the value), counting the value in
    each group and computing the scan's other aggregates (sums and counts, which re-aggregate);
    a middle stage adds each value's running count within its period (``hist_cum``) and the
    period's count (``hist_total``); the last reads the percentile off them: the value at
    0-based rank r is the smallest whose running count exceeds r, and percentile_cont(p) is
    exact interpolation between ranks floor(h) and ceil(h), h = (total - 1) * p, as
    PERCENTILE_CONT computes it. Days between two dates (``date_diff``) take a few hundred
    values however many rows there are; an amount could take as many as rows, so only day
    counts are done this way. One value per scan: two would multiply the groups."""
    found = _histogram_of(group, shared)
    if found is None:
        return None
    value, fractions = found
    staged = Staged([value], histogram=True)
    staged.inner += [value.copy().as_(HIST_VALUE, copy=False),
                     exp.Count(this=value.copy()).as_(HIST_N, copy=False)]
    partial = _partials(staged)
    for alias, leaf in group.leaves.items():
        measure = _percentile(fractions[alias]) if alias in fractions else _over_groups(
            leaf.side.expr, [f for f in leaf.side.filters if f not in shared], None, partial)
        staged.outer.append(measure.as_(alias, copy=False))
    return staged


def _histogram_of(group: Group, shared: dict
                  ) -> tuple[exp.Expression, dict[str, exp.Expression]] | None:
    """The one value a histogram of ``group`` would count (a whole number of days, with the
    leaf's own filters in a CASE) and each percentile leaf's fraction; None where the scan
    has none, another kind of aggregate that reads rows, or two different values."""
    apart = {a: leaf for a, leaf in group.leaves.items() if not _simple(leaf.side.expr)}
    if not apart:
        return None
    fractions: dict[str, exp.Expression] = {}
    values = set()
    for alias, leaf in apart.items():
        agg = leaf.side.expr
        if isinstance(agg, exp.Median):
            fractions[alias] = exp.Literal.number(0.5)
        elif isinstance(agg, exp.PercentileCont) and _fraction(agg.expression) is not None:
            fractions[alias] = agg.expression  # outside [0, 1] the warehouse says why
        else:
            return None
        if not (isinstance(agg.this, exp.DateDiff) and (agg.this.text("unit") or "DAY").upper()
                in _WHOLE_UNITS):
            return None
        rest = [f.copy() for f in leaf.side.filters if f not in shared]
        value = agg.this.copy()
        values.add(exp.Case(ifs=[exp.If(this=sql.conjunction(rest, copy=False), true=value)])
                   if rest else value)
    return (values.pop(), fractions) if len(values) == 1 else None


def _fraction(node: exp.Expression) -> float | None:
    """A percentile's fraction written as a number in [0, 1], else None."""
    if not isinstance(node, exp.Literal) or node.is_string:
        return None
    try:
        value = float(node.this)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


def _percentile(fraction: exp.Expression) -> exp.Expression:
    """PERCENTILE_CONT(fraction) of the histogram's values, from the middle stage's running
    counts (see :func:`histogram`); a copy of the tree parsed once per fraction."""
    return _percentile_tree(fraction.sql()).copy()


@lru_cache(maxsize=64)
def _percentile_tree(p: str) -> exp.Expression:
    rank = f"(MAX({STAGE}.{HIST_TOTAL}) - 1) * {p}"
    at = "MIN(CASE WHEN {s}.{c} > {f}(({s}.{t} - 1) * {p}) THEN {s}.{v} END)"
    low, high = (at.format(s=STAGE, c=HIST_CUM, t=HIST_TOTAL, v=HIST_VALUE, p=p, f=f)
                 for f in ("FLOOR", "CEIL"))
    return sql.cast(sqlglot.parse_one(
        f"{low} + ({rank} - FLOOR({rank})) * ({high} - {low})", read="duckdb"), "DOUBLE",
        copy=False)


def _second(agg: exp.AggFunc, rest: exp.Expression | None, test: exp.Expression | None,
            partial) -> exp.Expression:
    """``agg`` over the groups: its first stage filtered by ``rest`` (tests on other columns,
    per row), its second by ``test`` (the categorical tests, per group)."""
    def over(first: exp.Expression, how: type[exp.AggFunc] = exp.Sum) -> exp.Expression:
        value: exp.Expression = partial(sql.conditional(first, rest.copy() if rest else None))
        if test is not None:
            value = exp.Case(ifs=[exp.If(this=test.copy(), true=value)])
        return how(this=value)

    if isinstance(agg, (exp.Count, exp.CountIf)):  # a count over no group is 0, not empty;
        # and stays a BIGINT (a sum of counts would be a HUGEINT on DuckDB)
        return sql.cast(exp.Coalesce(this=over(agg.copy()), expressions=[
            exp.Literal.number(0)]), "BIGINT", copy=False)
    if isinstance(agg, exp.Avg):
        total = over(exp.Sum(this=agg.this.copy()))
        count = over(exp.Count(this=agg.this.copy()))
        return exp.Div(this=sql.cast(total, "DOUBLE", copy=False),
                       expression=exp.Nullif(this=count, expression=exp.Literal.number(0)))
    return over(agg.copy(), type(agg))  # Sum, Min, Max


def _simple(tree: exp.Expression) -> bool:
    """Whether every aggregate of a measure re-aggregates exactly."""
    found = sql.aggregates(tree)
    if not found or tree.find(exp.Window):
        return False
    for agg in found:
        arg = agg.this
        if not isinstance(agg, _SIMPLE) or isinstance(arg, exp.Distinct):
            return False
        if arg is not None and any(isinstance(n, exp.AggFunc) for n in arg.find_all(exp.AggFunc)):
            return False
    return True


def _atoms(filters: list[exp.Expression]) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    for f in filters:
        f = f.unnest()
        out += [a.unnest() for a in f.flatten()] if isinstance(f, exp.And) else [f]
    return out


def _categorical(source: str, atoms: list[exp.Expression]) -> list[str]:
    """Columns every test of which compares them with literals, naming two values or more."""
    values: dict[str, set] = {}
    elsewhere: set[str] = set()
    for atom in atoms:
        column = _column_of(atom, source)
        if column is not None:
            values.setdefault(column, set()).update(_literals(atom))
        else:
            elsewhere |= {c.name for c in atom.find_all(exp.Column)}
    chosen = [c for c, seen in values.items() if len(seen) >= 2 and c not in elsewhere]
    return sorted(chosen)[:MAX_COLUMNS]


def _column_of(atom: exp.Expression, source: str) -> str | None:
    """The column a categorical test reads (``kind = 'a'``, ``kind IN ('a', 'b')``, ``kind <>
    'a'``, negated or not), when it is one of the source's own; else None."""
    node = atom.this if isinstance(atom, exp.Not) else atom
    column = None
    if isinstance(node, (exp.EQ, exp.NEQ)):
        sides = (node.this, node.expression)
        if isinstance(sides[1], exp.Column) and isinstance(sides[0], exp.Literal):
            sides = sides[::-1]
        if isinstance(sides[0], exp.Column) and isinstance(sides[1], exp.Literal):
            column = sides[0]
    elif isinstance(node, exp.In) and isinstance(node.this, exp.Column) and \
            node.expressions and all(isinstance(e, exp.Literal) for e in node.expressions):
        column = node.this
    if column is None or column.table not in ("", source):
        return None
    return column.name


def _literals(atom: exp.Expression) -> set:
    return {(e.is_string, e.this) for e in atom.find_all(exp.Literal)}


def _on_stage(atom: exp.Expression, source: str, names: dict[str, str]) -> exp.Expression:
    """The test with its column read from the first stage's groups."""
    tree = atom.copy()
    for col in list(tree.find_all(exp.Column)):
        if col.name in names and col.table in ("", source):
            col.replace(exp.column(names[col.name], table=STAGE))
    return tree
