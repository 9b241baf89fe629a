"""The definitions, declared once: the loader validates YAML against these models.

Every model is frozen and forbids unknown keys. Each definition also remembers where its
fields were written (``spans``) so a rule can point at the exact line and column.
SQL fragments stay strings here; :mod:`engine.catalog` parses them with sqlglot once.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr,
                      model_validator)

from .vocabulary import Fill, Format, Grain, Weekday
from .yamlspan import FILE_BYTES, YAML_ALIASES, YAML_DEPTH, YAML_DEPTH_MOST, SpanMap

Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
SqlText = Annotated[str, Field(min_length=1)]


# `time: none`: the rows have no time (a roster of reps, deals open now); a metric on them has
# the same value in every period of a request.
NO_TIME = "none"


class Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)
    _spans: SpanMap | None = PrivateAttr(default=None)

    @property
    def spans(self) -> SpanMap:
        assert self._spans is not None, "definitions are built by the loader"
        return self._spans


class Connection(Definition):
    """Where `metrics run` executes by default. Extra keys go to the adapter.

    DuckDB's ``data:`` is a folder, or a list of folders, whose Parquet/CSV files are tables
    named after the files. Relative paths here are relative to project.yml's folder."""

    model_config = ConfigDict(frozen=True, extra="allow")
    type: str = Field("duckdb", description="Adapter name: duckdb, postgres, spark, ...")


class Calendar(Definition):
    """Gregorian (with the fiscal year's first month), or a retail 4-4-5 style calendar."""

    type: Literal["gregorian", "retail"] = "gregorian"
    pattern: Literal["4-4-5", "4-5-4", "5-4-4"] = "4-5-4"
    year_end_month: int = Field(1, ge=1, le=12, description="Retail years end in this month.")
    year_end: Literal["last", "nearest"] = Field(
        "last", description="On the last week-end day of that month, or the one nearest "
        "its end.")


# YAML 1.1 reads an unquoted `off` as false: `lint: {missing-owner: off}` means "off".
LintLevel = Annotated[Literal["off", "warning", "error"],
                      BeforeValidator(lambda v: "off" if v is False else v)]


class Limits(Definition):
    """Limits on what definitions and requests may cost; each is refused with a clear line.

    Definitions and request flags may come from people who did not write the project (a pull
    request, an API call): these bound memory and time before anything reaches an engine.
    """

    file_bytes: int = Field(FILE_BYTES, ge=1, description="Largest definition file read.")
    yaml_aliases: int = Field(YAML_ALIASES, ge=0, description="YAML aliases (*name) one file "
                              "may use, each counted with the aliases in what it repeats.")
    yaml_depth: int = Field(YAML_DEPTH, ge=1, le=YAML_DEPTH_MOST, description="Deepest "
                            "nesting of YAML mappings and lists in one file.")
    expression_depth: int = Field(100, ge=1, description="Deepest nesting of an expression, a "
                                  "filter or a formula (parentheses, operators, calls).")
    metric_depth: int = Field(50, ge=1, le=200, description="Most levels of metrics one "
                              "metric may be built on (a formula over formulas over ...).")
    template_output: int = Field(100_000, ge=1, description="Characters one Jinja template "
                                 "may render.")
    template_loop: int = Field(10_000, ge=1, description="Items one Jinja loop or range() "
                               "may go through.")
    timeout: float | None = Field(600, gt=0, description="Seconds a query may run (override "
                                  "with --timeout); null: no limit.")
    max_rows: int = Field(1_000_000, ge=1, description="Rows a result may have.")


class PublishView(Definition):
    """One view `metrics publish` creates: the KPIs at a grain, grouped by dimensions."""

    noun: ClassVar[str] = "publish view"
    name: Name = Field(description="The view's name in the publish schema.")
    grain: Grain = Field(description="Time grain of its rows (its `period` column).")
    by: list[str] = Field(default_factory=list, description="Dimensions to group by, one "
                          "column each, e.g. [region].")
    metrics: list[Name] | None = Field(None, description="The KPIs it holds, one column each "
                                       "(default: every KPI the grain and grouping allow).")
    description: str | None = Field(None, description="The view's comment (PostgreSQL, "
                                    "DuckDB); default: what it holds.")


