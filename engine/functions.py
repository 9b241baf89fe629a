"""The functions each dialect's vendor documents, as data, and a check that SQL calls no other.

sqlglot transpiles what it knows and passes the rest through under its own names, so SQL
rendered for a dialect can call a function that engine does not have: BigQuery's
GENERATE_DATE_ARRAY on Snowflake, or TIME_TO_UNIX (sqlglot's name for ``epoch()``) on MySQL.
A reviewed snapshot locks such SQL in; :func:`undocumented` finds it, with no server.

The lists are short of complete on purpose. Every name on them is in the vendor's reference
(the page named above each list): a list that admits a function the engine lacks defeats the
check. They hold what the compiler emits and what KPI definitions commonly write; add a name
only from the vendor's page, and note the release that brought it when it is recent.
``CAST``, ``CASE``, operators and ``INTERVAL`` literals are syntax, not functions. A table
function (called in FROM or JOIN) must be on the list of table functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Documented:
    """What one vendor's function reference documents, spelled as the vendor spells it."""

    reference: str
    functions: frozenset[str]  # scalar, aggregate and window functions
    tables: frozenset[str] = frozenset()  # table functions, called in FROM or JOIN
    # Names are matched in any letter case, except where the engine's names are case-
    # sensitive (ClickHouse): then only those in ``any_case`` are.
    case_sensitive: bool = False
    any_case: frozenset[str] = frozenset()

    def admits(self, name: str, table: bool = False) -> bool:
        names = self.tables if table else self.functions
        if name in names:
            return True
        folded = self._folded[1] if table else self._folded[0]
        return name.upper() in folded

    @cached_property
    def _folded(self) -> tuple[frozenset[str], frozenset[str]]:
        def fold(names: frozenset[str]) -> frozenset[str]:
            loose = names & self.any_case if self.case_sensitive else names
            return frozenset(n.upper() for n in loose)
        return fold(self.functions), fold(self.tables)


# Standard SQL aggregates and window functions, documented by every vendor below but ClickHouse
# (which spells them its own way).
_CORE = _names("""
    COUNT SUM AVG MIN MAX COALESCE NULLIF
    ROW_NUMBER RANK DENSE_RANK PERCENT_RANK CUME_DIST NTILE LAG LEAD FIRST_VALUE LAST_VALUE
""")

# Spark's, and Databricks' which adds to them.
_SPARK = _CORE | _names("""
    NTH_VALUE
    COUNT_IF ANY_VALUE FIRST LAST COLLECT_LIST COLLECT_SET MEDIAN PERCENTILE
    PERCENTILE_APPROX APPROX_PERCENTILE APPROX_COUNT_DISTINCT BOOL_AND BOOL_OR EVERY
    MAX_BY MIN_BY STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP CORR
    COVAR_POP COVAR_SAMP MEAN
    IF IFNULL NVL NVL2 GREATEST LEAST TRY_CAST
    CURRENT_DATE CURRENT_TIMESTAMP NOW DATE_TRUNC TRUNC DATE_ADD DATE_SUB DATEADD
    DATEDIFF DATE_DIFF TIMESTAMPADD TIMESTAMPDIFF ADD_MONTHS MONTHS_BETWEEN DATE_PART
    EXTRACT YEAR QUARTER MONTH WEEKOFYEAR DAY DAYOFMONTH DAYOFWEEK DAYOFYEAR LAST_DAY
    MAKE_DATE MAKE_TIMESTAMP TO_DATE TO_TIMESTAMP DATE_FORMAT UNIX_TIMESTAMP
    UNIX_SECONDS UNIX_DATE FROM_UNIXTIME DATE_FROM_UNIX_DATE FROM_UTC_TIMESTAMP
    TO_UTC_TIMESTAMP CONVERT_TIMEZONE
    SEQUENCE EXPLODE EXPLODE_OUTER POSEXPLODE ARRAY SIZE
    ABS SIGN ROUND CEIL CEILING FLOOR MOD PMOD POW POWER SQRT EXP LN LOG LOG10
    CONCAT LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM LTRIM RTRIM REPLACE SPLIT_PART
    INSTR LEFT RIGHT
""")
_SPARK_TABLES = _names("""
    EXPLODE EXPLODE_OUTER POSEXPLODE POSEXPLODE_OUTER INLINE INLINE_OUTER STACK RANGE
""")

