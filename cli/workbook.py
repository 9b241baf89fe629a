"""`metrics run --format xlsx`: a result as a workbook of typed, formatted cells.

Sheets: ``KPIs``, the result as it came (a row per period and group); with ``--by``, a sheet
per group holding its rows only, named after its values; ``Definitions``, per KPI its name,
label, description, formula in words, owner, format, target and grain. A results sheet has a
bold header of KPI labels (the metric name, target and description in a comment), frozen with
the period and dimension columns, an autofilter, and widths that fit.

- Values are numbers with an Excel number format per KPI format, one per column (decimals as
  :func:`formatting.digits` picks them for the terminal table); DuckDB's decimals too.
- Each period is its label (``2025 Q1``, text that reads well) and its first day, a real date
  that sorts, filters and pivots (no date column for ``--grain all`` without ``--start``).
- An empty value says why, in grey italic text that AVERAGE and SUM skip: ``not enough data``
  (the KPI's ``min_denominator`` was not met) or ``no data`` (see :mod:`readings`).
- A KPI with a target is green on it and red off it by conditional formatting, so a value
  edited in the sheet is recoloured.
- Labels, descriptions and dimension values may come from people we do not trust: they are
  written as text, never as formulas or error values (``=HYPERLINK(...)`` keeps those
  characters, with Excel's quote prefix so editing the cell keeps it text), and control
  characters are escaped as on the terminal (``\\x1b``), as XML cannot hold most of them.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, assert_never

from sales_metrics.engine.diagnostics import UsageError
from sales_metrics.engine.vocabulary import Format

from . import formatting, readings
from .literal import visible

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

    from .view import View

NEEDS = "--format xlsx needs the report extra: pip install 'sales-metrics[report]'"
RESULTS, DEFINITIONS = "KPIs", "Definitions"
CREATOR = "sales-metrics"
EMPTY = {"insufficient": "not enough data", "empty": "no data"}  # by readings.state
DAY = "yyyy-mm-dd"
MAX_GROUP_SHEETS = 100  # more groups stay on the KPIs sheet only
SHEET_ROWS, SHEET_COLUMNS, CELL_CHARS = 1_048_576, 16_384, 32_767  # Excel's own limits
GREEN, RED, GREY, HEAD_FILL = "FF1E7B34", "FFC0392B", "FF808080", "FFF2F2F2"
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")  # beyond the controls visible() escapes
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\\t\n]")
_REREAD = ("=", "+", "-", "@", "#", "\t")  # what Excel would read as a formula or an error


@dataclass(frozen=True)
class Column:
    header: str
    values: list[Any]  # one per row of the result: text, number, date or None
    number_format: str = "General"
    metric: Any = None  # the definition, for a KPI's column
    note: str | None = None  # the header's comment
    width: float = 10


def write(table: "pyarrow.Table", project: "Project | View", metrics: list[str], grain: str,
          f: IO[bytes]) -> None:
    """Write the result ``table`` (a period, the --by dimensions, a column per metric) to the
    binary file ``f`` as an .xlsx workbook. ``project``: a loaded project, or the view of a
    kept plan (:mod:`planned`), which has no catalog: the formula in words and the default
    grain are then the ones its metrics carry, if any."""
    try:
        from openpyxl import Workbook
    except ImportError:
        raise UsageError(NEEDS) from None
    metrics = list(dict.fromkeys(metrics))
    if table.num_rows >= SHEET_ROWS:
        raise UsageError(f"the result has {table.num_rows:,} rows; a worksheet holds "
                         f"{SHEET_ROWS - 1:,} below its header: narrow the request (--start/"
                         "--end, a coarser --grain, fewer --by) or write csv or parquet")
    columns = _columns(table, project, metrics, grain)
    if len(columns) > SHEET_COLUMNS:
        raise UsageError(f"{len(columns):,} columns do not fit in a worksheet "
                         f"({SHEET_COLUMNS:,}); choose fewer metrics with --metric")
    book = Workbook()
    _properties(book, project, grain, readings.keys(table, metrics))
    taken = {RESULTS.casefold(), DEFINITIONS.casefold()}
    _results(book.active, RESULTS, columns, range(table.num_rows))
    for name, rows in _groups(table, metrics):
        _results(book.create_sheet(), sheet_name(name, taken), columns, rows)
    _definitions(book.create_sheet(DEFINITIONS), project, metrics)
    whole = io.BytesIO()  # openpyxl leaves its zip open when it fails: never on ``f``
    book.save(whole)
    f.write(whole.getbuffer())


def _properties(book, project: "Project | View", grain: str, dims: list[str]) -> None:
    """Fixed metadata, so two writes of one result differ only in their timestamps."""
    props = book.properties
    props.creator = props.lastModifiedBy = CREATOR
    props.title = f"{project.settings.name} KPIs"
    props.subject = ("whole range" if grain == "all" else f"per {grain}") + "".join(
        f", by {d}" for d in dims)
    props.description = "Written by `metrics run --format xlsx`."


# ----------------------------------------------------------------------------- columns


def _columns(table, project: "Project | View", metrics: list[str], grain: str) -> list[Column]:
    settings, defs = project.settings, project.metrics
    days = [_day(d) for d in table.column("period").to_pylist()] \
        if "period" in table.column_names else [None] * table.num_rows
    labels = {d: formatting.period(d, grain, settings) for d in set(days)}
    out = [Column("Period", [labels[d] for d in days])]
    if any(d is not None for d in days):
        out.append(Column("Period start", days, DAY))
    out += [Column(key.replace("_", " ").capitalize(),
                   [_datum(v) for v in table.column(key).to_pylist()])
            for key in readings.keys(table, metrics)]
    titles = Counter(defs[n].title for n in metrics)
    out += [_kpi(n, defs[n], table.column(n).to_pylist(), settings.currency_symbol,
                 titles[defs[n].title] > 1) for n in metrics]
    return [_fitted(c, settings.currency_symbol) for c in out]


def _kpi(name: str, m, raw: list, currency: str, twin: bool) -> Column:
    values = [_datum(v) for v in raw]
    head = f"{m.title} ({name})" if twin and m.title != name else m.title
    note = [name]
    if m.target:
        note.append(formatting.target(m.target, m.format, currency,
                                      decimals=getattr(m, "decimals", None)))
    if m.description:
        note.append(" ".join(m.description.split())[:500])
    return Column(head, values, number_format(m.format, values, currency,
                                              getattr(m, "decimals", None)), m, "\n".join(note))


def number_format(fmt: Format, values: list, currency: str, decimals: int | None = None) -> str:
    """The Excel number format of a column of values of one KPI format."""
    places = formatting.digits([v for v in values if isinstance(v, (int, float))], fmt, decimals)
    tail = "." + "0" * places if places else ""
    match fmt:
        case Format.percent:
            return f"0{tail}%"
        case Format.currency:
            symbol = visible(currency).replace('"', "")
            return f'"{symbol}"#,##0{tail}' if symbol else f"#,##0{tail}"
        case Format.days:
            return f'#,##0{tail} "d"'
        case Format.hours:
            return f'#,##0{tail} "h"'
        case Format.number:
            return f"#,##0{tail}"
        case _:
            assert_never(fmt)


def _fitted(c: Column, currency: str) -> Column:
    """The column with a width that shows its header (up to 24 characters a line) and values."""
    def shown(v) -> int:
        if v is None:
            return len(EMPTY["insufficient"]) if c.metric is not None else 0
        if c.metric is not None:
            return len(formatting.value(v, c.metric.format, currency))
        return 10 if isinstance(v, date) else len(str(v))
    longest = max(map(shown, c.values[:10_000]), default=0)
    width = min(max(longest, min(len(c.header), 24), 6) + 2, 60)
    return Column(c.header, c.values, c.number_format, c.metric, c.note, width)


def _day(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _datum(value: Any) -> Any:
    """A cell's value: numbers (None for NaN and infinities), text, days, times, booleans."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if value is None or isinstance(value, (bool, int, str, date)):
        return value
    return str(value)


