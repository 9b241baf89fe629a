"""`metrics run --format spark`: one line per KPI (and group, with --by), its periods drawn
as a sparkline, then where it stands now::

                                                          latest  vs target   vs previous
    Opportunity win rate  2024 Q1  ▂▃█▃▁▁▂▅  2025 Q4       26.2%  ✓ +1.2 pts  ▲ +2.4 pts   target ≥ 25.0%
    Won revenue           2024 Q1  ▁▅▇▄▆▆▆█  2025 Q4  $8,081,090              ▲ +$1,707,102

- bars run from the lowest value shown to the highest (negative values too); a constant
  series is flat (at the bottom when it is zero, else halfway); an empty period is ``·``;
- then the first and last period (weeks by their ISO week, or first day), the latest
  period's value, its mark and gap to the target and its change against the period before
  (cli/readings.py, as every view reads them), in the KPI's unit and its column's decimals;
- the fields are aligned down the whole view; when the periods do not fit the width, the most
  recent ones are drawn and the first label says where they start; on a narrow terminal the
  targets are left out. Colour only on a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import boxes, formatting, readings
from .literal import visible

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

BARS = "▁▂▃▄▅▆▇█"
NO_VALUE = "·"
LONGEST = (40, 24)  # the widest title, and group, shown whole
FEWEST = 8  # periods drawn however narrow the terminal
# A line's fields, in order, two spaces apart: the value right-aligned, it and its gap
# (✓ +2.3 pts) coloured by the target, the change after it (▲ +0.5 pts).
TITLE, GROUP, FIRST, SPARK, LAST, VALUE, GAP, CHANGE, TARGET = range(9)
HEADINGS = {VALUE: "latest", GAP: "vs target", CHANGE: "vs previous"}


def sparkline(values: list[float | None]) -> str:
    """A bar per value, scaled from the lowest to the highest; ``·`` for an empty one."""
    shown = [v for v in values if v is not None]
    low, high = (min(shown), max(shown)) if shown else (0.0, 0.0)

    def bar(v: float | None) -> str:
        if v is None:
            return NO_VALUE
        if high == low:
            return BARS[0] if v == 0 else BARS[3]
        return BARS[round((v - low) / (high - low) * (len(BARS) - 1))]

    return "".join(map(bar, values))


@dataclass(frozen=True)
class Line:
    """One KPI (and group): the fields shown, and the periods with their values drawn."""

    fields: list[str]
    style: str  # of the value and gap: green (met), red (missed), dim (not enough data)
    periods: list
    values: list[float | None]


def render(table: "pyarrow.Table", project: "Project", metrics: list[str], grain: str,
           width: int, by_file: bool = False, color: bool = False) -> str:
    def ends(line: Line, keep: int) -> Line:
        return _drawn(line, keep, lambda p: formatting.period(p, grain, project.settings,
                                                              short=True))

    sections = [(title, _lines(table, project, names))
                for title, names in _sections(project, metrics, by_file)]
    sections, sizes = _fit(sections, width, ends)
    out = [_weeks(project)] if grain == "week" and table.num_rows else []
    heading = [HEADINGS.get(i, "") for i in range(TARGET + 1)]
    out += [boxes.paint(_text(Line(heading, "", [], []), sizes, False), "dim", color)]
    for title, lines in sections:
        out += [boxes.paint(title, "bold", color)] if title else []
        out += [_text(line, sizes, color) for line in lines]
    return "".join(f"{line}\n" for line in out)


def _fit(sections: list, width: int, ends) -> tuple[list, list[int]]:
    """The lines drawn over as many recent periods as the width leaves (:data:`FEWEST` at
    least), and the fields' widths; on a narrow terminal the targets are left out."""
    drawn = [(title, [ends(line, len(line.periods)) for line in lines])
             for title, lines in sections]
    sizes = _sizes([line for _, lines in drawn for line in lines])
    keep = max(width - _used(sizes) + sizes[SPARK], FEWEST)
    if any(len(line.periods) > keep for _, lines in drawn for line in lines):
        drawn = [(title, [ends(line, keep) for line in lines]) for title, lines in drawn]
        sizes = _sizes([line for _, lines in drawn for line in lines])
    if _used(sizes) > width:  # the gaps stay
        sizes[TARGET] = 0
    return drawn, sizes


