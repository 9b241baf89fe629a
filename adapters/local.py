"""`metrics validate` on a project that runs on its own local DuckDB: check the data too.

When the project's connection is DuckDB over ``data:`` folders (one, or a list; no database
file, no profiles file choosing another target), the data is on this machine, so validation
needs no flag to see that every table and file a source names exists and every column an
expression reads is there. Each relation is described (``DESCRIBE``: Parquet footers and a
CSV sample, no data read) through the sandboxed adapter, and compared with the definitions by
the same :mod:`sales_metrics.engine.schema_check` as ``validate --against``:

- ``missing-data``: a data folder itself does not exist (at its item of a ``data:`` list);
- ``missing-table`` / ``missing-file``: a ``table:`` that is no file of the folders, a ``path:``
  that is no file, a name in a ``sql:`` query that is neither a source nor a file of the
  folders (at the name itself), each with the closest name;
- ``unknown-column``, ``column-type``: as for ``--against``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sales_metrics.engine import schema_check
from sales_metrics.engine.access import (DATA_SUFFIXES, data_folders, inlined, is_inlined,
                                         resolved)
from sales_metrics.engine.diagnostics import (AdapterError, Diagnostic, Span, did_you_mean,
                                              one_of)
from sales_metrics.engine.resolve import located, source_named

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
    """Every missing folder, file, table and column of a local DuckDB project, located."""
    from .base import open_target
    from .profiles import Target

    gone = _missing_folders(project)
    if gone:
        return gone
    target = Target("project", project.settings.connection.model_dump(), "project.yml")
    try:
        conn = open_target(project, target)
    except AdapterError as err:
        return [_missing_data(project, str(err))]
    with conn:
        files = _missing_files(project)
        schema = _describe(project, conn)
    names = _unknown_names(project)
    tables = _missing_tables(project, schema)
    # A query that reads a source already reported (or names an unknown table) fails to be
    # described for that reason only: say it once, where it is written.
    told = set(files) | set(names) | set(tables)
    queries = {k for k in _queries(project) if k not in told and not _reads(project, k) & told}
    kept = {k: v for k, v in schema.items() if not isinstance(v, str) or k in queries}
    return [*files.values(), *[d for ds in names.values() for d in ds], *tables.values(),
            *schema_check.check(project.catalog, kept, LABEL)]


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


def _reads(project: "Project", name: str) -> set[str]:
    """The sources a `sql:` source's query reads, directly or through other sources."""
    relation = project.catalog.sources[name].relation
    if relation is None:
        return set()
    return {found for node in relation.walk() if (found := inlined(node)) is not None}


def _folders(project: "Project") -> list[tuple[Path, Span | None]]:
    """The data folders (templates rendered, as when connecting), resolved against the
    project file's folder, each with its span."""
    from sales_metrics.engine.templating import TemplateProblem

    data = project.settings.connection.model_dump().get("data")
    spans = getattr(project.settings, "_spans", None)
    out = []
    for i, folder in enumerate(data_folders(data)):
        loc = ("connection", "data", i) if isinstance(data, list) else ("connection", "data")
        try:
            text = project.loaded.templates.render(str(folder), secrets=True)
        except TemplateProblem:
            continue  # connecting reports it
        out.append((resolved(project.root, text), spans.value(loc) if spans else None))
    return out


def _table_names(project: "Project") -> list[str]:
    return sorted({p.stem for folder, _ in _folders(project) if folder.is_dir()
                   for p in folder.iterdir() if p.suffix.lower() in DATA_SUFFIXES})


def _missing_folders(project: "Project") -> list[Diagnostic]:
    return [Diagnostic("missing-data", f"the connection's data folder {folder} does not "
                       "exist", span, "create it, or fix the path (relative to project.yml)"
                       " - for the sample data, run `python examples/generate.py`")
            for folder, span in _folders(project) if not folder.is_dir()]


def _unknown_names(project: "Project") -> dict[str, list[Diagnostic]]:
    """A name a `sql:` query reads as a table that is neither a source of the project nor a
    file of the data folders (nor one of the query's CTEs), at the name, with the closest."""
    views = {n.lower() for n in _table_names(project)}
    sources = project.catalog.sources
    choices = sorted(set(sources) | set(_table_names(project)))
    several = "s" * (len(_folders(project)) > 1)
    out: dict[str, list[Diagnostic]] = {}
    for name, src in sources.items():
        if not src.model.sql or not isinstance(src.relation, exp.Subquery):
            continue
        ctes = {c.alias_or_name.lower() for c in src.relation.find_all(exp.CTE)}
        for node in src.relation.walk(prune=is_inlined):
            if not isinstance(node, exp.Table) or is_inlined(node) or node.args.get("db") \
                    or node.args.get("catalog") or not isinstance(node.this, exp.Identifier):
                continue
            table = node.name
            if table.lower() in views or table.lower() in ctes or \
                    source_named(node, sources) not in (None, name):
                continue
            own = " (a source's own name in its sql: is the table of that name)" \
                if table == name else ""
            out.setdefault(name, []).append(Diagnostic(
                "missing-table", f"'{table}' in the sql of source '{name}' is neither a "
                f"source nor a file of the data folder{several}{own}",
                located(src.model, ("sql",), node), did_you_mean(table, others := [
                    c for c in choices if c != name]) or one_of(others)))
    return out


def _missing_tables(project: "Project", schema: schema_check.Schema) -> dict[str, Diagnostic]:
    names = _table_names(project)
    shown = ", ".join(f"{folder.name}/" for folder, _ in _folders(project))
    return {name: Diagnostic("missing-table", f"table '{src.model.table}' of source '{name}' "
                             f"is not a file of the data folder{'s' * (',' in shown)} {shown}",
                             src.model.spans.value(("table",)),
                             did_you_mean(str(src.model.table), names) or one_of(names))
            for name, src in project.catalog.sources.items()
            if src.model.table and isinstance(schema.get(name), str)}


def _missing_files(project: "Project") -> dict[str, Diagnostic]:
    out = {}
    for name, src in project.catalog.sources.items():
        path = resolved(project.root, src.model.path) if src.model.path else None
        if path is None or path.is_file():
            continue
        siblings = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
        out[name] = Diagnostic("missing-file", f"path '{src.model.path}' of source '{name}' "
                               "is not a file", src.model.spans.value(("path",)),
                               did_you_mean(path.name, siblings) or one_of(siblings))
    return out


def _missing_data(project: "Project", why: str) -> Diagnostic:
    spans = getattr(project.settings, "_spans", None)
    return Diagnostic("missing-data", f"the connection's data folder cannot be read: {why}",
                      spans.value(("connection", "data")) if spans else None)
