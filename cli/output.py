"""Everything the CLI prints or writes: diagnostics, result tables, files, metric details."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Callable

from sales_metrics.engine.diagnostics import Diagnostic, UsageError

from . import formatting
from .literal import console as literal_console, text as literal, visible

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

    from . import boxes


def _echo(text: str, err: bool = False) -> None:
    """A line to stdout or stderr (Typer is not needed to print: a kept plan prints here)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def usage(message: str) -> UsageError:
    return UsageError(message)


def print_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> None:
    if fmt == "json":
        _echo(json.dumps([d.to_dict() for d in diagnostics], indent=2))
    elif fmt == "github":
        for d in diagnostics:
            _echo(visible(d.github()))
    else:
        for d in diagnostics:
            _echo(visible(d.render()), err=True)
        counts = [f"{n} {kind}{'s' * (n != 1)}" for kind in ("error", "warning")
                  if (n := sum(d.severity == kind for d in diagnostics))]
        if counts:
            files = len({d.span.path for d in diagnostics if d.span})
            _echo(f"{' and '.join(counts)} in {files} file{'s' * (files != 1)}", err=True)


def emit(table: "pyarrow.Table", fmt: str, out: Path | None, project: "Project",
         metrics: list[str], grain: str, by_file: bool = False) -> None:
    """Print or write a result; a file is written whole (temp file + rename) or not at all."""
    color = out is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if fmt == "table":
        text = render_table(table, project, metrics, grain, _width(out), by_file, color)
        _deliver(out, lambda f: f.write(text.encode()))
    elif fmt == "spark":  # a trend line per KPI: cli/trends.py
        from . import trends

        text = trends.render(table, project, metrics, grain, _width(out), by_file, color)
        _deliver(out, lambda f: f.write(text.encode()))
    elif fmt in ("csv", "json"):  # numbers as numbers: see numbers.py
        from . import numbers

        text = numbers.csv_text(table) if fmt == "csv" else numbers.json_text(table)
        _deliver(out, lambda f: f.write(text.encode()))
    elif fmt in ("html", "png", "svg"):  # charts against targets: cli/charts.py
        from . import charts

        if fmt == "html":
            page = charts.html(table, project, metrics, grain)
            _deliver(out, lambda f: f.write(page.encode()))
        else:
            picture = charts.image(table, project, metrics, grain, fmt)
            _deliver(out, lambda f: f.write(picture))
    elif fmt == "xlsx":  # typed, formatted cells: cli/workbook.py
        from . import workbook

        _deliver(out, lambda f: workbook.write(table, project, metrics, grain, f))
    else:  # typed columns as they came: decimals stay decimals, NaN stays a float
        import pyarrow.parquet as pq

        _deliver(out, lambda f: pq.write_table(table, f))


def _deliver(out: Path | None, write: Callable) -> None:
    if out is None:
        write(sys.stdout.buffer)
        sys.stdout.flush()
        return
    from .checks import writable

    writable(out)  # checked before the query too; again, as the folder may have changed
    target = out.expanduser().resolve()
    try:
        _replace(target, write)
    except OSError as err:  # the disk is full, the folder was made read-only meanwhile
        raise usage(f"cannot write {out}: {err.strerror or err}") from None
    _echo(f"wrote {out}", err=True)


