"""The pandas oracle's machinery: one class per metric form, and the spine every result fills.

Written from the README's statement of each form ("Every form a sales KPI takes"), never from
the engine or its SQL. Each form answers two questions for a request (grain, dimensions, range,
where):

- ``seen``: the periods and dimension-value combinations its rows put on the spine;
- ``values``: its value at given (period, *dimension values) keys, including keys with no rows
  (0 for counts and sums, null for other aggregates) and keys before the requested range.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import pandas as pd

NULL = "\x00null"  # stands in for a null dimension value while grouping
NAN = math.nan
FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}  # W-SUN: Mon..Sun
YEAR_BACK = {"day": 364, "week": 52, "month": 12, "quarter": 4, "year": 1}     # previous_year lag


class Ctx(NamedTuple):
    """One request: grain, dimensions, the request's where (a row predicate), the range's periods."""
    grain: str
    by: tuple = ()
    where: Callable[[pd.DataFrame], pd.Series] | None = None
    lo: pd.Period | None = None
    hi: pd.Period | None = None

    def also_by(self, dim: str) -> Ctx:
        return self._replace(by=(*self.by, dim))

    def unbounded(self) -> Ctx:
        return self._replace(lo=None, hi=None)


def period_of(value, grain: str) -> pd.Period:
    return pd.Timestamp(value).to_period(FREQ[grain])


def is_null(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def div(a, b):
    """Safe division: null over anything, anything over null or 0 -> null."""
    if is_null(a) or is_null(b) or b == 0:
        return NAN
    return a / b


def _normal(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), NULL)


def _in_range(periods: pd.Series, ctx: Ctx) -> pd.Series:
    mask = periods.notna()
    if ctx.lo is not None:
        mask &= periods >= ctx.lo
    if ctx.hi is not None:
        mask &= periods <= ctx.hi
    return mask


def _groups(d: pd.DataFrame, by) -> list[tuple[tuple, pd.DataFrame]]:
    if not by:
        return [((), d)]
    return list(d.groupby(list(by), sort=False))


class Form(ABC):
    """One metric form, computed with pandas: the periods and keys it has rows for, and its
    values at given keys."""

    @abstractmethod
    def seen(self, src, ctx: Ctx) -> tuple[set, set]: ...

    @abstractmethod
    def values(self, src, ctx: Ctx, keys: list[tuple]) -> list: ...

    def first_period(self, src, ctx: Ctx):
        periods, _ = self.seen(src, ctx.unbounded())
        return min(periods) if periods else None


class Scan(Form):
    """Rows of one source, with the metric's filters and the request's where applied."""

    def __init__(self, source: str, rows: Callable[[pd.DataFrame], pd.Series], times: list[str]):
        self.source, self.rows, self.times = source, rows, times

    def frame(self, src, ctx: Ctx) -> pd.DataFrame:
        d = src[self.source]
        mask = self.rows(d).fillna(False).astype(bool)
        if ctx.where is not None:
            mask &= ctx.where(d).fillna(False).astype(bool)
        d = d[mask]
        return d.assign(**{dim: _normal(d[dim]) for dim in ctx.by})

    def seen(self, src, ctx):
        d = self.frame(src, ctx)
        periods, combos = set(), set()
        for col in self.times:  # every time column the form reads puts its periods on the spine
            # The periods are the source's own, whatever the filters and --where keep (README:
            # "Periods come from the sources' own range"); the groups are the rows kept.
            every = src[self.source][col].dt.to_period(FREQ[ctx.grain])
            periods |= set(every[_in_range(every, ctx)])
            p = d[col].dt.to_period(FREQ[ctx.grain])
            m = _in_range(p, ctx)
            combos |= set(d.loc[m, list(ctx.by)].itertuples(index=False, name=None))
        return periods, combos


class Simple(Scan):
    """Rows bucketed by one time column; ``parts`` are per-group aggregates, ``combine`` makes
    the value from them. Additive parts (counts, sums) can be summed over windows."""

    def __init__(self, source, time, rows, parts: dict[str, Callable], combine: Callable,
                 additive: bool = True):
        super().__init__(source, rows, [time])
        self.time, self.parts, self.combine, self.additive = time, parts, combine, additive

    def part_values(self, src, ctx, keys):
        d = self.frame(src, ctx)
        d = d[d[self.time].notna()]
        d = d.assign(_period=d[self.time].dt.to_period(FREQ[ctx.grain]))
        cells = {key: {n: f(g) for n, f in self.parts.items()}
                 for key, g in d.groupby(["_period", *ctx.by], sort=False)}
        empty = {n: f(d.iloc[0:0]) for n, f in self.parts.items()}
        return [cells.get(k, empty) for k in keys]

    def values(self, src, ctx, keys):
        return [self.combine(p) for p in self.part_values(src, ctx, keys)]


class Balance(Scan):
    """Rows open at a moment: opens < t and (closes null or closes >= t), where t is the first
    day of the next period (at: end) or of the period itself (at: start)."""

    def __init__(self, source, opens, closes, at, measure: Callable[[pd.DataFrame], float]):
        super().__init__(source, lambda d: pd.Series(True, index=d.index),
                         [opens] + ([closes] if closes else []))
        self.opens, self.closes, self.at, self.measure = opens, closes, at, measure

    def moment(self, p: pd.Period) -> pd.Timestamp:
        return p.start_time if self.at == "start" else (p + 1).start_time

    def values(self, src, ctx, keys):
        d = self.frame(src, ctx)
        cells = {}
        for p in {k[0] for k in keys}:
            t = self.moment(p)
            m = d[self.opens] < t
            if self.closes:
                m &= d[self.closes].isna() | (d[self.closes] >= t)
            for key, g in _groups(d[m], ctx.by):
                cells[(p, *key)] = self.measure(g)
        empty = self.measure(d.iloc[0:0])
        return [cells.get(k, empty) for k in keys]


class Snapshot(Scan):
    """Per period, only the rows of the period's last snapshot date (over all rows), measured."""

    def __init__(self, source, time, measure):
        super().__init__(source, lambda d: pd.Series(True, index=d.index), [time])
        self.time, self.measure = time, measure

    def values(self, src, ctx, keys):
        d = self.frame(src, ctx)
        d = d[d[self.time].notna()]
        d = d.assign(_period=d[self.time].dt.to_period(FREQ[ctx.grain]))
        d = d[d[self.time] == d.groupby("_period")[self.time].transform("max")]
        cells = {key: self.measure(g) for key, g in d.groupby(["_period", *ctx.by], sort=False)}
        empty = self.measure(d.iloc[0:0])
        return [cells.get(k, empty) for k in keys]


