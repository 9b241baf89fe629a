"""`metrics docs`: the HTML catalog, checked in a real headless Chromium (selenium driving
Debian's chromedriver), plus escaping and whole-or-nothing writes without a browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
from pathlib import Path

import pytest
from support import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def searchable(metric) -> str:
    return " ".join([metric.name, metric.label or "", metric.description or "",
                     metric.owner or ""]).lower()


def matching(project, query: str) -> set[str]:
    """What the search box should leave visible: every word in name/label/description/owner."""
    words = query.lower().split()
    return {n for n, m in project.metrics.items() if all(w in searchable(m) for w in words)}


@pytest.fixture
def site(cli, tmp_path) -> Path:
    out = tmp_path / "site" / "kpis"
    result = cli("docs", "--output", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Headless Chromium through Debian's chromedriver; selenium never downloads a driver."""
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip(f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): "
                    "apt-get install chromium chromium-driver")
    pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[test]'")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not reach the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def visible_kpis(driver) -> set[str]:
    from selenium.webdriver.common.by import By

    return {e.get_attribute("data-name") for e in driver.find_elements(By.CSS_SELECTOR, "li.kpi")
            if e.is_displayed()}


def search(driver, text: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys(text)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
def test_search_and_follow_links_in_a_browser(site, browser, project, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((site / "index.html").as_uri())
    assert visible_kpis(browser) == set(project.metrics)
    count = browser.find_element(By.ID, "count")
    for query in ("win", "finance", "rate sales-ops", "MRR"):
        search(browser, query)
        expected = matching(project, query)
        assert expected, query
        assert visible_kpis(browser) == expected, query
        assert count.text == f"{len(expected)} of {len(project.metrics)} KPIs"
    search(browser, "no such kpi anywhere")
    assert visible_kpis(browser) == set()
    assert browser.find_element(By.ID, "empty").is_displayed()

    search(browser, "win rate")
    browser.find_element(By.CSS_SELECTOR, 'li.kpi[data-name="win_rate"] a.name').click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/kpi/win_rate.html"))
    assert browser.find_element(By.CSS_SELECTOR, "h1.kpi-title").text.startswith(
        "Opportunity win rate")
    sql = browser.find_element(By.ID, "sql").text
    compiled = project.compile(["win_rate"], dialect="duckdb")  # the page shows this SQL
    assert "win_rate__num" in sql and " ".join(compiled.split()) in " ".join(sql.split())
    lineage = browser.find_element(By.ID, "lineage").text
    assert "opportunities" in lineage and "closed_at" in lineage and "stage" in lineage
    definition = browser.find_element(By.ID, "definition").text
    assert "divided by" in definition and "region" in definition
    shot = tmp_path / "win_rate.png"
    assert browser.save_screenshot(str(shot))
    width, height = png_size(shot)
    assert width >= 800 and height >= 600 and shot.stat().st_size > 20_000

    used_by = browser.find_element(By.ID, "used-by")
    used_by.find_element(By.LINK_TEXT, "Pipeline velocity").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/pipeline_velocity.html"))
    uses = browser.find_element(By.ID, "uses")  # and the link back
    assert {a.text for a in uses.find_elements(By.TAG_NAME, "a")} >= {"Opportunity win rate"}
    browser.find_element(By.LINK_TEXT, "← All KPIs").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/index.html"))
    browser.get((site / "index.html").as_uri() + "?q=churn")  # a link to a search
    assert visible_kpis(browser) == matching(project, "churn") != set()


def test_every_kpi_has_a_page_with_its_facts(site, project):
    pages = {p.stem for p in (site / "kpi").glob("*.html")}
    assert pages == set(project.metrics)
    html = (site / "kpi" / "average_deal_size.html").read_text()
    for text in ("Average deal size", "finance", "currency", 'href="won_revenue.html"',
                 'href="deals_won.html"', "<code>opportunities</code>", "<code>amount</code>"):
        assert text in html
    assert "https://" not in (site / "index.html").read_text()  # nothing fetched from a CDN


def test_user_text_is_escaped(cli, tmp_path):
    project = tmp_path / "metrics"
    shutil.copytree(ROOT / "metrics", project)
    conversion = project / "conversion.yml"
    text = conversion.read_text()
    hostile = 'Closed <script>alert("x")</script> & <b>won</b> \\" done'
    conversion.write_text(text.replace(
        "description: Won opportunities over all opportunities closed (won or lost) in the "
        "period.", f"description: '{hostile}'", 1))
    out = tmp_path / "docs"
    result = cli("docs", "--output", str(out), "--project", str(project))
    assert result.returncode == 0, result.stderr
    for page in (out / "index.html", out / "kpi" / "win_rate.html"):
        html = page.read_text()
        assert "<script>alert" not in html and "<b>won</b>" not in html
        assert ("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
                "&lt;b&gt;won&lt;/b&gt;") in html


def test_written_whole_or_not_at_all(cli, tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    refused = cli("docs", "--output", str(mine))
    assert refused.returncode == 2 and "was not written by `metrics docs`" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]

    out = tmp_path / "docs"
    assert cli("docs", "--output", str(out)).returncode == 0
    (out / "stale.html").write_text("from an older run")
    assert cli("docs", "--output", str(out)).returncode == 0
    assert not (out / "stale.html").exists() and (out / "index.html").is_file()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_readme_documents_the_docs_command():
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^metrics docs --output \S+", readme, flags=re.M)


# --------------------------------------------------------------------- docs --with-values
#
# The oracles and the SVG readers are test_charts.py's, imported inside the tests (that module
# imports this one for the browser fixture).

@pytest.fixture(scope="module")
def valued_site(tmp_path_factory) -> Path:
    """`metrics docs --with-values`: each KPI at its own grain (win_rate by month, quota
    attainment by quarter), on the project's DuckDB connection."""
    from support import run_cli

    out = tmp_path_factory.mktemp("valued") / "kpis"
    result = run_cli("docs", "--output", str(out), "--with-values")
    assert result.returncode == 0, result.stderr
    return out


def test_with_values_the_charts_script_is_one_file_beside_the_pages(valued_site, project):
    from test_charts import Links

    bundle = valued_site / "vega.js"
    assert bundle.stat().st_size > 500_000 and "vegaEmbed" in bundle.read_text()
    assert [p.name for p in valued_site.rglob("*.js")] == ["vega.js"]
    for page in (valued_site / "kpi").glob("*.html"):
        html = page.read_text()
        assert len(html) < 200_000, page.name  # the libraries are not inlined in every page
        sources = [v for tag, k, v in Links(html).urls if tag == "script"]
        assert sources in ([], ["../vega.js"]), page.name
        assert not [v for _, _, v in Links(html).urls if "://" in v], page.name
    index = (valued_site / "index.html").read_text()
    assert "<script src" not in index and "https://" not in index


def test_with_values_the_latest_months_are_the_sample_data(valued_site, frames):
    from test_charts import TARGET, Cards, percent, win_rates

    rates = win_rates(frames, "M")
    cards = Cards((valued_site / "kpi" / "win_rate.html").read_text()
                  .replace('<div class="card chart-card" id="values">',
                           '<section data-name="win_rate">', 1))
    shown = {r["period"]: percent(r["value"]) for r in cards.rows["win_rate"]}
    last = sorted(rates)[-6:]
    assert list(shown) == last
    assert shown == pytest.approx({m: rates[m] for m in last}, abs=0.00051)
    index = (valued_site / "index.html").read_text()
    mark = "✓" if rates[last[-1]] >= TARGET else "✗"
    card = re.search(r'<li class="kpi" data-name="win_rate".*?</li>', index)[0]
    assert f"{last[-1]}: {rates[last[-1]] * 100:.1f}% {mark}</span>" in card
    quota = re.search(r'<li class="kpi" data-name="quota_attainment".*?</li>', index)[0]
    assert re.search(r'class="tag latest[^"]*"[^>]*>\d{4} Q[1-4]: ', quota)  # its own grain


def test_with_values_a_kpi_that_cannot_run_is_listed_without_values(valued_site):
    page = (valued_site / "kpi" / "revenue_share_by_region.html").read_text()
    values = re.search(r'<div class="card" id="values">.*?</div>', page, flags=re.S)[0]
    assert "not computed by month" in values and "--by region" in values
    assert "chart-specs" not in page and "vega.js" not in page
    index = (valued_site / "index.html").read_text()
    card = re.search(r'<li class="kpi" data-name="revenue_share_by_region".*?</li>', index)[0]
    assert '<span class="tag latest">not computed</span>' in card


def test_without_values_no_charts_and_no_script(site):
    assert not (site / "vega.js").exists()
    for page in [site / "index.html", *(site / "kpi").glob("*.html")]:
        html = page.read_text()
        assert "chart-specs" not in html and 'id="values"' not in html, page.name


def test_with_values_a_failed_connection_writes_nothing(cli, tmp_path):
    out = tmp_path / "docs"
    assert cli("docs", "--output", str(out)).returncode == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    missing = tmp_path / "no" / "such.duckdb"
    result = cli("docs", "--output", str(out), "--with-values",
                 "--connection", f"duckdb:///{missing}")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not (out / "vega.js").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.browser
def test_with_values_pages_in_a_browser(valued_site, browser, frames, tmp_path):
    from selenium.webdriver.common.by import By
    from test_charts import TARGET, axis_value, drawn, open_report, percent, png, win_rates

    rates = win_rates(frames, "M")
    open_report(browser, valued_site / "kpi" / "win_rate.html")
    shot = tmp_path / "win_rate_values.png"
    assert browser.save_screenshot(str(shot))
    width, height, raw = png(shot.read_bytes())
    assert width >= 800 and height >= 600 and len(set(raw)) > 50
    seen = drawn(browser, "chart-0")
    assert len(seen["points"]) == sum(v is not None for v in rates.values())  # one a month
    assert len(seen["rules"]) == 1
    assert axis_value(seen["ticks"], seen["rules"][0], percent) == pytest.approx(TARGET,
                                                                                 abs=0.002)
    scale = browser.execute_script(
        "return window.metricsCharts['chart-0'].scale('y')(arguments[0])", TARGET)
    assert seen["rules"][0] == pytest.approx(scale, abs=1)
    latest = browser.find_element(By.CSS_SELECTOR, "#values .latest").text
    assert latest.startswith(f"{sorted(rates)[-1]}: {rates[sorted(rates)[-1]] * 100:.1f}%")

    open_report(browser, valued_site / "kpi" / "won_revenue.html")  # a sum: bars
    seen = drawn(browser, "chart-0")
    assert seen["points"] == [] and seen["rules"] == []
    assert len(seen["bars"]) == len(rates)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert [r for r in resources if not r.startswith("file:")] == []  # nothing from a network
    assert browser.execute_script("return typeof vegaEmbed") == "function"  # ../vega.js ran
