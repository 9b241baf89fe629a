"""Rules on what definitions may read: the project's data, and nothing else on the machine."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..access import file_access_problem, folders, outside, resolved
from ..catalog import Catalog
from ..diagnostics import Diagnostic, Span

_HINT = "read data through a source ('table:', or 'path:' inside the project folder)"


def file_access(catalog: Catalog) -> Iterator[Diagnostic]:
    """file-access: no expression calls a function that reads files, URLs or the environment.

    bad::

        sources:
          - name: keys
            sql: "select content from read_text('/home/someone/.ssh/id_rsa')"

    good::

        sources:
          - name: opportunities
            path: data/opportunities.parquet
    """
    seen: set[tuple[Span, str]] = set()
    for tree, span in _fragments(catalog):
        problem = file_access_problem(tree)
        if problem and (span, problem) not in seen:
            seen.add((span, problem))
            yield Diagnostic("file-access", problem, span, _HINT)


def _fragments(catalog: Catalog) -> Iterator[tuple[exp.Expression, Span]]:
    """Every SQL fragment users wrote; a `path:` source's reader is the engine's own."""
    for src in catalog.sources.values():
        spans = src.model.spans
        if src.relation is not None and not src.model.path:
            yield src.relation, spans.value(("sql",) if src.model.sql else ("table",))
        for name, tree in src.dimensions.items():
            yield tree, spans.value(("dimensions", name))
        for i, join in enumerate(src.model.joins):
            if join.alias in src.joins:
                yield src.joins[join.alias], spans.value(("joins", i, "on"))
    for metric in catalog.metrics.values():
        for side in metric.sides():
            if side.expr is not None:
                yield side.expr, side.span
            yield from zip(side.filters, side.filter_spans)
        for tree, loc in ((metric.formula, "formula"), (metric.condition, "condition")):
            if tree is not None:
                yield tree, metric.model.spans.value((loc,))


def paths_inside(catalog: Catalog) -> Iterator[Diagnostic]:
    """path-outside-project: a `path:` source (with `..` and symlinks resolved) lies in the
    project folder or in a folder `allowed_paths` names in project.yml.

    bad::

        sources:
          - name: passwords
            path: ../../../etc/passwd

    good::

        # project.yml
        allowed_paths: [../shared/data]
        # sources.yml
        sources:
          - name: opportunities
            path: ../shared/data/opportunities.parquet
    """
    allowed = folders(catalog.root, catalog.project.allowed_paths)
    for src in catalog.sources.values():
        if src.model.path and outside(resolved(catalog.root, src.model.path), allowed):
            yield Diagnostic("path-outside-project", f"path '{src.model.path}' of source "
                             f"'{src.model.name}' is outside the project folder",
                             src.model.spans.value(("path",)), "move the file into the "
                             "project, or name its folder in project.yml's 'allowed_paths'")
    yield from _data_folder(catalog, allowed)


def _data_folder(catalog: Catalog, allowed: list) -> Iterator[Diagnostic]:
    connection = catalog.project.connection.model_dump()
    data = connection.get("data")
    if str(connection.get("type", "")).lower() != "duckdb" or not isinstance(data, str) \
            or "{" in data:  # a template is rendered, and checked, when connecting
        return
    if outside(resolved(catalog.root, data), allowed):
        spans = getattr(catalog.project, "_spans", None)
        yield Diagnostic("path-outside-project", f"the connection's data folder '{data}' is "
                         "outside the project folder",
                         spans.value(("connection", "data")) if spans else None,
                         f"add it to project.yml's 'allowed_paths': [{data}]")
