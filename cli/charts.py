"""Charts against targets: `metrics run --format html|png|svg`, and the charts of `metrics docs
--with-values`.

One builder makes each KPI's chart as a Vega-Lite specification with altair: bars for a
quantity that adds up over periods (a count, a sum), a line for a rate, an average or a level;
the target as a dashed rule; with --by, a line per group and a colour legend. The HTML page
puts each chart above the latest reading (on target or missed, the gap to the target, the
change against the previous period) and the numbers as a table, formatted as the KPI says;
it inlines the Vega, Vega-Lite and vega-embed JavaScript that vl-convert ships, so it opens
from disk with no network. An image stacks the same charts (vconcat), rendered by vl-convert
without a browser.

Every text from the definitions and the data is escaped for HTML, and reaches the charts only
as data inside JSON in which ``<``, ``>`` and ``&`` are escaped: never as markup, a field name
or a Vega expression. altair and vl_convert (the report extra) are imported when first used.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, assert_never

from sales_metrics.engine.diagnostics import UsageError
from sales_metrics.engine.vocabulary import Format

from . import formatting, readings
from .docs_template import CHARTS_JS, page

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

STATES = {"insufficient": formatting.INSUFFICIENT, "empty": "no data"}
COLOURS = {"on target": "#1a7f4b", "missed": "#c43d3d", "no target": "#2457c5"}
TARGET_COLOUR = "#6b4fbb"
WIDTH, HEIGHT = 720, 220  # a chart on a page; images are smaller, and smaller still when many
MANY = 12  # more charts than this in one image: shorter charts at scale 1


def libraries(flag: str) -> tuple[Any, Any]:
    """altair and vl_convert, or one clean line saying which extra to install."""
    try:
        import altair
        import vl_convert
    except ImportError:
        raise UsageError(f"{flag} needs the report extra: pip install "
                         "'sales-metrics[report]'") from None
    return altair, vl_convert


# ----------------------------------------------------------------------- reading a result
#
# ``project`` is a loaded Project (`metrics docs`) or the view of a kept plan (`metrics run`,
# cli/planned.py): both have ``settings`` (name, currency_symbol, the calendar) and
# ``metrics[name]`` with title, description, owner, format, target, min_denominator, decimals.

@dataclass(frozen=True)
class Kpi:
    """One KPI column of a result, read period by period for each group."""

    name: str
    metric: Any
    series: dict[tuple, list[tuple[Any, readings.Reading]]]
    dims: list[str]
    grain: str
    project: Any
    places: int  # decimals of its values, alike down the column (formatting.digits)
    gap_places: int  # and of its gaps and changes

    @property
    def currency(self) -> str:
        return self.project.settings.currency_symbol

    def label(self, day: Any) -> str:
        return formatting.period(day, self.grain, self.project.settings)

    def shown(self, reading: readings.Reading) -> str:
        if reading.value is None:
            return STATES[reading.state]
        return formatting.value(reading.value, self.metric.format, self.currency,
                                decimals=self.places)

    def delta(self, x: float | None) -> str:
        """A gap or a change: signed, in the KPI's unit (points for a percentage)."""
        return formatting.signed(x, self.metric.format, self.currency,
                                 decimals=self.gap_places) or "–"


def kpi(table: "pyarrow.Table", project: "Project", name: str, metrics: list[str],
        grain: str) -> Kpi:
    metric = project.metrics[name]
    series = readings.series(table, name, metric, metrics)
    read = [r for periods in series.values() for _, r in periods]
    decimals = getattr(metric, "decimals", None)
    return Kpi(name, metric, series, readings.keys(table, metrics), grain, project,
               formatting.digits([r.value for r in read], metric.format, decimals),
               formatting.digits([x for r in read for x in (r.gap, r.change)], metric.format,
                                 decimals))


def charted(k: Kpi) -> bool:
    """Whether there is anything to draw: a chart of empty periods only says nothing."""
    return any(r.value is not None for periods in k.series.values() for _, r in periods)


def chart_box(k: Kpi, chart_id: str) -> str:
    """Where a chart is drawn; says why when there is nothing to draw."""
    empty = "" if charted(k) else '<p class="none">No value in these periods to chart.</p>'
    return f'<div class="chart" id="{chart_id}">{empty}</div>'


def status(reading: readings.Reading) -> str:
    if reading.value is None:
        return STATES[reading.state]
    if reading.on_target is None:
        return "no target"
    return "on target" if reading.on_target else "missed"


