"""`metrics diff` as text for people, or as Markdown for a pull-request comment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sales_metrics.engine.model import Format

from .. import formatting

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project

    from .report import Change, Moved, Report, Row

VALUE_HEADER = ("Period", "Before", "After", "Change", "Relative")


def summary(report: Report) -> str:
    counts = [f"{len(report.added)} added", f"{len(report.removed)} removed",
              f"{len(report.renamed)} renamed", f"{len(report.changed)} changed"]
    n = len(report.breaking)
    return ", ".join(counts) + f"; {n} breaking change{'s' * (n != 1)}"


def _title(report: Report) -> str:
    return f"{report.base} ({report.commit}) -> working tree, project {report.project}"


# ----------------------------------------------------------------------------------- text

def text(report: Report, head: Project) -> str:
    lines = [f"metrics diff: {_title(report)}", summary(report)]
    if report.missing:
        lines.append(f"(no project at {report.base}: every metric is new)")
    if report.empty:
        return "\n".join(lines + ["no definition changed"]) + "\n"
    if report.breaking:
        lines += ["", "Breaking changes"] + [f"  ! {why}" for why in report.breaking]
    for title, mark, entries in (("Added", "+", report.added), ("Removed", "-", report.removed)):
        if entries:
            lines += ["", title] + [f"  {mark} {e.name:<32} {e.label}" for e in entries]
    for title, changes in (("Renamed", report.renamed), ("Changed", report.changed)):
        if changes:
            lines += ["", title]
            for change in changes:
                lines += _text_change(change)
    if report.settings:
        lines += ["", "Project settings"] + [f"  {k}: {a} -> {b}"
                                             for k, (a, b) in report.settings.items()]
    if report.sources:
        lines += ["", "Sources"] + [f"  {name}: {what}" for name, what in report.sources]
    for name, moved in report.values.items():
        lines += ["", _values_title(name, moved, head)]
        lines += _aligned(_value_rows(moved, head, name), "    ") if moved.rows else []
    return "\n".join(lines) + "\n"


def _text_change(change: Change) -> list[str]:
    head = f"{change.old_name} -> {change.name}" if change.old_name else change.name
    flag = "   [breaking]" if change.breaking else ""
    lines = [f"  * {head}  ({change.label}){flag}"]
    lines += [f"      {k}: {a} -> {b}" for k, (a, b) in change.fields.items()]
    if change.sql_diff:
        via = f" (through {', '.join(change.through)})" if change.through else ""
        lines.append(f"      compiled SQL changed{via}:")
        lines += [f"        {line}" for line in change.sql_diff]
    elif change.fields or change.old_name:
        lines.append("      compiled SQL unchanged")
    return lines


def _values_title(name: str, moved: Moved, head: Project) -> str:
    label = head.catalog.metrics[name].model.title
    if moved.note:
        return f"Values of {name} ({label}): not compared: {moved.note}"
    if not moved.moved:
        return f"Values of {name} ({label}), by {moved.grain}: unchanged in all " \
            f"{moved.periods} periods"
    shown = f"; the {len(moved.rows)} largest" if len(moved.rows) < moved.moved else ""
    return (f"Values of {name} ({label}), by {moved.grain}: moved in {moved.moved} of "
            f"{moved.periods} periods{shown}")


def _aligned(rows: list[tuple[str, ...]], indent: str) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
            for r in rows]


# ------------------------------------------------------------------------------- markdown

def markdown(report: Report, head: Project) -> str:
    lines = [f"### KPI definitions: `{report.base}` ({report.commit}) → working tree",
             "", f"Project `{report.project}`: {summary(report)}."]
    if report.missing:
        lines += ["", f"There was no project here at `{report.base}`: every metric is new."]
    if report.empty:
        return "\n".join(lines + ["", "No definition changed."]) + "\n"
    if report.breaking:
        lines += ["", "**Breaking changes**", ""] + [f"- ⚠️ {_md(why)}" for why in report.breaking]
    rows = [("added", f"`{e.name}`", _md(e.label), "") for e in report.added]
    rows += [("removed", f"`{e.name}`", _md(e.label), "⚠️ yes") for e in report.removed]
    rows += [_md_change(c) for c in report.renamed + report.changed]
    lines += ["", *_md_table(("Change", "Metric", "Details", "Breaking"), rows)]
    if report.settings or report.sources:
        rows = [("project", f"`{k}`", _md(f"{a} → {b}")) for k, (a, b) in report.settings.items()]
        rows += [("source", f"`{name}`", _md(what)) for name, what in report.sources]
        lines += ["", *_md_table(("Where", "Name", "Change"), rows)]
    lines += _md_sql(report.renamed + report.changed)
    for name, moved in report.values.items():
        lines += ["", f"#### {_md(_values_title(name, moved, head))}"]
        if moved.rows:
            lines += ["", *_md_table(VALUE_HEADER, _value_rows(moved, head, name)[1:],
                                     align="lrrrr")]
    return "\n".join(lines) + "\n"


def _md_change(change: Change) -> tuple[str, ...]:
    kind = "renamed" if change.old_name else "changed"
    name = f"`{change.old_name}` → `{change.name}`" if change.old_name else f"`{change.name}`"
    details = [f"{k}: {a} → {b}" for k, (a, b) in change.fields.items()]
    if change.sql_diff:
        via = f" through {', '.join(change.through)}" if change.through else ""
        details.append(f"SQL changed{via}")
    breaking = "⚠️ " + "; ".join(change.breaking) if change.breaking else ""
    return kind, name, _md("; ".join(details) or change.label), _md(breaking)


def _md_sql(changes: list[Change]) -> list[str]:
    shown = [c for c in changes if c.sql_diff]
    if not shown:
        return []
    lines = ["", f"<details><summary>Compiled SQL changes ({len(shown)})</summary>"]
    for change in shown:
        body = "\n".join(change.sql_diff)
        fence = "`" * max(3, _longest_run(body, "`") + 1)
        lines += ["", f"`{change.name}`", "", f"{fence}diff", body, fence]
    return lines + ["", "</details>"]


def _longest_run(text: str, char: str) -> int:
    best = run = 0
    for c in text:
        run = run + 1 if c == char else 0
        best = max(best, run)
    return best


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]],
              align: str | None = None) -> list[str]:
    marks = [":---" if a == "l" else "---:" for a in align] if align else ["---"] * len(header)
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"] + \
        ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]


def _md(text: str) -> str:
    """User text as Markdown that stays in its table cell and renders no markup or HTML."""
    text = " ".join(text.split())
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


# --------------------------------------------------------------------------------- values

def _value_rows(moved: Moved, head: Project, name: str) -> list[tuple[str, ...]]:
    metric = head.catalog.metrics[name].model
    currency = head.settings.currency_symbol
    rows = [VALUE_HEADER]
    for row in moved.rows:
        rows.append((formatting.period(row.period, moved.grain, head.settings),
                     formatting.value(row.before, metric.format, currency),
                     formatting.value(row.after, metric.format, currency),
                     _delta(row, metric.format, currency), _relative(row)))
    return rows


def _delta(row: Row, fmt: Format, currency: str) -> str:
    if row.change is None:
        return "–"
    sign = "+" if row.change >= 0 else "-"
    if fmt is Format.percent:
        return f"{sign}{abs(row.change) * 100:.1f} pp"
    return sign + formatting.value(abs(row.change), fmt, currency)


def _relative(row: Row) -> str:
    return "–" if row.relative is None else f"{row.relative * 100:+.1f}%"
