"""Rules on what definitions may read: the project's data, and nothing else on the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlglot import exp

from ..access import (data_files, data_folders, file_access_problem, folders, outside,
                      resolved)
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
    """The DuckDB connection's `data:` folders (one, or a list): each a folder name, inside
    the project or `allowed_paths`, and no two of their files the same table."""
    connection = catalog.project.connection.model_dump()
    data = connection.get("data")
    if str(connection.get("type", "")).lower() != "duckdb" or data is None:
        return
    spans = getattr(catalog.project, "_spans", None)

    def at(*loc: str | int) -> Span | None:
        return spans.value(("connection", "data", *loc)) if spans else None

    if not isinstance(data, (str, list)) or isinstance(data, list) and not data:
        yield Diagnostic("wrong-type", "the connection's 'data' must be a folder or a list of "
                         "folders", at(), "write data: ../data, or data: [../data, ../more]")
        return
    chosen: dict[Path, Span | None] = {}
    for i, folder in enumerate(data_folders(data)):
        where = at(i) if isinstance(data, list) else at()
        if not isinstance(folder, str) or not folder:
            yield Diagnostic("wrong-type", f"a folder of the connection's 'data' must be a "
                             f"path, not {folder!r}", where, "write the folder's path, "
                             "relative to project.yml or absolute")
            continue
        if "{" in folder:  # a template is rendered, and checked, when connecting
            continue
        path = resolved(catalog.root, folder)
        if outside(path, allowed):
            yield Diagnostic("path-outside-project", f"the connection's data folder '{folder}' "
                             "is outside the project folder", where,
                             f"add it to project.yml's 'allowed_paths': [{folder}]")
        elif path.is_dir():
            chosen.setdefault(path, where)
    yield from _same_table(chosen, tuple(allowed))


def _same_table(chosen: dict[Path, Span | None], allowed: tuple[Path, ...]
                ) -> Iterator[Diagnostic]:
    """Two files of the data folders that would be one table (deals.csv, deals.parquet)."""
    first: dict[str, Path] = {}
    for folder, where in chosen.items():
        try:
            files = data_files([folder], allowed)
        except OSError:
            continue  # unreadable: connecting says so
        for file in files:
            other = first.setdefault(file.stem.lower(), file)
            if other is not file:
                yield Diagnostic("duplicate-table", f"data files {other} and {file} would both "
                                 f"be the table '{file.stem}'", where, "rename one of them, or "
                                 "leave one of their folders out of 'data'")