class Publish(Definition):
    """What `metrics publish` creates in a warehouse: views for BI tools, each the compiled
    SQL of one request, live over the data (no date range)."""

    noun: ClassVar[str] = "publish"
    schema_: Name = Field("kpis", alias="schema", description="Schema (database, on MySQL) "
                          "the views are created in (override with --schema).")
    grains: list[Grain] | None = Field(None, description="One view per grain, named "
                                       "kpis_<grain>, holding every KPI that grain allows "
                                       "(default: the grains the metrics declare; [] for "
                                       "none).")
    views: list[PublishView] = Field(default_factory=list, description="More views, each at "
                                     "a grain and grouped by dimensions.")


class Project(Definition):
    """The project file (`project.yml`): settings shared by every definition."""

    name: Name
    dialect: str = Field("duckdb", description="SQL dialect the expressions are written in.")
    connection: Connection = Field(default_factory=Connection)
    vars: dict[str, Any] = Field(default_factory=dict, description="Values for {{ var('x') }}.")
    macros: str = Field("macros", description="Folder of Jinja macro files, relative to the project.")
    week_start: Weekday = Weekday.monday
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    calendar: Calendar = Field(default_factory=lambda: Calendar())
    timezone: str | None = Field(None, description="Time zone periods are counted in; "
                                 "timestamps are read as UTC (e.g. America/New_York).")
    currency_symbol: str = "$"
    lint: dict[str, LintLevel] = Field(
        default_factory=dict, description="Severity of lint rules by code (off, warning or "
        "error), e.g. {missing-owner: off, ratio-not-subset: error}; see engine/rules/lint.py.")
    limits: Limits = Field(default_factory=lambda: Limits())
    allowed_paths: list[str] = Field(
        default_factory=list, description="Folders outside the project that `path:` sources "
        "and the DuckDB connection's `data:` may read (relative to project.yml, or absolute).")
    publish: Publish = Field(default_factory=lambda: Publish(), description="The views "
                             "`metrics publish` creates for BI tools.")


class Join(Definition):
    """A many-to-one join: every row of the source matches at most one row of `to`."""

    to: Name
    on: SqlText = Field(description="Condition, e.g. owner_rep_id = reps.rep_id")
    name: Name | None = Field(None, description="Alias when joining the same source twice.")

    @property
    def alias(self) -> str:
        return self.name or self.to


class Source(Definition):
    """A table, a SQL query, or (DuckDB) a Parquet/CSV file that metrics aggregate."""

    name: Name
    description: str | None = None
    table: str | None = None
    sql: SqlText | None = Field(
        None, description="One SELECT. A table name that is another source's name reads that "
        "source (its table, file or query); files are read only through `path:` sources.")
    path: str | None = Field(
        None, description="A Parquet or CSV file, relative to project.yml's folder (or "
        "absolute), inside the project or a folder `allowed_paths` names.")
    time: Name | None = Field(None, description="Default time column of metrics on this "
                              "source; 'none' for rows without time (a roster: its counts are "
                              "the same in every period).")
    key: Name | list[Name] | None = None
    dimensions: dict[Name, SqlText] = Field(default_factory=dict)
    joins: list[Join] = Field(default_factory=list)
    grain: Grain | None = Field(None, description="The grain rows are kept at (quotas per "
                                "quarter); finer grains are refused.")
    timezone: Literal["project", "none"] = Field(
        "project", description="'none' for time columns already in local time (dates).")
    empty_time: Literal["note", "quiet"] = Field(
        "note", description="Rows whose time column is empty are not counted in any period; "
        "'note' (default): `metrics run` says how many, 'quiet': it does not.")

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        given = [k for k in ("table", "sql", "path") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a source needs exactly one of 'table', 'sql' or 'path'"
                             + (f" (got {' and '.join(given)})" if given else ""))
        return self

    @property
    def keys(self) -> list[str]:
        return [self.key] if isinstance(self.key, str) else list(self.key or [])


