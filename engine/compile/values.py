"""Metric values from the aggregated columns, computed in as few stages as SQL allows.

Stage 1 selects from the grid joined to every scan: a ratio divides its two aggregates, a
formula combines its inputs' expressions, a cumulative metric or a balance sums its leaves
over a window, and a comparison looks back with ``LAG`` over the complete spine. Only when
a window must read a value that is itself windowed (year-over-year change of a year-to-date
total) is that value first materialized as a column, and the window applied in the next stage.
Nothing here reads the source again: every number comes from the aggregated rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from .. import sql
from ..rules import windows
from ..diagnostics import UsageError
from ..dialects import capabilities
from ..model import (BalanceMetric, ComparisonMetric, ConversionMetric, CumulativeMetric,
                     EntityMetric, FormulaMetric, Metric, ShareMetric)
from .grains import period_sql
from .plan import Plan, lookback_periods
from .scans import PERIOD, date_literal, quote

LeafFn = Callable[[str], exp.Expression]


@dataclass(frozen=True)
class Val:
    """A metric's value as an expression valid in the SELECT of ``stage``."""

    stage: int
    expr: exp.Expression
    windowed: bool = False


class Values:
    def __init__(self, plan: Plan, base: str) -> None:
        self.plan, self.base = plan, base
        self.catalog = plan.catalog
        self.memo: dict[str, Val] = {}
        self.columns: dict[int, dict[str, exp.Expression]] = defaultdict(dict)

    # -- references to the grid, per stage -------------------------------------------------
    def period(self, stage: int) -> exp.Column:
        return exp.column(PERIOD, table=self.base if stage == 1 else None)

    def dims(self, stage: int) -> list[exp.Column]:
        table = self.base if stage == 1 else None
        return [exp.column(n, table=table, quoted=quote(n)) for n in self.plan.request.by]

    def _by_period(self, stage: int) -> exp.Order:
        """ORDER BY period, with the dialect's own null placement (period is never null), so
        no dialect needs a translation it cannot do inside a window frame."""
        small = Dialect.get_or_raise(self.plan.dialect).NULL_ORDERING == "nulls_are_small"
        return exp.Order(expressions=[exp.Ordered(this=self.period(stage), nulls_first=small)])

    def leaf(self, alias: str) -> exp.Expression:
        """An aggregated column at stage 1, with the metric's choice for empty periods."""
        if alias.endswith("__ent"):
            entity = self.plan.entities[alias[:-5]]
            column = exp.column(alias, table=entity.name)
            fill = entity.metric.model.aggregate == "count"  # type: ignore[union-attr]
            return exp.Coalesce(this=column, expressions=[exp.Literal.number(0)]) if fill \
                else column
        group = self.plan.leaf_group(alias)
        leaf = group.leaves[alias]
        column = exp.column(alias, table=group.name)
        if leaf.fill_zero:
            return exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])
        if leaf.additive:
            return exp.Nullif(this=column, expression=exp.Literal.number(0))
        return column

    # -- values --------------------------------------------------------------------------
    def at(self, name: str) -> Val:
        if name not in self.memo:
            self.memo[name] = self._compute(name)
        return self.memo[name]

    def materialize(self, name: str, val: Val) -> exp.Column:
        """Keep a value as a column of its stage, for later stages to read."""
        self.columns[val.stage][name] = val.expr
        return exp.column(name, quoted=quote(name))

    def _compute(self, name: str) -> Val:
        metric = self.catalog.metrics[name]
        model = metric.model
        if isinstance(model, (Metric, ConversionMetric, FormulaMetric)) and self._flat(name):
            return Val(1, self.flat(name, self.leaf))
        if isinstance(model, (Metric, ConversionMetric)):
            num, den = self._operand(name, "num"), self._operand(name, "den")
            return self._combine([num, den], lambda e: _ratio(e[0], e[1], model.min_denominator)
                                 if len(e) > 1 else e[0])
        if isinstance(model, FormulaMetric):
            refs = list(metric.refs)
            return self._combine([self.at(r) for r in refs],
                                 lambda e: _formula(metric.formula, dict(zip(refs, e)),
                                                    model.min_denominator))
        if isinstance(model, CumulativeMetric):
            return self._cumulative(model)
        if isinstance(model, BalanceMetric):
            return Val(1, self._balance(name, model), windowed=True)
        if isinstance(model, ComparisonMetric):
            return self._comparison(model)
        if isinstance(model, EntityMetric):
            return Val(1, self.leaf(f"{name}__ent"))
        if isinstance(model, ShareMetric):
            return self._share(model)
        raise TypeError(type(model).__name__)

    def _flat(self, name: str) -> bool:
        """True when a metric is built from aggregated columns by arithmetic alone."""
        return windows.flat(self.catalog, name)

    def flat(self, name: str, leaf: LeafFn) -> exp.Expression:
        """A flat metric's expression, reading each aggregated column through ``leaf``."""
        metric = self.catalog.metrics[name]
        model = metric.model
        if isinstance(model, FormulaMetric):
            return _formula(metric.formula, {r: self.flat(r, leaf) for r in metric.refs},
                            model.min_denominator)
        parts = []
        for role, side in (("num", metric.numerator), ("den", metric.denominator)):
            if side is not None:
                parts.append(exp.paren(self.flat(side.metric, leaf), copy=False)
                             if side.metric else leaf(f"{name}__{role}"))
        return parts[0] if len(parts) == 1 else _ratio(parts[0], parts[1],
                                                       model.min_denominator)  # type: ignore

    def _operand(self, name: str, role: str) -> Val:
        side = getattr(self.catalog.metrics[name], "numerator" if role == "num" else "denominator")
        if side is None:
            return Val(0, exp.Null())
        return self.at(side.metric) if side.metric else Val(1, self.leaf(f"{name}__{role}"))

    def _combine(self, vals: list[Val], build: Callable[[list[exp.Expression]], exp.Expression]
                 ) -> Val:
        """Combine values of different stages: earlier ones are read as columns."""
        vals = [v for v in vals if v.stage]
        stage = max(v.stage for v in vals)
        exprs = []
        for val in vals:
            if val.stage == stage:
                exprs.append(val.expr)
            else:  # an input from an earlier stage is read back as a column of its own
                exprs.append(self.materialize(f"_v{val.stage}_{len(self.columns[val.stage])}",
                                              val))
        return Val(stage, build(exprs), any(v.windowed for v in vals if v.stage == stage))

    def _window(self, stage: int, frame: exp.WindowSpec | None, extra_partition=()) -> Callable:
        partition = self.dims(stage) + list(extra_partition)

        def over(value: exp.Expression, func: type[exp.Func] = exp.Sum) -> exp.Expression:
            return exp.Window(this=func(this=value),  # every window gets its own nodes
                              partition_by=[p.copy() for p in partition] or None,
                              order=self._by_period(stage), spec=frame and frame.copy())
        return over

    def _cumulative(self, model: CumulativeMetric) -> Val:
        if not self._flat(model.of):
            raise UsageError(windows.not_flat(model.name, model.of))
        if model.trailing:
            frame = _frame(exp.Literal.number(model.trailing - 1), "PRECEDING")
            over = self._window(1, frame)
        else:
            assert model.to_date is not None
            year = _containing(self.period(1), model.to_date, self.plan.calendar)
            over = self._window(1, _frame("UNBOUNDED", "PRECEDING"), [year])

        def windowed(alias: str) -> exp.Expression:
            self._require_additive(model.name, model.of, alias)
            return over(self.leaf(alias))
        return Val(1, self.flat(model.of, windowed), windowed=True)

    def _require_additive(self, name: str, of: str, alias: str) -> None:
        if alias.endswith("__ent") or not self.plan.leaf_group(alias).leaves[alias].additive:
            raise UsageError(windows.not_additive(name, of))

    def _balance(self, name: str, model: BalanceMetric) -> exp.Expression:
        flow = self.leaf(f"{name}__opens")
        if self.catalog.metrics[name].closes is not None:
            flow = exp.Sub(this=flow, expression=self.leaf(f"{name}__closes"))
        if model.balance.at == "end":
            return self._window(1, _frame("UNBOUNDED", "PRECEDING"))(flow)
        before = self._window(1, _frame("UNBOUNDED", "PRECEDING", exp.Literal.number(1),
                                        "PRECEDING"))(flow)
        return exp.Coalesce(this=before, expressions=[exp.Literal.number(0)])

    def _share(self, model: ShareMetric) -> Val:
        """The value over its total across ``across``: a window over the grid's rows (every
        group of the period, empty ones included), partitioned by the period and the other
        dimensions of the request."""
        by = self.plan.request.by
        across = model.across if model.across is not None else list(by)  # checked in plan
        val = self.at(model.share_of)
        if val.windowed:
            val = Val(val.stage + 1, self.materialize(model.share_of, val))
        partition = [self.period(val.stage)] + [
            d for d, name in zip(self.dims(val.stage), by) if name not in across]
        total = exp.Window(this=exp.Sum(this=val.expr.copy()), partition_by=partition)
        return Val(val.stage, _ratio(exp.paren(val.expr.copy(), copy=False), total, None), True)

    def _comparison(self, model: ComparisonMetric) -> Val:
        val = self.at(model.of)
        if val.windowed:
            column = self.materialize(model.of, val)
            val = Val(val.stage + 1, column)
        earlier = val.expr.copy()
        if not capabilities(self.plan.dialect).lag_null:
            earlier = exp.Anonymous(this="toNullable", expressions=[earlier])
        lag = exp.Window(this=exp.Anonymous(this="LAG", expressions=[
            earlier, exp.Literal.number(lookback_periods(model, self.plan.grain))]),
            partition_by=self.dims(val.stage) or None, order=self._by_period(val.stage))
        if model.change == "previous":
            return Val(val.stage, lag, True)
        change = exp.Sub(this=exp.paren(val.expr.copy(), copy=False), expression=lag)
        if model.change == "absolute":
            return Val(val.stage, change, True)
        return Val(val.stage, _ratio(exp.paren(change, copy=False), lag.copy(), None), True)


