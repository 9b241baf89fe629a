"""Generated SQL calls only functions the dialect's vendor documents (engine/functions.py).

A snapshot only says the SQL did not change; it locked in SQL that fails on the real engines
(GENERATE_DATE_ARRAY on Snowflake, TIME_TO_UNIX on MySQL, UNNEST on ClickHouse). Here every
catalog KPI is compiled for each dialect at each grain it offers, plain and grouped by its
first dimension, with and without a range, and every function the SQL calls must be on the
vendor's list; a table function in FROM or JOIN must be listed as one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from sales_metrics import engine
from sales_metrics.engine.functions import DOCUMENTED, calls, documented, undocumented

# Without an engine on this machine, and Snowflake, MySQL, ClickHouse, SQLite.
DIALECTS = ["bigquery", "tsql", "trino", "redshift", "databricks", "snowflake", "mysql",
            "clickhouse", "sqlite"]
LISTED = ["bigquery", "snowflake", "tsql", "trino", "redshift", "databricks", "spark", "mysql",
          "clickhouse", "sqlite", "postgres", "duckdb"]
GRAINS = ("day", "week", "month", "quarter", "year")
RANGE = {"start": "2025-01-01", "end": "2025-06-30"}
SNAPSHOTS = Path(__file__).parent / "snapshots"


# ----------------------------------------------------------------------------- the reader


@pytest.mark.parametrize("dialect, sql, names", [
    ("snowflake", "SELECT GENERATE_DATE_ARRAY(a, b, INTERVAL '1 DAY') FROM t",
     ["GENERATE_DATE_ARRAY"]),
    ("snowflake", "SELECT DATEADD(MONTH, 1, x) FROM t", []),
    ("mysql", "SELECT TIME_TO_UNIX(x) FROM t", ["TIME_TO_UNIX"]),
    ("mysql", "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', x) FROM t", []),
    ("clickhouse", "SELECT * FROM UNNEST([1, 2]) AS t(x)", ["UNNEST"]),
    ("clickhouse", "SELECT number FROM numbers(10)", []),
    ("postgres", "SELECT COALESCE(FOO(BAR(x)), BAZ(1), ABS(y)) FROM t", ["BAR", "BAZ", "FOO"]),
    ("bigquery", "SELECT SAFE.DIVIDE(a, b) FROM t", ["SAFE.DIVIDE"]),
    ("bigquery", "SELECT YEAR(x), EXTRACT(YEAR FROM x) FROM t", ["YEAR"]),
    ("tsql", "SELECT CURRENT_DATE, CURRENT_TIMESTAMP, GETDATE() FROM t", ["CURRENT_DATE"]),
])
def test_reports_what_the_vendor_does_not_document(dialect, sql, names):
    assert undocumented(sql, dialect) == names


def test_names_are_checked_as_the_text_spells_them():
    # ClickHouse: camelCase names are case-sensitive; the SQL-compatible ones are not.
    sql = ("SELECT dateTrunc('MONTH', x), DATE_TRUNC('MONTH', x), date_trunc('MONTH', x), "
           "DATETRUNC('MONTH', x), COUNT(*), count(*), greatest(a, b), GREATEST(a, b) FROM t")
    assert undocumented(sql, "clickhouse") == ["DATETRUNC", "GREATEST"]
    # Elsewhere names are case-insensitive.
    assert undocumented("SELECT date_trunc('month', x), Count(*) FROM t", "postgres") == []


def test_syntax_is_not_a_call():
    sql = ("WITH spine(period) AS (SELECT 1), b(x) AS (SELECT 2) "
           "SELECT CAST(x AS DECIMAL(9, 2)), x::NUMERIC(9, 2), CASE WHEN x IN (1, 2) THEN 1 END, "
           "EXISTS (SELECT 1), x + INTERVAL '1 MONTH', COUNT(*) FILTER (WHERE x > 1), "
           "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x), SUM(x) OVER (PARTITION BY y) "
           "FROM spine AS p(a) JOIN (VALUES (1)) AS v(c) ON TRUE")
    assert [c.name for c in calls(sql, "postgres")] == ["COUNT", "PERCENTILE_CONT", "SUM"]
    assert [c.name for c in calls("SELECT CAST(x AS Nullable(Decimal(9, 2))), "
                                  "CAST(y AS Array(Nullable(Int64))) FROM t",
                                  "clickhouse")] == []


def test_table_functions_must_be_documented_as_such():
    assert undocumented("SELECT UNNEST(x) FROM t", "trino") == ["UNNEST"]
    assert undocumented("SELECT p FROM UNNEST(SEQUENCE(a, b)) AS t(p)", "trino") == []
    assert undocumented("SELECT FLATTEN(x) FROM t", "snowflake") == ["FLATTEN"]
    sql = ("SELECT value FROM TABLE(FLATTEN(INPUT => ARRAY_GENERATE_RANGE(0, 3))) AS f, "
           "LATERAL FLATTEN(input => y) AS g")
    assert [(c.name, c.table) for c in calls(sql, "snowflake")] == [
        ("FLATTEN", True), ("ARRAY_GENERATE_RANGE", False), ("FLATTEN", True)]
    assert undocumented(sql, "snowflake") == []
    sql = "SELECT * FROM t CROSS APPLY OPENJSON(t.j) AS j CROSS JOIN GENERATE_SERIES(1, 3) AS s"
    assert undocumented(sql, "tsql") == []
    assert undocumented("SELECT * FROM GENERATE_SERIES(1, 3) AS s(n)", "redshift") == [
        "GENERATE_SERIES"]  # leader-node only on Redshift


def test_nested_and_repeated_calls_are_all_found():
    sql = ("SELECT NULLIF(COALESCE(SUM(DATEADD(DAY, 1, x)), 0), 0), "
           "LAG(SUM(y)) OVER (ORDER BY z) FROM t GROUP BY DATE_TRUNC('MONTH', x)")
    assert [c.name for c in calls(sql, "snowflake")] == [
        "NULLIF", "COALESCE", "SUM", "DATEADD", "LAG", "SUM", "DATE_TRUNC"]


def test_an_unknown_dialect_is_an_error():
    with pytest.raises(ValueError, match="no list of documented functions for dialect 'oracle'"):
        undocumented("SELECT 1", "oracle")


def test_every_dialect_has_a_list_that_names_its_reference():
    assert set(LISTED) <= set(DOCUMENTED)
    for name, known in DOCUMENTED.items():
        assert re.search(r"\w+\.\w+/", known.reference), name  # a vendor page
        names = known.functions | known.tables
        assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names), name
        assert known.admits("COUNT") and known.admits("coalesce"), name
    assert documented("Snowflake") is DOCUMENTED["snowflake"]


@pytest.mark.parametrize("dialect", sorted(p.name for p in SNAPSHOTS.iterdir() if p.is_dir()))
def test_reviewed_snapshots_call_only_documented_functions(dialect):
    """A snapshot is SQL someone reviewed; it must not lock in a function the engine lacks."""
    found = {path.relative_to(SNAPSHOTS).as_posix(): names
             for path in sorted((SNAPSHOTS / dialect).rglob("*.sql"))
             if (names := undocumented(path.read_text(), dialect))}
    assert not found, f"snapshots calling functions not in {documented(dialect).reference}: " \
        f"{found}; fix the compiler, then regenerate them (UPDATE_SNAPSHOTS=1)"


# ----------------------------------------------------------------------------- the catalog


@dataclass
class Compiled:
    sql: list[tuple[str, str]] = field(default_factory=list)  # (request, SQL)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (kpi, request, why)


def requests(project):
    """Every KPI at each grain, plain and by its first dimension, with and without a range."""
    for kpi in sorted(project.metrics):
        dims = list(project.metrics[kpi].dimensions or [])[:1]
        for grain in GRAINS:
            for by in ([], dims) if dims else ([],):
                for bounds in ({}, RANGE):
                    label = f"{kpi} {grain}{' by ' + by[0] if by else ''}" \
                            f"{' 2025-01-01..2025-06-30' if bounds else ''}"
                    yield kpi, label, {"grain": grain, "by": by, **bounds}


def compile_catalog(project, dialect: str) -> Compiled:
    out = Compiled()
    for kpi, label, options in requests(project):
        try:
            out.sql.append((label, project.compile([kpi], dialect=dialect, **options)))
        except engine.UsageError:
            continue  # a grain or grouping the KPI refuses on every engine
        except engine.UnsupportedFeature as err:
            out.refused.append((kpi, label, str(err)))
    return out


@pytest.fixture(scope="module")
def compiled(project):
    """The catalog compiled once per dialect, for every test of this module that asks."""
    cache: dict[str, Compiled] = {}

    def get(dialect: str) -> Compiled:
        if dialect not in cache:
            cache[dialect] = compile_catalog(project, dialect)
        return cache[dialect]
    return get


@pytest.mark.parametrize("dialect", DIALECTS)
def test_catalog_sql_calls_only_documented_functions(compiled, dialect):
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for label, sql in compiled(dialect).sql:
        for name in undocumented(sql, dialect):
            counts[name] += 1
            example.setdefault(name, label)
    found = {name: f"{n} requests, e.g. {example[name]}" for name, n in counts.most_common()}
    assert not found, f"{dialect} SQL calls functions not in {documented(dialect).reference}: " \
        f"{found}"


def uses_percentile(project, kpi: str) -> bool:
    """Whether the KPI, or a metric it is computed from, takes a median or a percentile."""
    seen, stack = set(), [kpi]
    while stack:
        metric = project.catalog.metrics[stack.pop()]
        if metric.name not in seen:
            seen.add(metric.name)
            stack.extend(metric.references())
            if re.search(r"\b(median|quantile\w*|percentile\w*)\b",
                         str(metric.model.model_dump()), re.IGNORECASE):
                return True
    return False


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_only_refusals_are_exact_percentiles(project, compiled, dialect):
    """A dialect may refuse a KPI that takes an exact median or percentile (it has none);
    any other refusal leaves that KPI's SQL unchecked here, and unusable there."""
    result = compiled(dialect)
    unexpected = Counter(why for kpi, _, why in result.refused
                         if "exact percentiles" not in why or not uses_percentile(project, kpi))
    assert not unexpected, f"{dialect} refuses, with the number of KPI requests: " \
        f"{dict(unexpected)}"
    assert result.sql, f"{dialect} compiled none of the catalog"


