"""The rows a KPI test gives: one table per source (or per table a source's SQL reads),
typed, checked against the columns the definitions read, and checked for what the KPIs
under test need (a source left without rows, a column left out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from .records import DIALECT, Table, TestCase

from . import data as testdata
from ..diagnostics import Diagnostic, did_you_mean, one_of
from .needs import needs, source_tables, tables_read
from ..yamlspan import SpanMap

if TYPE_CHECKING:
    from ..catalog import Catalog

GIVEN_SCHEMA = "metrics_test"  # where rows of `sql:` and `path:` sources are put


def given(catalog: Catalog, case: TestCase, out: list[Diagnostic]
          ) -> tuple[dict[tuple, Table], dict[str, exp.Table], dict[str, tuple[tuple, str]]]:
    """The tables to create, the sources whose relation is replaced by one of them, and
    which table (and `given` key) stands for which source, to check its columns."""
    reads = source_tables(catalog)
    tables: dict[tuple, Table] = {}
    relations: dict[str, exp.Table] = {}
    direct: dict[str, tuple[tuple, str]] = {}
    for key, value in case.given.items():
        at = ("given", key)
        source = catalog.sources.get(key)
        table_name = None
        if source is not None and source.model.table and _plain(source.model.table):
            table_name = source.model.table.lower()
            ident = _ident(source.model.table)
        elif source is not None:
            ident = (GIVEN_SCHEMA, key)
            relations[key] = exp.table_(key, db=GIVEN_SCHEMA)
        elif key.lower() in reads:
            table_name = key.lower()
            ident = _ident(key)
        else:
            out.append(Diagnostic("unknown-source", f"'{key}' is neither a source nor a table "
                                  "a source reads", case.spans.key(at),
                                  did_you_mean(key, [*catalog.sources, *reads])
                                  or one_of(catalog.sources)))
            continue
        owners = {key} if source is not None else set()
        table = _table(ident, key, value, _known_columns(catalog, owners, table_name, reads),
                       case.spans, at, out)
        if table is None:
            continue
        if ident in tables:
            out.append(Diagnostic("duplicate-key", f"rows for table '{_dotted(ident)}' are "
                                  "given twice", case.spans.key(at), "keep one of them"))
        tables[ident] = table
        if source is not None:
            direct[key] = (ident, key)
        for name in reads.get(table_name or "", ()):  # table sources over the same table
            if catalog.sources[name].model.table:
                direct.setdefault(name, (ident, key))
    return tables, relations, direct


def _dotted(ident: tuple) -> str:
    return ".".join(part for part in ident if part)


def _plain(table: str) -> bool:
    """A table name this test can create in DuckDB: ``name`` or ``schema.name``."""
    return not exp.to_table(table, dialect=DIALECT).catalog


def _ident(name: str) -> tuple[str | None, str]:
    table = exp.to_table(name, dialect=DIALECT)
    return (table.db or None, table.name)


def _known_columns(catalog: Catalog, owners: set[str], table_name: str | None,
                   reads: dict[str, set[str]]) -> dict[str, str]:
    """The columns definitions read from a source, or from a table sources read (lower
    case), each with "time" when it is used as a time column."""
    from ..schema_check import uses

    readers = reads.get(table_name or "", set())
    owners = owners | {s for s in readers if catalog.sources[s].model.table}
    known: dict[str, str] = {}
    for use in uses(catalog):
        if use.source in owners:
            known[use.column.lower()] = "time" if use.role == "time" else \
                known.get(use.column.lower(), "")
    for name in readers - owners:
        relation = catalog.sources[name].relation
        if isinstance(relation, exp.Subquery):  # columns the source's SQL names
            for col in relation.find_all(exp.Column):
                known.setdefault(col.name.lower(), "")
            if relation.find(exp.Star):
                known.update({u.column.lower(): "" for u in uses(catalog) if u.source == name
                              and u.column.lower() not in known})
    return known


def _table(ident: tuple, key: str, value: Any, known: dict[str, str], spans: SpanMap, at: tuple,
           out: list[Diagnostic]) -> Table | None:
    rows, types, rows_at = value, {}, at
    if isinstance(value, dict):
        extra = set(value) - {"rows", "types"}
        if extra:
            field = sorted(extra)[0]
            out.append(Diagnostic("unknown-key", f"'{field}' is not a field of a source's rows",
                                  spans.key(at + (field,)), did_you_mean(field, ["rows", "types"])
                                  or "write 'rows:' (a list of rows) and 'types:' (optional)"))
            return None
        rows, types, rows_at = value.get("rows", []), value.get("types") or {}, at + ("rows",)
    if not isinstance(rows, list) or not isinstance(types, dict):
        out.append(Diagnostic("wrong-type", f"the rows of '{key}' must be a list of mappings",
                              spans.value(at), "write '- {column: value, ...}' lines, or "
                              "{rows: [...], types: {column: type}}"))
        return None
    where = f"'{key}'"
    declared = {}
    for col, name in types.items():
        declared[col] = testdata.type_name(name)
        if declared[col] is None:
            out.append(Diagnostic("wrong-type", f"unknown column type '{name}'",
                                  spans.value(at + ("types", col)),
                                  f"use one of: {', '.join(testdata.TYPES)}"))
    cells: dict[str, list] = {col: [] for col in types}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            out.append(Diagnostic("wrong-type", f"a row of '{key}' must be a mapping",
                                  spans.value(rows_at + (i,)), "write {column: value, ...}"))
            return None
        for col in row:
            cells.setdefault(col, [])
    if not cells:
        out.append(Diagnostic("missing-column", f"the rows of '{key}' name no column",
                              spans.value(at), "give at least one row, or declare the "
                              "columns under 'types:'"))
        return None
    for col in cells:
        _known(col, known, key, spans, rows_at, rows, at, out)
        for i, row in enumerate(rows):
            value = row.get(col)
            if isinstance(value, (dict, list)):
                out.append(Diagnostic("wrong-type", f"column '{col}' of {where} needs a single "
                                      "value", spans.value(rows_at + (i, col)), None))
                value = None
            cells[col].append((value, spans.value(rows_at + (i, col))))
    columns = [testdata.column(col, declared.get(col), cells[col], where, out,
                               "timestamp" if known.get(col.lower()) == "time" else "varchar")
               for col in cells]
    return Table(ident[0], ident[1], tuple(columns))


def _known(col: str, known: dict[str, str], key: str, spans: SpanMap, rows_at: tuple,
           rows: list, at: tuple, out: list[Diagnostic]) -> None:
    if col.lower() in known:
        return
    first = next((i for i, r in enumerate(rows) if col in r), None)
    where = spans.key(rows_at + (first, col)) if first is not None else \
        spans.key(at + ("types", col))
    out.append(Diagnostic("unknown-column", f"no definition reads column '{col}' of '{key}'",
                          where, did_you_mean(col, known) or f"columns read: "
                          f"{', '.join(sorted(known)) or 'none'}"))


def missing(catalog: Catalog, case: TestCase, metrics: list[str],
            tables: dict[tuple, Table], direct: dict[str, tuple[tuple, str]]
            ) -> list[Diagnostic]:
    """A source the KPIs read without rows, or a column they read that the rows lack."""
    out = []
    for source, columns in needs(catalog, metrics, case.by, case.where).items():
        if source not in direct:
            reads = tables_read(catalog.sources[source])
            if reads and all(_ident(t) in tables for t in reads):
                continue  # rows for the tables its SQL reads: the SQL itself runs
            what = f"the tables its SQL reads ({', '.join(reads)})" if reads else \
                f"'{source}'"
            out.append(Diagnostic("missing-rows", f"no rows for source '{source}', which "
                                  f"{next(iter(columns.values()))} reads",
                                  case.spans.key(("given",)),
                                  f"add rows for {what} under 'given:'"))
            continue
        ident, key = direct[source]
        given = {c.name.lower() for c in tables[ident].columns}
        for column, metric in columns.items():
            if column.lower() not in given:
                out.append(Diagnostic(
                    "missing-column", f"the rows of '{key}' have no column '{column}', which "
                    f"{metric} reads", case.spans.key(("given", key)),
                    "add it to a row (the other rows get null), or declare it under 'types:'"))
    return out