def _replace(target: Path, write: Callable) -> None:
    """Write a temporary file beside ``target`` and rename it; on any failure, remove it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _mode_for(target: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual mode under the umask."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _width(out: Path | None) -> int:
    if out is not None or not sys.stdout.isatty():
        return int(os.environ.get("COLUMNS", 160))
    return shutil.get_terminal_size((160, 40)).columns


def render_table(table: "pyarrow.Table", project: "Project", metrics: list[str], grain: str,
                 width: int, by_file: bool = False, color: bool = False) -> str:
    """The result as terminal tables: values formatted per metric, each KPI against its target.

    The whole catalog is shown by the file each metric is defined in (activity, revenue,
    ...); tables are split further when metrics do not fit side by side, each repeating the
    period and dimensions. A KPI with a target shows each value's mark and gap to it in the
    KPI's unit (``27.3% ✓ +2.3 pts``), green or red only on a terminal; a column keeps one
    number of decimals (formatting.digits).
    """
    keys = [c for c in table.column_names if c not in project.metrics]
    lead = [_key_column(table.column(k).to_pylist(), k, grain, project.settings) for k in keys]
    columns = {name: _metric_column(table.column(name).to_pylist(), project.metrics[name],
                                    project.settings.currency_symbol) for name in metrics}
    return "".join(_view(lead, [columns[n] for n in names], title).render(color)
                   for title, names in _chunks(project, metrics, lead, columns, width, by_file))


Cells = tuple["boxes.Column", list[tuple[str, str]]]  # a column's header and its cells


def _chunks(project: "Project", metrics: list[str], lead: list[Cells], columns: dict[str, Cells],
            width: int, group: bool) -> list[tuple[str | None, list[str]]]:
    by_file: dict[str, list[str]] = {}
    for name in metrics:
        by_file.setdefault(project.metrics[name].spans.path if group else "", []).append(name)
    used = sum(_span(c) for c in lead)
    chunks: list[tuple[str | None, list[str]]] = []
    for path, names in by_file.items():
        title = Path(path).stem.replace("_", " ").capitalize() if len(by_file) > 1 else None
        chunks.append((title, []))
        room = used
        for name in names:
            need = _span(columns[name])
            if chunks[-1][1] and room + need > width:
                chunks.append((title, []))
                room = used
            chunks[-1][1].append(name)
            room += need
    return chunks


def _span(cells: Cells) -> int:
    """Terminal cells a column takes in a table: its widest line, padding and a rule."""
    from .boxes import width

    column, rows = cells
    return max([width(visible(line)) for line in column.header.split("\n")]
               + [width(visible(text)) for text, _ in rows]) + 3


def _view(lead: list[Cells], columns: list[Cells], title: str | None) -> "boxes.Table":
    from . import boxes

    every = lead + columns
    view = boxes.Table([column for column, _ in every], title)
    for row in zip(*(rows for _, rows in every)):
        view.add_row(*row)
    return view


def _key_column(values: list, key: str, grain: str, settings) -> Cells:
    from . import boxes

    cells = [formatting.period(v, grain, settings) if key == "period" else _text(v)
             for v in values]
    return boxes.Column(key.replace("_", " ").capitalize()), [(c, "") for c in cells]


def _text(value: object) -> str:
    return "–" if value is None else str(value)


def _metric_column(values: list, metric, currency: str) -> Cells:
    """A KPI's header (title, target) and cells: ``value ✓ gap``, both parts aligned down."""
    from . import boxes, readings

    fmt, t = metric.format, metric.target
    read = [readings.read(v, metric) for v in values]
    places = formatting.digits(values, fmt, metric.decimals)
    gap_places = formatting.digits([r.gap for r in read], fmt, metric.decimals)
    shown = [_shown(v, r, fmt, currency, places) for v, r in zip(values, read)]
    gaps = [formatting.signed(r.gap, fmt, currency, decimals=gap_places) for r in read]
    wide = max([boxes.width(s) for s, r in zip(shown, read) if r.gap is not None], default=0)
    gap_wide = max(map(boxes.width, gaps), default=0)
    cells = []
    for text, reading, gap in zip(shown, read, gaps):
        if reading.on_target is None:
            cells.append((text, "dim" if reading.state == "insufficient" else ""))
        else:
            mark = "✓" if reading.on_target else "✗"
            cells.append((f"{_right(text, wide)} {mark} {_right(gap, gap_wide)}",
                          "green" if reading.on_target else "red"))
    head = metric.title + (f"\n{formatting.target(t, fmt, currency, decimals=metric.decimals)}"
                           if t else "")
    return boxes.Column(head, right=True), cells


def _shown(value, reading, fmt, currency: str, places: int) -> str:
    if reading.state == "insufficient":
        return formatting.INSUFFICIENT
    return formatting.value(value, fmt, currency, decimals=places)


def _right(text: str, size: int) -> str:
    from .boxes import width

    return " " * (size - width(text)) + text


def print_list(project: "Project") -> None:
    from rich.table import Table

    view = Table(header_style="bold")
    for col in ("Metric", "Label", "Kind", "Source", "Grain", "Format", "Owner"):
        view.add_column(col)
    for name, resolved in sorted(project.catalog.metrics.items()):
        m = resolved.model
        kind = {"FormulaMetric": "formula", "CumulativeMetric": "cumulative",
                "ComparisonMetric": "comparison", "EntityMetric": "per-entity",
                "BalanceMetric": "balance", "ConversionMetric": "conversion",
                "ShareMetric": "share"}.get(
            type(m).__name__, "ratio" if getattr(m, "denominator", None) else "simple")
        sources = ", ".join(sorted(project.catalog.metric_sources(name)))
        view.add_row(*(literal(cell) for cell in (name, m.label or "", kind, sources,
                                                  m.grain.value, m.format.value, m.owner or "")))
    literal_console(width=_width(None)).print(view)


def print_metric(project: "Project", name: str, dialect: str | None) -> None:
    from .lineage import describe

    _echo(visible(describe(project, name, dialect)))
