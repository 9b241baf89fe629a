"""`metrics show`: one metric's definition, lineage and SQL, as plain text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from engine.diagnostics import UsageError, did_you_mean, one_of

from . import formatting

if TYPE_CHECKING:
    from engine.catalog import Side
    from engine.project import Project


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
    lines += _definition(resolved, project.settings.dialect)
    allowed = catalog.allowed_dimensions(name)
    dims = sorted(allowed) if allowed is not None else _all_dims(project, name)
    lines += [f"  dimensions: {', '.join(dims) or '-'}", "", "Lineage"]
    lines += [f"  reads {src}: {', '.join(cols)}" for src, cols in _columns(project, name).items()]
    uses = sorted(set(resolved.references()))
    used_by = sorted(n for n, other in catalog.metrics.items() if name in other.references())
    lines += [f"  uses metrics: {', '.join(uses) or '-'}",
              f"  used by: {', '.join(used_by) or '-'}", ""]
    target = dialect or project.settings.dialect
    lines += [f"SQL ({target}, {m.grain.value})", project.compile([name], dialect=target)]
    return "\n".join(lines)


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
    if kind == "BalanceMetric":
        closes = f", closes at {m.balance.closes}" if m.balance.closes else ""
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
    return tree.transform(strip).sql(dialect)


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
