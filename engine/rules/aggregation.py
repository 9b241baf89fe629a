"""Rules on what SQL may appear where: aggregates in measures, row-level SQL elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from .. import sql
from ..catalog import Catalog
from ..diagnostics import Diagnostic, did_you_mean

RESERVED = {"period"}


def measures_aggregate(catalog: Catalog) -> Iterator[Diagnostic]:
    """not-aggregate, nested-aggregate, window-not-allowed: a numerator or denominator must
    aggregate rows.

    bad:  ``numerator: amount``          good: ``numerator: sum(amount)``
    """
    for metric in catalog.metrics.values():
        for side in metric.sides():
            if side.expr is None:
                continue
            text = " ".join(side.text.split())
            if side.expr.find(exp.Window):
                yield Diagnostic("window-not-allowed", f"'{text}' uses a window function",
                                 side.span, "use a plain aggregate such as sum(...) or count(*)")
            elif not sql.aggregates(side.expr):
                other = did_you_mean(text, catalog.metrics) if text.isidentifier() else None
                yield Diagnostic("not-aggregate", f"'{text}' is not an aggregate", side.span,
                                 f"aggregate it, e.g. 'sum({text})' or 'count(*)'"
                                 + (f", or name a metric ({other})" if other else ""))
            elif bare := sql.bare_columns(side.expr):
                col = bare[0].name
                yield Diagnostic("not-aggregate", f"column '{col}' is used outside an aggregate "
                                 f"in '{text}'", side.span, f"aggregate it too, e.g. 'max({col})'")
            elif any(agg.find(exp.AggFunc) is not agg for agg in sql.aggregates(side.expr)):
                yield Diagnostic("nested-aggregate", f"'{text}' nests one aggregate in another",
                                 side.span, "aggregate of aggregates is not supported here")


def filters_row_level(catalog: Catalog) -> Iterator[Diagnostic]:
    """aggregate-in-filter: filters keep or drop rows, so they cannot aggregate.

    bad:  ``filters: ["sum(amount) > 0"]``  good: ``filters: ["amount > 0"]``
    """
    for metric in catalog.metrics.values():
        for side in metric.sides():
            for tree, span, text in zip(side.filters, side.filter_spans, side.filter_texts):
                if tree.find(exp.AggFunc, exp.Window):
                    yield Diagnostic("aggregate-in-filter", f"filter '{text}' aggregates", span, "filters apply to each row; compare "
                                     "columns, or make the aggregate a metric of its own")


def dimensions_row_level(catalog: Catalog) -> Iterator[Diagnostic]:
    """aggregate-in-dimension, reserved-name: a dimension is a row-level expression."""
    for source in catalog.sources.values():
        for name, tree in source.dimensions.items():
            span = source.model.spans.value(("dimensions", name))
            if tree.find(exp.AggFunc, exp.Window):
                yield Diagnostic("aggregate-in-dimension", f"dimension '{name}' aggregates", span,
                                 "a dimension must be a value of each row, e.g. a column")
            if name in RESERVED:
                yield Diagnostic("reserved-name", f"'{name}' is the name of the time column in "
                                 "results", source.model.spans.key(("dimensions", name)),
                                 f"rename it, e.g. '{name}_name'")
