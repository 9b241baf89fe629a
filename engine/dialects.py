"""What each dialect can and cannot do, as data rather than ``if dialect == ...`` chains.

sqlglot transpiles syntax; these flags cover the places where the same SQL would *mean*
something different, or where sqlglot's rewrite would not run, on a given engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp


@dataclass(frozen=True)
class Capabilities:
    file_sources: bool = False  # read_parquet('...') / read_csv_auto('...') in FROM
    # The time spine (compile/spine.py): "series", the dialect's own date series through
    # sqlglot's UNNEST(GENERATE_DATE_ARRAY(..)); or "numbers", cross-joined digits turned into
    # periods by the dialect's date arithmetic, which every SQL engine runs.
    spine: str = "numbers"
    values_table: bool = True  # (VALUES ...) AS t(a, b) names a VALUES table's columns
    monday_weeks: bool = True  # DATE_TRUNC(week) starts weeks on Monday
    # AVG over integers truncates to an integer (T-SQL, Redshift) or to a few decimals (MySQL
    # and Snowflake: AVG of 1, 2, 2 is 1.6667 and 1.666667): cast to DOUBLE inside the AVG.
    integer_avg: bool = False
    # GROUP BY an integer period key (year * 12 + month) and make the date once per group:
    # measured about twice as cheap per row as DATE_TRUNC on DuckDB (grains.period_key).
    period_keys: bool = False
    # Distinct counts in a scan of their own: DuckDB otherwise materializes every row the
    # scan reads to aggregate them apart (measured 1.6x slower on the sample's 10M deals).
    split_distinct: bool = False
    # Group a scan's rows first by the categorical columns its filters test, then apply the
    # tests to the groups (compile/stages.py): measured cheaper on DuckDB only.
    two_stage: bool = False
    # Medians and percentiles of day counts from a histogram (compile/stages.py: histogram):
    # PostgreSQL sorts every row of a scan for an ordered-set aggregate.
    histogram_medians: bool = False
    # Each scan's group keys computed in a subquery the planner cannot flatten (OFFSET 0):
    # PostgreSQL takes the number of months for the number of distinct timestamps, and
    # sorted 3M leads to disk expecting millions of groups (scans.py: _fence).
    estimate_fence: bool = False
    # Distinct counts, medians and percentiles in a scan of their own, so that the rest of a
    # scan hashes its groups: PostgreSQL sorts every row of a scan for one of them
    # (compile/stages.py: split_rows; the closed deals at 1M: 0.73 s for one scan).
    hash_apart: bool = False
    # Rows of the scans meet on their dimensions with IS NOT DISTINCT FROM (an empty region
    # is a group too). PostgreSQL cannot hash or merge on it: grouped by rep, the per-rep
    # median joined 2,000 reps to 2,000 per month as a nested loop (10.6 s of 20 s at 1M).
    # Where False, the join is an equality it can hash: coalesced text, and nullness.
    hashed_null_safe: bool = True
    # LAG before a partition's first row is NULL. ClickHouse gives the type's default (0)
    # unless the value is Nullable: the comparison reads LAG(toNullable(value)) there.
    lag_null: bool = True


_OVERRIDES: dict[str, Capabilities] = {
    "duckdb": Capabilities(file_sources=True, period_keys=True, split_distinct=True, two_stage=True,
                           spine="series"),
    "postgres": Capabilities(spine="series", hashed_null_safe=False, histogram_medians=True,
                             estimate_fence=True, hash_apart=True),
    "spark": Capabilities(spine="series"),
    "databricks": Capabilities(spine="series"),
    # BigQuery's WEEK is WEEK(SUNDAY).
    "bigquery": Capabilities(monday_weeks=False, spine="series"),
    "tsql": Capabilities(monday_weeks=False, integer_avg=True),
    "fabric": Capabilities(monday_weeks=False, integer_avg=True),
    "mysql": Capabilities(monday_weeks=False, integer_avg=True),
    "doris": Capabilities(monday_weeks=False),
    "starrocks": Capabilities(monday_weeks=False),
    "redshift": Capabilities(integer_avg=True, hashed_null_safe=False),
    "sqlite": Capabilities(monday_weeks=False, values_table=False),
    "clickhouse": Capabilities(values_table=False, lag_null=False),
    "oracle": Capabilities(monday_weeks=False),
    # DATE_TRUNC(WEEK) follows the session's WEEK_START parameter.
    "snowflake": Capabilities(integer_avg=True, monday_weeks=False),
}


def capabilities(dialect: str) -> Capabilities:
    return _OVERRIDES.get(dialect.lower(), Capabilities())


# --- Rendering rewrites --------------------------------------------------------------------
#
# Where sqlglot renders a node in a way the engine rejects, or computes differently, the tree is
# rewritten for that dialect just before rendering (:func:`rewrite`), or refused. A rewrite
# rather than a subclass of sqlglot's generator: it leaves sqlglot's dialects as they are for
# any other code in the process, and works with sqlglot's compiled build (``sqlglot[c]``),
# whose classes cannot be subclassed.

_EXACT_PERCENTILE = ("exact percentiles and medians in an aggregate (quantile_cont, "
                     "median): it has only an analytic, an approximate or no such function")
# PERCENTILE_CONT is analytic-only (BigQuery, T-SQL), approximate or missing elsewhere; MEDIAN
# is missing (BigQuery, T-SQL) or approximate (ClickHouse).
# SQLite has none in its core. ClickHouse's median is approximate, but its
# quantileExactInclusive interpolates exactly (see _REWRITES).
_NO_EXACT_PERCENTILE = frozenset({"bigquery", "tsql", "fabric", "mysql", "trino", "presto",
                                  "athena", "sqlite"})
_UNITS = {"DAY": ("DAY", 1), "WEEK": ("DAY", 7), "MONTH": ("MONTH", 1),
          "QUARTER": ("MONTH", 3), "YEAR": ("YEAR", 1)}


def rewrite(tree: exp.Expression, dialect: str) -> exp.Expression:
    """The tree, changed in place (pass a tree of your own) where ``dialect`` needs it; raise
    :class:`UnsupportedFeature` for what it cannot compute."""
    name = dialect.lower()
    if name in _NO_EXACT_PERCENTILE and tree.find(exp.PercentileCont, exp.Median):
        from .diagnostics import UnsupportedFeature

        raise UnsupportedFeature(name, _EXACT_PERCENTILE)
    rules = _REWRITES.get(name)
    if not rules:
        return tree

    for node in reversed(list(tree.walk(bfs=False))):  # children before their parents
        rule = rules.get(type(node))
        new = rule(node) if rule else None
        if new is not None:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _function(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _percentile(name: str) -> Rewrite:
    def rule(node: exp.Expression) -> exp.Expression | None:
        if node.expression is None:
            return None
        return _function(name, node.this, node.expression)
    return rule


def _since_1970(function: str, origin: str) -> Rewrite:
    """``epoch(x)``, seconds since 1970, as a difference in seconds from ``origin``: sqlglot
    renders it TIME_TO_UNIX(x) for MySQL, T-SQL and others (no such function there)."""
    return lambda node: _function(function, exp.var("SECOND"), exp.Literal.string(origin),
                                  node.this)


def _clickhouse_quantile(node: exp.Expression) -> exp.Expression:
    """An exact quantile with linear interpolation, DuckDB's quantile_cont: ClickHouse's
    ``quantileExactInclusive(q)(x)``, with -OrNull: empty, not 0, over no values. sqlglot
    renders MEDIAN(x) (approximate there) and PERCENTILE_CONT(x, q) (no such aggregate)."""
    level = node.expression if isinstance(node, exp.PercentileCont) else exp.Literal.number(0.5)
    # sqlglot renders a ParameterizedAgg as this(expressions)(params)
    return exp.ParameterizedAgg(this="quantileExactInclusiveOrNull", expressions=[level],
                                params=[node.this])


def _sqlite_days(node: exp.Expression) -> exp.Expression | None:
    """``date_diff('day', a, b)``: sqlglot has no SQLite spelling (it raises); days between
    the two dates as whole Julian days, as DuckDB counts day boundaries."""
    if (node.text("unit") or "DAY").upper() != "DAY":
        return None
    days = [_function("JULIANDAY", _function("DATE", side)) for side in
            (node.this, node.expression)]
    return sql_cast(exp.Sub(this=days[0], expression=days[1]), "INTEGER")


_SQLITE_TRUNC = {"DAY": ("start of day",), "MONTH": ("start of month",),
                 "YEAR": ("start of year",)}


def _sqlite_trunc(node: exp.Expression) -> exp.Expression | None:
    """``DATE_TRUNC``: sqlglot renders TIMESTAMP_TRUNC(x, MONTH) for SQLite, which has no
    such function; SQLite's own DATE(x, 'start of month') modifiers (a quarter goes back the
    month's distance from its quarter's first month)."""
    unit = (node.text("unit") or "").upper()
    value = node.this
    if unit == "QUARTER":
        month = sql_cast(_function("STRFTIME", exp.Literal.string("%m"), value.copy()),
                         "INTEGER")
        back = exp.Mod(this=exp.paren(exp.Sub(this=month, expression=exp.Literal.number(1))),
                       expression=exp.Literal.number(3))
        shift = exp.DPipe(this=exp.Neg(this=exp.paren(back)),
                          expression=exp.Literal.string(" months"))
        return _function("DATE", value, exp.Literal.string("start of month"), shift)
    modifiers = _SQLITE_TRUNC.get(unit)
    if modifiers is None:
        return None
    return _function("DATE", value, *(exp.Literal.string(m) for m in modifiers))


def _sqlite_add(node: exp.Expression) -> exp.Expression:
    """``x + INTERVAL n DAY``: sqlglot renders SQLite's DATE(x, 'n DAY'), which drops the time
    of day (a 30-day window would end at midnight). DATETIME(x, 'n DAY') keeps it; where a
    date is meant, the engine casts the result to DATE."""
    unit = exp.Literal.string(f" {(node.text('unit') or 'DAY').upper()}")
    amount = exp.DPipe(this=exp.paren(node.expression), expression=unit)
    return _function("DATETIME", node.this, amount)


_TIMESTAMPS = frozenset({exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ,
                         exp.DataType.Type.DATETIME})


def _sqlite_cast(node: exp.Expression) -> exp.Expression | None:
    """``CAST(x AS TIMESTAMP)``: SQLite gives the type NUMERIC affinity, so the cast of
    '2025-01-02 03:04:05' is 2025; sqlglot keeps the cast. SQLite's DATETIME(x) is the
    timestamp as text, as SQLite keeps timestamps (sqlglot already makes a DATE cast DATE(x))."""
    if node.to.this in _TIMESTAMPS:
        return _function("DATETIME", node.this)
    return None


def _sqlite_compare(node: exp.Expression) -> exp.Expression | None:
    """``end <= DATETIME(start, '90 DAY')``: SQLite compares timestamps as text, and the
    DATETIME(...) made above has no fractional seconds where stored timestamps may have them
    (seeded ones do: '2025-04-06 10:00:00.000000' > '2025-04-06 10:00:00', so an end exactly
    90 days later fell out of its window), or a 'T'. Against one, the other side is read
    through DATETIME(...) too, so the two compare as instants."""
    sides = (node.this, node.expression)
    made = [isinstance(s, exp.Anonymous) and s.name.upper() == "DATETIME" for s in sides]
    if made[0] == made[1]:
        return None
    this, other = (_function("DATETIME", s.copy()) if not m else s.copy()
                   for s, m in zip(sides, made))
    return type(node)(this=this, expression=other)


def sql_cast(value: exp.Expression, to: str) -> exp.Cast:
    return exp.Cast(this=value, to=exp.DataType.build(to))


Rewrite = Callable[[exp.Expression], "exp.Expression | None"]

# dialect -> node type -> a rule that returns the replacement (None: leave the node).
def _count_if(node: exp.Count) -> exp.Expression | None:
    """A filtered count, ``COUNT(CASE WHEN p THEN 1 END)`` (how a metric's filters enter its
    scan), as ``COUNT_IF(p)``: DuckDB then makes one boolean per row, not an integer column
    of CASE results (the activities scan's seven counts: 350 ms of CPU against 246 ms at
    1M; both count the rows where p is true, not false or NULL)."""
    case = node.this
    if not (isinstance(case, exp.Case) and len(case.args.get("ifs") or []) == 1
            and case.args.get("default") is None and case.this is None):
        return None
    branch = case.args["ifs"][0]
    value = branch.args.get("true")
    if not (isinstance(value, exp.Literal) and not value.is_string and value.this == "1"):
        return None
    return exp.CountIf(this=branch.this)


def _date_minus_date(node: exp.DateDiff) -> exp.Expression | None:
    """Days between two DATEs as ``end - start``, without date_diff's unit dispatch."""
    if (node.text("unit") or "").upper() != "DAY":
        return None
    ends = (node.this, node.expression)
    if not all(isinstance(e, exp.Cast) and e.to.is_type(exp.DataType.Type.DATE) for e in ends):
        return None
    return exp.paren(exp.Sub(this=node.this, expression=node.expression), copy=False)


