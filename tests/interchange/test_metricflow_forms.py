"""`metrics import metricflow` on a small dbt project with every MetricFlow form (mf_forms/):
what maps to what, what is reported where, and that the result validates and runs."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from support import run_cli

FORMS = Path(__file__).parent / "mf_forms"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("forms") / "rich"
    shutil.copytree(FORMS, root)
    (root / "data").mkdir()
    pq.write_table(pa.table({
        "deal_id": [1, 2, 3], "user_id": [1, 2, 1], "partner_id": [1, 1, 1],
        "stage": ["won", "lost", "won"], "amount": [50.0, 2000.0, 30.0],
        "created_at": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 2, 10)],
        "won_ts": [dt.datetime(2024, 1, 5, 10), None, dt.datetime(2024, 4, 1, 9)]}),
        root / "data" / "deals.parquet")
    pq.write_table(pa.table({"user_id": [1, 2], "country": ["US", "DE"],
                             "signed_up_at": [dt.date(2023, 1, 1)] * 2}),
                   root / "data" / "users.parquet")
    pq.write_table(pa.table({"account_id": [1, 1], "day": [dt.date(2024, 1, 31),
                                                         dt.date(2024, 2, 29)],
                             "amount": [10.0, 20.0]}), root / "data" / "balances.parquet")
    out = root.parent / "out"
    done = run_cli("import", "metricflow", str(root), "-o", str(out))
    assert done.returncode == 0, done.stderr
    metrics = {m["name"]: m for m in yaml.safe_load((out / "metrics.yml").read_text())["metrics"]}
    sources = {s["name"]: s for s in yaml.safe_load((out / "sources.yml").read_text())["sources"]}
    return done.stderr, out, sources, metrics


def test_sources(imported):
    _, _, sources, _ = imported
    deals = sources["deals"]
    # the model filters with a var(); a time dimension with an expression is a column
    assert "amount >= 10" in deals["sql"] and "CAST(won_ts AS DATE) AS won_at" in deals["sql"]
    assert deals["joins"] == [{"to": "users", "on": "user_id = users.user_id"}]
    assert deals["dimensions"]["big"] == "amount > 1000"
    assert sources["users"] == {"name": "users", "table": "users", "key": "user_id",
                                "dimensions": {"country": "country"}}
    assert sources["balances"]["time"] == "day"


@pytest.mark.parametrize("name, fields", [
    ("deals", {"numerator": "count(deal_id)", "fill": "zero", "owner": "sales",
               "description": "All deals"}),
    ("us_deals", {"filters": ["users.country = 'US'"]}),  # through the join
    ("buyers", {"numerator": "count(distinct user_id)"}),
    ("p90", {"numerator": "quantile_cont(amount, 0.9)"}),
    ("won_flags", {"numerator": "sum(case when stage = 'won' then 1 else 0 end)"}),
    ("wins", {"time": "won_at", "numerator": "count(won_at)"}),
    ("median_deal", {"numerator": "median(amount)", "grain": "quarter"}),
    ("us_share", {"numerator": {"expr": "count(deal_id)", "source": "deals",
                                "filters": ["users.country = 'US'"]},
                  "denominator": {"metric": "deals"}}),
    ("big_share_big", {"filters": ["amount > 1000"]}),
    ("big_share", {"formula": "big_share_big / NULLIF(deals, 0)"}),
    ("deals_yoy_last_year", {"of": "deals", "compare": "previous_year", "change": "previous"}),
    ("deals_yoy", {"formula": "deals - deals_yoy_last_year"}),
    ("revenue_mtd", {"of": "revenue_mtd_revenue", "to_date": "month", "grain": "day"}),
    ("revenue_3m", {"of": "revenue_3m_revenue", "trailing": 3}),
    ("win_within_30", {"conversion": {"start": "created_at", "end": "won_at",
                                      "within": {"days": 30, "count": "elapsed"}}}),
    ("balance", {"source": "balances", "numerator": "sum(amount)", "snapshot": "last"}),
    ("by_time", {"filters": ["DATE_TRUNC('WEEK', won_at) > '2024-01-01' AND NOT user_id IS "
                             "NULL"]}),
    ("revenue", {"numerator": "sum(amount)"}),  # create_metric: true
])
def test_forms(imported, name, fields):
    metric = imported[3][name]
    assert {k: metric.get(k) for k in fields} == fields


REPORTED = [
    r"models/sources.yml:11:5: not mapped: saved query 'weekly'",
    r"models/sources.yml:14:1: not mapped: unknown top-level key 'colours'",
    r"models/semantic.yml:8:9: not mapped: natural entity 'partner'",
    r"models/metrics.yml:34:25: not mapped: metric 'deals_vs_start': offset_to_grain",
    r"models/metrics.yml:37:5: not mapped: metric 'revenue_old_style': cumulative metric with "
    r"window '7 days' and period_agg: first",
    r"models/metrics.yml:49:7: not mapped: metric 'cross_model': a conversion from 'deals' to "
    r"'balances'",
    r"models/semantic.yml:43:9: not mapped: measure 'balance_per_account': non_additive_dimension",
    r"models/metrics.yml:51:54: not mapped: metric 'balance_acct': its measure "
    r"'balance_per_account' is not mapped",
    r"models/metrics.yml:53:82: not mapped: metric 'with_metric_filter': filter "
    r".*Metric\('deals'\)",
    r"models/metrics.yml:54:88: not mapped: meta.team of metric 'tagged'",
    r"models/metrics.yml:54:70: not mapped: tags of metric 'tagged'",
    r"models/semantic.yml:22:\d+: not mapped: description of measure 'median_amount'",
    r"models/semantic.yml:23:9: not mapped: measure 'unused' is used by no mapped metric",
    r"models/metrics.yml:27:25: note: metric 'deals_yoy': offset_window '1 year'",
    r"models/metrics.yml:36:\d+: note: metric 'revenue_3m': window '3 months' is trailing: 3",
]


def test_what_is_not_mapped_is_reported_where_it_is(imported):
    stderr, out, _, metrics = imported
    lines = stderr.strip().splitlines()
    for pattern in REPORTED:
        assert any(re.match(pattern, line) for line in lines), pattern
    assert len([line for line in lines if ": not mapped: " in line]) == 13
    for name in ("deals_vs_start", "revenue_old_style", "cross_model", "balance_acct",
                 "with_metric_filter"):
        assert name not in metrics
    report = (out / "IMPORT_REPORT.md").read_text()
    assert "## Not mapped (13)" in report


def test_braces_stay_text(imported):
    """Our definitions are Jinja-rendered: a dbt expression's braces are kept as raw text."""
    _, out, sources, _ = imported
    assert sources["deals"]["dimensions"]["braces"] == \
        "{% raw %}'{{ not a template }}'{% endraw %}"


def test_the_result_validates_and_runs(imported):
    _, out, _, metrics = imported
    done = run_cli("validate", str(out))
    assert done.returncode == 0, done.stderr
    month = [m for m in metrics if m not in ("revenue_mtd", "median_deal")]
    args = [a for m in month for a in ("-m", m)]
    done = run_cli("run", "-p", str(out), "--grain", "month", "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    import json

    rows = {r["period"][:7]: r for r in json.loads(done.stdout)}
    assert rows["2024-02"]["deals"] == 2 and rows["2024-01"]["deals"] == 1
    assert rows["2024-02"]["us_deals"] == 1 and rows["2024-02"]["us_share"] == 0.5
    assert rows["2024-02"]["big_share"] == 0.5
    assert rows["2024-01"]["win_within_30"] == 1.0  # won 4 days after
    assert rows["2024-02"]["win_within_30"] == 0.0  # lost, and won after 51 days
    assert rows["2024-02"]["balance"] == 20.0 and rows["2024-03"]["revenue_3m"] == 2080.0