# ClickHouse's names registered as case-insensitive (SQL and MySQL compatibility).
_CLICKHOUSE_ANY_CASE = _names("""
    count sum avg min max coalesce nullIf ifNull if row_number rank dense_rank lag lead
    DATE_TRUNC dateDiff date_diff DATE_DIFF date_add YEAR MONTH
""")

DOCUMENTED: dict[str, Documented] = {
    # BigQuery GoogleSQL functions, cloud.google.com/bigquery/docs/reference/standard-sql/
    # functions-and-operators. PERCENTILE_CONT/_DISC are navigation (window) functions only.
    "bigquery": Documented(
        "BigQuery GoogleSQL functions, cloud.google.com/bigquery/docs/reference/standard-sql/"
        "functions-and-operators",
        _CORE | _names("""
            NTH_VALUE PERCENTILE_CONT PERCENTILE_DISC
            COUNTIF ANY_VALUE ARRAY_AGG STRING_AGG LOGICAL_AND LOGICAL_OR
            APPROX_COUNT_DISTINCT APPROX_QUANTILES STDDEV STDDEV_POP STDDEV_SAMP VARIANCE
            VAR_POP VAR_SAMP CORR COVAR_POP COVAR_SAMP
            IF IFNULL GREATEST LEAST
            CURRENT_DATE CURRENT_DATETIME CURRENT_TIMESTAMP DATE DATETIME TIMESTAMP EXTRACT
            DATE_ADD DATE_SUB DATE_DIFF DATE_TRUNC DATETIME_ADD DATETIME_SUB DATETIME_DIFF
            DATETIME_TRUNC TIMESTAMP_ADD TIMESTAMP_SUB TIMESTAMP_DIFF TIMESTAMP_TRUNC LAST_DAY
            FORMAT_DATE PARSE_DATE UNIX_DATE DATE_FROM_UNIX_DATE UNIX_SECONDS UNIX_MILLIS
            UNIX_MICROS TIMESTAMP_SECONDS TIMESTAMP_MILLIS TIMESTAMP_MICROS
            GENERATE_DATE_ARRAY GENERATE_TIMESTAMP_ARRAY GENERATE_ARRAY ARRAY ARRAY_LENGTH
            ABS SIGN ROUND TRUNC CEIL CEILING FLOOR MOD DIV SAFE_DIVIDE IEEE_DIVIDE POW POWER
            SQRT EXP LN LOG LOG10
            CONCAT LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM LTRIM RTRIM REPLACE STRPOS
            STARTS_WITH ENDS_WITH SPLIT SAFE_CAST
        """),
        tables=_names("UNNEST")),
    # Snowflake SQL function reference, docs.snowflake.com/en/sql-reference-functions. Table
    # functions are called as TABLE(f(...)) or LATERAL f(...).
    "snowflake": Documented(
        "Snowflake SQL function reference, docs.snowflake.com/en/sql-reference-functions",
        _CORE | _names("""
            NTH_VALUE RATIO_TO_REPORT
            COUNT_IF ANY_VALUE ARRAY_AGG LISTAGG MEDIAN MODE PERCENTILE_CONT PERCENTILE_DISC
            APPROX_COUNT_DISTINCT BOOLAND_AGG BOOLOR_AGG MAX_BY MIN_BY STDDEV STDDEV_POP
            STDDEV_SAMP VARIANCE VARIANCE_POP VARIANCE_SAMP VAR_POP VAR_SAMP CORR COVAR_POP
            COVAR_SAMP
            IFF IFNULL NVL NVL2 ZEROIFNULL NULLIFZERO DIV0 DIV0NULL GREATEST LEAST DECODE
            EQUAL_NULL
            CURRENT_DATE CURRENT_TIMESTAMP DATE_TRUNC TRUNC DATEADD TIMEADD TIMESTAMPADD DATEDIFF
            TIMEDIFF TIMESTAMPDIFF DATE_PART EXTRACT YEAR QUARTER MONTH WEEK DAY DAYOFWEEK
            DAYOFWEEKISO DAYOFYEAR DATE_FROM_PARTS TIMESTAMP_FROM_PARTS LAST_DAY
            ADD_MONTHS MONTHS_BETWEEN CONVERT_TIMEZONE TO_DATE DATE TO_TIMESTAMP
            TO_TIMESTAMP_NTZ TO_TIMESTAMP_LTZ TO_TIMESTAMP_TZ TO_CHAR TRY_TO_DATE TIME_SLICE
            ARRAY_GENERATE_RANGE ARRAY_SIZE ARRAY_CONSTRUCT SEQ4 SEQ8 TRY_CAST
            ABS SIGN ROUND TRUNCATE CEIL FLOOR MOD POW POWER SQRT SQUARE EXP LN LOG
            CONCAT LENGTH LEN LOWER UPPER SUBSTR SUBSTRING TRIM LTRIM RTRIM REPLACE SPLIT_PART
            POSITION CHARINDEX STARTSWITH ENDSWITH CONTAINS
        """),
        tables=_names("FLATTEN GENERATOR SPLIT_TO_TABLE")),
    # Transact-SQL functions, learn.microsoft.com/sql/t-sql/functions/functions. DATETRUNC,
    # GREATEST, LEAST, DATE_BUCKET and GENERATE_SERIES need SQL Server 2022 or Azure SQL.
    # No CURRENT_DATE; statistical aggregates are STDEV, STDEVP, VAR, VARP.
    "tsql": Documented(
        "Transact-SQL functions, learn.microsoft.com/sql/t-sql/functions/functions",
        _CORE | _names("""
            COUNT_BIG STRING_AGG STDEV STDEVP VAR VARP APPROX_COUNT_DISTINCT GROUPING
            CHECKSUM_AGG PERCENTILE_CONT PERCENTILE_DISC
            IIF ISNULL CHOOSE GREATEST LEAST
            CURRENT_TIMESTAMP GETDATE GETUTCDATE SYSDATETIME SYSUTCDATETIME SYSDATETIMEOFFSET
            DATEADD DATEDIFF DATEDIFF_BIG DATEPART DATENAME DATETRUNC DATE_BUCKET DATEFROMPARTS
            DATETIMEFROMPARTS DATETIME2FROMPARTS EOMONTH YEAR MONTH DAY SWITCHOFFSET
            TODATETIMEOFFSET
            CONVERT TRY_CAST TRY_CONVERT PARSE TRY_PARSE
            ABS SIGN ROUND CEILING FLOOR POWER SQRT SQUARE EXP LOG LOG10
            CONCAT LEN LOWER UPPER SUBSTRING TRIM LTRIM RTRIM REPLACE CHARINDEX LEFT RIGHT
        """),
        tables=_names("GENERATE_SERIES STRING_SPLIT OPENJSON")),
    # Trino functions and operators, trino.io/docs/current/functions/list.html. UNNEST is an
    # operator of FROM; SEQUENCE returns an array.
    "trino": Documented(
        "Trino functions and operators, trino.io/docs/current/functions/list.html",
        _CORE | _names("""
            NTH_VALUE
            COUNT_IF ARBITRARY ARRAY_AGG LISTAGG APPROX_DISTINCT APPROX_PERCENTILE BOOL_AND
            BOOL_OR EVERY MAX_BY MIN_BY STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP
            CORR COVAR_POP COVAR_SAMP
            IF TRY GREATEST LEAST TRY_CAST
            CURRENT_DATE CURRENT_TIMESTAMP NOW LOCALTIMESTAMP DATE DATE_TRUNC DATE_ADD DATE_DIFF
            EXTRACT YEAR QUARTER MONTH WEEK DAY DAY_OF_WEEK DOW DAY_OF_MONTH DAY_OF_YEAR DOY
            YEAR_OF_WEEK LAST_DAY_OF_MONTH DATE_FORMAT DATE_PARSE FORMAT_DATETIME PARSE_DATETIME
            FROM_UNIXTIME TO_UNIXTIME FROM_ISO8601_DATE FROM_ISO8601_TIMESTAMP TO_ISO8601
            AT_TIMEZONE WITH_TIMEZONE
            SEQUENCE CARDINALITY ELEMENT_AT
            ABS SIGN ROUND TRUNCATE CEIL CEILING FLOOR MOD POWER POW SQRT EXP LN LOG LOG2 LOG10
            CONCAT LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM LTRIM RTRIM REPLACE SPLIT_PART
            STRPOS POSITION STARTS_WITH
        """),
        tables=_names("UNNEST")),
    # Amazon Redshift SQL functions reference, docs.aws.amazon.com/redshift/latest/dg/
    # c_SQL_functions.html. GENERATE_SERIES runs on the leader node only (never on tables).
    "redshift": Documented(
        "Amazon Redshift SQL functions reference, docs.aws.amazon.com/redshift/latest/dg/"
        "c_SQL_functions.html",
        _CORE | _names("""
            NTH_VALUE RATIO_TO_REPORT
            ANY_VALUE LISTAGG MEDIAN PERCENTILE_CONT STDDEV STDDEV_POP STDDEV_SAMP VARIANCE
            VAR_POP VAR_SAMP BOOL_AND BOOL_OR
            NVL NVL2 DECODE GREATEST LEAST
            CURRENT_DATE GETDATE SYSDATE DATE_TRUNC TRUNC DATEADD DATEDIFF DATE_PART EXTRACT
            ADD_MONTHS LAST_DAY MONTHS_BETWEEN CONVERT_TIMEZONE TO_DATE TO_CHAR TO_TIMESTAMP
            DATE_CMP
            ABS SIGN ROUND CEIL CEILING FLOOR MOD POWER POW SQRT EXP LN LOG
            CONCAT LEN LENGTH LOWER UPPER SUBSTRING TRIM BTRIM LTRIM RTRIM REPLACE SPLIT_PART
            POSITION STRPOS CHARINDEX LEFT RIGHT
        """)),
    # Spark SQL built-in functions, spark.apache.org/docs/latest/api/sql/ (Spark 3.4 or later:
    # MEDIAN, CONVERT_TIMEZONE; DATEADD, DATE_DIFF, TIMESTAMPADD, TIMESTAMPDIFF since 3.3).
    # Generators such as EXPLODE are table-valued functions in FROM.
    "spark": Documented(
        "Spark SQL built-in functions, spark.apache.org/docs/latest/api/sql/",
        _SPARK, tables=_SPARK_TABLES),
    # Databricks SQL built-in functions, docs.databricks.com/sql/language-manual/
    # sql-ref-functions-builtin.html: Spark's, plus PERCENTILE_CONT (WITHIN GROUP).
    "databricks": Documented(
        "Databricks SQL built-in functions, docs.databricks.com/sql/language-manual/"
        "sql-ref-functions-builtin.html",
        _SPARK | _names("PERCENTILE_CONT PERCENTILE_DISC"), tables=_SPARK_TABLES),
    # MySQL 8.0 built-in function and operator reference, dev.mysql.com/doc/refman/8.0/en/
    # built-in-function-reference.html. No FILTER, no series function, no exact percentile.
    "mysql": Documented(
        "MySQL built-in function and operator reference, dev.mysql.com/doc/refman/8.0/en/"
        "built-in-function-reference.html",
        _CORE | _names("""
            NTH_VALUE
            GROUP_CONCAT ANY_VALUE STD STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP
            BIT_AND BIT_OR
            IF IFNULL GREATEST LEAST
            CURRENT_DATE CURDATE CURRENT_TIMESTAMP NOW UTC_DATE UTC_TIMESTAMP DATE TIMESTAMP
            DATE_ADD DATE_SUB ADDDATE SUBDATE DATEDIFF TIMESTAMPADD TIMESTAMPDIFF EXTRACT YEAR
            QUARTER MONTH WEEK WEEKDAY YEARWEEK DAY DAYOFMONTH DAYOFWEEK DAYOFYEAR LAST_DAY
            MAKEDATE DATE_FORMAT STR_TO_DATE TO_DAYS FROM_DAYS UNIX_TIMESTAMP FROM_UNIXTIME
            CONVERT_TZ CONVERT
            ABS SIGN ROUND TRUNCATE CEIL CEILING FLOOR MOD POW POWER SQRT EXP LN LOG LOG10
            CONCAT CONCAT_WS LENGTH CHAR_LENGTH LOWER UPPER LCASE UCASE SUBSTRING SUBSTR TRIM
            LTRIM RTRIM REPLACE LEFT RIGHT LOCATE INSTR
        """),
        tables=_names("JSON_TABLE")),
    # ClickHouse SQL reference, functions, clickhouse.com/docs/sql-reference/functions (and
    # .../table-functions). Names are case-sensitive except the SQL-compatible ones registered
    # as case-insensitive (_CLICKHOUSE_ANY_CASE); lag/lead are recent, before them lagInFrame.
    # median is approximate there; quantileExactInclusive(q)(x) interpolates exactly.
    "clickhouse": Documented(
        "ClickHouse SQL reference, functions, clickhouse.com/docs/sql-reference/functions",
        _CLICKHOUSE_ANY_CASE | _names("""
            greatest least multiIf isNull isNotNull toNullable
            countIf sumIf avgIf minIf maxIf uniqExact any anyLast argMin argMax groupArray
            quantileExact quantileExactInclusive quantileExactExclusive stddevPop stddevSamp
            quantileExactInclusiveOrNull
            varPop varSamp lagInFrame leadInFrame first_value last_value nth_value
            dateTrunc toStartOfDay toStartOfWeek toMonday toStartOfMonth toStartOfQuarter
            toStartOfYear toDate toDateTime toYear toQuarter toMonth toDayOfMonth toDayOfWeek
            toUnixTimestamp toTimeZone makeDate addDays addWeeks addMonths addQuarters addYears
            subtractDays subtractMonths subtractYears today now
            toInt64 toFloat64 toString intDiv modulo abs round floor ceil sqrt exp
            concat length lower upper substring trim replaceAll arrayJoin range
        """),
        tables=_names("numbers"), case_sensitive=True, any_case=_CLICKHOUSE_ANY_CASE),
    # SQLite built-in functions, sqlite.org/lang_corefunc.html, lang_aggfunc.html,
    # lang_datefunc.html, windowfunctions.html (IIF since 3.32, UNIXEPOCH since 3.38). The
    # math functions (FLOOR, MOD, POWER, ...) exist only in builds with
    # SQLITE_ENABLE_MATH_FUNCTIONS, and GENERATE_SERIES is an extension: neither is listed.
    "sqlite": Documented(
        "SQLite built-in functions, sqlite.org/lang_corefunc.html",
        _CORE | _names("""
            NTH_VALUE GROUP_CONCAT TOTAL
            IFNULL IIF
            DATE TIME DATETIME JULIANDAY UNIXEPOCH STRFTIME
            ABS SIGN ROUND
            LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM LTRIM RTRIM REPLACE INSTR PRINTF TYPEOF
        """),
        tables=_names("JSON_EACH JSON_TREE")),
    # PostgreSQL functions and operators, postgresql.org/docs/current/functions.html.
    "postgres": Documented(
        "PostgreSQL functions and operators, postgresql.org/docs/current/functions.html",
        _CORE | _names("""
            NTH_VALUE
            PERCENTILE_CONT PERCENTILE_DISC MODE STRING_AGG ARRAY_AGG BOOL_AND BOOL_OR EVERY
            STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP CORR COVAR_POP COVAR_SAMP
            GREATEST LEAST
            CURRENT_DATE CURRENT_TIMESTAMP NOW DATE_TRUNC DATE_PART EXTRACT DATE_BIN AGE
            MAKE_DATE MAKE_TIMESTAMP MAKE_INTERVAL TO_DATE TO_TIMESTAMP TO_CHAR TIMEZONE
            GENERATE_SERIES UNNEST ARRAY_LENGTH CARDINALITY
            ABS SIGN ROUND TRUNC CEIL CEILING FLOOR MOD DIV POWER SQRT EXP LN LOG LOG10
            CONCAT LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM BTRIM LTRIM RTRIM REPLACE
            SPLIT_PART STRPOS POSITION LEFT RIGHT
        """),
        tables=_names("GENERATE_SERIES UNNEST")),
    # DuckDB functions, duckdb.org/docs/sql/functions/overview.
    "duckdb": Documented(
        "DuckDB functions, duckdb.org/docs/sql/functions/overview",
        _CORE | _names("""
            NTH_VALUE
            COUNT_IF ANY_VALUE FIRST LAST ARG_MAX ARG_MIN MAX_BY MIN_BY LIST ARRAY_AGG
            STRING_AGG MEDIAN MODE QUANTILE QUANTILE_CONT QUANTILE_DISC PERCENTILE_CONT
            PERCENTILE_DISC APPROX_COUNT_DISTINCT APPROX_QUANTILE BOOL_AND BOOL_OR STDDEV
            STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP CORR COVAR_POP COVAR_SAMP
            IF IFNULL GREATEST LEAST TRY_CAST
            CURRENT_DATE CURRENT_TIMESTAMP NOW DATE_TRUNC DATETRUNC DATE_ADD DATE_SUB DATESUB
            DATE_DIFF DATEDIFF DATE_PART DATEPART EXTRACT YEAR QUARTER MONTH WEEK DAY DAYOFWEEK
            ISODOW YEARWEEK LAST_DAY MAKE_DATE MAKE_TIMESTAMP STRFTIME STRPTIME TO_TIMESTAMP
            EPOCH EPOCH_MS EPOCH_US TIME_BUCKET TIMEZONE
            GENERATE_SERIES RANGE UNNEST
            ABS SIGN ROUND TRUNC CEIL CEILING FLOOR MOD POW POWER SQRT EXP LN LOG LOG2 LOG10
            CONCAT LENGTH LOWER UPPER SUBSTR SUBSTRING TRIM LTRIM RTRIM REPLACE SPLIT_PART
            STRPOS POSITION STARTS_WITH LEFT RIGHT
        """),
        tables=_names("""
            UNNEST GENERATE_SERIES RANGE READ_PARQUET READ_CSV READ_CSV_AUTO READ_JSON
            READ_JSON_AUTO
        """)),
}


