"""`metrics docs`: a static, searchable HTML catalog of every KPI.

``index.html`` lists the KPIs by file with a search box that filters them as you type;
``kpi/<name>.html`` shows one KPI: what it means, the formula in words, its dimensions, the
sources and columns it reads, the metrics it uses and those that use it (linked both ways),
and its SQL. Pages are plain files with inline CSS and JavaScript, so they work from file://
and on any static host. Every value from the definitions is escaped.

With ``--with-values`` the KPIs are run first (on the project's connection, or the one named):
each page then shows the KPI's latest periods against its target and its chart
(cli/charts.py), and the index each KPI's latest value. The metrics are run at the requested
grain, or each at its own (one query per grain); one that cannot run at that grain (a quota kept
per quarter, asked by month) is listed with the reason instead of values. The charts' script
(Vega, about 1 MB) is written once, as ``vega.js`` beside ``index.html``.

The folder is built next to the target and moved into place: written whole or not at all.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sales_metrics.engine.diagnostics import MetricsError, UsageError

from . import formatting, lineage
from .docs_template import CHARTS_JS, SEARCH_JS, page

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project

    from . import charts

MARKER = ".metrics-docs"  # a folder with it was written by this command and may be replaced
SQL_DIALECT = "duckdb"
KEYWORDS = re.compile(
    r"\b(SELECT|FROM|WHERE|GROUP|BY|ORDER|WITH|AS|LEFT|JOIN|ON|AND|OR|NOT|IS|NULL|CASE|WHEN|"
    r"THEN|ELSE|END|CAST|IN|OVER|PARTITION|ROWS|BETWEEN|PRECEDING|CURRENT|ROW|UNION|ALL|"
    r"DISTINCT|INTERVAL|HAVING|LIMIT|FILTER|COALESCE|NULLIF|DATE|DOUBLE)\b")
STRING = re.compile(r"('(?:[^']|'')*')")
BUNDLE = "vega.js"  # the charts' script, once for every page
RECENT = 6  # periods in the table of latest values


@dataclass(frozen=True)
class Values:
    """What --with-values computed for a KPI: the result it is a column of, at a grain."""

    table: "pyarrow.Table"
    metrics: list[str]
    grain: str

    def kpi(self, project: Project, name: str) -> "charts.Kpi":
        from . import charts

        return charts.kpi(self.table, project, name, self.metrics, self.grain)


Computed = dict[str, "Values | str"]  # per KPI its values, or why it has none


def write_docs(project: Project, output: Path, values=None, options: dict | None = None) -> None:
    """Write the catalog to ``output``; ``values`` (a connections.Where): run the KPIs there
    first, with ``options`` (grain, start, end), and show their values."""
    target = Path(os.path.abspath(output.expanduser()))
    if target.exists() and not _replaceable(target):
        raise UsageError(f"{output} exists and was not written by `metrics docs`; choose "
                         "another --output, or empty that folder first")
    computed = compute(project, values, options or {}) if values is not None else None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as err:  # a file where a folder should be, a folder that is read-only
        raise UsageError(f"cannot write {output}: {err.strerror or err}"
                         + (f": {err.filename}" if err.filename else "")) from None
    try:
        pages = build(project, tmp, computed)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    typer.echo(f"wrote {pages} pages to {output} (open {output / 'index.html'})", err=True)


def _replaceable(folder: Path) -> bool:
    return folder.is_dir() and ((folder / MARKER).is_file() or not any(folder.iterdir()))


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is; the old folder is removed only once ``new`` is there."""
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def compute(project: Project, values, options: dict) -> Computed:
    """Run every KPI on the connection ``values`` opens: one query per grain (the requested
    one, else each KPI's own); a KPI that cannot run at its grain gets the reason instead."""
    from . import charts

    charts.libraries("--with-values")  # before connecting: the extra may be missing
    grains: dict[str, list[str]] = {}
    for name in sorted(project.catalog.metrics):
        grain = options.get("grain") or project.metrics[name].grain.value
        grains.setdefault(grain, []).append(name)
    computed: Computed = {}
    with values.open(project) as conn:
        for grain, names in grains.items():
            request = {"grain": grain, "by": [], "start": options.get("start"),
                       "end": options.get("end"), "where": []}
            ok, skipped = project.runnable(names, **request)
            computed |= {n: f"not computed by {grain}: {why}" for n, why in skipped.items()}
            if ok:
                sql = project.compile(ok, dialect=conn.dialect, **request)
                table = project.check_rows(conn.execute(sql))
                computed |= {n: Values(table, ok, grain) for n in ok}
    return computed


