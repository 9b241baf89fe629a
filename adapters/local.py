"""`metrics validate` on a project that runs on its own local DuckDB: check the data too.

When the project's connection is DuckDB over a ``data:`` folder (no database file, no
profiles file choosing another target), the data is on this machine, so validation needs no
flag to see that every table and file a source names exists and every column an expression
reads is there. Each relation is described (``DESCRIBE``: Parquet footers and a CSV sample,
no data read) through the sandboxed adapter, and compared with the definitions by the same
:mod:`sales_metrics.engine.schema_check` as ``validate --against``:

- ``missing-data``: the data folder itself does not exist;
- ``missing-table`` / ``missing-file``: a ``table:`` that is no file of the folder, a ``path:``
  that is no file, each with the closest name;
- ``unknown-column``, ``column-type``: as for ``--against``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine import schema_check
from sales_metrics.engine.access import resolved
from sales_metrics.engine.diagnostics import AdapterError, Diagnostic, did_you_mean, one_of

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project

LABEL = "the local DuckDB data"


def is_local(project: "Project", profiles_dir: str | Path | None = None) -> bool:
    from .profiles import find_profiles

    settings = project.settings.connection.model_dump()
    return (str(settings.get("type", "duckdb")).lower() == "duckdb" and bool(settings.get("data"))
            and settings.get("database") in (None, "", ":memory:") and profiles_dir is None
            and find_profiles(project.root) is None)


def check_local_data(project: "Project") -> list[Diagnostic]:
    """Every missing file, table and column of a local DuckDB project, located."""
    from .base import open_target
    from .profiles import Target

    target = Target("project", project.settings.connection.model_dump(), "project.yml")
    try:
        conn = open_target(project, target)
    except AdapterError as err:
        return [_missing_data(project, str(err))]
    with conn:
        out = _missing_files(project)
        schema = _describe(project, conn)
    return out + [d for d in _missing_tables(project, schema)] + \
        schema_check.check(project.catalog, {k: v for k, v in schema.items()
                                             if not isinstance(v, str) or k in _queries(project)},
                           LABEL)


def _describe(project: "Project", conn: Any) -> schema_check.Schema:
    relations = schema_check.relations(project.catalog, conn.dialect)
    for name, src in project.catalog.sources.items():
        if src.model.path and resolved(project.root, src.model.path).is_file():
            relations[name] = src.relation.sql(dialect=conn.dialect)  # type: ignore[union-attr]
    described: schema_check.Schema = {}
    for name, relation in relations.items():
        try:
            described[name] = conn.columns(relation)
        except AdapterError as err:
            described[name] = str(err).removeprefix(f"{err.adapter}: ")
    return described


def _queries(project: "Project") -> set[str]:
    return {n for n, s in project.catalog.sources.items() if s.model.sql}


def _missing_tables(project: "Project", schema: schema_check.Schema) -> list[Diagnostic]:
    folder = _data(project)
    names = sorted(p.stem for p in folder.iterdir() if p.suffix.lower() in
                   (".parquet", ".csv", ".tsv")) if folder.is_dir() else []
    return [Diagnostic("missing-table", f"table '{src.model.table}' of source '{name}' is "
                       f"not a file of the data folder {folder.name}/",
                       src.model.spans.value(("table",)),
                       did_you_mean(str(src.model.table), names) or one_of(names))
            for name, src in project.catalog.sources.items()
            if src.model.table and isinstance(schema.get(name), str)]


def _missing_files(project: "Project") -> list[Diagnostic]:
    out = []
    for name, src in project.catalog.sources.items():
        path = resolved(project.root, src.model.path) if src.model.path else None
        if path is None or path.is_file():
            continue
        siblings = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
        out.append(Diagnostic("missing-file", f"path '{src.model.path}' of source '{name}' "
                              "is not a file", src.model.spans.value(("path",)),
                              did_you_mean(path.name, siblings) or one_of(siblings)))
    return out


def _data(project: "Project") -> Path:
    return resolved(project.root, str(project.settings.connection.model_dump()["data"]))


def _missing_data(project: "Project", why: str) -> Diagnostic:
    spans = getattr(project.settings, "_spans", None)
    return Diagnostic("missing-data", f"the connection's data folder cannot be read: {why}",
                      spans.value(("connection", "data")) if spans else None)