def documented(dialect: str) -> Documented:
    try:
        return DOCUMENTED[dialect.lower()]
    except KeyError:
        raise ValueError(f"no list of documented functions for dialect {dialect!r}; there "
                         f"are lists for {', '.join(sorted(DOCUMENTED))}") from None


# --- Reading the calls off the SQL -----------------------------------------------------------
#
# The names are read off the dialect's own tokens, as the text spells them. Not from the parsed
# tree: nodes built by sqlglot's special-syntax parsers (IF, EXTRACT, UNNEST, PERCENTILE, ...)
# record no position in the text, and rendering a node again can change its name (a parsed
# CASE WHEN renders as IF(...) in MySQL). tests/dialects/test_documented_functions.py holds
# the reader against sqlglot's parser on the catalog's SQL.


@dataclass(frozen=True)
class Call:
    name: str  # as the SQL text spells it; qualified ones as "safe.divide"
    table: bool  # called in FROM or JOIN, as a table function


def undocumented(sql: str, dialect: str) -> list[str]:
    """The names of the functions ``sql`` calls that ``dialect``'s vendor does not document
    (a table function must be documented as one), sorted, each once."""
    known = documented(dialect)
    return sorted({c.name for c in calls(sql, dialect) if not known.admits(c.name, c.table)})


