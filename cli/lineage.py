"""`metrics show`: one metric's definition, lineage and SQL, as plain text.

:func:`lineage` gathers the same facts for other views (`metrics docs`, `metrics diff`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from sales_metrics.engine.diagnostics import UsageError, did_you_mean, one_of
from sales_metrics.engine.dialects import to_sql

from . import formatting

if TYPE_CHECKING:
    from sales_metrics.engine.catalog import Side
    from sales_metrics.engine.project import Project


def describe(project: "Project", name: str, dialect: str | None) -> str:
    catalog = project.catalog
    resolved = catalog.metrics.get(name)
    if resolved is None:
        hint = did_you_mean(name, catalog.metrics) or one_of(catalog.metrics)
        raise UsageError(f"unknown metric '{name}'; {hint}")
    m = resolved.model
    lines = [f"{name}: {m.title}"]
    if m.description:
        lines.append(f"  {m.description.strip()}")
    facts = [f"owner: {m.owner or '-'}", f"format: {m.format.value}", f"grain: {m.grain.value}"]
    if m.target:
        facts.append(formatting.target(m.target, m.format, project.settings.currency_symbol))
    lines += ["  " + "   ".join(facts), f"  defined at {m.spans.value(('name',))}", "",
              "Definition"]
    about = lineage(project, name)
    lines += about.definition
    lines += [f"  dimensions: {', '.join(about.dimensions) or '-'}", "", "Lineage"]
    lines += [f"  reads {src}: {', '.join(cols)}" for src, cols in about.columns.items()]
    lines += [f"  uses metrics: {', '.join(about.uses) or '-'}",
              f"  used by: {', '.join(about.used_by) or '-'}", ""]
    target = dialect or project.settings.dialect
    by = list(getattr(m, "across", None) or [])  # a share is shown by the groups it is across
    shown = f", by {', '.join(by)}" if by else ""
    lines += [f"SQL ({target}, {m.grain.value}{shown})",
              project.compile([name], dialect=target, by=by)]
    return "\n".join(lines)


@dataclass(frozen=True)
class Lineage:
    """What a metric is, in words, and how it connects to sources and other metrics."""

    definition: list[str]  # the definition in words, one indented line per part
    dimensions: list[str]  # what it may be grouped by
    columns: dict[str, list[str]]  # source -> the columns it reads there
    uses: list[str]  # metrics it is computed from, directly
    used_by: list[str]  # metrics computed from it, directly


def lineage(project: "Project", name: str) -> Lineage:
    catalog = project.catalog
    resolved = catalog.metrics[name]
    return Lineage(_definition(resolved, project.settings.dialect), dimensions(project, name),
                   _columns(project, name), sorted(set(resolved.references())),
                   sorted(n for n, other in catalog.metrics.items()
                          if name in other.references()))


def dimensions(project: "Project", name: str) -> list[str]:
    """The dimensions a metric may be grouped by: its own list, else what its sources offer."""
    allowed = project.catalog.allowed_dimensions(name)
    return sorted(allowed) if allowed is not None else _all_dims(project, name)


def _definition(resolved, dialect: str) -> list[str]:
    """The definition in words, by kind."""
    m = resolved.model
    kind = type(m).__name__
    if kind == "FormulaMetric":
        return [f"  formula: {' '.join(m.formula.split())}"]
    if kind == "CumulativeMetric":
        window = f"{m.to_date.value} to date" if m.to_date else f"trailing {m.trailing} periods"
        return [f"  {window} of metric {m.of}"]
    if kind == "ComparisonMetric":
        return [f"  {m.change} change of metric {m.of} against the "
                f"{m.compare.replace('_', ' ')}"]
    if kind == "EntityMetric":
        where = f" where the value {m.condition}" if m.condition else ""
        return [f"  {m.aggregate} over each {m.entity} of metric {m.of}{where}"]
    if kind == "ShareMetric":
        across = ", ".join(m.across) if m.across else "every grouping of the request"
        return [f"  share of metric {m.share_of} in its total across {across}"]
    if kind == "BalanceMetric":
        closes = f", closes at {m.balance.closes}" if m.balance.closes else \
            (f", closes {m.balance.days} days later" if m.balance.days else "")
        return [f"  balance of {m.measure} on {m.source} at the period's {m.balance.at}: "
                f"opens at {m.balance.opens}{closes}"]
    roles = (("numerator", resolved.numerator), ("denominator", resolved.denominator))
    return [f"  {label}: {_side(side, dialect)}" for label, side in roles if side is not None]


def _side(side: "Side", dialect: str) -> str:
    if side.metric:
        return f"metric {side.metric}"
    assert side.expr is not None and side.source
    text = f"{_plain(side.expr, side.source, dialect)} on {side.source} by {side.time}"
    if side.filters:
        text += " where " + " and ".join(_plain(f, side.source, dialect) for f in side.filters)
    return text


def _plain(tree: exp.Expression, source: str, dialect: str) -> str:
    """SQL without the source qualifier the engine added, as the analyst wrote it."""
    def strip(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table == source:
            return exp.column(node.name)
        return node
    return to_sql(tree.transform(strip), dialect, copy=False)  # transform made a copy


def _all_dims(project: "Project", name: str) -> list[str]:
    sources = project.catalog.metric_sources(name)
    common = None
    for source in sources:
        names = set(project.catalog.dimensions(source))
        common = names if common is None else common & names
    return sorted(common or [])


def _columns(project: "Project", name: str) -> dict[str, list[str]]:
    """The columns each source contributes to a metric, through the metrics it names."""
    found: dict[str, set[str]] = {}
    stack, seen = [name], set()
    while stack:
        current = project.catalog.metrics[stack.pop()]
        if current.name in seen:
            continue
        seen.add(current.name)
        stack.extend(current.references())
        for side in current.sides():
            if side.metric:
                continue
            cols = found.setdefault(side.source or "", set())
            if side.time:
                cols.add(side.time)
            for tree in (side.expr, *side.filters):
                cols.update(c.name if c.table == side.source else c.sql()
                            for c in tree.find_all(exp.Column))  # type: ignore[union-attr]
    return {src: sorted(cols) for src, cols in sorted(found.items())}


# --------------------------------------------------------------------- one sentence, for docs

REF = "\x00"  # metric names in a sentence are wrapped in it, so a view can link them
_AGGREGATES = {"avg": "average", "median": "median", "sum": "total", "min": "minimum",
               "max": "maximum"}


_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)\.(?=\s+[A-Z(`]|\s*$)")


def first_sentence(text: str) -> str:
    """The first sentence of a description, with its full stop: a full stop followed by a capital
    or the end, not the one of "e.g.", "i.e.", "vs." or "etc."; the whole text if none."""
    text = " ".join(text.split())
    end = _SENTENCE_END.search(text)
    return text[:end.end()] if end else text


def plain(sentence: str) -> str:
    """A sentence from :func:`in_words` without its metric markers."""
    return sentence.replace(REF, "")


def in_words(project: "Project", name: str) -> str:
    """What a metric computes, in one sentence. Metric names are wrapped in :data:`REF`."""
    resolved = project.catalog.metrics[name]
    m, dialect = resolved.model, project.settings.dialect
    kind = type(m).__name__
    if kind == "FormulaMetric":
        formula = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda w: _ref(w[0]) if w[0] in
                         resolved.refs else w[0], " ".join(m.formula.split()))
        return f"The formula {formula}, over the values of these metrics in each period."
    if kind == "CumulativeMetric":
        if m.to_date:
            return (f"{_ref(m.of)} accumulated from the start of each {m.to_date.value} to the "
                    "end of the period.")
        return f"{_ref(m.of)} accumulated over the last {m.trailing} periods, this one included."
    if kind == "ComparisonMetric":
        earlier = "the previous period" if m.compare == "previous_period" else \
            "the same period a year earlier"
        if m.change == "previous":
            return f"The value of {_ref(m.of)} in {earlier}."
        what = "percent change" if m.change == "percent" else "change"
        return f"The {what} of {_ref(m.of)} from {earlier}."
    if kind == "EntityMetric":
        return _entity_words(m)
    if kind == "ShareMetric":
        across = " and ".join(m.across) if m.across else "the dimensions it is grouped by"
        return (f"Each group's {_ref(m.share_of)} over the total of {_ref(m.share_of)} across "
                f"{across}, in the same period (and the same other groupings); 0 for a group "
                "without rows, empty when the total is 0.")
    if kind == "BalanceMetric":
        until = f" until its {m.balance.closes}" if m.balance.closes else \
            (f" for {m.balance.days} days" if m.balance.days else "")
        return (f"The balance of {m.measure} over the {m.source} rows open at the "
                f"{m.balance.at} of each period: a row counts from its {m.balance.opens}{until}.")
    if kind == "ConversionMetric":
        conv = m.conversion
        window = conv.window
        within = f" within {window.days} {window.count} days" if window is not None else ""
        where = f", among those where {' and '.join(m.filters)}" if m.filters else ""
        return (f"The share of {m.source} rows, counted in the period of their {conv.start}, "
                f"that reach {conv.end}{within}{where}.")
    return _ratio_words(resolved, dialect)


def _ref(name: str) -> str:
    return f"{REF}{name}{REF}"


def _entity_words(m) -> str:
    condition = " ".join((m.condition or "").split())
    if m.aggregate in ("count", "share"):
        what = "number" if m.aggregate == "count" else "share"
        whose = f" whose {_ref(m.of)} is {condition}" if condition else f" with a {_ref(m.of)}"
        return f"The {what} of {m.entity}s{whose}, with {_ref(m.of)} computed per {m.entity}."
    only = f", counting those whose value is {condition}" if condition else ""
    return (f"The {_AGGREGATES[m.aggregate]} over each {m.entity} of {_ref(m.of)}, computed per "
            f"{m.entity} first{only}.")


def _ratio_words(resolved, dialect: str) -> str:
    m = resolved.model
    text = _side_words(resolved.numerator, dialect)
    if resolved.denominator is not None:
        text += f", divided by {_side_words(resolved.denominator, dialect)}"
    text += "."
    if getattr(m, "snapshot", None):
        text += " Rows are snapshots: each period takes its last one, not their sum."
    if getattr(m, "min_denominator", None) is not None:
        text += f" Empty when the denominator is under {m.min_denominator:g}."
    return text


def _side_words(side: "Side", dialect: str) -> str:
    if side.metric:
        return _ref(side.metric)
    assert side.expr is not None and side.source
    text = f"{_plain(side.expr, side.source, dialect)} over {side.source} rows by {side.time}"
    if side.filters:
        text += " where " + " and ".join(_plain(f, side.source, dialect) for f in side.filters)
    return text
