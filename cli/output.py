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

import typer

from sales_metrics.engine.diagnostics import Diagnostic, UsageError

from . import formatting
from .literal import console as literal_console, text as literal, visible

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

    from . import boxes


def usage(message: str) -> UsageError:
    return UsageError(message)


def print_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps([d.to_dict() for d in diagnostics], indent=2))
    elif fmt == "github":
        for d in diagnostics:
            typer.echo(visible(d.github()))
    else:
        for d in diagnostics:
            typer.echo(visible(d.render()), err=True)
        counts = [f"{n} {kind}{'s' * (n != 1)}" for kind in ("error", "warning")
                  if (n := sum(d.severity == kind for d in diagnostics))]
        if counts:
            files = len({d.span.path for d in diagnostics if d.span})
            typer.echo(f"{' and '.join(counts)} in {files} file{'s' * (files != 1)}", err=True)


def emit(table: "pyarrow.Table", fmt: str, out: Path | None, project: "Project",
         metrics: list[str], grain: str, by_file: bool = False) -> None:
    """Print or write a result; a file is written whole (temp file + rename) or not at all."""
    if fmt == "table":
        color = out is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render_table(table, project, metrics, grain, _width(out), by_file, color)
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
    typer.echo(f"wrote {out}", err=True)


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
    period and dimensions. Colour (targets met or missed) only on a terminal.
    """
    return "".join(_box_table(table, project, chunk, grain, title).render(color)
                   for title, chunk in _chunks(table, project, metrics, width, by_file))


def _chunks(table: "pyarrow.Table", project: "Project", metrics: list[str],
            width: int, group: bool) -> list[tuple[str | None, list[str]]]:
    by_file: dict[str, list[str]] = {}
    for name in metrics:
        by_file.setdefault(project.metrics[name].spans.path if group else "", []).append(name)
    keys = [c for c in table.column_names if c not in metrics]
    used = sum(max(len(k), 10) + 3 for k in keys)
    chunks: list[tuple[str | None, list[str]]] = []
    for path, names in by_file.items():
        title = Path(path).stem.replace("_", " ").capitalize() if len(by_file) > 1 else None
        chunks.append((title, []))
        room = used
        for name in names:
            need = max(16, min(len(project.metrics[name].title), 24)) + 3
            if chunks[-1][1] and room + need > width:
                chunks.append((title, []))
                room = used
            chunks[-1][1].append(name)
            room += need
    return chunks


def _box_table(table: "pyarrow.Table", project: "Project", metrics: list[str], grain: str,
               title: str | None) -> "boxes.Table":
    from . import boxes

    settings = project.settings
    keys = [c for c in table.column_names if c not in project.metrics]
    columns = [boxes.Column(key.replace("_", " ").capitalize()) for key in keys]
    for name in metrics:
        m = project.metrics[name]
        head = m.title + (f"\n{formatting.target(m.target, m.format, settings.currency_symbol)}"
                          if m.target else "")
        columns.append(boxes.Column(head, right=True))
    view = boxes.Table(columns, title)
    values = {c: table.column(c).to_pylist() for c in keys + metrics}
    for i in range(table.num_rows):
        cells = [formatting.period(values[k][i], grain, settings) if k == "period"
                 else _text(values[k][i]) for k in keys]
        cells += [_cell(values[name][i], project.metrics[name], settings.currency_symbol)
                  for name in metrics]
        view.add_row(*cells)
    return view


def _text(value: object) -> str:
    return "–" if value is None else str(value)


def _cell(value, metric, currency: str) -> tuple[str, str]:
    if value is None and getattr(metric, "min_denominator", None) is not None:
        return ("insufficient", "dim")
    text = formatting.value(value, metric.format, currency)
    hit = formatting.on_target(value, metric.target) if metric.target else None
    if hit is None:
        return (text, "")
    return (f"{text} ✓", "green") if hit else (f"{text} ✗", "red")


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

    typer.echo(visible(describe(project, name, dialect)))
