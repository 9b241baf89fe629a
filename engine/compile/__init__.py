"""Definitions + a request -> one sqlglot tree -> SQL text in the target dialect.

The passes run in order: :func:`plan.plan` (what to aggregate, grouped into scans),
:func:`build.build` (the tree), :func:`render` (SQL for a dialect, refusing anything the
dialect cannot express rather than emitting SQL that fails on the warehouse).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from .. import sql
from ..catalog import Catalog
from ..diagnostics import UnsupportedFeature, UsageError
from ..dialects import capabilities, to_sql
from ..model import Grain
from .build import build, whole_range
from .plan import Plan, Request, plan
from .stages import split_rows

__all__ = ["Plan", "Request", "compile_tree", "render", "check_dialect"]


def compile_tree(catalog: Catalog, request: Request, dialect: str | None = None) -> exp.Select:
    target = check_dialect(dialect or catalog.dialect)
    planned = plan(catalog, request, target, capabilities(target))
    split_rows(planned)
    _check_capabilities(planned)
    tree = build(planned)
    if (planned.grain is Grain.all or whole_range(planned)) and request.start is None:
        _unnamed_period(tree)
    return tree


def _unnamed_period(tree: exp.Select) -> None:
    """``--grain all`` without --start: the one period is the data's whole range, which has
    no first day known when compiling; it is shown empty (NULL), not as the placeholder."""
    first = tree.expressions[0]
    assert first.alias_or_name == "period"
    tree.expressions[0] = sql.cast(exp.Null(), "DATE", copy=False).as_("period", copy=False)


def render(tree: exp.Expression, dialect: str, copy: bool = True) -> str:
    """The SQL text. The dialect's rewrites (:func:`engine.dialects.rewrite`, then sqlglot's
    own) change the tree they render, so by default it renders a copy. :func:`compile_tree`
    returns a tree of its own (every catalog fragment in it is a copy, and no node appears
    twice), which may be rendered in place, once: copying the tree of a 1,000-metric request
    cost as much as generating its text."""
    try:
        return to_sql(tree, dialect, copy=copy, pretty=True,
                      unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as err:
        raise UnsupportedFeature(dialect, str(err).splitlines()[0].rstrip(".").lower()) from None


def check_dialect(name: str) -> str:
    try:
        sqlglot.Dialect.get_or_raise(name)
    except ValueError as err:
        raise UsageError(str(err).splitlines()[0]) from None
    return name.lower()


def _check_capabilities(planned: Plan) -> None:
    can, dialect = planned.can, planned.dialect
    for group in planned.groups.values():
        source = planned.catalog.sources[group.source].model
        if source.path and not can.file_sources:
            raise UnsupportedFeature(dialect, f"file sources (source '{source.name}' reads "
                                     f"'{source.path}')", "load the file into a table and use "
                                     "'table:'")
