"""`metrics run` in two steps: a plan made from the definitions, then the plan executed.

The plan is everything the definitions decide: the SQL for the connection's dialect, the
count of rows without a time, the connection's settings, the notes, and how each metric is
shown (label, format, target, file). Executing it needs none of the engine: no YAML, Jinja,
sqlglot or pydantic, only the adapter, Arrow and the formatting.

Every run goes through both steps. On DuckDB with settings that hold no secret, the console
script keeps the plan beside its inputs (:mod:`sales_metrics.cli.entry`, the way `validate`'s
output is replayed) and a later identical command line executes it directly while no
definition, profile or data folder listing changed: the data itself is read fresh every time.
"""

from __future__ import annotations

import sys
from typing import Any

from sales_metrics.engine.vocabulary import Format

from .view import Goal, Settings, Shown, View


_ON_KEEP: list = []


def on_keep(callback) -> None:
    """Have ``callback(plan)`` called with the plan this run makes (the console script
    saves it)."""
    _ON_KEEP[:] = [callback]


def keep(plan: dict) -> None:
    for callback in _ON_KEEP:
        callback(plan)


def make(project: Any, prepared: Any, dialect: str, names: list[str], options: dict,
         notes: list[str], fmt: str, grain: str, by_file: bool) -> dict:
    """The plan of one run on the connection ``prepared`` (its SQL in ``dialect``), as
    JSON-able data."""
    from sales_metrics.engine.calendar import Calendar

    sql = project.compile(names, dialect=dialect, **options)
    untimed = project.untimed(names, dialect=dialect, **options)
    settings = project.settings
    return {
        "connection": prepared.saved(), "label": prepared.label,
        "sql": sql, "max_rows": settings.limits.max_rows,
        "untimed": None if untimed is None else
        [untimed[0], [[c, list(k)] for c, k in untimed[1].items()]],
        "names": names, "notes": notes, "format": fmt, "grain": grain, "by_file": by_file,
        "settings": {"name": settings.name, "currency_symbol": settings.currency_symbol,
                     "calendar": Calendar.of(settings).saved()},
        "metrics": {n: _shown(project, n, fmt) for n in names},
    }


def _shown(project: Any, name: str, fmt: str) -> dict:
    """What the views read of a metric; the formula in words only for a workbook, the chart's
    shape only for charts (each costs a little for every metric)."""
    m = project.metrics[name]
    target = m.target
    said = chart = None
    if fmt == "xlsx":
        from . import lineage

        said = lineage.plain(lineage.in_words(project, name))
    if fmt in ("html", "png", "svg"):
        from . import charts

        chart = charts.shape(project, m)
    return {"name": m.name, "title": m.title, "format": m.format.value,
            "target": None if target is None else [target.value, target.direction],
            "min_denominator": getattr(m, "min_denominator", None), "path": m.spans.path,
            "decimals": getattr(m, "decimals", None), "description": m.description,
            "owner": m.owner, "grain": m.grain.value, "words": said, "chart": chart}


def view(plan: dict) -> View:
    metrics = {}
    for name, m in plan["metrics"].items():
        goal = Goal(*m["target"]) if m["target"] else None
        metrics[name] = Shown(m["name"], m["title"], Format(m["format"]), goal,
                              m["min_denominator"], m["path"], m["decimals"],
                              m["description"], m["owner"], m["grain"], m["words"],
                              m["chart"])
    s = plan["settings"]
    from sales_metrics.engine.calendar import Calendar

    return View(metrics, Settings(s["name"], s["currency_symbol"],
                                  Calendar.restored(s["calendar"])))


def execute(plan: dict, out: Any, verbose: bool, conn: Any = None) -> None:
    """Run a plan: its notes, its query (on ``conn``, else on the connection it names), the
    notes on the result, then the result shown or written."""
    for line in plan["notes"]:
        say(line)
    if conn is None:  # a kept plan, in a process that ends with it (see replay)
        from sales_metrics.adapters.base import Prepared, open_prepared

        _run(plan, out, verbose, open_prepared(Prepared.restored(plan["connection"])))
    else:
        _run(plan, out, verbose, conn)


def _run(plan: dict, out: Any, verbose: bool, conn: Any) -> None:
    from sales_metrics.engine.diagnostics import check_rows

    from .progress import interactive, step

    import logging

    sql, names = plan["sql"], plan["names"]
    logging.getLogger("metrics").info("SQL:\n%s", sql)
    show = interactive(plan["format"] != "table", verbose)
    with step(plan["label"], 1, 1 + (plan["untimed"] is not None), show):  # logs its time
        table = conn.execute(sql)
    check_rows(table.num_rows, plan["max_rows"])
    _note_untimed(plan, conn)
    _note_empty(table, names)
    from . import output

    output.emit(table, plan["format"], out, view(plan), names, plan["grain"],
                by_file=plan["by_file"])


def say(line: str) -> None:
    from .literal import visible

    sys.stderr.write(visible(line) + "\n")


def _note_untimed(plan: dict, conn: Any) -> None:
    """A note for each metric that leaves rows out because their time column is empty (won
    deals without a close date): one SELECT, a count per source and time column read."""
    import logging

    from sales_metrics.engine.diagnostics import MetricsError

    if plan["untimed"] is None:
        return
    sql, owners = plan["untimed"]
    try:
        with _step(plan, 2):
            row = conn.execute(sql).to_pylist()[0]  # one query for every source and time column
    except MetricsError as err:  # the note is a courtesy: never the run's failure
        logging.getLogger("metrics").info("could not count rows without a time: %s", err)
        return
    counts: dict[tuple[str, ...], int] = {}
    for column, key in owners:
        counts[tuple(key)] = max(counts.get(tuple(key), 0), int(row[column] or 0))
    for (metric, source, time), count in counts.items():
        if count:
            say(f"note: {metric}: {count:,} rows of {source} that it counts have no {time}, so "
                "they are in no period (empty_time: quiet on the source to not be told)")


def _step(plan: dict, index: int) -> Any:
    from .progress import step

    return step(f"{plan['label']} (rows without a time)", index, 2, False)


def _note_empty(table: Any, names: list[str]) -> None:
    """A note for each metric that is 0 or empty in every row: most often, filters (its own
    or --where) that match nothing, which a table of zeros would not say."""
    if table.num_rows == 0:
        say("note: the result has no rows: the sources have no rows in the range "
            "(or none with a time)")
        return
    for name in names:
        if name in table.column_names and all(
                v is None or v == 0 for v in table.column(name).to_pylist()):
            say(f"note: {name} is 0 or empty in every period: no rows matched its filters in "
                "the range (check them, and --where)")


def replay(plan: dict) -> int:
    """Execute a kept plan as the `run` command would (its exit code): errors as one clean
    line each, without the engine or Typer. The connection is not closed: the caller ends the
    process at once (an in-memory, read-only DuckDB has nothing to write back, and tearing
    down its buffers after a large query took 50-60 ms)."""
    import os
    from pathlib import Path

    from sales_metrics.engine.diagnostics import MetricsError

    from .progress import setup_logging

    out = Path(plan["out"]) if plan["out"] else None
    setup_logging(plan["verbose"])
    try:
        if out is not None:
            from .checks import writable

            writable(out)
        execute(plan, out, plan["verbose"])
    except MetricsError as err:
        for line in err.lines():
            say(line)
        return err.exit_code
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:  # `metrics run | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
