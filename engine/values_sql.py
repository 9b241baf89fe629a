"""The distinct values of a dimension, and the dimensions a request's row filters name.

For front ends that help a person (or an assistant) write a request: which regions are
there, which products start with "ent". The query is built as a sqlglot tree from the
source's own relation and the dimension's own expression; what a user types (the search
text) only ever becomes a string literal, with LIKE's ``%`` and ``_`` (and the escape
character) escaped, so it matches as written::

    SELECT value FROM (
      SELECT DISTINCT <dimension> AS value FROM <source relation> AS <source>
      WHERE <dimension> IS NOT NULL AND LOWER(CAST(<dimension> AS TEXT)) LIKE '%ent%' ESCAPE '\\'
    ) AS dimension_values ORDER BY value LIMIT <limit + 1>

A dimension that several sources declare (``lead_source`` on opportunities and on leads)
lists the values of all of them (a UNION, each cast to text). One row more than ``limit`` is
asked for, so a caller can tell "there are more" without counting them all.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp

from . import sql
from .catalog import Catalog
from .diagnostics import UnsupportedFeature, UsageError, did_you_mean, one_of

MOST_VALUES = 1000  # the largest `limit` a caller may ask for
SEARCH_CHARS = 200  # the longest search text
ESCAPE = "\\"
VALUE = "value"


def declared(catalog: Catalog) -> dict[str, list[str]]:
    """Every dimension a source declares itself, by name: the sources that declare it."""
    found: dict[str, list[str]] = {}
    for name, source in sorted(catalog.sources.items()):
        for dim in source.dimensions:
            found.setdefault(dim, []).append(name)
    return found


def owners(catalog: Catalog, dimension: str) -> list[str]:
    """The sources a dimension's values come from: ``region`` -> those declaring it;
    ``reps.region`` -> that source. Unknown: :class:`UsageError` with the closest name."""
    table = declared(catalog)
    source, _, name = dimension.rpartition(".")
    if source in catalog.sources and name in catalog.sources[source].dimensions:
        return [source]
    if not source and dimension in table:
        return table[dimension]
    hint = did_you_mean(dimension, table) or one_of(table)
    raise UsageError(f"unknown dimension '{dimension}'; {hint}")


def dimension_values_sql(catalog: Catalog, dimension: str, search: str | None = None,
                         limit: int = 100, dialect: str | None = None) -> str:
    """The SELECT listing a dimension's distinct values (see the module docstring)."""
    from .compile import check_dialect, render
    from .dialects import capabilities

    target = check_dialect(dialect or catalog.dialect)
    most = _limit(limit)
    pattern = _pattern(search)
    sources = owners(catalog, dimension)
    name = dimension.rpartition(".")[2]
    parts = [_one(catalog, source, name, pattern, len(sources) > 1, target,
                  capabilities(target).file_sources) for source in sources]
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=True, copy=False)
    query = (exp.select(exp.column(VALUE), copy=False)
             .from_(exp.alias_(exp.Subquery(this=union), "dimension_values", table=True,
                               copy=False), copy=False)
             .order_by(exp.Ordered(this=exp.column(VALUE), nulls_first=False), copy=False)
             .limit(exp.Literal.number(most + 1), copy=False))
    return render(query, target, copy=False)


def _one(catalog: Catalog, source: str, name: str, pattern: str | None, as_text: bool,
         dialect: str, file_sources: bool) -> exp.Select:
    src = catalog.sources[source]
    if src.relation is None:
        raise UsageError(f"source '{source}' of dimension '{name}' did not resolve")
    if src.model.path and not file_sources:
        raise UnsupportedFeature(dialect, f"file sources (source '{source}' reads "
                                 f"'{src.model.path}')", "load the file into a table and use "
                                 "'table:'")
    value = sql.qualify(src.dimensions[name], source, {})
    shown = sql.cast(value.copy(), "TEXT", copy=False) if as_text else value.copy()
    conditions: list[exp.Expression] = [exp.Not(this=exp.Is(this=value.copy(),
                                                             expression=exp.Null()))]
    if pattern is not None:
        lowered = exp.Lower(this=sql.cast(value.copy(), "TEXT", copy=False))
        like = exp.Like(this=lowered, expression=exp.Literal.string(pattern))
        conditions.append(exp.Escape(this=like, expression=exp.Literal.string(ESCAPE)))
    where = sql.conjunction(conditions, copy=False)
    return (exp.select(exp.alias_(shown, VALUE, copy=False), copy=False).distinct(copy=False)
            .from_(exp.alias_(src.relation.copy(), source, table=True, copy=False), copy=False)
            .where(where, copy=False))


def _limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise UsageError(f"limit must be a whole number from 1 to {MOST_VALUES}, not "
                         f"{str(limit)[:40]!r}")
    return min(limit, MOST_VALUES)


def _pattern(search: str | None) -> str | None:
    """``%text%``, lower-cased, with LIKE's wildcards and the escape character escaped."""
    if search is None or search == "":
        return None
    if not isinstance(search, str):
        raise UsageError("search must be text")
    if len(search) > SEARCH_CHARS:
        raise UsageError(f"search is {len(search):,} characters; at most {SEARCH_CHARS} are "
                         "allowed")
    if "\x00" in search:
        raise UsageError("search may not contain a NUL character")
    escaped = "".join(ESCAPE + c if c in "%_" + ESCAPE else c for c in search.lower())
    return f"%{escaped}%"


def filter_dimensions(where: Iterable[str], dialect: str) -> set[str]:
    """The dimension names row filters read (``region``, ``reps.region``), for access checks
    made after the compiler accepted the filters (so each one parses)."""
    names: set[str] = set()
    for text in where:
        tree = sqlglot.parse_one(text, read=dialect)
        names |= {".".join(p for p in (col.table, col.name) if p)
                  for col in tree.find_all(exp.Column)}
    return names
