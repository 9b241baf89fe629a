"""`metrics run --format html|png|svg`: charts against targets (cli/charts.py).

Checked as a person sees them: the report opened from disk in headless Chromium (the fixture of
test_docs.py), its rendered SVG counted and measured against its own axis; the numbers under
each chart against pandas on the sample data; the images decoded; hostile labels inert.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import test_docs
from support import ROOT

browser = test_docs.browser  # the same headless Chromium (skips off CI, fails under CI=true)
SVG = "{http://www.w3.org/2000/svg}"


def _win_rate() -> dict:
    import yaml

    text = (ROOT / "metrics" / "conversion.yml").read_text()
    return next(m for m in yaml.safe_load(text)["metrics"] if m["name"] == "win_rate")


TARGET = _win_rate()["target"]["value"]  # 0.25, higher is better
MIN_CLOSED = _win_rate()["min_denominator"]  # fewer closed deals: not enough data


# ------------------------------------------------------------------- oracles (pandas only)

def _label(period) -> str:
    return f"{period.year} Q{period.quarter}" if period.freqstr.startswith("Q") \
        else f"{period.year}-{period.month:02d}"


def closed(frames, freq: str):
    """Won and lost opportunities with their period (of closed_at) and their rep's region."""
    d = frames["opportunities"]
    d = d[d["stage"].isin(["won", "lost"]) & d["closed_at"].notna()]
    d = d.merge(frames["reps"][["rep_id", "region"]], left_on="owner_rep_id",
                right_on="rep_id", how="left")
    return d.assign(period=d["closed_at"].dt.to_period(freq))


def win_rates(frames, freq: str = "Q") -> dict[str, float | None]:
    out = {}
    for period, rows in closed(frames, freq).groupby("period"):
        out[_label(period)] = (rows["stage"] == "won").mean() if len(rows) >= MIN_CLOSED else None
    return out


def won_revenue(frames, freq: str = "Q") -> dict[str, float]:
    d = closed(frames, freq)
    d = d[d["stage"] == "won"]
    return {_label(p): float(rows["amount"].sum()) for p, rows in d.groupby("period")}


def win_rates_by_region(frames) -> dict[tuple[str, str], float | None]:
    out = {}
    for (period, region), rows in closed(frames, "Q").groupby(["period", "region"]):
        out[(_label(period), region)] = \
            (rows["stage"] == "won").mean() if len(rows) >= MIN_CLOSED else None
    return out


def percent(text: str) -> float:
    assert text.endswith("%"), text
    return float(text[:-1]) / 100


def money(text: str, symbol: str = "$") -> float:
    sign = -1 if text.startswith("-") else 1
    text = text.removeprefix("-")
    assert text.startswith(symbol), text
    return sign * float(text[len(symbol):].replace(",", ""))


# ------------------------------------------------------------------- reading the files

class Cards(HTMLParser):
    """Per KPI card (section[data-name]) of a page: the rows of its numbers table, each a
    dict of cell class -> text, and the text of its latest reading."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.latest: dict[str, str] = {}
        self._card = self._cell = None
        self._in_latest = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "data-name" in a:
            self._card = a["data-name"]
            self.rows[self._card], self.latest[self._card] = [], ""
        elif self._card and tag == "tr" and self._in_latest == 0:
            self.rows[self._card].append({})
        elif self._card and tag == "td":
            self._cell = a.get("class")
        if self._card and tag == "div" and ("latest" in (a.get("class") or "").split()
                                            or self._in_latest):
            self._in_latest += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self._card = None
        elif tag == "td":
            self._cell = None
        elif tag == "tr" and self._card and self.rows[self._card][-1] == {}:
            self.rows[self._card].pop()  # a header row: no cells
        elif tag == "div" and self._in_latest:
            self._in_latest -= 1

    def handle_data(self, data):
        if self._card and self._cell:
            row = self.rows[self._card][-1]
            row[self._cell] = row.get(self._cell, "") + data
        if self._card and self._in_latest:
            self.latest[self._card] += data


class Links(HTMLParser):
    """Every src and href of the page's elements, and the inline scripts' openings."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.urls += [(tag, k, v or "") for k, v in attrs if k in ("src", "href", "srcset")]