_DAY_US = 86_400_000_000


def _elapsed_days(node: exp.LTE) -> exp.Expression | None:
    """``end <= start + INTERVAL n DAY`` (a conversion's elapsed window) as ``epoch_us(end) -
    epoch_us(start) <= n * 86,400,000,000``: integer arithmetic instead of an interval added
    to every row. The same instants for TIMESTAMP; for TIMESTAMPTZ it is n x 24 hours, where
    the interval would follow the session's daylight-saving changes."""
    limit = node.expression
    if not (isinstance(node.this, exp.Column) and isinstance(limit, exp.DateAdd)
            and isinstance(limit.this, exp.Column)
            and (limit.text("unit") or "DAY").upper() == "DAY"):
        return None
    try:
        days = int(limit.expression.to_py())
    except (ValueError, TypeError, AttributeError):
        return None
    gap = exp.Sub(this=_function("epoch_us", node.this), expression=_function(
        "epoch_us", limit.this))
    return exp.LTE(this=gap, expression=exp.Literal.number(days * _DAY_US))


# Each names the sqlglot behaviour it works around; tests/dialects/ holds a test for each.
_REWRITES: dict[str, dict[type[exp.Expression], Rewrite]] = {
    "duckdb": {exp.Count: _count_if, exp.LTE: _elapsed_days, exp.DateDiff: _date_minus_date},
    # sqlglot renders days between two DATEs as EXTRACT(epoch FROM ts - ts) / 86400 on
    # PostgreSQL, two casts and a division per row; DATE - DATE is the whole days.
    "postgres": {exp.DateDiff: _date_minus_date},
    # Spark's PERCENTILE is exact with linear interpolation: DuckDB's quantile_cont. sqlglot
    # renders PERCENTILE_CONT(x, q), which Spark rejects (it takes WITHIN GROUP).
    "spark": {exp.PercentileCont: _percentile("PERCENTILE"),
              exp.DateAdd: lambda node: _interval_add(node)},
    "databricks": {exp.PercentileCont: _percentile("PERCENTILE")},
    "mysql": {exp.TimeToUnix: _since_1970("TIMESTAMPDIFF", "1970-01-01 00:00:00")},
    "tsql": {exp.TimeToUnix: _since_1970("DATEDIFF_BIG", "1970-01-01")},
    "clickhouse": {exp.TimeToUnix: lambda node: _function("toUnixTimestamp", node.this),
                   exp.PercentileCont: _clickhouse_quantile, exp.Median: _clickhouse_quantile},
    "bigquery": {exp.TimeToUnix: lambda node: _function(
        "UNIX_SECONDS", sql_cast(node.this, "TIMESTAMP"))},
    "sqlite": {exp.TimeToUnix: lambda node: _function("UNIXEPOCH", node.this),
               exp.DateDiff: _sqlite_days, exp.TimestampTrunc: _sqlite_trunc,
               exp.DateTrunc: _sqlite_trunc, exp.Cast: _sqlite_cast,
               exp.DateAdd: _sqlite_add,
               **dict.fromkeys((exp.LT, exp.LTE, exp.GT, exp.GTE, exp.EQ, exp.NEQ),
                               _sqlite_compare)},
}


def _interval_add(node: exp.DateAdd) -> exp.Expression | None:
    """``x + INTERVAL 'n' DAY`` for a constant n: Spark's DATE_ADD and ADD_MONTHS return a
    DATE even for a timestamp (``mql_at <= DATE_ADD(created_at, 30)`` would cut the time of
    day off), while ``+ INTERVAL`` keeps the type of ``x``, as in DuckDB and PostgreSQL."""
    unit = _UNITS.get((node.text("unit") or "DAY").upper())
    try:
        amount = int(node.expression.to_py())
    except (ValueError, TypeError, AttributeError):
        return None
    if unit is None:
        return None
    interval = exp.Interval(this=exp.Literal.string(str(amount * unit[1])), unit=exp.var(unit[0]))
    return exp.paren(exp.Add(this=node.this, expression=interval), copy=False)


def to_sql(tree: exp.Expression, dialect: str, copy: bool = True, **options) -> str:
    """SQL text for ``dialect``: a copy of the tree (or, with ``copy=False``, the tree itself)
    rewritten for the dialect, then rendered by sqlglot."""
    tree = rewrite(tree.copy() if copy else tree, dialect)
    return tree.sql(dialect=dialect, copy=False, **options)