# Nodes with a position in the text that are not calls.
NOT_CALLS = (exp.Identifier, exp.Literal, exp.Star, exp.Var, exp.Column, exp.TableFromRows)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_reader_agrees_with_sqlglots_parser(compiled, dialect):
    """Every function node the parser records a name position for is read as a call of that
    name; every other call is one the parser builds without a position: its special-syntax
    parsers (EXTRACT, DATE_PART, PERCENTILE, QUANTILE_CONT, ...), UNNEST in FROM, and
    ClickHouse's parameterized aggregates, quantileExactInclusive(0.5)(x)."""
    parser = sqlglot.Dialect.get_or_raise(dialect).parser_class
    special = set(parser.FUNCTION_PARSERS) | set(parser.NO_PAREN_FUNCTION_PARSERS) | {"UNNEST"}
    for label, sql in compiled(dialect).sql[::20]:
        tree = sqlglot.parse_one(sql, read=dialect)
        parsed = Counter(sql[n.meta["start"]:n.meta["end"] + 1] for n in tree.walk()
                         if "start" in n.meta and not isinstance(n, NOT_CALLS))
        read = Counter(c.name for c in calls(sql, dialect))
        assert not parsed - read, (label, parsed - read)
        unpositioned = special | {n.name.upper() for n in tree.find_all(exp.ParameterizedAgg)}
        assert {n.upper() for n in read - parsed} <= unpositioned, (label, read - parsed)