# Syntax that looks like a call: NAME ( ... ).
_NOT_FUNCTIONS = frozenset({"CAST", "CASE", "TABLE", "VALUES", "EXISTS", "INTERVAL", "FILTER",
                            "ANY", "ALL", "SOME", "IN", "OVER"})
_CLAUSES = frozenset({"SELECT", "FROM", "JOIN", "APPLY", "WHERE", "GROUP_BY", "HAVING",
                      "ORDER_BY", "QUALIFY", "ON", "USING", "LIMIT", "WINDOW", "UNION",
                      "EXCEPT", "INTERSECT", "WITH"})
_TABLE_CLAUSES = frozenset({"FROM", "JOIN", "APPLY"})
_BEFORE_TABLE = frozenset({"FROM", "JOIN", "APPLY", "COMMA", "LATERAL", "VIEW"})
_BEFORE_CTE = frozenset({"WITH", "RECURSIVE", "COMMA"})
_BEFORE_TYPE_OR_ALIAS = frozenset({"ALIAS", "DCOLON"})  # AS t(a, b); CAST(x AS DECIMAL(9, 2))
# SELECT * EXCLUDE (a), * REPLACE (x AS a): not calls; 2 * f(x) is one.
_STAR_MODIFIERS = frozenset({"EXCLUDE", "EXCEPT", "REPLACE", "RENAME"})


