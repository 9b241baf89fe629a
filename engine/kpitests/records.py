"""The records of a KPI test: the test as written, and what preparing it makes.

:mod:`.cases` prepares them and :mod:`.given` types the rows; both import these, and
nothing here imports either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from pydantic import Field

from ..diagnostics import Span
from ..model import Definition, Grain, Name, SqlText
from .data import Column

DIALECT = "duckdb"  # tests run on DuckDB in memory


class TestCase(Definition):
    """One KPI test: rows per source, a request, and the values expected per period."""

    __test__ = False  # not a pytest test class
    noun: ClassVar[str] = "test"

    name: Name
    description: str | None = None
    grain: Grain | None = Field(None, description="Default: the first metric's own grain.")
    by: list[str] = Field(default_factory=list, description="Dimensions to group by.")
    start: date | None = Field(None, description="First day (inclusive).")
    end: date | None = Field(None, description="Last day (inclusive).")
    where: list[SqlText] = Field(default_factory=list, description="Filters over dimensions.")
    tolerance: float = Field(1e-6, ge=0, description="Largest absolute difference accepted.")
    given: dict[str, Any] = Field(description="Rows per source, or per table a source's SQL "
                                  "reads: a list of rows, or {rows: [...], types: {col: type}}.")
    expect: list[Any] = Field(min_length=1, description="Rows of expected values: a period, "
                              "a value per dimension of 'by', and one or more KPI values.")


@dataclass(frozen=True)
class Check:
    """One expected value: a KPI, in one period (and dimension values)."""

    metric: str
    period: date | str
    dims: tuple[Any, ...]
    value: float | None
    span: Span


@dataclass(frozen=True)
class Prepared:
    case: TestCase
    span: Span
    metrics: tuple[str, ...]
    grain: Grain
    tables: tuple[Table, ...]
    checks: tuple[Check, ...]
    sql: str


@dataclass(frozen=True)
class Table:
    schema: str | None
    name: str
    columns: tuple[Column, ...]