class Formula(Form):
    """A function of other metrics' values at the same period and dimension values."""

    def __init__(self, fn: Callable, *inputs: Form):
        self.fn, self.inputs = fn, inputs

    def seen(self, src, ctx):
        periods, combos = set(), set()
        for form in self.inputs:
            p, c = form.seen(src, ctx)
            periods |= p
            combos |= c
        return periods, combos

    def values(self, src, ctx, keys):
        columns = [form.values(src, ctx, keys) for form in self.inputs]
        return [self.fn(*row) for row in zip(*columns)]


class Share(Form):
    """The inner metric over its total across some dimensions: summed over the rows of the
    expected grid (every period x group) that differ only in those dimensions."""

    def __init__(self, inner: Form, across: tuple[str, ...]):
        self.inner, self.across = inner, across

    def seen(self, src, ctx):
        return self.inner.seen(src, ctx)

    def values(self, src, ctx, keys):
        vals = self.inner.values(src, ctx, keys)
        kept = [i + 1 for i, dim in enumerate(ctx.by) if dim not in self.across]
        totals: dict[tuple, float] = defaultdict(float)
        for key, value in zip(keys, vals):
            totals[(key[0], *(key[i] for i in kept))] += 0 if is_null(value) else value
        return [None if is_null(v) or not totals[(k[0], *(k[i] for i in kept))] else
                v / totals[(k[0], *(k[i] for i in kept))] for k, v in zip(keys, vals)]