def calls(sql: str, dialect: str) -> list[Call]:
    """Every function call in ``sql``, in text order: a name followed by ``(``, or a keyword
    function such as CURRENT_DATE, that is not a type, a CTE or an alias with a column list;
    called in FROM or JOIN (or inside ``TABLE(...)``), it is a table function."""
    import sqlglot

    reader = sqlglot.Dialect.get_or_raise(dialect)
    parser = reader.parser_class
    tokens = reader.tokenize(sql)
    # Token kinds, padded so that kinds[i - 2] .. kinds[i + 2] exist (-1 and -2 are padding).
    kinds = [t.token_type.name for t in tokens] + ["", ""]
    clauses = _clauses(kinds)
    skip = _type_and_alias_groups(kinds)
    found = []
    for i, token in enumerate(tokens):
        if (kinds[i + 1] == "L_PAREN" or token.token_type in parser.NO_PAREN_FUNCTIONS) and \
                i not in skip and _is_call(tokens, kinds, i, clauses[i], parser):
            call = Call(_qualified(tokens, kinds, i), _in_from(kinds, i, clauses[i]))
            if call.name.upper() not in _NOT_FUNCTIONS:
                found.append(call)
    return found


def _is_call(tokens, kinds: list[str], i: int, clause: str | None, parser) -> bool:
    token, before = tokens[i], kinds[i - 1]
    if kinds[i + 1] != "L_PAREN":  # CURRENT_DATE, CURRENT_TIMESTAMP, ...
        return before != "DOT"
    if (kinds[i + 2] == "WHERE"  # COUNT(*) FILTER (WHERE ...)
            or before in _BEFORE_TYPE_OR_ALIAS
            or (before == "STAR" and token.text.upper() in _STAR_MODIFIERS)  # * REPLACE (...)
            or (clause == "WITH" and before in _BEFORE_CTE)  # WITH spine(period) AS (...)
            or (token.text.upper() == "GROUP" and tokens[i - 1].text.upper() == "WITHIN")):
        return False
    if kinds[i] in ("VAR", "IDENTIFIER"):
        return True
    # A keyword the parser takes for a function name (LEFT, DATE, UNNEST, ...), not a type.
    upper = token.text.upper()
    return token.token_type in parser.FUNC_TOKENS and (
        token.token_type not in parser.TYPE_TOKENS
        or upper in parser.FUNCTIONS or upper in parser.FUNCTION_PARSERS)