# ----------------------------------------------------------------------------- sheets


def _about(project, m, name: str) -> tuple:
    """A KPI's row of the Definitions sheet (``m``: its definition)."""
    t = m.target
    words, grain = getattr(m, "words", None), getattr(m, "grain", None)
    if words is None and hasattr(project, "catalog"):
        from . import lineage

        words = lineage.plain(lineage.in_words(project, name))
    return (name, m.title, m.description and m.description.strip(), words, m.owner,
            m.format.value, t.value if t else None, t.direction if t else None,
            getattr(grain, "value", grain))


def _results(ws, title: str, columns: list[Column], rows) -> None:
    from openpyxl.utils import get_column_letter

    ws.title = title
    _header(ws, columns)
    for i, row in enumerate(rows, 2):
        for j, c in enumerate(columns, 1):
            _put(ws.cell(i, j), c, c.values[row])
    fixed = sum(c.metric is None for c in columns)
    ws.freeze_panes = ws.cell(2, fixed + 1).coordinate
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    for j, c in enumerate(columns, 1):
        if c.metric is not None and c.metric.target and len(rows):
            _target(ws, get_column_letter(j), len(rows) + 1, c.metric.target)


def _header(ws, columns: list[Column]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEAD_FILL)
    lines = 1
    for j, c in enumerate(columns, 1):
        cell = ws.cell(1, j)
        text(cell, c.header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="bottom",
                                   horizontal="right" if c.metric is not None else "left")
        if c.note:
            cell.comment = Comment(clean(c.note), CREATOR, height=110, width=260)
        ws.column_dimensions[get_column_letter(j)].width = c.width
        lines = max(lines, math.ceil(len(c.header) / max(c.width - 2, 1)))
    ws.row_dimensions[1].height = 15 * min(lines, 4)


