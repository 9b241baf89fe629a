"""Calendars: a project time zone, and retail 4-5-4 years checked against published dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sales_metrics import adapters
from sales_metrics import engine
from sales_metrics.engine.calendar import Retail
from sales_metrics.engine.model import Grain

from support import ROOT  # noqa: E402
DATA = ROOT / "examples" / "data"
DEFS = """
sources:
  - name: opportunities
    table: opportunities
    time: created_at
metrics:
  - name: created
    source: opportunities
    numerator: count(*)
  - name: created_yoy
    of: created
    compare: previous_year
    change: previous
  - name: created_ytd
    of: created
    to_date: year
"""
# NRF 4-5-4 calendar, fiscal 2024 (ends on the Saturday nearest January 31, 2025)
NRF_2024 = [date(2024, 2, 4), date(2024, 3, 3), date(2024, 4, 7), date(2024, 5, 5),
            date(2024, 6, 2), date(2024, 7, 7), date(2024, 8, 4), date(2024, 9, 1),
            date(2024, 10, 6), date(2024, 11, 3), date(2024, 12, 1), date(2025, 1, 5),
            date(2025, 2, 2)]


def project_with(tmp_path: Path, settings: str) -> engine.Project:
    (tmp_path / "project.yml").write_text(
        f"name: cal\nconnection: {{type: duckdb, data: '{DATA}'}}\n"
        f"allowed_paths: ['{DATA}']\n{settings}")
    (tmp_path / "defs.yml").write_text(DEFS)
    return engine.load_project(tmp_path)


def run(project, metrics, **options) -> pd.DataFrame:
    with adapters.connect(project) as conn:
        return project.query(metrics, connection=conn, **options).to_pandas()


@pytest.fixture(scope="module")
def created(frames=None):
    return pd.read_parquet(DATA / "opportunities.parquet").created_at


def test_time_zone_moves_rows_across_days(tmp_path, created):
    project = project_with(tmp_path, "timezone: America/Los_Angeles\n")
    got = run(project, ["created"], grain="day", start="2024-03-01", end="2024-03-31")
    local = created.dt.tz_localize("UTC").dt.tz_convert("America/Los_Angeles").dt.date
    want = local.value_counts()
    assert len(got) == 31
    assert list(got.created) == [want.get(d, 0) for d in got.period]
    utc = created.dt.date.value_counts()
    assert list(got.created) != [utc.get(d, 0) for d in got.period]  # the zone mattered


def test_retail_year_ends():
    nrf = Retail((4, 5, 4), 1, nearest=True, week_start=6)
    assert nrf.year_end(2024) == date(2024, 2, 3)  # fiscal 2023: a 53-week year
    assert nrf.year_end(2025) == date(2025, 2, 1)
    last = Retail((4, 4, 5), 1, nearest=False, week_start=6)
    assert last.year_end(2024) == date(2024, 1, 27)


def test_retail_periods_follow_the_pattern():
    nrf = Retail((4, 5, 4), 1, nearest=True, week_start=6)
    starts = nrf.starts(Grain.month)
    i = starts.index(NRF_2024[0])
    assert starts[i:i + 13] == NRF_2024
    for year in range(2001, 2040):
        months = [p for p in nrf.periods(Grain.month) if p[1] == year]
        quarters = [p for p in nrf.periods(Grain.quarter) if p[1] == year]
        assert [p[2] for p in months] == list(range(1, 13)) and len(quarters) == 4
        assert [m[0] for m in months[::3]] == [q[0] for q in quarters]
    weeks = [(b - a).days // 7 for a, b in zip(starts, starts[1:])]
    assert set(weeks) == {4, 5}
    years = [nrf.year_end(y) - nrf.year_end(y - 1) for y in range(2001, 2041)]
    assert {d.days for d in years} == {364, 371}
    # 53-week years give their last period the extra week: 4 -> 5 in 4-5-4
    long_year = next(y for y in range(2001, 2041) if (nrf.year_end(y) - nrf.year_end(y - 1)).days == 371)
    months = [p[0] for p in nrf.periods(Grain.month) if p[1] == long_year]
    assert (nrf.year_end(long_year) - months[-1]).days + 1 == 35


def test_retail_months_and_same_period_last_year(tmp_path, created):
    project = project_with(tmp_path, "calendar: {type: retail, pattern: 4-5-4, "
                           "year_end_month: 1, year_end: nearest}\nweek_start: sunday\n")
    got = run(project, ["created", "created_yoy", "created_ytd"], grain="month",
              start="2024-02-04", end="2025-02-01")
    assert list(got.period) == NRF_2024[:-1]
    bounds = pd.to_datetime(NRF_2024)
    bucket = pd.cut(created, bounds, right=False, labels=NRF_2024[:-1])
    want = bucket.value_counts()
    assert list(got.created) == [want[d] for d in got.period]
    assert list(got.created_ytd) == list(pd.Series([want[d] for d in got.period]).cumsum())
    # the same periods of fiscal 2023 (2023-01-29 .. 2024-02-03, 53 weeks): the data starts
    # in January 2024, so only its last period, 2023-12-31 .. 2024-02-03, has rows
    last = ((created >= "2023-12-31") & (created < "2024-02-04")).sum()
    assert last > 0 and list(got.created_yoy) == [0] * 11 + [last]


def test_retail_labels(tmp_path):
    project = project_with(tmp_path, "calendar: {type: retail, year_end: nearest}\n"
                           "week_start: sunday\n")
    from sales_metrics.engine.calendar import Calendar, period_label

    cal = Calendar.of(project.settings)
    assert period_label(date(2024, 3, 3), Grain.month, cal) == "FY2025 P02"
    assert period_label(date(2024, 2, 4), Grain.quarter, cal) == "FY2025 Q1"