def _sections(project: "Project", metrics: list[str], by_file: bool
              ) -> list[tuple[str | None, list[str]]]:
    files: dict[str, list[str]] = {}
    for name in metrics:
        files.setdefault(project.metrics[name].spans.path if by_file else "", []).append(name)
    many = len(files) > 1
    return [(Path(path).stem.replace("_", " ").capitalize() if many else None, names)
            for path, names in files.items()]


def _weeks(project: "Project") -> str:
    from sales_metrics.engine.calendar import Calendar

    day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
           "Sunday")[Calendar.of(project.settings).week_start]
    return "ISO weeks, Monday to Sunday" if day == "Monday" else \
        f"Weeks start on {day}, each named by its first day"


def _lines(table: "pyarrow.Table", project: "Project", names: list[str]) -> list[Line]:
    every = [n for n in table.column_names if n in project.metrics]
    out = []
    for name in names:
        metric = project.metrics[name]
        places = formatting.digits(table.column(name).to_pylist(), metric.format,
                                   metric.decimals)
        groups = readings.series(table, name, metric, every) or {(): []}
        for i, (group, cells) in enumerate(groups.items()):
            label = " / ".join(formatting.EMPTY if g is None else str(g) for g in group)
            fields = ["" if i else _cut(metric.title, LONGEST[0]), _cut(label, LONGEST[1])]
            out.append(_line(fields, cells, metric, project.settings.currency_symbol, places))
    return out


def _line(fields: list[str], cells: list, metric, currency: str, places: int) -> Line:
    fmt = metric.format
    last = cells[-1][1] if cells else readings.read(None, metric)
    now = formatting.INSUFFICIENT if last.state == "insufficient" else \
        formatting.value(last.value, fmt, currency, decimals=places)
    gap = "" if last.on_target is None else \
        f"{'✓' if last.on_target else '✗'} {formatting.signed(last.gap, fmt, currency, decimals=places)}"
    change = "" if last.change is None else \
        f"{'▲' if last.change > 0 else '▼' if last.change < 0 else '='} " \
        f"{formatting.signed(last.change, fmt, currency, decimals=places)}"
    aim = formatting.target(metric.target, fmt, currency, decimals=metric.decimals) \
        if metric.target else ""
    style = "dim" if last.state == "insufficient" else \
        "" if last.on_target is None else "green" if last.on_target else "red"
    return Line(fields + ["", "", "", now, gap, change, aim], style,
                [p for p, _ in cells], [r.value for _, r in cells])


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _drawn(line: Line, keep: int, label) -> Line:
    """The line drawn over its last ``keep`` periods, named at both ends."""
    periods, values = line.periods[-keep:], line.values[-keep:]
    fields = list(line.fields)
    if periods:  # one period is named once
        fields[FIRST:LAST + 1] = [label(periods[0]), sparkline(values),
                                  label(periods[-1]) if len(periods) > 1 else ""]
    return Line(fields, line.style, periods, values)


def _sizes(lines: list[Line]) -> list[int]:
    """Each field's width down the view: its widest text, or heading (when it has a text)."""
    sizes = [max((boxes.width(visible(line.fields[i])) for line in lines), default=0)
             for i in range(TARGET + 1)]
    return [max(n, len(HEADINGS.get(i, ""))) if n else 0 for i, n in enumerate(sizes)]


def _used(sizes: list[int]) -> int:
    """Terminal cells of a line whose fields take ``sizes``, with the spaces between them."""
    return sum(sizes) + 2 * (sum(1 for n in sizes if n) - 1)


def _text(line: Line, sizes: list[int], color: bool) -> str:
    parts = []
    for i, field in enumerate(line.fields):
        if sizes[i]:
            shown = visible(field)
            pad = " " * (sizes[i] - boxes.width(shown))
            if i in (VALUE, GAP):
                shown = boxes.paint(shown, line.style, color)
            parts.append(pad + shown if i == VALUE else shown + pad)
    return "  ".join(parts).rstrip()
