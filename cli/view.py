"""What the views of a result (the table, trend lines, charts, workbook) read of a project:
each metric's label, format, target and file, and the settings that name periods and money.

Records only. :func:`sales_metrics.cli.planned.make` fills them from the project, and a
kept plan from its JSON, so every view reads the same few fields either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sales_metrics.engine.vocabulary import Format


@dataclass(frozen=True)
class Goal:
    value: float
    direction: str = "higher"


@dataclass(frozen=True)
class Shown:
    """How one metric is shown: what the views read of its definition."""

    name: str
    title: str
    format: Format
    target: Goal | None
    min_denominator: float | None
    path: str  # the file it is defined in: the whole catalog is shown file by file
    decimals: int | None = None
    description: str | None = None
    owner: str | None = None
    grain: str | None = None  # its own grain
    words: str | None = None  # the formula in words (the workbook's definitions sheet)
    chart: str | None = None  # "bar" or "line" (the charts): what its kind of KPI reads as

    @property
    def spans(self) -> "Shown":  # what `spans.path` reads on a definition
        return self


@dataclass(frozen=True)
class Settings:
    """The project settings the views read."""

    name: str
    currency_symbol: str
    calendar_rules: Any  # engine.calendar.Calendar: Calendar.of() takes it as it is


class View:
    """The metrics shown, by name, and the settings."""

    def __init__(self, metrics: dict[str, Shown], settings: Settings) -> None:
        self.metrics = metrics
        self.settings = settings