def build(project: Project, folder: Path, computed: Computed | None = None) -> int:
    """Write every page into ``folder``; the number of pages."""
    (folder / "kpi").mkdir()
    names = sorted(project.catalog.metrics)
    if computed is not None:
        from . import charts

        _, vlc = charts.libraries("--with-values")
        (folder / BUNDLE).write_text(charts.bundle(vlc), encoding="utf-8")
    for name in names:
        (folder / "kpi" / f"{name}.html").write_text(kpi_page(project, name, computed),
                                                   encoding="utf-8")
    (folder / "index.html").write_text(index_page(project, computed), encoding="utf-8")
    (folder / MARKER).write_text("written by `metrics docs`; the folder is replaced whole on "
                                 "the next run\n", encoding="utf-8")
    return len(names) + 1


def _header(project: Project, subtitle: str, home: str | None = None) -> str:
    name = escape(project.settings.name)
    title = f'<a href="{home}">{name}</a>' if home else name
    return f"<h1>{title} · KPI catalog</h1><p>{escape(subtitle)}</p>"


# ---------------------------------------------------------------------------------- index

def index_page(project: Project, computed: Computed | None = None) -> str:
    groups: dict[str, list[str]] = {}
    for name, resolved in project.catalog.metrics.items():
        groups.setdefault(Path(resolved.model.spans.path).stem, []).append(name)
    total = len(project.catalog.metrics)
    sections = "\n".join(
        f'<section class="group"><h2>{escape(group.replace("_", " "))}</h2>'
        f'<ul class="kpis">{"".join(_card(project, n, computed) for n in names)}</ul></section>'
        for group, names in sorted(groups.items()))
    body = f"""<div class="search">
<input id="search" type="search" autocomplete="off" autofocus
  placeholder="Search KPIs by name, label, description or owner"
  aria-label="Search KPIs">
<span class="count" id="count">{total} KPIs</span>
</div>
{sections}
<p class="empty" id="empty" hidden>No KPI matches the search.</p>
<footer>Generated by <code>metrics docs</code> from the definitions in git.</footer>"""
    return page(f"{escape(project.settings.name)} · KPI catalog",
                _header(project, f"{total} KPIs, each defined once in YAML"), body, SEARCH_JS)


def _card(project: Project, name: str, computed: Computed | None = None) -> str:
    m = project.catalog.metrics[name].model
    search = " ".join([name, m.label or "", m.description or "", m.owner or ""]).lower()
    tags = [_latest_tag(project, name, computed[name])] if computed is not None else []
    tags += [f'<span class="tag owner">{escape(m.owner)}</span>'] if m.owner else []
    tags.append(f'<span class="tag">{escape(m.format.value)}</span>')
    if m.target:
        goal = formatting.target(m.target, m.format, project.settings.currency_symbol)
        tags.append(f'<span class="tag target">{escape(goal)}</span>')
    description = f"<p>{escape(_squash(m.description))}</p>" if m.description else ""
    return (f'<li class="kpi" data-name="{escape(name)}" data-search="{escape(_squash(search))}">'
            f'<a class="name" href="kpi/{name}.html">{escape(m.title)}</a> '
            f"<code>{escape(name)}</code>{description}"
            f'<div class="tags">{"".join(tags)}</div></li>')


def _latest_tag(project: Project, name: str, values: Values | str) -> str:
    """The KPI's latest value on its card: period, value, ✓ on target or ✗ missed."""
    if isinstance(values, str):
        return '<span class="tag latest">not computed</span>'
    from . import charts

    k = values.kpi(project, name)
    periods = k.series.get((), [])
    if not periods:
        return '<span class="tag latest">no data</span>'
    day, reading = periods[-1]
    mark = {True: (" ✓", " on"), False: (" ✗", " missed")}.get(reading.on_target, ("", ""))
    return (f'<span class="tag latest{mark[1]}" title="{escape(charts.status(reading))}">'
            f"{escape(k.label(day))}: {escape(k.shown(reading))}{mark[0]}</span>")


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


# ------------------------------------------------------------------------------- KPI page

def kpi_page(project: Project, name: str, computed: Computed | None = None) -> str:
    m = project.catalog.metrics[name].model
    about = lineage.lineage(project, name)
    lead = f'<p class="lead">{escape(_squash(m.description))}</p>' if m.description else ""
    values, script = _values(project, name, computed[name]) if computed is not None \
        else ("", "")
    body = f"""<div class="crumb"><a href="../index.html">← All KPIs</a></div>
<h1 class="kpi-title">{escape(m.title)}<code>{escape(name)}</code></h1>
{lead}
{_facts(project, name)}
{values}
<div class="card" id="definition"><h2>Definition</h2>
<p class="words">{_linked(lineage.in_words(project, name))}</p>
<ul class="lines">{"".join(f"<li>{escape(line.strip())}</li>" for line in about.definition)}</ul>
<h3>Dimensions</h3>{_chips(about.dimensions)}
</div>
{_lineage(project, about)}
<div class="card" id="sql">
<h2>SQL <span class="none">({SQL_DIALECT}, by {m.grain.value})</span></h2>
<pre class="sql"><code>{_sql(project, name)}</code></pre></div>
<footer>Generated by <code>metrics docs</code>.</footer>"""
    return page(f"{escape(m.title)} · {escape(project.settings.name)}",
                _header(project, f"defined in {_where(project, name)}", "../index.html"), body,
                script, src=f"../{BUNDLE}" if script else "")


