"""Every metric form on a tiny hand-written dataset (tests/oracles/forms/), expected values by hand.

deals (created -> closed, stage, amount, rep):
  1 ann 2024-12-20 -> 2025-01-10 won  100      5 ann 2025-02-03 -> 2025-03-05 won  200
  2 ann 2025-01-05 -> 2025-01-20 lost  50      6 bob 2025-03-01 -> 2025-03-20 lost  40
  3 bob 2025-01-15 -> 2025-02-10 won  300      7 ann 2025-03-10 -> (open)           60
  4 bob 2025-02-01 -> (open)           80      8 bob 2025-03-15 -> 2025-04-02 won  500
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sales_metrics import adapters
from sales_metrics import engine

FORMS = Path(__file__).parent / "forms"


@pytest.fixture(scope="module")
def forms():
    project = engine.load_project(FORMS)
    with adapters.connect(project) as conn:
        yield lambda metrics, **kw: project.query(metrics, connection=conn, **kw).to_pydict()
    

def close(got, want):
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert (g is None and w is None) or (g is not None and w is not None and
                                             math.isclose(g, w, rel_tol=1e-9)), (got, want)


def test_min_denominator_and_fill(forms):
    got = forms(["win_rate", "lost_amount"], grain="month", start="2025-01-01", end="2025-04-30")
    # closed: Jan 1 won + 1 lost; Feb 1 won; Mar 1 won + 1 lost; Apr 1 won (min 2 closed)
    close(got["win_rate"], [0.5, None, 0.5, None])
    close(got["lost_amount"], [50, None, 40, None])  # fill: empty, not 0


def test_trailing_ratio_accumulates_numerator_and_denominator(forms):
    got = forms(["win_rate_t2"], grain="month", start="2025-01-01", end="2025-04-30")
    # Jan: Dec+Jan 1/2; Feb: Jan+Feb 2/3; Mar: Feb+Mar 2/3; Apr: Mar+Apr 2/3
    close(got["win_rate_t2"], [0.5, 2 / 3, 2 / 3, 2 / 3])


def test_previous_period_exists_when_the_range_starts_later(forms):
    got = forms(["won_revenue", "won_revenue_growth"], grain="month", start="2025-02-01",
                end="2025-04-30")
    # won by close month: Jan 100, Feb 300, Mar 200, Apr 500
    close(got["won_revenue"], [300, 200, 500])
    close(got["won_revenue_growth"], [2.0, -1 / 3, 1.5])


def test_to_date_and_a_comparison_of_it(forms):
    got = forms(["won_revenue_ytd", "ytd_growth"], grain="month", start="2025-02-01",
                end="2025-04-30")
    close(got["won_revenue_ytd"], [400, 600, 1100])
    close(got["ytd_growth"], [300, 200, 500])


def test_formula_over_values_of_different_stages(forms):
    got = forms(["ytd_before"], grain="month", start="2025-02-01", end="2025-04-30")
    # year to date less this period's change in it: last period's year to date
    close(got["ytd_before"], [100, 400, 600])


def test_balance_counts_rows_opened_before_the_range(forms):
    got = forms(["open_pipeline_at_start", "open_pipeline"], grain="month",
                start="2025-02-01", end="2025-04-30")
    # open at end of Jan: deal 3 (300); Feb: 4 + 5 (280); Mar: 4, 7, 8 (640); Apr: 4, 7 (140)
    close(got["open_pipeline_at_start"], [300, 280, 640])
    close(got["open_pipeline"], [280, 640, 140])


def test_snapshot_takes_the_last_day_not_the_sum(forms):
    close(forms(["mrr"], grain="quarter")["mrr"], [15 + 7])
    close(forms(["mrr"], grain="month")["mrr"], [15, 12, 22])


def test_conversion_within_days_by_cohort(forms):
    got = forms(["closed_within_30d"], grain="month", start="2025-01-01", end="2025-03-31")
    # created Jan: 2, 3 both closed within 30 days; Feb: 4 open, 5 after exactly 30 days;
    # Mar: 6 and 8 within, 7 open
    close(got["closed_within_30d"], [1.0, 0.5, 2 / 3])


def test_measures_from_two_sources_and_per_entity_aggregates(forms):
    got = forms(["attainment", "reps_at_quota", "best_attainment"], grain="quarter",
                start="2025-01-01", end="2025-06-30")
    # Q1: ann 300/250, bob 300/400; Q2: ann 0/100, bob 500/400
    close(got["attainment"], [600 / 650, 500 / 500])
    close(got["reps_at_quota"], [0.5, 0.5])
    close(got["best_attainment"], [1.2, 1.25])
    by_rep = forms(["attainment"], grain="quarter", by=["rep"], start="2025-01-01",
                   end="2025-06-30")
    assert by_rep["rep"] == ["ann", "bob", "ann", "bob"]
    close(by_rep["attainment"], [1.2, 0.75, 0.0, 1.25])


def test_formula_divides_safely(forms):
    got = forms(["pipeline_per_won"], grain="month", start="2025-01-01", end="2025-04-30")
    close(got["pipeline_per_won"], [300 / 100, 280 / 300, 640 / 200, 140 / 500])


def test_percentile(forms):
    close(forms(["p90_amount"], grain="quarter", start="2025-04-01")["p90_amount"], [500])


def test_a_grain_finer_than_the_source_is_refused(forms):
    with pytest.raises(engine.UsageError, match="source 'quotas' holds one row per quarter; "
                       "ask for quarter or a coarser grain, not month"):
        forms(["quota_total"], grain="month")


@pytest.mark.parametrize("metric", ["won_revenue_ytd", "ytd_growth"])
@pytest.mark.parametrize("bounds", [{}, {"start": "2025-01-01"}])
def test_to_date_at_its_own_grain_is_refused(forms, metric, bounds):
    """A year-to-date value by year is only the year's value: refused, also when another
    metric uses it, with or without a range (a range once was needed to trigger the check)."""
    with pytest.raises(engine.UsageError, match="'won_revenue_ytd' accumulates to date within "
                       "a year; ask for a grain finer than year, not year"):
        forms([metric], grain="year", **bounds)


def test_a_dimension_only_one_side_has_is_refused(forms):
    with pytest.raises(engine.UsageError, match="source 'quotas' has no dimension 'stage'"):
        forms(["attainment"], grain="quarter", by=["stage"])


def test_percentile_where_the_dialect_has_none():
    project = engine.load_project(FORMS)
    with pytest.raises(engine.UnsupportedFeature, match="the sqlite dialect does not support"):
        project.compile(["p90_amount"], dialect="sqlite", start="2025-01-01", end="2025-03-31")
