"""The HTML of `metrics docs` and of the chart report (`metrics run --format html`): one page
skeleton, its inline CSS, the index's search script and the script that draws the charts.

Everything is inline or beside the page (no CDN, no fonts to fetch), so the pages work from
file:// and on any static host. Callers escape every value they put in; nothing here formats
user text.
"""

from __future__ import annotations

CSS = """
:root { --ink:#1f2430; --muted:#5d6472; --line:#e3e6ec; --bg:#f6f7f9; --card:#fff;
  --accent:#2457c5; --good:#1a7f4b; --code:#f1f3f7; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { background: #1c2b4a; color: #fff; padding: 18px 0; }
header.top a { color: #cfe0ff; }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 24px; }
header.top h1 { margin: 0; font-size: 22px; font-weight: 600; }
header.top p { margin: 4px 0 0; color: #b9c6e0; font-size: 14px; }
main { padding: 24px 0 48px; }
.search { display: flex; gap: 12px; align-items: center; margin-bottom: 20px; }
.search input { flex: 1; font: inherit; padding: 10px 14px; border: 1px solid #c9ced8;
  border-radius: 8px; background: #fff; }
.search input:focus { outline: 2px solid var(--accent); border-color: transparent; }
.count { color: var(--muted); font-size: 14px; white-space: nowrap; }
section.group h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); margin: 24px 0 8px; }
ul.kpis { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); }
li.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 12px 14px; }
li.kpi .name { font-weight: 600; font-size: 16px; }
li.kpi code { font-size: 12px; color: var(--muted); background: none; padding: 0; }
li.kpi p { margin: 4px 0 8px; color: #3b4150; font-size: 14px; }
.tags { display: flex; flex-wrap: wrap; gap: 6px; }
.tag { font-size: 12px; padding: 1px 8px; border-radius: 999px; background: #eef1f7;
  color: #3b4150; }
.tag.owner { background: #e8f0ff; color: #1f4bb0; }
.tag.target { background: #e6f5ec; color: var(--good); }
.empty { color: var(--muted); padding: 24px 0; }
.crumb { font-size: 14px; margin-bottom: 8px; }
h1.kpi-title { font-size: 28px; margin: 0; }
h1.kpi-title code { font-size: 15px; font-weight: 400; color: var(--muted); margin-left: 8px; }
p.lead { font-size: 16px; color: #3b4150; margin: 6px 0 18px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: 10px; margin: 0 0 8px; }
dl.facts div { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 12px; }
dl.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .05em; }
dl.facts dd { margin: 2px 0 0; font-weight: 600; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin-top: 16px; }
.card h2 { font-size: 17px; margin: 0 0 10px; }
.card h3 { font-size: 14px; margin: 12px 0 6px; color: var(--muted); font-weight: 600; }
.words { font-size: 15px; }
.lines { margin: 8px 0 0; padding: 0; list-style: none; font-family: ui-monospace,
  SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; color: #3b4150; }
table.reads { border-collapse: collapse; width: 100%; font-size: 14px; }
table.reads th, table.reads td { text-align: left; padding: 6px 8px;
  border-bottom: 1px solid var(--line); vertical-align: top; }
table.reads th { font-size: 12px; color: var(--muted); text-transform: uppercase; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  background: var(--code); padding: 1px 5px; border-radius: 4px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.links { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.links ul { margin: 0; padding-left: 18px; }
.none { color: var(--muted); }
pre.sql { background: #0f1729; color: #e2e8f5; padding: 14px 16px; border-radius: 8px;
  overflow-x: auto; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  margin: 0; }
pre.sql code { background: none; padding: 0; color: inherit; font: inherit; }
pre.sql .kw { color: #8fb4ff; font-weight: 600; }
pre.sql .str { color: #a5e3b0; }
footer { color: var(--muted); font-size: 13px; padding: 24px 0; }
nav.toc { display: grid; gap: 6px 16px; grid-template-columns: repeat(auto-fill,
  minmax(240px, 1fr)); font-size: 14px; }
nav.toc a { display: flex; justify-content: space-between; gap: 8px; padding: 4px 8px;
  border-bottom: 1px solid var(--line); color: var(--ink); }
nav.toc strong { font-variant-numeric: tabular-nums; }
.chart-card .goal { color: var(--muted); font-size: 14px; margin: 0 0 8px; }
.latest { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 0 0 8px; font-size: 14px; }
.reading .value { font-size: 18px; font-variant-numeric: tabular-nums; }
.reading .status { font-weight: 600; }
.reading.on .status { color: var(--good); }
.reading.missed .status { color: #c43d3d; }
.reading .gap, .reading .change, .reading .when { color: var(--muted); }
.chart { overflow-x: auto; min-height: 60px; }
table.numbers { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
table.numbers th, table.numbers td { padding: 3px 10px; border-bottom: 1px solid var(--line);
  text-align: right; font-variant-numeric: tabular-nums; }
table.numbers th:first-child, table.numbers td.period, table.numbers td.dim,
  table.numbers td.status { text-align: left; }
table.numbers th { font-size: 12px; color: var(--muted); text-transform: uppercase; }
.tag.latest { background: #fff4e0; color: #6b4a00; }
.tag.latest.on { background: #e6f5ec; color: var(--good); }
.tag.latest.missed { background: #fde8e8; color: #a12d2d; }
"""

SEARCH_JS = """
(function () {
  var box = document.getElementById('search');
  var items = Array.prototype.slice.call(document.querySelectorAll('li.kpi'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('section.group'));
  var count = document.getElementById('count');
  var empty = document.getElementById('empty');
  function apply() {
    var terms = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item) {
      var text = item.getAttribute('data-search');
      var ok = terms.every(function (t) { return text.indexOf(t) !== -1; });
      item.hidden = !ok;
      if (ok) shown += 1;
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector('li.kpi:not([hidden])'); });
    count.textContent = shown + ' of ' + items.length + ' KPIs';
    empty.hidden = shown > 0;
  }
  box.addEventListener('input', apply);
  var q = new URLSearchParams(location.search).get('q');
  if (q) { box.value = q; }
  apply();
})();
"""


CHARTS_JS = """
(function () {
  var holder = document.getElementById('chart-specs');
  if (!holder) { return; }
  var specs = JSON.parse(holder.textContent);
  var options = JSON.parse(document.getElementById('chart-options').textContent);
  var ids = Object.keys(specs);
  window.metricsCharts = {};
  if (typeof vegaEmbed !== 'function') {
    ids.forEach(function (id) {
      document.getElementById(id).textContent = 'The charts need vega.js beside this page.';
    });
    document.body.setAttribute('data-charts', 'failed');
    return;
  }
  Promise.all(ids.map(function (id) {
    return vegaEmbed(document.getElementById(id), specs[id], options).then(function (result) {
      window.metricsCharts[id] = result.view;
    });
  })).then(function () {
    document.body.setAttribute('data-charts', 'ready');
  }, function (err) {
    document.body.setAttribute('data-charts', 'failed');
    console.error(err);
  });
})();
"""


def page(title: str, header: str, body: str, script: str = "", src: str = "") -> str:
    """A whole HTML page; ``title``, ``header`` and ``body`` are already escaped HTML.
    ``src``: a script file of ours beside the page, loaded before ``script``."""
    js = (f'<script src="{src}"></script>' if src else "") \
        + (f"<script>{script}</script>" if script else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="metrics docs">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><div class="wrap">{header}</div></header>
<main><div class="wrap">
{body}
</div></main>
{js}
</body>
</html>
"""