def _containing(period: exp.Expression, grain, calendar) -> exp.Expression:
    """The first day of the (fiscal or retail) period of ``grain`` containing ``period``."""
    if not calendar.is_retail(grain):
        return period_sql(period, grain, calendar)
    starts = calendar.retail.starts(grain)
    ifs = [exp.If(this=exp.LT(this=period.copy(), expression=date_literal(nxt)),
                  true=date_literal(start)) for start, nxt in zip(starts, starts[1:])]
    return exp.Case(ifs=ifs)


def _frame(start, start_side: str, end=None, end_side: str | None = None) -> exp.WindowSpec:
    return exp.WindowSpec(kind="ROWS", start=start, start_side=start_side,
                          end=end if end is not None else "CURRENT ROW", end_side=end_side)


def _number(value: float) -> exp.Literal:
    return exp.Literal.number(int(value) if float(value).is_integer() else value)


def _ratio(num: exp.Expression, den: exp.Expression, minimum: float | None) -> exp.Expression:
    """num / den after aggregation: empty (not an error) when den is 0 or below `minimum`."""
    value = exp.Div(this=sql.cast(num, "DOUBLE", copy=False),
                    expression=exp.Nullif(this=den, expression=exp.Literal.number(0)))
    if minimum is None:
        return value
    enough = exp.GTE(this=den.copy(), expression=_number(minimum))
    return exp.Case(ifs=[exp.If(this=enough, true=value)])


def _formula(tree: exp.Expression | None, values: dict[str, exp.Expression],
             minimum: float | None) -> exp.Expression:
    """The formula with every division made safe and each metric name replaced by its value."""
    assert tree is not None
    holder = exp.Paren(this=tree.copy())
    for div in reversed(list(holder.find_all(exp.Div))):  # innermost first
        div.replace(_ratio(div.this, div.expression, None))
    for col in list(holder.find_all(exp.Column)):
        col.replace(exp.paren(values[col.name].copy(), copy=False))
    result = holder.this
    if minimum is not None and isinstance(tree, exp.Div):
        den = _formula(tree.expression, values, None)
        result = exp.Case(ifs=[exp.If(this=exp.GTE(this=den, expression=_number(minimum)),
                                      true=result)])
    return result