class Compare(Form):
    """The inner metric against itself 1 period (previous_period) or a year (previous_year)
    back; an earlier period before the inner metric's first period of data has no value."""

    def __init__(self, inner: Form, compare: str, change: str):
        self.inner, self.compare, self.change = inner, compare, change

    def seen(self, src, ctx):
        return self.inner.seen(src, ctx)

    def values(self, src, ctx, keys):
        back = 1 if self.compare == "previous_period" else YEAR_BACK[ctx.grain]
        first = self.inner.first_period(src, ctx)
        earlier = [(k[0] - back, *k[1:]) for k in keys]
        now = self.inner.values(src, ctx, keys)
        then = self.inner.values(src, ctx, earlier)
        then = [v if first is not None and k[0] >= first else NAN for k, v in zip(earlier, then)]
        if self.change == "percent":
            return [div(a - b, b) if not (is_null(a) or is_null(b)) else NAN for a, b in zip(now, then)]
        if self.change == "absolute":
            return [a - b for a, b in zip(now, then)]
        return then


class Cumulative(Form):
    """Additive parts of the inner metric summed over a window, then the value recomputed:
    ``to_date`` (periods since the start of the calendar year/quarter holding the period's
    first day) or ``trailing`` N periods."""

    def __init__(self, inner: Simple, to_date: str | None = None, trailing: int | None = None):
        assert inner.additive
        self.inner, self.to_date, self.trailing = inner, to_date, trailing

    def seen(self, src, ctx):
        return self.inner.seen(src, ctx)

    def window(self, p: pd.Period) -> list[pd.Period]:
        if self.trailing:
            return [p - i for i in range(self.trailing)]
        unit = {"year": "Y", "quarter": "Q", "month": "M"}[self.to_date]
        anchor = p.start_time.to_period(unit)
        out, q = [p], p - 1
        while q.start_time.to_period(unit) == anchor:
            out.append(q)
            q -= 1
        return out

    def values(self, src, ctx, keys):
        windows = [[(q, *k[1:]) for q in self.window(k[0])] for k in keys]
        wanted = list(dict.fromkeys(itertools.chain.from_iterable(windows)))
        parts = dict(zip(wanted, self.inner.part_values(src, ctx, wanted)))
        out = []
        for window in windows:
            summed = {n: sum(parts[k][n] for k in window) for n in self.inner.parts}
            out.append(self.inner.combine(summed))
        return out


AGGREGATES = {
    "count": lambda vals, cond: float(sum(1 for v in vals if not is_null(v) and cond(v))),
    "share": lambda vals, cond: div(float(sum(1 for v in vals if not is_null(v) and cond(v))),
                                    float(sum(1 for v in vals if not is_null(v)))),
    "median": lambda vals, cond: _stat(vals, lambda s: s.median()),
    "avg": lambda vals, cond: _stat(vals, lambda s: s.mean()),
    "sum": lambda vals, cond: _stat(vals, lambda s: s.sum()),
    "min": lambda vals, cond: _stat(vals, lambda s: s.min()),
    "max": lambda vals, cond: _stat(vals, lambda s: s.max()),
}


def _stat(vals, fn):
    s = pd.Series([v for v in vals if not is_null(v)], dtype="float64")
    return float(fn(s)) if len(s) else NAN