def shape(project: Any, metric: Any) -> str:
    """"bar" for what adds up over periods (a count, a sum), "line" for a rate, an average, a
    median, a change or a level (a balance, a snapshot): summing those over periods means
    nothing.

    Decided from the definition's kind; a kept plan's metric says it (``chart``), else (no
    definition loaded) percentages, durations and KPIs with a minimum denominator are lines."""
    kept = getattr(metric, "chart", None)
    if kept in ("bar", "line"):
        return kept
    if metric.format is Format.percent:
        return "line"
    model = sys.modules.get("sales_metrics.engine.model")  # not loaded: not a definition
    if model is None or not isinstance(metric, model.MetricBase):
        return "line" if metric.min_denominator is not None or metric.format in (
            Format.days, Format.hours) else "bar"
    return _kind_shape(project, metric, model)


def _kind_shape(project: Any, metric: Any, model: Any) -> str:
    match metric:
        case model.Metric():
            if metric.denominator is not None or metric.snapshot:
                return "line"
            side = project.catalog.metrics[metric.name].numerator  # parsed: sum(x), avg(x)
            if side.metric:
                return shape(project, project.metrics[side.metric])
            from sales_metrics.engine.sql import additive

            return "bar" if side.expr is not None and additive(side.expr) else "line"
        case model.EntityMetric():
            return "bar" if metric.aggregate in ("count", "sum") else "line"
        case model.CumulativeMetric():
            return shape(project, project.metrics[metric.of])
        case model.ComparisonMetric():
            return shape(project, project.metrics[metric.of]) \
                if metric.change == "previous" else "line"
        case (model.FormulaMetric() | model.ConversionMetric() | model.BalanceMetric()
              | model.ShareMetric()):
            return "line"
        case _:
            assert_never(metric)


def _group(group: tuple) -> str:
    return " · ".join("(empty)" if v is None else str(v) for v in group)


def _rows(k: Kpi) -> list[dict]:
    return [{"period": day.isoformat() if day is not None else "", "label": k.label(day),
             "group": _group(group), "value": r.value, "text": k.shown(r), "status": status(r)}
            for group, periods in k.series.items() for day, r in periods]


def _labels(k: Kpi) -> list[str]:
    days = sorted({day for periods in k.series.values() for day, _ in periods
                   if day is not None})
    return [k.label(day) for day in days] or [k.label(None)]


# ------------------------------------------------------------------------------ the chart

def _axis_format(alt: Any, k: Kpi, big: bool) -> Any:
    fmt = k.metric.format
    if fmt is Format.percent:
        return alt.Axis(format=".0%", title=None)
    if fmt is Format.currency:  # the symbol comes from the format locale (locale())
        return alt.Axis(format="$.3~s" if big else "$,.2~f", title=None)
    if fmt in (Format.days, Format.hours):
        unit = " d" if fmt is Format.days else " h"
        return alt.Axis(labelExpr=f"format(datum.value, ',.1~f') + '{unit}'", title=None)
    if fmt is Format.number:
        return alt.Axis(format=".3~s" if big else ",.4~g", title=None)
    assert_never(fmt)


def chart(alt: Any, k: Kpi, width: int = WIDTH, height: int = HEIGHT,
          titled: bool = False) -> Any:
    """One KPI's chart: its marks over the periods, the target as a rule."""
    rows = _rows(k)
    values = [abs(r["value"]) for r in rows if r["value"] is not None]
    big = max(values, default=0) >= 10_000
    grouped = bool(k.dims)
    kind = shape(k.project, k.metric)
    x = alt.X("label:O", sort=_labels(k), title=None,
              axis=alt.Axis(labelAngle=0 if len(_labels(k)) <= 12 else -45,
                            labelOverlap="greedy"))
    y = alt.Y("value:Q", axis=_axis_format(alt, k, big), scale=alt.Scale(zero=kind == "bar"))
    tips = [alt.Tooltip("label:N", title="Period")] + (
        [alt.Tooltip("group:N", title=" · ".join(k.dims))] if grouped else []) + [
        alt.Tooltip("text:N", title=k.metric.title), alt.Tooltip("status:N", title="Status")]
    base = alt.Chart(alt.InlineData(values=rows)).encode(x=x, y=y, tooltip=tips)
    by_status = alt.Color("status:N", legend=None, scale=alt.Scale(
        domain=list(COLOURS), range=list(COLOURS.values())))
    if grouped:
        layers = [base.mark_line(point=True).encode(color=alt.Color(
            "group:N", title=" · ".join(k.dims), legend=alt.Legend(labelLimit=200)))]
    elif kind == "bar":
        layers = [base.mark_bar().encode(color=by_status)]
    else:
        layers = [base.mark_line(color=COLOURS["no target"]),
                  base.mark_point(filled=True, size=60, opacity=1).encode(color=by_status)]
    layers += _target(alt, k, width)
    out = alt.layer(*layers).properties(width=width, height=height)
    if titled:  # an image has no page around it to name the KPI
        out = out.properties(title=alt.TitleParams(k.metric.title, subtitle=_subtitle(k),
                                                   anchor="start"))
    return out


