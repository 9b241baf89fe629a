"""The definitions, declared once: the loader validates YAML against these models.

Every model is frozen and forbids unknown keys. Each definition also remembers where its
fields were written (``spans``) so a rule can point at the exact line and column.
SQL fragments stay strings here; :mod:`engine.catalog` parses them with sqlglot once.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .yamlspan import SpanMap

Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
SqlText = Annotated[str, Field(min_length=1)]


class Grain(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"


class Format(str, Enum):
    number = "number"
    percent = "percent"
    currency = "currency"
    days = "days"


class Weekday(str, Enum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"


class Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)
    _spans: SpanMap | None = PrivateAttr(default=None)

    @property
    def spans(self) -> SpanMap:
        assert self._spans is not None, "definitions are built by the loader"
        return self._spans


class Connection(Definition):
    """Where `metrics run` executes by default. Extra keys go to the adapter."""

    model_config = ConfigDict(frozen=True, extra="allow")
    type: str = Field("duckdb", description="Adapter name: duckdb, postgres, spark, ...")


class Project(Definition):
    """The project file (`project.yml`): settings shared by every definition."""

    name: Name
    dialect: str = Field("duckdb", description="SQL dialect the expressions are written in.")
    connection: Connection = Field(default_factory=Connection)
    vars: dict[str, Any] = Field(default_factory=dict, description="Values for {{ var('x') }}.")
    macros: str = Field("macros", description="Folder of Jinja macro files, relative to the project.")
    week_start: Weekday = Weekday.monday
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    currency_symbol: str = "$"


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
    sql: SqlText | None = None
    path: str | None = None
    time: Name | None = Field(None, description="Default time column of metrics on this source.")
    key: Name | list[Name] | None = None
    dimensions: dict[Name, SqlText] = Field(default_factory=dict)
    joins: list[Join] = Field(default_factory=list)

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


class Metric(Definition):
    """A numerator, optionally over a denominator, with filters, at a time grain."""

    name: Name
    label: str | None = None
    description: str | None = None
    owner: str | None = None
    source: Name | None = None
    time: Name | None = Field(None, description="Overrides the source's time column.")
    numerator: SqlText | Measure
    denominator: SqlText | Measure | None = None
    filters: list[SqlText] = Field(default_factory=list, description="Apply to both sides.")
    numerator_filters: list[SqlText] = Field(default_factory=list)
    denominator_filters: list[SqlText] = Field(default_factory=list)
    grain: Grain = Grain.month
    dimensions: list[str] | None = Field(
        None, description="Dimensions it may be grouped by; all of its source's when omitted.")
    format: Format = Format.number
    target: Target | None = None

    @property
    def title(self) -> str:
        return self.label or self.name


class MetricsFile(Definition):
    """A YAML file under the project: sources and metrics, in any mix."""

    sources: list[Any] = Field(default_factory=list, description="Source definitions.")
    metrics: list[Any] = Field(default_factory=list, description="Metric definitions.")