def _in_from(kinds: list[str], i: int, clause: str | None) -> bool:
    before = kinds[i - 1]
    return (clause in _TABLE_CLAUSES and before in _BEFORE_TABLE) or (
        before == "L_PAREN" and kinds[i - 2] == "TABLE")


def _clauses(kinds: list[str]) -> list[str | None]:
    """The clause (SELECT, FROM, JOIN, ...) each token is in, at its own depth of
    parentheses: None right after a ``(``."""
    stack: list[str | None] = [None]
    out: list[str | None] = []
    for kind in kinds:
        out.append(stack[-1])
        if kind == "L_PAREN":
            stack.append(None)
        elif kind == "R_PAREN" and len(stack) > 1:
            stack.pop()
        elif kind in _CLAUSES:
            stack[-1] = kind
    return out


def _type_and_alias_groups(kinds: list[str]) -> set[int]:
    """The tokens inside ``AS name(...)`` and ``::type(...)``: column lists and type
    arguments, where ``Nullable(Decimal(9, 2))`` or ``Array(Int64)`` are not calls."""
    inside: set[int] = set()
    for i in range(1, len(kinds) - 2):
        if kinds[i - 1] in _BEFORE_TYPE_OR_ALIAS and kinds[i + 1] == "L_PAREN":
            depth = 0
            for j in range(i + 1, len(kinds)):
                depth += 1 if kinds[j] == "L_PAREN" else -1 if kinds[j] == "R_PAREN" else 0
                inside.add(j)
                if depth == 0:
                    break
    return inside


def _qualified(tokens, kinds: list[str], i: int) -> str:
    """The name at ``i`` with the qualifiers before it: ``safe.divide``."""
    parts = [tokens[i].text]
    while i >= 2 and kinds[i - 1] == "DOT" and kinds[i - 2] in ("VAR", "IDENTIFIER"):
        i -= 2
        parts.insert(0, tokens[i].text)
    return ".".join(parts)