class Entity(Form):
    """The inner metric per entity (grouped by the entity as well), then aggregated over the
    entities per period and group. The entities of a group are those the rows of the inner
    metric's sources show at any time, whatever its filters (the request's where applies),
    each in every period: no rows that period -> 0 for sums, null for ratios. So an entity's
    value in a period does not depend on the requested range."""

    def __init__(self, inner: Form, entity: str, aggregate: str, condition: Callable | None = None):
        self.inner, self.entity, self.aggregate = inner, entity, aggregate
        self.condition = condition or (lambda v: True)

    def population(self, src, ctx) -> set:
        """(*dimension values, entity) of every row of the sources, at any time."""
        cols = [*ctx.by, self.entity]
        combos = set()
        for source in _sources(self.inner):
            d = src[source]
            if ctx.where is not None:
                d = d[ctx.where(d).fillna(False).astype(bool)]
            d = d.assign(**{c: _normal(d[c]) for c in cols})
            combos |= set(d[cols].itertuples(index=False, name=None))
        return combos

    def seen(self, src, ctx):
        periods, _ = self.inner.seen(src, ctx.also_by(self.entity))
        return periods, {c[:-1] for c in self.population(src, ctx)}

    def values(self, src, ctx, keys):
        inner_ctx = ctx.also_by(self.entity)
        members = defaultdict(list)
        for c in sorted(self.population(src, ctx), key=repr):
            members[c[:-1]].append(c[-1])
        inner_keys = [(*k, e) for k in keys for e in members[k[1:]]]
        vals = dict(zip(inner_keys, self.inner.values(src, inner_ctx, inner_keys)))
        agg = AGGREGATES[self.aggregate]
        return [agg([vals[(*k, e)] for e in members[k[1:]]], self.condition) for k in keys]


def _sources(form: Form) -> set[str]:
    """The sources whose rows a form reads, through the forms it is made of."""
    if isinstance(form, Scan):
        return {form.source}
    parts = getattr(form, "inputs", ()) or (getattr(form, "inner", None),)
    return set().union(*(_sources(f) for f in parts if f is not None))


# --- the expected result -----------------------------------------------------------------------

def build_expected(oracles: dict[str, Form], src, names, grain: str, by=(), start=None, end=None,
                   where=None) -> pd.DataFrame:
    """The full expected result: period spine x dimension values, one column per metric."""
    by = tuple(by)
    lo = period_of(start, grain) if start else None
    hi = period_of(end, grain) if end else None
    ctx = Ctx(grain, by, where, lo, hi)
    periods, combos = set(), set()
    for name in names:
        p, c = oracles[name].seen(src, ctx)
        periods |= p
        combos |= c
    first = lo if lo is not None else min(periods)
    last = hi if hi is not None else max(periods)
    spine = list(pd.period_range(first, last, freq=FREQ[grain]))
    values = [sorted({c[i] for c in combos}, key=lambda v: (v == NULL, v)) for i in range(len(by))]
    grid = list(itertools.product(spine, *values))  # nulls sort last

    out = pd.DataFrame(grid, columns=["period", *by])
    for name in names:
        out[name] = oracles[name].values(src, ctx, grid)
    out["period"] = [p.start_time.date() for p in out["period"]]
    for dim in by:
        out[dim] = [None if v == NULL else v for v in out[dim]]
    return out


def same(a, b) -> bool:
    if is_null(a) or is_null(b):
        return is_null(a) and is_null(b)
    if isinstance(a, (str, date)) or isinstance(b, (str, date)):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def mismatches(table, want: pd.DataFrame, keys: list[str], limit: int = 10) -> list[str]:
    """Differences between an engine Arrow table and an expected frame (columns, rows, order, values)."""
    got = table.to_pydict()
    if list(got) != list(want.columns):
        return [f"columns {list(got)} != {list(want.columns)}"]
    n_got, n_want = table.num_rows, len(want)
    problems = [] if n_got == n_want else [f"{n_got} rows, expected {n_want}"]
    for i in range(min(n_got, n_want)):
        for col in want.columns:
            g, w = got[col][i], want[col].iloc[i]
            if not same(g, w):
                where = {k: got[k][i] for k in keys if k in got}
                problems.append(f"row {i} {where}: {col} = {g!r}, expected {w!r}")
                if len(problems) >= limit:
                    return problems
    return problems


def cases(metrics, grains_of: Callable[[str], tuple[str, ...]], dims: dict[str, tuple[str, ...]],
          needs_by: set[str] = frozenset()):
    """pytest params (metric, grain, by) for each metric at each of its grains, over all its
    rows and by each of its dimensions; a metric of ``needs_by`` only by a dimension."""
    import pytest

    for metric in metrics:
        for grain in grains_of(metric):
            for by in ((), *((d,) for d in dims[metric])):
                if metric in needs_by and not by:
                    continue
                yield pytest.param(metric, grain, by,
                                   id=f"{metric}-{grain}-{'-'.join(by) or 'all'}")
