"""Generated SQL in every target dialect parses back, and golden snapshots catch changes.

Regenerate the snapshots after an intended change with ``UPDATE_SNAPSHOTS=1 pytest``;
review the diff like any code change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from sales_metrics import engine
from sales_metrics.engine.dialects import capabilities
from sales_metrics.engine.functions import undocumented

SNAPSHOTS = Path(__file__).parent / "snapshots"
DIALECTS = ["duckdb", "postgres", "snowflake", "bigquery", "spark", "tsql"]
KPIS = ["win_rate", "won_revenue", "average_deal_size", "sales_cycle_length", "email_open_rate"]
RANGE = {"start": "2024-01-01", "end": "2024-12-31"}  # T-SQL needs a range for its spine


def compile_case(project, dialect, kpi, grain, by):
    return project.compile([kpi], dialect=dialect, grain=grain, by=by, **RANGE)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("kpi", KPIS)
def test_sql_parses_back(project, dialect, kpi):
    for grain, by in (("month", []), ("quarter", ["region"]), ("week", ["segment"])):
        sql = compile_case(project, dialect, kpi, grain, by)
        tree = sqlglot.parse_one(sql, read=dialect)
        assert isinstance(tree, exp.Select)
        assert not list(tree.find_all(exp.Insert, exp.Delete, exp.Update, exp.Drop, exp.Create))


# Exact percentiles and medians in an aggregate: none there (engine/dialects.py).
NO_EXACT_PERCENTILE = {"bigquery", "tsql"}


def expressible(project, dialect, names):
    """The metrics the dialect can express: not those taking a median or a percentile where
    it has no exact one (they raise UnsupportedFeature, see test_exact_percentiles_are_refused)."""
    def percentile(name):
        seen, stack = set(), [name]
        while stack:
            metric = project.catalog.metrics[stack.pop()]
            if metric.name not in seen:
                seen.add(metric.name)
                stack.extend(metric.references())
                if re.search(r"\b(median|quantile\w*|percentile\w*)\b",
                             str(metric.model.model_dump()), re.I):
                    return True
        return False
    return [n for n in names if dialect not in NO_EXACT_PERCENTILE or not percentile(n)]


@pytest.mark.parametrize("dialect", sorted(NO_EXACT_PERCENTILE))
def test_exact_percentiles_are_refused(project, dialect):
    with pytest.raises(engine.UnsupportedFeature, match="exact percentiles"):
        project.compile(["p90_deal_size"], dialect=dialect, **RANGE)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_whole_catalog_compiles_in_one_query(project, dialect):
    every = [n for n in expressible(project, dialect, project.metrics)
             if n != "won_revenue_qtd"  # QTD needs a finer grain
             and not getattr(project.metrics[n], "across", None)]  # a share needs its --by
    sql = project.compile(every, dialect=dialect, grain="quarter", **RANGE)
    tree = sqlglot.parse_one(sql, read=dialect)
    scans = {cte.alias for cte in tree.find_all(exp.CTE) if cte.alias.startswith("agg_")}
    # one scan per (source, time column); entity metrics add the scans of their own queries;
    # on DuckDB distinct counts (and percentiles, where the rest is staged) get a scan of
    # their own that reads rows apart (engine/dialects.py: split_distinct; compile/stages.py)
    distinct = {"agg_opportunities_closed_at_rows"} \
        if capabilities(dialect).split_distinct else set()
    top = {cte.alias for cte in tree.args["with_"].expressions if cte.alias.startswith("agg_")}
    core = {"agg_opportunities_created_at", "agg_opportunities_closed_at",
            "agg_activities_occurred_at", "agg_leads_created_at", "agg_leads_mql_at",
            "agg_quotas_quarter_start", "agg_nps_responses_responded_at",
            "agg_subscriptions_started_at", "agg_subscriptions_cancelled_at",
            "agg_subscription_events_event_at", "agg_mrr_snapshots_snapshot_date_last"
            } | distinct
    # the first catalog files' scans; later files (outreach, pipeline stages, ...) add
    # scans of their sources and time columns, each still a scan of a catalog source
    assert core <= top
    assert all(any(a.startswith(f"agg_{s}_") for s in project.catalog.sources) for a in top)
    assert scans > {"agg_opportunities_closed_at"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_metric_compiles_and_parses_back(project, dialect):
    for name in expressible(project, dialect, project.metrics):
        metric = project.metrics[name]
        sql = project.compile([name], dialect=dialect, grain=metric.grain.value,
                              by=getattr(metric, "across", None) or [], **RANGE)
        assert isinstance(sqlglot.parse_one(sql, read=dialect), exp.Select), name


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("kpi", KPIS)
def test_snapshot(project, dialect, kpi):
    sql = compile_case(project, dialect, kpi, "month", ["region"]) + "\n"
    path = SNAPSHOTS / dialect / f"{kpi}__month__by_region.sql"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        # never lock in SQL calling a function the engine lacks (engine/functions.py)
        assert undocumented(sql, dialect) == [], f"no snapshot written: {kpi} in {dialect}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    assert path.exists(), f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 and review it"
    assert sql == path.read_text(), f"SQL changed for {kpi} in {dialect}; if intended, " \
        "rerun with UPDATE_SNAPSHOTS=1 and review the diff"


@pytest.mark.parametrize("dialect", ["tsql", "redshift", "mysql", "sqlite", "clickhouse",
                                     "snowflake", "trino", "oracle"])
def test_the_spine_needs_no_range(project, dialect):
    """Over the data's own range, from numbers cross-joined (compile/spine.py): no series
    function and no recursive CTE, so no dialect asks for --start and --end."""
    sql = project.compile(["win_rate"], dialect=dialect, grain="month")
    tree = sqlglot.parse_one(sql, read=dialect)
    spine = next(c for c in tree.find_all(exp.CTE) if c.alias == "spine")
    assert {t.name for t in spine.find_all(exp.Table)} == {"digits", "bounds"}
    assert not tree.find(exp.Unnest, exp.GenerateDateArray, exp.GenerateSeries)


def test_unsupported_is_a_clear_error(project):
    with pytest.raises(engine.UnsupportedFeature, match="tsql dialect does not support exact "
                       "percentiles"):
        project.compile(["p90_deal_size"], dialect="tsql")


def test_file_sources_are_duckdb_only(tmp_path):
    (tmp_path / "project.yml").write_text("name: files\n")
    (tmp_path / "m.yml").write_text(
        "sources:\n  - name: deals\n    path: deals.parquet\n    time: created_at\n"
        "metrics:\n  - name: n\n    source: deals\n    numerator: count(*)\n")
    project = engine.load_project(tmp_path)
    sql = project.compile(["n"], dialect="duckdb")
    assert f"READ_PARQUET('{tmp_path.resolve() / 'deals.parquet'}')" in sql
    with pytest.raises(engine.UnsupportedFeature, match="postgres dialect does not support "
                       "file sources"):
        project.compile(["n"], dialect="postgres")


def test_unknown_dialect(project):
    with pytest.raises(engine.UsageError, match="nosuchsql"):
        project.compile(["win_rate"], dialect="nosuchsql")