def _target(alt: Any, k: Kpi, width: int) -> list:
    t = k.metric.target
    if t is None:
        return []
    goal = formatting.target(t, k.metric.format, k.currency,
                             decimals=getattr(k.metric, "decimals", None))
    line = alt.Chart(alt.InlineData(values=[{"target": t.value, "text": goal}]))
    y = alt.Y("target:Q")
    return [line.mark_rule(strokeDash=[6, 4], color=TARGET_COLOUR, size=2).encode(y=y),
            line.mark_text(align="right", baseline="bottom", dy=-3, color=TARGET_COLOUR)
            .encode(y=y, x=alt.value(width), text="text:N")]


def _subtitle(k: Kpi, most: int = 4) -> list[str]:
    lines = [" · ".join(part for part in _latest(k, group) if part).replace(": · ", ": ")
             for group in list(k.series)[:most]]
    more = len(k.series) - most
    return lines + ([f"and {more} more group{'s' * (more != 1)}"] if more > 0 else [])


def _latest(k: Kpi, group: tuple) -> tuple[str, ...]:
    """The group's latest period in words: period, value, status, gap, change."""
    day, r = k.series[group][-1]
    head = f"{_group(group)}, {k.label(day)}:" if group else f"{k.label(day)}:"
    gap = f"{k.delta(r.gap)} to target" if r.gap is not None else ""
    change = f"{k.delta(r.change)} on the period before" if r.change is not None else ""
    shown = status(r) if r.value is not None and k.metric.target is not None else ""
    return head, k.shown(r), shown, gap, change


def locale(project: "Project") -> dict:
    """The d3 number locale of the charts: the project's currency symbol."""
    return {"decimal": ".", "thousands": ",", "grouping": [3],
            "currency": [project.settings.currency_symbol, ""]}


def spec(alt: Any, k: Kpi, **size: Any) -> dict:
    """A chart's Vega-Lite JSON, with no URL in it (the schema's is left out)."""
    out = chart(alt, k, **size).to_dict()
    out.pop("$schema", None)
    return out


# ---------------------------------------------------------------------------- the images

def image(table: "pyarrow.Table", project: "Project", metrics: list[str], grain: str,
          fmt: str) -> bytes:
    """The charts stacked in one PNG or SVG, drawn by vl-convert (no browser)."""
    alt, vlc = libraries(f"--format {fmt}")
    many = len(metrics) > MANY
    charts = [chart(alt, kpi(table, project, n, metrics, grain), width=560,
                    height=110 if many else 160, titled=True) for n in metrics]
    whole = alt.vconcat(*charts, spacing=24).properties(
        title=alt.TitleParams(_heading(table, project, grain), fontSize=16, anchor="start"))
    vl = whole.to_dict()
    options = {"format_locale": locale(project), "allowed_base_urls": []}
    if fmt == "svg":
        return vlc.vegalite_to_svg(vl, **options).encode()
    return vlc.vegalite_to_png(vl, scale=1 if many else 2, **options)


def _heading(table: "pyarrow.Table", project: "Project", grain: str) -> str:
    return f"{project.settings.name} · {_span(table, project, grain)}"


def _span(table: "pyarrow.Table", project: "Project", grain: str) -> str:
    """The grain and the periods a result covers: by quarter · 2024 Q1 – 2025 Q4."""
    days = sorted(d for d in (table.column(readings.PERIOD).to_pylist()
                              if readings.PERIOD in table.column_names else []) if d is not None)
    span = (formatting.period(days[0], grain, project.settings) + " – "
            + formatting.period(days[-1], grain, project.settings)) if days else "whole range"
    return f"by {grain} · {span}"


# ------------------------------------------------------------------------------ the page