def _values(project: Project, name: str, values: Values | str) -> tuple[str, str]:
    """The card of the KPI's latest values and its chart, and the script that draws it."""
    if isinstance(values, str):
        return (f'<div class="card" id="values"><h2>Latest values</h2>'
                f'<p class="none">{escape(values)}</p></div>', "")
    from . import charts

    alt, _ = charts.libraries("--with-values")
    k = values.kpi(project, name)
    card = (f'<div class="card chart-card" id="values"><h2>Latest values <span class="none">'
            f"(by {escape(values.grain)})</span></h2>{charts.latest(k)}"
            f'{charts.chart_box(k, "chart-0")}{charts.numbers(k, last=RECENT)}</div>'
            + charts.embed({"chart-0": charts.spec(alt, k)} if charts.charted(k) else {},
                           project))
    return card, CHARTS_JS


def _facts(project: Project, name: str) -> str:
    m = project.catalog.metrics[name].model
    target = formatting.target(m.target, m.format, project.settings.currency_symbol) \
        .removeprefix("target ") if m.target else "none"
    facts = [("Owner", m.owner or "none"), ("Format", m.format.value), ("Target", target),
             ("Default grain", m.grain.value), ("Kind", _kind(m))]
    return '<dl class="facts">' + "".join(
        f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts) + "</dl>"


def _kind(m) -> str:
    kind = type(m).__name__.removesuffix("Metric").lower()
    return kind or ("ratio" if getattr(m, "denominator", None) else "simple")


def _lineage(project: Project, about: lineage.Lineage) -> str:
    sources = project.catalog.sources
    rows = "".join(
        f"<tr><td><code>{escape(src)}</code></td>"
        f"<td>{escape(_squash(sources[src].model.description)) if src in sources else ''}</td>"
        f"<td>{', '.join(f'<code>{escape(c)}</code>' for c in cols)}</td></tr>"
        for src, cols in about.columns.items())
    reads = (f'<table class="reads"><tr><th>Source</th><th>What it holds</th><th>Columns read'
             f"</th></tr>{rows}</table>") if rows else '<p class="none">No source directly.</p>'
    return f"""<div class="card" id="lineage"><h2>Lineage</h2>
<h3>Reads</h3>{reads}
<div class="links">
<div id="uses"><h3>Uses metrics</h3>{_metric_links(project, about.uses)}</div>
<div id="used-by"><h3>Used by</h3>{_metric_links(project, about.used_by)}</div>
</div></div>"""


def _metric_links(project: Project, names: list[str]) -> str:
    if not names:
        return '<p class="none">none</p>'
    items = "".join(f'<li><a href="{n}.html">{escape(project.catalog.metrics[n].model.title)}'
                    f"</a> <code>{escape(n)}</code></li>" for n in names)
    return f"<ul>{items}</ul>"


def _chips(names: list[str]) -> str:
    if not names:
        return '<p class="none">none: periods only</p>'
    return '<div class="chips">' + "".join(f'<span class="tag">{escape(n)}</span>'
                                           for n in names) + "</div>"


def _linked(sentence: str) -> str:
    """A sentence from :func:`lineage.in_words`, escaped, with its metric names as links."""
    parts = sentence.split(lineage.REF)
    return "".join(f'<a href="{p}.html"><code>{escape(p)}</code></a>' if i % 2 else escape(p)
                   for i, p in enumerate(parts))


def _sql(project: Project, name: str) -> str:
    try:
        by = getattr(project.metrics[name], "across", None) or []  # a share, by its groups
        text = project.compile([name], dialect=SQL_DIALECT, by=by)
    except MetricsError as err:
        return escape(f"-- cannot be compiled for {SQL_DIALECT}: {err}")
    out = []
    for i, part in enumerate(STRING.split(text)):
        if i % 2:
            out.append(f'<span class="str">{escape(part)}</span>')
        else:
            out.append(KEYWORDS.sub(lambda k: f'<span class="kw">{k[0]}</span>', escape(part)))
    return "".join(out)


def _where(project: Project, name: str) -> str:
    span = project.catalog.metrics[name].model.spans.value(("name",))
    try:
        shown = Path(span.path).resolve().relative_to(Path(project.root).resolve().parent)
    except ValueError:
        shown = Path(span.path)
    return f"{shown.as_posix()}:{span.line}"
