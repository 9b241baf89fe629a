"""What each semantic model reads: a dbt model's SQL, rendered, or the table under it.

``ref('x')`` is the dbt model ``x``. Its SQL file is rendered (``mf_dbt.render``) and parsed
with sqlglot; a model that only passes a relation through (``select * from {{ source(...)
}}``, the staging pattern) reads that relation, anything else becomes a ``sql:`` source with
the rendered query. Inside a query, ``ref('y')`` names our source for ``y`` when a semantic
model reads ``y`` (the engine reads a source named in a query), else ``y``'s own relation (a
table, or a helper source with its query). A dbt source with dbt-duckdb's
``external_location`` (``read_parquet('data/{name}.parquet')``) inside the project reads the
file through the DuckDB connection's ``data:`` folder, as a table named after the file; any
other dbt source is the table ``schema.identifier``. When a model cannot be rendered, its
source reads the relation dbt builds (``table: x``), and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..diagnostics import Span
from .mf_dbt import IDENTIFIER, DbtProject, Unsupported, offset_span, read_sql, render
from .mf_nodes import Node, Report

DIALECT = "duckdb"
_READERS = ("read_parquet", "parquet_scan", "read_csv", "read_csv_auto")


@dataclass(frozen=True)
class Relation:
    table: str | None = None
    sql: str | None = None
    folders: tuple[str, ...] = ()  # data folders (relative to the dbt project) it reads


@dataclass
class Relations:
    project: DbtProject
    report: Report
    model_sources: dict[str, str]  # dbt model -> the name of our source that reads it
    helpers: dict[str, Relation] = field(default_factory=dict)  # helper sources we add
    _models: dict[str, Relation] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)
    _dbt_sources: dict[tuple[str, str], tuple[Node, Node]] | None = None

    def model(self, name: str, via: Node | Span) -> Relation:
        if name not in self._models:
            if name in self._busy:
                self.report.not_mapped(via, f"dbt model '{name}' refers to itself through "
                                       "ref(): it reads the table dbt builds")
                return Relation(table=name)
            self._busy.add(name)
            self._models[name] = self._model(name, via)
            self._busy.discard(name)
        return self._models[name]

    def _model(self, name: str, via: Node | Span) -> Relation:
        file = self.project.sql_files.get(name)
        if file is None:
            self.report.not_mapped(via, f"dbt model '{name}' has no SQL file under the model "
                                   f"paths: the source reads the table '{name}' dbt builds")
            return Relation(table=name)
        display, text = self.project.rel(file), read_sql(file)
        used: dict[str, Relation] = {}
        calls = {"ref": lambda *a: self._ref_text(a[-1], display, used),
                 "source": lambda *a: self._source_text(a, display, used)}
        try:
            rendered = render(text, calls, self.project)
        except Unsupported as err:
            span = offset_span(display, text, getattr(err, "offset", 0))
            self.report.not_mapped(span, f"dbt model '{name}': {err}; the source reads the "
                                   f"table '{name}' dbt builds instead of rendering its SQL")
            return Relation(table=name)
        for offset, note in rendered.notes:
            self.report.note(offset_span(display, text, offset), note)
        return self._parsed(name, display, rendered.text, used)

    def _parsed(self, name: str, display: str, sql: str, used: dict[str, Relation]) -> Relation:
        try:
            tree = sqlglot.parse(sql, read=DIALECT)
        except (ParseError, TokenError) as err:
            self.report.not_mapped(Span(display), f"dbt model '{name}': its SQL does not parse "
                                   f"({str(err).splitlines()[0][:120]}); the source reads "
                                   f"the table '{name}' dbt builds")
            return Relation(table=name)
        queries = [t for t in tree if t is not None]
        if len(queries) != 1 or not isinstance(queries[0], exp.Query):
            self.report.not_mapped(Span(display), f"dbt model '{name}' is not one SELECT; "
                                   f"the source reads the table '{name}' dbt builds")
            return Relation(table=name)
        through = _passed_through(queries[0])
        if through is not None and through in used:
            return used[through]
        folders = tuple(dict.fromkeys(f for r in used.values() for f in r.folders))
        return Relation(sql=queries[0].sql(dialect=DIALECT, pretty=True), folders=folders)

    def _ref_text(self, model: str, display: str, used: dict[str, Relation]) -> str:
        if model in self.model_sources:
            text = self.model_sources[model]
            used[text] = Relation(table=text)
            return text
        relation = self.model(model, Span(display))
        if relation.table is None and relation.sql is None:
            raise Unsupported(f"ref('{model}') reads nothing that could be mapped")
        if relation.table is not None:
            used[relation.table] = relation
            return relation.table
        helper = model
        while helper in self.model_sources.values() or (
                helper in self.helpers and self.helpers[helper] != relation):
            helper += "_model"
        self.helpers[helper] = relation
        used[helper] = relation
        return helper

    def _source_text(self, args: tuple[str, ...], display: str, used: dict[str, Relation]) -> str:
        if len(args) != 2:
            raise Unsupported("source() takes a source name and a table name")
        relation = self.dbt_source(args[0], args[1], Span(display))
        if relation.table is None:
            raise Unsupported(f"source('{args[0]}', '{args[1]}') has no table name")
        used[relation.table] = relation
        return relation.table

    # ------------------------------------------------------------------ dbt sources

    def dbt_source(self, source: str, table: str, via: Span) -> Relation:
        if not (IDENTIFIER.match(source) and IDENTIFIER.match(table)):
            self.report.not_mapped(via, f"source('{source[:60]}', '{table[:60]}'): not a "
                                   "source and table name")
            return Relation()
        found = self._sources().get((source, table))
        if found is None:
            self.report.not_mapped(via, f"source('{source}', '{table}') is not declared under "
                                   f"'sources:' in the project: read as the table {table}")
            return Relation(table=table)
        src, tbl = found
        location = _external(tbl) or _external(src)
        identifier = tbl["identifier"].text() or table
        if location is None:
            schema = src["schema"].text() or source
            if not (IDENTIFIER.match(schema) and IDENTIFIER.match(identifier)):
                self.report.not_mapped(tbl, f"source table '{source}.{table}': '{schema}."
                                       f"{identifier}' is not a table name; not mapped")
                return Relation()
            return Relation(table=f"{schema}.{identifier}")
        return self._file(location, table, identifier)

    def _file(self, location: Node, table: str, identifier: str) -> Relation:
        text = location.text() or ""
        try:
            rendered = render(text, {}, self.project)
        except Unsupported as err:
            self.report.not_mapped(location, f"external_location of source table '{table}': "
                                   f"{err}; read as the table {table}")
            return Relation(table=table)
        for _, note in rendered.notes:
            self.report.note(location, note)
        path = _location_path(rendered.text.replace("{name}", table)
                              .replace("{identifier}", identifier))
        root = self.project.root
        if path is None or "://" in path or any(c in path for c in "*?[") \
                or not path.endswith((".parquet", ".csv")):
            self.report.not_mapped(location, f"external_location '{rendered.text}' of source "
                                   f"table '{table}' is not one local Parquet or CSV file: "
                                   f"read as the table {table}; point the connection at it")
            return Relation(table=table)
        full = (root / path).resolve()
        if PurePosixPath(path).is_absolute() or not full.is_relative_to(root):
            self.report.not_mapped(location, f"external_location '{path}' of source table "
                                   f"'{table}' is outside the dbt project: read as the table "
                                   f"{table}; point the connection at it")
            return Relation(table=table)
        folder = full.parent.relative_to(root).as_posix()
        if not IDENTIFIER.match(full.stem):
            self.report.not_mapped(location, f"external_location '{path}' of source table "
                                   f"'{table}': the file's name is not a table name")
            return Relation()
        return Relation(table=full.stem, folders=(folder,))

    def _sources(self) -> dict[tuple[str, str], tuple[Node, Node]]:
        if self._dbt_sources is None:
            self._dbt_sources = {}
            for doc in self.project.docs:
                top = Node(doc, (), doc.data)
                for src in top["sources"].items():
                    for tbl in src["tables"].items():
                        key = (src.name, tbl.name)
                        self._dbt_sources.setdefault(key, (src, tbl))
        return self._dbt_sources


def _external(node: Node) -> Node | None:
    for where in (node["config"], node["meta"], node):
        if where["external_location"].value is not None:
            return where["external_location"]
    return None


def _location_path(text: str) -> str | None:
    """The file of ``read_parquet('x')`` (or of a bare path)."""
    text = text.strip()
    if "(" not in text:
        return text.strip("'\"") or None
    try:
        tree = sqlglot.parse_one(f"select * from {text}", read=DIALECT)
    except (ParseError, TokenError):
        return None
    for call in tree.find_all(exp.Func):
        name = (call.name if isinstance(call, exp.Anonymous) else call.sql_name()).lower()
        if name in _READERS or isinstance(call, exp.ReadCSV):
            literal = call.find(exp.Literal)
            return literal.this if literal is not None and literal.is_string else None
    return None


def _passed_through(query: exp.Expression) -> str | None:
    """The table a ``SELECT * FROM t`` (and nothing else) reads, else None."""
    if not isinstance(query, exp.Select):
        return None
    if len(query.expressions) != 1 or not isinstance(query.expressions[0], exp.Star):
        return None
    if [k for k, v in query.args.items() if v and k not in ("expressions", "from", "from_")]:
        return None
    source = (query.args.get("from") or query.args.get("from_"))
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.args.get("alias") or not table.name:
        return None
    return table.sql(dialect=DIALECT)