def png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the raw (filtered) scan lines of an 8-bit PNG, decoded by hand."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[at + 8 + length:
                                                                  at + 12 + length])[0]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour = header[:4]
    assert depth == 8 and colour in (2, 6)  # RGB or RGBA
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + width * (3 if colour == 2 else 4))
    return width, height, raw


def svg_marks(root, chart: int, mark: str) -> list:
    """The drawn items of one kind of mark ('symbol', 'rect', 'rule', 'line') of the
    ``chart``-th chart of a vconcat image."""
    found = []
    for g in root.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        if f"mark-{mark}" in classes and "role-mark" in classes and any(
                c.startswith(f"concat_{chart}_") for c in classes):
            found += [e for e in g if e.tag in (f"{SVG}path", f"{SVG}line")]
    return found


# ------------------------------------------------------------------------------- files

@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The report files, written by `metrics run` in a subprocess, as a user would."""
    from support import run_cli

    folder = tmp_path_factory.mktemp("charts")
    runs = {"report.html": ("--grain=quarter", "-m", "win_rate", "-m", "won_revenue"),
            "report.png": ("--grain=quarter", "-m", "win_rate", "-m", "won_revenue",
                           "--format", "png"),
            "report.svg": ("--grain=quarter", "-m", "win_rate", "-m", "won_revenue"),
            "region.html": ("--grain=quarter", "-m", "win_rate", "-m", "deals_won",
                            "--by", "region"),
            "region.svg": ("--grain=quarter", "-m", "win_rate", "--by", "region")}
    for name, args in runs.items():
        result = run_cli("run", *args, "--output", str(folder / name))
        assert result.returncode == 0, result.stderr
        assert f"wrote {folder / name}" in result.stderr
    return folder


def test_the_numbers_under_each_chart_are_the_sample_data_computed_by_pandas(reports, frames):
    cards = Cards((reports / "report.html").read_text())
    rates, revenue = win_rates(frames), won_revenue(frames)
    shown = {r["period"]: r for r in cards.rows["win_rate"]}
    assert list(shown) == sorted(rates) and len(rates) >= 4
    for label, rate in rates.items():
        row = shown[label]
        assert rate is not None, "every sample quarter has enough closed deals"
        assert percent(row["value"]) == pytest.approx(rate, abs=0.00051), label
        assert row["status"] == ("on target" if rate >= TARGET else "missed"), label
        assert float(row["gap"].removesuffix(" pts")) == pytest.approx(
            (rate - TARGET) * 100, abs=0.051), label
    quarters = sorted(rates)
    for before, label in zip(quarters, quarters[1:]):
        change = float(shown[label]["change"].removesuffix(" pts"))
        assert change == pytest.approx((rates[label] - rates[before]) * 100, abs=0.051)
    dollars = {r["period"]: money(r["value"]) for r in cards.rows["won_revenue"]}
    assert dollars.keys() == revenue.keys()
    for label, amount in revenue.items():
        assert dollars[label] == pytest.approx(amount, abs=0.5), label
    last = quarters[-1]  # the latest reading, above the chart
    latest = " ".join(cards.latest["win_rate"].split())
    assert latest.startswith(f"{last}: {rates[last] * 100:.1f}%")
    assert ("on target" if rates[last] >= TARGET else "missed") in latest
    assert "no data" not in latest and "not enough data" not in latest


def test_nothing_is_fetched_from_the_network(reports):
    for name in ("report.html", "region.html"):
        html = (reports / name).read_text()
        urls = Links(html).urls  # no <script src>, <link href>, <img src>: links within it
        assert urls and all(v.startswith("#") for _, _, v in urls), (name, urls)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all("src" not in s for s in scripts)
        assert "vegaEmbed" in html and len(html) > 500_000  # the libraries are inline


def test_the_png_is_a_real_picture_of_the_charts(reports):
    data = (reports / "report.png").read_bytes()
    width, height, raw = png(data)
    assert 800 <= width <= 3000 and 800 <= height <= 6000, (width, height)
    assert height > width * 0.5  # two charts, one above the other
    assert len(set(raw)) > 50  # lines, bars, text: not a blank or single-colour image


def test_the_svg_has_a_mark_per_period_and_the_target_rule(reports, frames):
    root = ET.parse(reports / "report.svg").getroot()
    quarters = len(win_rates(frames))
    assert len(svg_marks(root, 0, "symbol")) == quarters  # win rate: a point per quarter
    assert len(svg_marks(root, 1, "rect")) == len(won_revenue(frames)) == quarters  # bars
    assert len(svg_marks(root, 0, "rule")) == 1  # win rate's target
    assert svg_marks(root, 1, "rule") == []  # won revenue has no target
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Opportunity win rate" in texts and "Won revenue" in texts
    assert "target ≥ 25.0%" in texts


def test_grouped_svg_draws_a_line_per_region(reports, frames):
    root = ET.parse(reports / "region.svg").getroot()
    expected = win_rates_by_region(frames)
    regions = {region for _, region in expected}
    assert len(svg_marks(root, 0, "line")) == len(regions)
    points = [v for v in expected.values() if v is not None]  # an empty rate has no point
    assert len(svg_marks(root, 0, "symbol")) == len(points)
    legend = {"".join(t.itertext()) for g in root.iter(f"{SVG}g")
              if "role-legend-label" in (g.get("class") or "") for t in g.iter(f"{SVG}text")}
    assert legend == regions


def test_grouped_page_has_a_row_per_period_and_region(reports, frames):
    cards = Cards((reports / "region.html").read_text())
    expected = win_rates_by_region(frames)
    rows = {(r["period"], r["dim"]): r for r in cards.rows["win_rate"]}
    assert rows.keys() == expected.keys()
    for key, rate in expected.items():
        if rate is None:
            assert rows[key]["value"] == "not enough data", key
        else:
            assert percent(rows[key]["value"]) == pytest.approx(rate, abs=0.00051), key
    last = max(period for period, _ in expected)
    latest = " ".join(cards.latest["win_rate"].split())
    for region in {region for _, region in expected}:  # each region's latest reading
        rate = expected[(last, region)]
        shown = f"{rate * 100:.1f}%" if rate is not None else "not enough data"
        assert f"{region}, {last}: {shown}" in latest, region


def test_without_the_report_extra_one_clean_line(project, duck, monkeypatch):
    import sys

    from sales_metrics.cli import charts
    from sales_metrics.engine.diagnostics import UsageError

    table = project.query(["win_rate"], grain="quarter", connection=duck)
    monkeypatch.setitem(sys.modules, "altair", None)  # `import altair` now fails
    with pytest.raises(UsageError) as err:
        charts.html(table, project, ["win_rate"], "quarter")
    assert str(err.value) == ("--format html needs the report extra: pip install "
                              "'sales-metrics[report]'")
    with pytest.raises(UsageError, match="^--format png needs the report extra"):
        charts.image(table, project, ["win_rate"], "quarter", "png")


def test_the_cli_starts_without_loading_the_chart_libraries():
    import subprocess
    import sys

    code = ("import sys, sales_metrics.cli.main, sales_metrics.cli.output, "
            "sales_metrics.cli.charts; print(sorted(m for m in ('altair', 'vl_convert') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def hostile_project(tmp_path: Path) -> Path:
    import shutil

    project = tmp_path / "metrics"
    shutil.copytree(ROOT / "metrics", project)
    conversion = project / "conversion.yml"
    text = conversion.read_text()
    text = text.replace("label: Opportunity win rate",
                        "label: '</script><script>alert(1)</script>'", 1)
    text = text.replace(
        "description: Won opportunities over all opportunities closed (won or lost) in the "
        "period.", "description: '<img src=x onerror=\"document.title=1\"><b id=bold>won</b>'",
        1)
    conversion.write_text(text)
    settings = project / "project.yml"
    data = (ROOT / "examples" / "data").as_posix()  # the sample, where it is
    settings.write_text(settings.read_text().replace('currency_symbol: "$"', 'currency_symbol: "€"')
                        .replace("../examples/data", data))
    return project


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from support import run_cli

    folder = tmp_path_factory.mktemp("hostile")
    project = hostile_project(folder)
    for name in ("hostile.html", "hostile.svg"):
        result = run_cli("run", "-p", str(project), "--grain=quarter", "-m", "win_rate",
                         "-m", "won_revenue", "--output", str(folder / name))
        assert result.returncode == 0, result.stderr
    return folder


def test_hostile_text_is_escaped_in_the_page(hostile):
    html = (hostile / "hostile.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b id" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;document.title=1&quot;&gt;" in html
    specs = re.search(r'<script type="application/json" id="chart-specs">(.*?)</script>',
                      html, flags=re.S)[1]
    assert "<" not in specs and ">" not in specs and "&" not in specs
    assert r"\u003c/script\u003e" in specs  # the label, as data for the tooltips


def test_currency_symbol_of_the_project(hostile, frames):
    cards = Cards((hostile / "hostile.html").read_text())
    revenue = won_revenue(frames)
    for row in cards.rows["won_revenue"]:
        assert money(row["value"], "€") == pytest.approx(revenue[row["period"]], abs=0.5)
    root = ET.parse(hostile / "hostile.svg").getroot()
    labels = [
        "".join(t.itertext()) for g in root.iter(f"{SVG}g")
        if "role-axis-label" in (g.get("class") or "") for t in g.iter(f"{SVG}text")]
    euros = [t for t in labels if t.startswith("€")]
    assert len(euros) >= 3 and not any(t.startswith("$") for t in labels)


# ------------------------------------------------------------------------- in a browser

def open_report(driver, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-charts"))
    assert driver.find_element("tag name", "body").get_attribute("data-charts") == "ready"


def drawn(driver, chart: str) -> dict:
    """What a chart drew, read from its SVG: the y (in plot pixels) of each point, bar and
    rule; the y axis as (pixel, label) ticks; the line paths; the legend labels."""
    return driver.execute_script("""
        var svg = document.querySelector('#' + arguments[0] + ' svg');
        function marks(kind) {
          return Array.prototype.slice.call(svg.querySelectorAll(
            'g.mark-' + kind + '.role-mark > *'));
        }
        function y(el) {
          var m = /translate\\(([-\\d.e]+),\\s*([-\\d.e]+)\\)/.exec(el.getAttribute('transform')
                                                                  || '');
          return m ? parseFloat(m[2]) : null;
        }
        var axis = Array.prototype.slice.call(svg.querySelectorAll('g.role-axis'))
          .filter(function (g) { return /^Y-axis/.test(g.getAttribute('aria-label') || ''); })[0];
        var ticks = Array.prototype.slice.call(axis.querySelectorAll('g.role-axis-tick line'));
        var labels = Array.prototype.slice.call(axis.querySelectorAll('g.role-axis-label text'));
        return {
          points: marks('symbol').map(y),
          bars: marks('rect').map(function (el) {
            var m = /^M[-\\d.e]+,([-\\d.e]+)/.exec(el.getAttribute('d')); return parseFloat(m[1]);
          }),
          rules: marks('rule').map(y),
          lines: marks('line').length,
          ticks: ticks.map(function (t, i) { return [y(t), labels[i].textContent]; }),
          legend: Array.prototype.slice.call(svg.querySelectorAll('g.role-legend-label text'))
            .map(function (t) { return t.textContent; })
        };""", chart)


def axis_value(ticks: list, pixel: float, parse) -> float:
    """The value at ``pixel`` on a linear y axis, from two of its labelled ticks."""
    (y0, a), (y1, b) = ticks[0], ticks[-1]
    a, b = parse(a), parse(b)
    return a + (pixel - y0) * (b - a) / (y1 - y0)


@pytest.mark.browser
def test_report_in_a_browser(reports, browser, frames, tmp_path):
    from selenium.webdriver.common.by import By

    open_report(browser, reports / "report.html")
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    width, height, raw = png(shot.read_bytes())
    assert width >= 800 and height >= 600 and len(set(raw)) > 50

    rates, revenue = win_rates(frames), won_revenue(frames)
    charts = {s.get_attribute("data-name"): s.find_element(By.CSS_SELECTOR, "div.chart")
              .get_attribute("id") for s in browser.find_elements(By.CSS_SELECTOR,
                                                                   "section[data-name]")}
    assert set(charts) == {"win_rate", "won_revenue"}

    rate = drawn(browser, charts["win_rate"])
    assert len(rate["points"]) == len(rates) and rate["bars"] == []  # a point per quarter
    assert all(t.endswith("%") for _, t in rate["ticks"])
    assert len(rate["rules"]) == 1  # the target, where the axis says 25%
    assert axis_value(rate["ticks"], rate["rules"][0], percent) == pytest.approx(TARGET,
                                                                                 abs=0.002)
    scale = browser.execute_script(
        "return window.metricsCharts[arguments[0]].scale('y')(arguments[1])",
        charts["win_rate"], TARGET)
    assert rate["rules"][0] == pytest.approx(scale, abs=1)
    for y, expected in zip(rate["points"], rates.values()):  # each point at its value
        assert axis_value(rate["ticks"], y, percent) == pytest.approx(expected, abs=0.002)

    money_ = drawn(browser, charts["won_revenue"])
    assert len(money_["bars"]) == len(revenue) and money_["points"] == []  # a bar per quarter
    assert money_["rules"] == []  # no target
    assert all(t.startswith("$") for _, t in money_["ticks"])

    rows = browser.find_elements(By.CSS_SELECTOR, 'section[data-name="win_rate"] '
                                 "table.numbers tbody tr")
    seen = {r.find_element(By.CSS_SELECTOR, "td.period").text:
            percent(r.find_element(By.CSS_SELECTOR, "td.value").text) for r in rows}
    assert seen == pytest.approx(rates, abs=0.00051)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert [r for r in resources if not r.startswith("file:")] == []


@pytest.mark.browser
def test_grouped_report_in_a_browser(reports, browser, frames):
    from selenium.webdriver.common.by import By

    open_report(browser, reports / "region.html")
    expected = win_rates_by_region(frames)
    regions = sorted({region for _, region in expected})
    chart = browser.find_element(By.CSS_SELECTOR, 'section[data-name="win_rate"] div.chart')
    seen = drawn(browser, chart.get_attribute("id"))
    assert seen["lines"] == len(regions) and seen["legend"] == regions
    assert len(seen["points"]) == sum(v is not None for v in expected.values())
    assert len(seen["rules"]) == 1


@pytest.mark.browser
def test_hostile_labels_do_not_run_in_a_browser(hostile, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    open_report(browser, hostile / "hostile.html")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert
    assert browser.title != "1"
    assert browser.find_elements(By.CSS_SELECTOR, "main img, #bold") == []
    heading = browser.find_element(By.CSS_SELECTOR, 'section[data-name="win_rate"] h2')
    assert heading.text.startswith("</script><script>alert(1)</script>")  # shown, literally
    lead = browser.find_element(By.CSS_SELECTOR, 'section[data-name="win_rate"] p.lead')
    assert lead.text == '<img src=x onerror="document.title=1"><b id=bold>won</b>'


@pytest.mark.browser
def test_the_whole_catalog_makes_a_usable_page_and_image(browser, tmp_path, cli):
    import json

    numbers = cli("run", "--grain=month", "--format", "json")
    assert numbers.returncode == 0, numbers.stderr
    columns = set(json.loads(numbers.stdout)[0]) - {"period"}
    assert len(columns) > 40
    page, picture = tmp_path / "all.html", tmp_path / "all.png"
    for out in (page, picture):
        result = cli("run", "--grain=month", "--output", str(out))
        assert result.returncode == 0, result.stderr
    width, height, _ = png(picture.read_bytes())
    assert 500 <= width <= 2500 and height > 40 * 100  # every chart, stacked
    open_report(browser, page)
    from selenium.webdriver.common.by import By

    cards = browser.find_elements(By.CSS_SELECTOR, "section[data-name]")
    assert {c.get_attribute("data-name") for c in cards} == columns
    assert len(browser.find_elements(By.CSS_SELECTOR, "section[data-name] div.chart svg")) \
        == len(columns)


def test_counts_and_sums_are_bars_rates_and_averages_lines(project):
    """Read from the YAML itself: a numerator alone that is a count or a sum adds up over
    periods (bars); an average, a median, a ratio or a percentage does not (a line)."""
    import yaml

    from sales_metrics.cli import charts

    expected = {}
    for path in (ROOT / "metrics").glob("*.yml"):
        for m in (yaml.safe_load(path.read_text()) or {}).get("metrics", []):
            numerator = m.get("numerator")
            if not isinstance(numerator, str) or "(" not in numerator:
                continue  # another metric's name, or a measure written out
            aggregate = numerator.split("(")[0].strip().lower()
            if m.get("denominator") or m.get("format") == "percent" or aggregate in (
                    "avg", "median", "quantile_cont", "percentile_cont"):
                expected[m["name"]] = "line"
            elif aggregate in ("count", "sum") and not m.get("snapshot"):
                expected[m["name"]] = "bar"
    assert {"bar", "line"} <= set(expected.values()) and len(expected) > 20
    shapes = {name: charts.shape(project, project.metrics[name]) for name in expected}
    assert shapes == expected
