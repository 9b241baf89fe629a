"""Rules on shares of a total (``share_of:``): what can be shared, and across what."""

from __future__ import annotations

from collections.abc import Iterator

from .. import sql
from ..catalog import Catalog, ResolvedMetric
from ..diagnostics import Diagnostic
from ..model import BalanceMetric, Metric, ShareMetric
from .references import dimension_problem


def shared_totals(catalog: Catalog) -> Iterator[Diagnostic]:
    """share-not-additive: a share divides a group's value by the sum of the groups' values,
    which is their total only for a count or a sum of rows.

    bad:  ``share_of: win_rate``   good: ``share_of: won_revenue`` (a sum), or a balance
    that counts or sums its open rows (``share_of: open_pipeline``)
    """
    for metric in catalog.metrics.values():
        model = metric.model
        if not isinstance(model, ShareMetric) or model.share_of not in catalog.metrics:
            continue
        if not _additive(catalog.metrics[model.share_of]):
            yield Diagnostic("share-not-additive", f"'{model.share_of}' is not a count or a sum "
                             "of rows, so the sum of its groups is not its total",
                             model.spans.value(("share_of",)),
                             "share a count or a sum (for a rate, share its numerator)")


def _additive(shared: ResolvedMetric) -> bool:
    """A count or a sum of rows: a plain metric's numerator, or what a balance counts (the
    rows open at one moment: the groups' balances add up to the whole balance)."""
    if isinstance(shared.model, BalanceMetric):
        return shared.opens is not None and shared.opens.expr is not None and \
            sql.additive(shared.opens.expr)
    side = shared.numerator
    return isinstance(shared.model, Metric) and shared.denominator is None and \
        side is not None and side.metric is None and side.expr is not None and \
        sql.additive(side.expr) and not shared.model.snapshot


def share_dimensions(catalog: Catalog) -> Iterator[Diagnostic]:
    """unknown-dimension: each ``across`` dimension is one the shared metric is grouped by."""
    for metric in catalog.metrics.values():
        model = metric.model
        if not isinstance(model, ShareMetric) or model.share_of not in catalog.metrics:
            continue
        shared = catalog.metrics[model.share_of]
        allowed = catalog.allowed_dimensions(model.share_of)
        for i, name in enumerate(model.across or []):
            problem = dimension_problem(catalog, shared, name)
            if problem is None and allowed is not None and name not in allowed:
                problem = ("unknown-dimension", f"metric '{model.share_of}' may not be "
                           f"grouped by '{name}'", f"add '{name}' to its dimensions")
            if problem:
                yield Diagnostic(problem[0], problem[1], model.spans.value(("across", i)),
                                 problem[2])