def _put(cell, c: Column, value: Any) -> None:
    if c.metric is not None and value is None:
        text(cell, EMPTY[readings.state(None, c.metric)])
        cell.font, cell.alignment = _muted()
    elif isinstance(value, str):
        text(cell, value)
    else:
        cell.value = value  # a day or a time gets openpyxl's date format unless one is set
        if value is not None and c.number_format != "General":
            cell.number_format = c.number_format


@functools.cache
def _muted():
    from openpyxl.styles import Alignment, Font

    return Font(italic=True, color=GREY), Alignment(horizontal="right")


def _target(ws, letter: str, last: int, target) -> None:
    """Green on target, red off it; text cells (no value) neither."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font

    if not math.isfinite(target.value):
        return
    first, goal = f"{letter}2", repr(float(target.value))
    on, off = (">=", "<") if target.direction == "higher" else ("<=", ">")
    for sign, color in ((on, GREEN), (off, RED)):
        ws.conditional_formatting.add(f"{first}:{letter}{last}", FormulaRule(
            formula=[f"AND(ISNUMBER({first}),{first}{sign}{goal})"], font=Font(color=color)))


def _definitions(ws, project: "Project | View", metrics: list[str]) -> None:
    from openpyxl.styles import Alignment

    heads = ("Metric", "Label", "Description", "Formula", "Owner", "Format", "Target",
             "Direction", "Default grain")
    widths = (24, 30, 60, 60, 16, 10, 12, 10, 13)
    currency, defs = project.settings.currency_symbol, project.metrics
    columns = [Column(h, [], width=w) for h, w in zip(heads, widths)]
    _header(ws, columns)
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, name in enumerate(metrics, 2):
        m = defs[name]
        for j, value in enumerate(_about(project, m, name), 1):
            cell = ws.cell(i, j)
            _put(cell, columns[j - 1], value)
            cell.alignment = wrap
        if m.target:
            ws.cell(i, 7).number_format = number_format(m.format, [m.target.value], currency,
                                                        getattr(m, "decimals", None))
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:I{len(metrics) + 1}"


def _groups(table, metrics: list[str]) -> list[tuple[str, list[int]]]:
    """The rows of each group of the --by dimensions, in the result's order, by its name;
    none when there are no dimensions or more groups than :data:`MAX_GROUP_SHEETS`."""
    dims = readings.keys(table, metrics)
    if not dims:
        return []
    values = [table.column(d).to_pylist() for d in dims]
    groups: dict[tuple, list[int]] = {}
    for i in range(table.num_rows):
        groups.setdefault(tuple(v[i] for v in values), []).append(i)
    if len(groups) > MAX_GROUP_SHEETS:
        import typer

        typer.echo(f"note: {len(groups):,} groups are more than {MAX_GROUP_SHEETS} sheets; "
                   f"they are on the {RESULTS} sheet only (filter it by {', '.join(dims)})",
                   err=True)
        return []
    return [(" · ".join("(blank)" if v in (None, "") else str(v) for v in key), rows)
            for key, rows in groups.items()]


# ----------------------------------------------------------------------------- text


def clean(value: Any) -> str:
    """Text a worksheet can hold: controls escaped as on the terminal, at most 32,767 chars."""
    shown = _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(value))
    return shown if len(shown) <= CELL_CHARS else shown[:CELL_CHARS - 1] + "…"


def text(cell, value: Any) -> None:
    """Put text in a cell as text: never a formula (``=...``) or an error value (``#N/A``)."""
    cell.value = clean(value)
    cell.data_type = "s"
    cell.quotePrefix = cell.value.startswith(_REREAD)


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, unique among ``taken`` (casefolded names, updated): at most
    31 characters, none of ``[]:*?/\\``, no apostrophe at either end, not ``History``."""
    base = _NOT_IN_SHEET_NAME.sub("_", clean(wanted)).strip().strip("'") or "(blank)"
    if base.casefold() == "history":  # Excel keeps it for its change history
        base += "_"
    name, n = _fit(base, 31), 1
    while name.casefold() in taken:
        n += 1
        name = f"{_fit(base, 31 - len(f' ({n})'))} ({n})"
    taken.add(name.casefold())
    return name


def _fit(name: str, most: int) -> str:
    """``name`` cut to ``most`` UTF-16 units (as Excel counts: an emoji is two)."""
    while len(name.encode("utf-16-le")) // 2 > most:
        name = name[:-1]
    return name.rstrip("'").rstrip() or "_"