def safe_json(data: Any) -> str:
    """JSON to put inside <script>: ``<``, ``>``, ``&`` (and line separators) escaped, so no
    text in it can close the script or open a comment."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def bundle(vlc: Any) -> str:
    """Vega, Vega-Lite and vega-embed as one script (the version altair writes for)."""
    return vlc.javascript_bundle().replace("</script", "<\\/script")


def embed(specs: dict[str, dict], project: "Project") -> str:
    """The charts' specifications and options as JSON, read by CHARTS_JS."""
    options = {"renderer": "svg", "actions": False, "mode": "vega-lite",
               "formatLocale": locale(project)}
    return (f'<script type="application/json" id="chart-specs">{safe_json(specs)}</script>'
            f'<script type="application/json" id="chart-options">{safe_json(options)}</script>')


def latest(k: Kpi) -> str:
    """Each group's latest reading, as HTML."""
    out = []
    for group in k.series:
        head, value, shown, gap, change = _latest(k, group)
        state = {"on target": "on", "missed": "missed"}.get(shown, "none")
        out.append(f'<div class="reading {state}"><span class="when">{escape(head)}</span> '
                   f'<strong class="value">{escape(value)}</strong> '
                   + "".join(f'<span class="{c}">{escape(t)}</span> '
                             for c, t in (("status", shown), ("gap", gap), ("change", change))
                             if t) + "</div>")
    return f'<div class="latest">{"".join(out) or "<p class=none>no data</p>"}</div>'


def numbers(k: Kpi, last: int | None = None) -> str:
    """The numbers of the chart as an HTML table: the last ``last`` periods, or all."""
    heads = ["Period", *k.dims, "Value", "Status", "Gap to target", "Change"]
    rows = []
    for group, periods in k.series.items():
        for day, r in periods[-last:] if last else periods:
            cells = [("period", k.label(day))] + [("dim", _group((v,))) for v in group] + [
                ("value", k.shown(r)), ("status", status(r)), ("gap", k.delta(r.gap)),
                ("change", k.delta(r.change))]
            rows.append("<tr>" + "".join(f'<td class="{c}">{escape(t)}</td>'
                                         for c, t in cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    return f'<table class="numbers"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}' \
           "</tbody></table>"


def html(table: "pyarrow.Table", project: "Project", metrics: list[str], grain: str) -> str:
    """One self-contained page: per KPI its chart, its latest reading and its numbers."""
    alt, vlc = libraries("--format html")
    kpis = [kpi(table, project, n, metrics, grain) for n in metrics]
    specs = {f"chart-{i}": spec(alt, k) for i, k in enumerate(kpis) if charted(k)}
    cards = "\n".join(_card(k, i) for i, k in enumerate(kpis))
    by = f" · grouped by {', '.join(kpis[0].dims)}" if kpis and kpis[0].dims else ""
    header = (f"<h1>{escape(project.settings.name)} · KPI report</h1>"
              f"<p>{escape(_span(table, project, grain))}{escape(by)} · {len(kpis)} KPIs</p>")
    body = f'<nav class="toc">{"".join(_entry(k, i) for i, k in enumerate(kpis))}</nav>' \
           f"\n{cards}\n{embed(specs, project)}"
    return page(f"{escape(project.settings.name)} · KPI report", header, body,
                bundle(vlc) + "\n" + CHARTS_JS)


def _entry(k: Kpi, i: int) -> str:
    last = [k.shown(periods[-1][1]) for periods in k.series.values()]
    shown = last[0] if len(last) == 1 else f"{len(last)} groups"
    return (f'<a href="#kpi-{i}"><span>{escape(k.metric.title)}</span> '
            f'<strong>{escape(shown)}</strong></a>')


def _card(k: Kpi, i: int) -> str:
    m = k.metric
    goal = formatting.target(m.target, m.format, k.currency,
                             decimals=getattr(m, "decimals", None)) if m.target else "no target"
    about = f'<p class="lead">{escape(" ".join(m.description.split()))}</p>' \
        if m.description else ""
    return (f'<section class="card chart-card" id="kpi-{i}" data-name="{escape(k.name)}">'
            f'<h2>{escape(m.title)} <code>{escape(k.name)}</code></h2>{about}'
            f'<p class="goal">{escape(goal)}{escape(f" · owner {m.owner}" if m.owner else "")}'
            f'</p>{latest(k)}{chart_box(k, f"chart-{i}")}{numbers(k)}</section>')