class Measure(Definition):
    """One side of a metric written out: an aggregate on a source, or another metric."""

    expr: SqlText | None = Field(None, description="Aggregate SQL, e.g. sum(amount).")
    metric: Name | None = Field(None, description="The name of another metric.")
    source: Name | None = Field(None, description="Defaults to the metric's source.")
    time: Name | None = Field(None, description="Defaults to the metric's time column.")
    filters: list[SqlText] = Field(default_factory=list)

    @model_validator(mode="after")
    def _expr_or_metric(self) -> Measure:
        if (self.expr is None) == (self.metric is None):
            raise ValueError("a measure needs exactly one of 'expr' or 'metric'")
        if self.metric and (self.source or self.time or self.filters):
            raise ValueError("a 'metric' measure takes no 'source', 'time' or 'filters'")
        return self


class Target(Definition):
    value: float
    direction: Literal["higher", "lower"] = "higher"


class MetricBase(Definition):
    """What every kind of metric has: a name, how to present it, and its goal."""

    name: Name
    label: str | None = None
    description: str | None = None
    owner: str | None = None
    grain: Grain = Grain.month
    dimensions: list[str] | None = Field(
        None, description="Dimensions it may be grouped by; all of its sources' when omitted.")
    format: Format = Format.number
    decimals: int | None = Field(
        None, ge=0, le=6, description="Digits shown after the decimal point (of the "
        "percentage, for percent: 2 shows 27.13%); default: by the format and the values.")
    target: Target | None = None

    @property
    def title(self) -> str:
        return self.label or self.name


class Metric(MetricBase):
    """A numerator, optionally over a denominator, with filters, at a time grain."""

    source: Name | None = None
    time: Name | None = Field(None, description="Overrides the source's time column ('none': "
                              "the rows have no time).")
    numerator: SqlText | Measure
    denominator: SqlText | Measure | None = None
    filters: list[SqlText] = Field(default_factory=list, description="Apply to both sides.")
    numerator_filters: list[SqlText] = Field(default_factory=list)
    denominator_filters: list[SqlText] = Field(default_factory=list)
    min_denominator: float | None = Field(
        None, description="Below this denominator the value is empty: insufficient data.")
    fill: Fill | None = Field(
        None, description="A period with no rows shows zero or empty (default: zero for "
        "counts and sums, empty otherwise).")
    snapshot: Literal["last"] | None = Field(
        None, description="Rows are snapshots: take the last snapshot of each period "
        "(semi-additive), not the sum over the period.")


class ConversionWindow(Definition):
    """How soon after the start the end must come to count: ``{days: 90}``.

    ``calendar`` (the default) counts dates, as a calendar does: the end's date at most
    ``days`` after the start's, whatever the time of day, both in the project's time zone.
    ``elapsed`` counts 24-hour days from the start's instant (``start + days``).
    """

    noun: ClassVar[str] = "conversion window"
    days: int = Field(ge=0, description="At most this many days after the start.")
    count: Literal["calendar", "elapsed"] = Field(
        "calendar", description="calendar: end date - start date <= days, in the project's "
        "time zone (the default); elapsed: end <= start + days x 24 hours.")


class Conversion(Definition):
    start: Name = Field(description="Time column of the first step; the cohort's time.")
    end: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$",
                              max_length=257)] = Field(
        description="Time column of the step reached: a column of the source, or of a "
        "source it joins, as join.column (accounts.first_purchase_at).")
    within: ConversionWindow | None = Field(
        None, description="Count only if reached in time: {days: 90} counts calendar days, "
        "{days: 90, count: elapsed} 24-hour days.")
    within_days: int | None = Field(
        None, ge=0, description="The earlier spelling of within: {days: N, count: elapsed}.")

    @model_validator(mode="after")
    def _one_window(self) -> Conversion:
        if self.within is not None and self.within_days is not None:
            raise ValueError("a conversion takes 'within' or 'within_days', not both")
        return self

    @property
    def window(self) -> ConversionWindow | None:
        """The window, whichever way it is written (``within_days: N`` counts elapsed days)."""
        if self.within_days is not None:
            return ConversionWindow.model_construct(days=self.within_days, count="elapsed")
        return self.within


class ConversionMetric(MetricBase):
    """Share of rows that reach one step from another, cohorted by the first step's time."""

    source: Name
    conversion: Conversion
    filters: list[SqlText] = Field(default_factory=list)
    min_denominator: float | None = None


class Balance(Definition):
    opens: Name = Field(description="Time a row starts counting (created_at).")
    closes: Name | None = Field(None, description="Time it stops counting (closed_at).")
    days: int | None = Field(None, ge=1, le=100_000, description="Instead of 'closes': each "
                             "row counts for this many days from 'opens' (a rolling N-day "
                             "total at any grain: the N days up to the period's end).")
    at: Literal["start", "end"] = Field("end", description="Balance at the period's start "
                                        "(its first day) or end.")

    @model_validator(mode="after")
    def _closes_or_days(self) -> Balance:
        if self.closes is not None and self.days is not None:
            raise ValueError("a balance takes 'closes' or 'days', not both")
        return self


class BalanceMetric(MetricBase):
    """A balance from dates alone: what is open at each period's start or end."""

    source: Name
    measure: SqlText = Field(description="count(*) or sum(...) of each open row.")
    balance: Balance
    filters: list[SqlText] = Field(default_factory=list)


class FormulaMetric(MetricBase):
    """Arithmetic over other metrics, computed from their aggregates."""

    formula: SqlText = Field(description="e.g. won_revenue / deals_won")
    min_denominator: float | None = None


class CumulativeMetric(MetricBase):
    """A metric accumulated to date (MTD/QTD/YTD) or over trailing periods."""

    of: Name
    to_date: Grain | None = Field(None, description="Accumulate within each month, quarter, "
                                  "or year.")
    trailing: int | None = Field(None, ge=1, description="Accumulate over the last N periods.")

    @model_validator(mode="after")
    def _one_window(self) -> CumulativeMetric:
        if (self.to_date is None) == (self.trailing is None):
            raise ValueError("a cumulative metric needs exactly one of 'to_date' or 'trailing'")
        return self


class ComparisonMetric(MetricBase):
    """A metric against an earlier period: change, percent change, or the earlier value."""

    of: Name
    compare: Literal["previous_period", "previous_year"]
    change: Literal["absolute", "percent", "previous"] = "percent"


class EntityMetric(MetricBase):
    """An aggregate of a per-entity aggregate: share of reps at quota, median per rep."""

    of: Name = Field(description="The metric computed per entity.")
    entity: str = Field(description="The dimension that names the entity, e.g. rep.")
    condition: SqlText | None = Field(None, description="e.g. '>= 1'; for count and share.")
    aggregate: Literal["count", "share", "avg", "median", "sum", "min", "max"] = "count"
    population: Name | None = Field(
        None, description="A source listing the entities (a roster, e.g. reps): each of them "
        "counts in every period, in the groups of its own row, 0 where it has no rows. "
        "Default: the entities with rows in the sources of 'of', at any time.")


class ShareMetric(MetricBase):
    """A metric's share of its total across dimensions: revenue share by sector within each
    year, share of pipeline by region. Computed from the aggregated rows: each group's value
    over the sum of the values of the groups that differ only in the ``across`` dimensions,
    within the same period."""

    share_of: Name = Field(description="The metric whose total is shared: a count or a sum.")
    across: list[str] | None = Field(
        None, description="The dimensions the total runs across (default: every --by "
        "dimension); the request must group by them.")
    format: Format = Format.percent


MetricKind = (Metric | ConversionMetric | BalanceMetric | FormulaMetric | CumulativeMetric
              | ComparisonMetric | EntityMetric | ShareMetric)


def metric_kind(data: dict[str, Any]) -> type[MetricBase]:
    """The kind of a metric, from the shape of its YAML."""
    for key, kind in (("formula", FormulaMetric), ("share_of", ShareMetric),
                      ("conversion", ConversionMetric),
                      ("balance", BalanceMetric), ("entity", EntityMetric),
                      ("compare", ComparisonMetric), ("to_date", CumulativeMetric),
                      ("trailing", CumulativeMetric)):
        if key in data:
            return kind
    return Metric


class MetricsFile(Definition):
    """A YAML file under the project: sources, metrics and KPI tests, in any mix."""

    sources: list[Any] = Field(default_factory=list, description="Source definitions.")
    metrics: list[Any] = Field(default_factory=list, description="Metric definitions.")
    tests: list[Any] = Field(default_factory=list, description="KPI test cases, run by "
                             "`metrics test` (see sales_metrics.engine.kpitests).")
