"""`metrics import metricflow`: the fixture's dbt MetricFlow project as our YAML.

The fixture (``../shared/fixtures/metricflow``, or ``METRICS_MF_FIXTURE``) is read in place
and copied to a temporary folder where its ``gen.py`` writes the Parquet data. The default
tests import it and check field by field what maps, that the report accounts for every
metric and measure (counted here with plain PyYAML), that the imported project validates,
and that its numbers equal an oracle written from the fixture's KPIS.md with pandas. The
test marked ``metricflow`` runs dbt and MetricFlow themselves (a separate venv with the
fixture's requirements.txt: ``METRICS_MF_VENV``, default ``~/.cache/sales-metrics-mf-venv``;
.ci/run builds it) and compares MetricFlow's numbers with ours, every month and KPI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support import ROOT, run_cli

FIXTURE = Path(os.environ.get("METRICS_MF_FIXTURE", ROOT / ".." / "shared" / "fixtures" /
                              "metricflow")).resolve()
MF_VENV = Path(os.environ.get("METRICS_MF_VENV", Path.home() / ".cache" /
                              "sales-metrics-mf-venv"))
OPPORTUNITIES = 2000
MONTHLY = ["won_revenue", "deals_won", "deals_lost", "win_rate", "avg_deal_size",
           "avg_sales_cycle_days", "opportunities_created", "open_pipeline_amount",
           "won_revenue_mom_growth", "calls_made", "emails_sent", "meetings_scheduled",
           "email_open_rate", "email_click_rate", "meeting_attendance_rate", "leads_created",
           "lead_to_mql_rate", "mql_to_sql_rate", "lead_conversion_rate"]
QUARTERLY = ["won_revenue", "quota", "quota_attainment"]
LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<kind>not mapped|note): ")


def _fixture() -> Path:
    if not (FIXTURE / "dbt_project.yml").is_file():
        message = (f"the MetricFlow fixture is missing: {FIXTURE} (set METRICS_MF_FIXTURE)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return FIXTURE


def _copy_with_data(target: Path, python: str = sys.executable) -> Path:
    """The fixture copied (dbt writes into its folder), with gen.py's data in data/."""
    shutil.copytree(_fixture(), target, ignore=shutil.ignore_patterns(
        "data", "target", "logs", ".venv", "dbt_packages", "__pycache__", "*.duckdb"))
    subprocess.run([python, "gen.py", "--opportunities", str(OPPORTUNITIES), "--out", "data",
                    "--quiet"], cwd=target, check=True, capture_output=True, timeout=300)
    return target


@pytest.fixture(scope="module")
def dbt(tmp_path_factory) -> Path:
    return _copy_with_data(tmp_path_factory.mktemp("mf") / "crm")


@pytest.fixture(scope="module")
def imported(dbt: Path):
    out = dbt.parent / "imported"
    done = run_cli("import", "metricflow", str(dbt), "--output", str(out))
    return done, out


def _yaml(path: Path):
    return yaml.safe_load(path.read_text())


def _catalog(out: Path) -> tuple[dict, dict]:
    sources = {s["name"]: s for s in _yaml(out / "sources.yml")["sources"]}
    metrics = {m["name"]: m for m in _yaml(out / "metrics.yml")["metrics"]}
    return sources, metrics


# ------------------------------------------------------------------ what maps, and the report

def test_imports_the_fixture_cleanly(imported):
    done, out = imported
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("imported 32 metrics and 6 sources into")
    for line in lines[:-1]:
        assert LINE.match(line), line
        assert (FIXTURE / LINE.match(line)["path"]).is_file(), line
    assert sorted(p.name for p in out.iterdir()) == ["IMPORT_REPORT.md", "metrics.yml",
                                                      "project.yml", "sources.yml"]
    report = (out / "IMPORT_REPORT.md").read_text()
    assert "## Not mapped (0)" in report
    for line in lines[:-1]:  # every stderr line is in the report file too
        assert line in report


def test_every_metric_and_measure_is_mapped_or_reported(imported):
    """Counted independently: every metric and measure of the fixture's YAML."""
    done, out = imported
    metrics, measures = [], []
    for file in sorted((FIXTURE / "models").rglob("*.yml")):
        data = yaml.safe_load(file.read_text()) or {}
        metrics += [m["name"] for m in data.get("metrics", [])]
        measures += [m["name"] for sm in data.get("semantic_models", [])
                     for m in sm.get("measures", [])]
    assert len(metrics) == 31 and len(measures) == 11
    _, ours = _catalog(out)
    report = (out / "IMPORT_REPORT.md").read_text()
    unmapped = [line for line in report.splitlines() if ": not mapped: " in line]
    for name in metrics:
        assert name in ours or any(f"metric '{name}'" in line for line in unmapped), name
        assert f"mapped: metric '{name}'" in report or f": metric '{name}': " in report, name
    for name in measures:
        assert re.search(rf": measure '{name}': aggregate in metrics \w", report) or any(
            f"measure '{name}'" in line for line in unmapped), name


def test_sources_field_by_field(imported):
    sources, _ = _catalog(imported[1])
    assert list(sources) == ["opportunities", "activities", "leads", "reps", "accounts",
                             "rep_quarter_quotas"]
    opp = sources["opportunities"]
    assert (opp["table"], opp["time"], opp["key"]) == ("opportunities", "closed_at",
                                                        "opportunity_id")
    assert opp["dimensions"] == {"stage": "stage", "lead_source": "lead_source",
                                 "product": "product"}
    assert {(j["to"], j["on"]) for j in opp["joins"]} == {
        ("accounts", "account_id = accounts.account_id"),
        ("reps", "owner_rep_id = reps.rep_id")}
    assert sources["activities"]["time"] == "occurred_at"
    assert {j["to"] for j in sources["activities"]["joins"]} == {"reps", "accounts"}
    assert sources["leads"]["joins"] == [
        {"to": "opportunities", "on": "opportunity_id = opportunities.opportunity_id"}]
    assert "time" not in sources["reps"] and sources["reps"]["key"] == "rep_id"
    assert sources["reps"]["dimensions"] == {"rep_name": "rep_name", "team": "team",
                                             "region": "region"}
    quotas = sources["rep_quarter_quotas"]
    assert (quotas["time"], quotas["grain"], quotas["key"]) == ("quarter_start", "quarter",
                                                                 "rep_quarter")
    sql = quotas["sql"]  # the dbt model's SQL, refs rendered to our sources' names
    assert "{{" not in sql and "FROM opportunities" in sql and "JOIN reps AS r" in sql
    assert "AS rep_quarter" in sql  # the primary entity's expression as a column


# form, and the fields that must be there (time: the metric's, else its source's)
WON, LOST, CLOSED = "stage = 'won'", "stage = 'lost'", "stage IN ('won', 'lost')"
EMAIL, MEETING = "kind = 'email'", "kind = 'meeting'"
EXPECTED = {
    "won_revenue": ("simple", "opportunities", "closed_at", "sum(amount)", [WON]),
    "deals_won": ("simple", "opportunities", "closed_at", "count(opportunity_id)", [WON]),
    "deals_lost": ("simple", "opportunities", "closed_at", "count(opportunity_id)", [LOST]),
    "deals_closed": ("simple", "opportunities", "closed_at", "count(opportunity_id)", [CLOSED]),
    "win_rate": ("ratio", "deals_won", "deals_closed"),
    "avg_deal_size": ("ratio", "won_revenue", "deals_won"),
    "avg_sales_cycle_days": ("simple", "opportunities", "closed_at",
                             "avg(closed_at - created_at)", [WON]),
    "opportunities_created": ("simple", "opportunities", "created_at",
                              "count(opportunity_id)", []),
    "cumulative_created_amount": ("balance", "opportunities", "created_at", "sum(amount)", []),
    "cumulative_closed_amount": ("balance", "opportunities", "closed_at", "sum(amount)",
                                 [CLOSED]),
    "open_pipeline_amount": ("formula", "cumulative_created_amount - cumulative_closed_amount"),
    "won_revenue_mom_growth": ("formula", "(won_revenue - won_revenue_mom_growth_won_revenue_"
                               "prev_month) / NULLIF(won_revenue_mom_growth_won_revenue_prev_"
                               "month, 0)"),
    "calls_made": ("simple", "activities", "occurred_at", "count(activity_id)",
                   ["kind = 'call'"]),
    "emails_sent": ("simple", "activities", "occurred_at", "count(activity_id)", [EMAIL]),
    "emails_opened": ("simple", "activities", "occurred_at", "count(activity_id)",
                      [f"{EMAIL} AND outcome IN ('opened', 'clicked')"]),
    "emails_clicked": ("simple", "activities", "occurred_at", "count(activity_id)",
                       [f"{EMAIL} AND outcome = 'clicked'"]),
    "meetings_scheduled": ("simple", "activities", "occurred_at", "count(activity_id)",
                           [MEETING]),
    "meetings_attended": ("simple", "activities", "occurred_at", "count(activity_id)",
                          [f"{MEETING} AND outcome = 'attended'"]),
    "meetings_held_or_missed": ("simple", "activities", "occurred_at", "count(activity_id)",
                                [f"{MEETING} AND outcome IN ('attended', 'no_show')"]),
    "email_open_rate": ("ratio", "emails_opened", "emails_sent"),
    "email_click_rate": ("ratio", "emails_clicked", "emails_sent"),
    "meeting_attendance_rate": ("ratio", "meetings_attended", "meetings_held_or_missed"),
    "leads_created": ("simple", "leads", "created_at", "count(lead_id)", []),
    "mqls": ("simple", "leads", "created_at", "count(mql_at)", []),
    "sqls": ("simple", "leads", "created_at", "count(sql_at)", []),
    "lead_conversions": ("simple", "leads", "created_at", "count(converted_at)", []),
    "lead_to_mql_rate": ("ratio", "mqls", "leads_created"),
    "mql_to_sql_rate": ("ratio", "sqls", "mqls"),
    "lead_conversion_rate": ("ratio", "lead_conversions", "leads_created"),
    "quota": ("simple", "rep_quarter_quotas", "quarter_start", "sum(quarterly_quota)", []),
    "quota_attainment": ("ratio", "won_revenue", "quota"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_metric_field_by_field(imported, name):
    sources, metrics = _catalog(imported[1])
    metric, expected = metrics[name], EXPECTED[name]
    labels = {m["name"]: m.get("label") for m in _yaml(FIXTURE / "models" / "semantic" /
                                                        "metrics.yml")["metrics"]}
    assert metric["label"] == labels[name]
    assert metric.get("grain", "month") == ("quarter" if name.startswith("quota") else "month")
    form = expected[0]
    if form in ("simple", "balance"):
        source, time, aggregate, filters = expected[1:]
        assert metric["source"] == source
        assert metric.get("filters", []) == filters
        if form == "simple":
            assert metric.get("time", sources[source].get("time")) == time
            assert metric["numerator"] == aggregate and "denominator" not in metric
            additive = aggregate.startswith(("sum", "count"))
            assert metric.get("fill") == ("empty" if additive else None)  # MetricFlow: NULL
        else:
            assert metric["measure"] == aggregate and metric["balance"] == {"opens": time}
    elif form == "ratio":
        assert metric["numerator"] == {"metric": expected[1]}
        assert metric["denominator"] == {"metric": expected[2]}
    else:
        assert metric["formula"] == expected[1]


def test_helper_metrics(imported):
    _, metrics = _catalog(imported[1])
    assert set(metrics) - set(EXPECTED) == {"won_revenue_mom_growth_won_revenue_prev_month"}
    assert metrics["won_revenue_mom_growth_won_revenue_prev_month"] == {
        "name": "won_revenue_mom_growth_won_revenue_prev_month", "of": "won_revenue",
        "compare": "previous_period", "change": "previous", "grain": "month"}
    report = (imported[1] / "IMPORT_REPORT.md").read_text()
    assert re.search(r"models/semantic/metrics.yml:96:\d+: note: metric "
                     r"'won_revenue_mom_growth': offset_window '1 month'", report)


def test_imported_project_validates(imported):
    done = run_cli("validate", str(imported[1]))
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr


# ------------------------------------------------------------------ the numbers, against KPIS.md

def _month(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.to_period("M").dt.to_timestamp()


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den != 0)).astype(float)


def oracle(data: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """KPIS.md's definitions, with pandas, on gen.py's Parquet files."""
    read = {t: pd.read_parquet(data / f"{t}.parquet") for t in
            ("opportunities", "activities", "leads", "reps")}
    opp, act, leads, reps = (read[t] for t in ("opportunities", "activities", "leads", "reps"))
    opp = opp.assign(amount=opp["amount"].astype(float), created=pd.to_datetime(opp.created_at),
                     closed=pd.to_datetime(opp.closed_at), stage=opp.stage.astype(str))
    months = pd.date_range("2022-01-01", "2025-12-01", freq="MS")
    out = pd.DataFrame(index=months)
    won, lost = opp[opp.stage == "won"], opp[opp.stage == "lost"]
    by_close = lambda frame: frame.groupby(_month(frame.closed))  # noqa: E731
    out["won_revenue"] = by_close(won).amount.sum()
    out["deals_won"] = by_close(won).size()
    out["deals_lost"] = by_close(lost).size()
    out["win_rate"] = _ratio(out.deals_won, out.deals_won + out.deals_lost.fillna(0))
    out["avg_deal_size"] = _ratio(out.won_revenue, out.deals_won)
    out["avg_sales_cycle_days"] = by_close(won).apply(
        lambda g: (g.closed - g.created).dt.days.mean())
    out["opportunities_created"] = opp.groupby(_month(opp.created)).size()
    ends = months + pd.offsets.MonthEnd(0)
    out["open_pipeline_amount"] = [
        opp.amount[(opp.created <= e) & (opp.closed.isna() | (opp.closed > e))].sum()
        for e in ends]
    previous = out.won_revenue.shift(1)
    out["won_revenue_mom_growth"] = _ratio(out.won_revenue - previous, previous)
    act = act.assign(kind=act.kind.astype(str), outcome=act.outcome.astype(str))
    count = lambda rows: rows.groupby(_month(rows.occurred_at)).size()  # noqa: E731
    emails, meetings = act[act.kind == "email"], act[act.kind == "meeting"]
    out["calls_made"] = count(act[act.kind == "call"])
    out["emails_sent"] = count(emails)
    out["meetings_scheduled"] = count(meetings)
    out["email_open_rate"] = _ratio(count(emails[emails.outcome.isin(["opened", "clicked"])])
                                    .reindex(months).fillna(0), out.emails_sent)
    out["email_click_rate"] = _ratio(count(emails[emails.outcome == "clicked"])
                                     .reindex(months).fillna(0), out.emails_sent)
    out["meeting_attendance_rate"] = _ratio(
        count(meetings[meetings.outcome == "attended"]).reindex(months).fillna(0),
        count(meetings[meetings.outcome.isin(["attended", "no_show"])]))
    cohort = leads.groupby(_month(leads.created_at))
    out["leads_created"] = cohort.size()
    out["lead_to_mql_rate"] = _ratio(cohort.mql_at.count(), cohort.size())
    out["mql_to_sql_rate"] = _ratio(cohort.sql_at.count(), cohort.mql_at.count())
    out["lead_conversion_rate"] = _ratio(cohort.converted_at.count(), cohort.size())

    quarter = lambda s: pd.to_datetime(s).dt.to_period("Q").dt.to_timestamp()  # noqa: E731
    first = min(quarter(opp.created).min(), quarter(opp.closed).min())
    last = max(quarter(opp.created).max(), quarter(opp.closed).max())
    quarters = pd.date_range(first, last, freq="QS")
    q = pd.DataFrame(index=quarters)
    q["won_revenue"] = won.groupby(quarter(won.closed)).amount.sum()
    hired = pd.to_datetime(reps.hired_at)
    q["quota"] = [reps.quarterly_quota.astype(float)[hired <= s + pd.offsets.QuarterEnd(0)]
                  .sum() for s in quarters]
    q["quota_attainment"] = _ratio(q.won_revenue, q.quota)

    regions = won.merge(reps[["rep_id", "region"]], left_on="owner_rep_id", right_on="rep_id")
    region = regions.groupby([_month(regions.closed).rename("period"), "region"]) \
        .amount.sum().rename("won_revenue").reset_index()
    return out, q, region


def _ours(project: Path, metrics: list[str], grain: str, tmp: Path, by: str | None = None
          ) -> pd.DataFrame:
    csv = tmp / f"ours_{grain}_{by}.csv"
    args = ["run", "-p", str(project), "--grain", grain, "--format", "csv", "-o", str(csv)]
    args += [a for m in metrics for a in ("-m", m)] + (["--by", by] if by else [])
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(csv, keep_default_na=False, na_values=[""])  # region "NA"
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _compare(expected: pd.DataFrame, got: pd.DataFrame, keys: list[str], columns: list[str],
             who: str) -> int:
    """Every row and column; an absent row is NULL. Returns the values compared."""
    merged = expected.merge(got, on=keys, how="outer", suffixes=("_want", "_got"))
    for column in columns:
        want = pd.to_numeric(merged[f"{column}_want"], errors="raise").astype(float)
        have = pd.to_numeric(merged[f"{column}_got"], errors="raise").astype(float)
        bad = ~(((want - have).abs() <= 1e-9 * want.abs().clip(lower=1)) |
                (want.isna() & have.isna()))
        assert not bad.any(), (f"{column} differs from {who}:\n"
                               f"{merged.loc[bad, keys + [f'{column}_want', f'{column}_got']]}")
    return len(merged) * len(columns)


def test_numbers_equal_the_kpis_md_oracle(imported, dbt, tmp_path):
    monthly, quarterly, region = oracle(dbt / "data")
    out = imported[1]
    got = _ours(out, MONTHLY, "month", tmp_path)
    assert len(got) == 48 and got.period.min() == pd.Timestamp("2022-01-01")
    want = monthly.rename_axis("period").reset_index()
    compared = _compare(want, got, ["period"], MONTHLY, "the oracle")
    assert compared == len(MONTHLY) * 48 == 912  # 19 KPIs x 48 months, no row missing or extra
    got = _ours(out, QUARTERLY, "quarter", tmp_path)
    compared += _compare(quarterly.rename_axis("period").reset_index(), got, ["period"],
                         QUARTERLY, "the oracle")
    got = _ours(out, ["won_revenue"], "month", tmp_path, by="region")
    compared += _compare(region, got, ["period", "region"], ["won_revenue"], "the oracle")
    assert compared > 1000


# ------------------------------------------------------------------ bad and hostile input

def _project(root: Path, files: dict[str, str]) -> Path:
    files = {"dbt_project.yml": "name: tiny\nmodel-paths: [models]\n",
             "models/orders.sql": "select * from {{ source('raw', 'orders') }}\n",
             "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: orders\n",
             **files}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


SEMANTIC = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
    dimensions:
      - {name: status, type: categorical}
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: order_count, agg: count, expr: order_id}
"""


def _import(root: Path, *extra: str, env: dict | None = None):
    out = root.parent / f"{root.name}-out"
    done = run_cli("import", "metricflow", str(root), "--output", str(out), *extra, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done, out


def test_not_a_dbt_project(tmp_path):
    done, out = _import(tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {tmp_path}: not a dbt project: there is no " \
        "dbt_project.yml in it"
    assert not out.exists()


def test_broken_yaml_is_one_line_with_its_place(tmp_path):
    root = _project(tmp_path / "p", {"models/semantic.yml": SEMANTIC + "  - name: [oops\n"})
    done, out = _import(root)
    assert done.returncode == 2
    assert re.fullmatch(r"error: models/semantic.yml:\d+:\d+: .+\n", done.stderr)
    assert not out.exists() and not list(tmp_path.glob(".p-out*"))


def test_model_path_outside_the_project_is_refused(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "x.yml").write_text("metrics: []\n")
    root = _project(tmp_path / "p", {"dbt_project.yml": "name: tiny\nmodel-paths:\n"
                                     "  - models\n  - ../secret\n"})
    done, out = _import(root)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: dbt_project.yml:4:5: model path '../secret' is "
                                   "outside the dbt project folder; the importer reads only "
                                   "files inside it")
    assert not out.exists()


def test_links_out_of_the_project_are_not_read(tmp_path):
    (tmp_path / "outside.yml").write_text("metrics: [{name: leak}]\n")
    root = _project(tmp_path / "p", {"models/semantic.yml": SEMANTIC})
    (root / "models" / "leak.yml").symlink_to(tmp_path / "outside.yml")
    done, out = _import(root)
    assert done.returncode == 0, done.stderr
    assert "models/leak.yml: not mapped: a link to a file outside the dbt project" in done.stderr
    assert "leak" not in (out / "metrics.yml").read_text()


def test_output_folder_must_be_new_or_empty(tmp_path):
    root = _project(tmp_path / "p", {"models/semantic.yml": SEMANTIC})
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = run_cli("import", "metricflow", str(root), "--output", str(out))
    assert done.returncode == 2 and "must not exist or be empty" in done.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    (out / "keep.txt").unlink()
    done = run_cli("import", "metricflow", str(root), "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "metrics.yml").is_file()


HOSTILE_METRICS = """\
metrics:
  - name: revenue
    label: Revenue
    type: simple
    type_params: {measure: revenue}
    meta: {owner: finance}
  - name: odd
    type: exotic
    type_params: {measure: revenue}
  - name: sneaky
    type: simple
    type_params: {measure: revenue}
    filter: "{{ Secret('x') }} = 1"
  - name: dunder
    type: simple
    type_params: {measure: revenue}
    filter: "{{ ''.__class__.__mro__ }} = 1"
  - name: shipped
    type: simple
    type_params: {measure: order_count}
    filter: "{{ Dimension('order__status') }} = 'shipped' and
      {{ TimeDimension('metric_time', 'month') }} >= '2024-01-01'"
    colour: red
  - name: weekly
    type: cumulative
    type_params:
      measure: revenue
      cumulative_type_params: {window: 2 weeks}
  - name: revenue_per_order
    type: ratio
    type_params: {numerator: revenue, denominator: shipped}
  - name: broken_ratio
    type: ratio
    type_params: {numerator: odd, denominator: revenue}
"""


def test_hostile_and_unmappable_constructs_are_reported(tmp_path):
    root = _project(tmp_path / "p", {"models/semantic.yml": SEMANTIC,
                                     "models/metrics.yml": HOSTILE_METRICS})
    done, out = _import(root)
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "models/metrics.yml:8:5: not mapped: metric 'odd': unknown metric type 'exotic'" in err
    assert re.search(r"models/metrics.yml:13:5: not mapped: metric 'sneaky': filter .*unknown "
                     r"template function 'Secret'", err)
    assert re.search(r"models/metrics.yml:17:5: not mapped: metric 'dunder': filter .*is not a "
                     r"call of", err)
    assert "models/metrics.yml:23:5: not mapped: unknown key 'colour' in metric 'shipped'" in err
    assert re.search(r"models/metrics.yml:24:5: not mapped: metric 'weekly': cumulative "
                     r"metric with window '2 weeks' and period_agg: first", err)
    assert re.search(r"models/metrics.yml:34:19: not mapped: metric 'broken_ratio': it uses "
                     r"metric 'odd', which is not mapped", err)
    _, metrics = _catalog(out)
    assert set(metrics) == {"revenue", "shipped", "revenue_per_order"}
    assert metrics["revenue"]["owner"] == "finance"
    assert metrics["shipped"]["filters"] == [
        "status = 'shipped' AND DATE_TRUNC('MONTH', ordered_at) >= '2024-01-01'"]
    assert metrics["revenue_per_order"]["denominator"] == {"metric": "shipped"}
    assert run_cli("validate", str(out)).returncode in (0, 1)  # no data: only missing-data
    strict, _ = _import(_project(tmp_path / "q", {"models/semantic.yml": SEMANTIC,
                                                  "models/metrics.yml": HOSTILE_METRICS}),
                        "--strict")
    assert strict.returncode == 1


def test_dbt_jinja_is_never_evaluated(tmp_path):
    root = _project(tmp_path / "p", {
        "models/semantic.yml": SEMANTIC,
        "models/orders.sql": "{% if true %}select 1{% endif %}\n",
        "models/other.sql": "select {{ ''.__class__ }} from {{ ref('orders') }}\n",
        "models/other.yml": "semantic_models:\n  - name: other\n    model: ref('other')\n"
                            "    entities: [{name: thing, type: primary}]\n"
                            "    dimensions: [{name: colour, type: categorical}]\n"})
    done, out = _import(root)
    assert done.returncode == 0, done.stderr
    assert "models/orders.sql:1:1: not mapped: dbt model 'orders': Jinja statement {% if ... %}" \
        in done.stderr
    assert "models/other.sql:1:8: not mapped: dbt model 'other'" in done.stderr
    sources, _ = _catalog(out)
    assert sources["orders"]["table"] == "orders" and sources["other"]["table"] == "other"


def test_env_var_is_never_read(tmp_path):
    root = _project(tmp_path / "p", {
        "models/semantic.yml": SEMANTIC,
        "models/orders.sql": "select * from {{ env_var('SECRET_TABLE') }}\n"})
    done, out = _import(root, env={"SECRET_TABLE": "s3cr3t"})
    assert "env_var('SECRET_TABLE') has no default, and the importer never reads the " \
        "environment" in done.stderr
    assert "s3cr3t" not in "".join(p.read_text() for p in out.iterdir())


# ------------------------------------------------------------------ MetricFlow itself

def _mf_venv() -> Path:
    if not (MF_VENV / "bin" / "mf").is_file():
        message = (f"no MetricFlow venv at {MF_VENV}: python -m venv {MF_VENV} && {MF_VENV}/"
                   f"bin/pip install -r {FIXTURE}/requirements.txt numpy pyarrow (or set "
                   "METRICS_MF_VENV; .ci/run builds it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return MF_VENV / "bin"


def _mf_query(bin_: Path, dbt: Path, metrics: list[str], group_by: str, key: str) -> pd.DataFrame:
    csv = dbt / f"mf_{group_by.replace(',', '_')}.csv"
    env = {**os.environ, "CRM_DATA_DIR": "data", "CRM_DUCKDB_PATH": "target/crm.duckdb",
           "DBT_PROFILES_DIR": str(dbt)}
    done = subprocess.run([str(bin_ / "mf"), "query", "--metrics", ",".join(metrics),
                           "--group-by", group_by, "--csv", str(csv), "--quiet"], cwd=dbt,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    frame = pd.read_csv(csv, keep_default_na=False, na_values=[""])  # region "NA"
    frame = frame.rename(columns={key: "period", "rep__region": "region"})
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


@pytest.mark.metricflow
def test_numbers_equal_metricflow(tmp_path):
    """dbt parse, dbt run and `mf query` on the fixture; our import of it on the same data."""
    bin_ = _mf_venv()
    dbt = _copy_with_data(tmp_path / "crm")
    env = {**os.environ, "CRM_DATA_DIR": "data", "CRM_DUCKDB_PATH": "target/crm.duckdb",
           "DBT_PROFILES_DIR": str(dbt), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for step in (["parse"], ["run"]):
        done = subprocess.run([str(bin_ / "dbt"), *step], cwd=dbt, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "imported"
    done = run_cli("import", "metricflow", str(dbt), "--output", str(out))
    assert done.returncode == 0, done.stderr
    compared = 0
    for metrics, grain, by in ((MONTHLY, "month", None), (QUARTERLY, "quarter", None),
                               (["won_revenue"], "month", "region")):
        group_by = f"metric_time__{grain}" + (",rep__region" if by else "")
        theirs = _mf_query(bin_, dbt, metrics, group_by, f"metric_time__{grain}")
        ours = _ours(out, metrics, grain, tmp_path, by)
        keys = ["period"] + ([by] if by else [])
        compared += _compare(theirs, ours, keys, metrics, "MetricFlow")
        if not by:  # the same periods: MetricFlow leaves out only periods without any row
            assert set(theirs.period) == set(ours.period)
    assert compared > 1000


def test_paths_and_sql_that_reach_outside(tmp_path):
    """Locations outside the project are not mapped; SQL that reads files is refused by our
    validation and reported (with what is built on it); nothing of it is written."""
    root = _project(tmp_path / "p", {
        "models/sources.yml": (
            "sources:\n  - name: raw\n"
            "    config: {external_location: \"read_parquet('../../etc/{name}.parquet')\"}\n"
            "    tables: [{name: orders}, {name: abs, config: {external_location: "
            "/etc/passwd.parquet}}]\n"),
        "models/absm.sql": "select * from {{ source('raw', 'abs') }}\n",
        "models/semantic.yml": SEMANTIC.replace(
            "      - {name: revenue, agg: sum, expr: amount}",
            "      - {name: revenue, agg: sum, expr: \"length(read_text('/etc/passwd'))\"}")
        + "  - name: trav\n    model: ref('../../etc/passwd')\n"
          "  - name: absm\n    model: \"{{ ref('absm') }}\"\n",
        "models/metrics.yml": (
            "metrics:\n  - {name: leaky, type: simple, type_params: {measure: revenue}}\n"
            "  - {name: fine, type: simple, type_params: {measure: order_count}}\n"
            "  - {name: on_leaky, type: derived, type_params: {expr: leaky + fine, "
            "metrics: [leaky, fine]}}\n")})
    done, out = _import(root)
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "models/sources.yml:3:14: not mapped: external_location '../../etc/orders.parquet' " \
        "of source table 'orders' is outside the dbt project" in err
    assert "models/sources.yml:4:51: not mapped: external_location '/etc/passwd.parquet'" in err
    assert "models/semantic.yml:14:5: not mapped: semantic model 'trav': 'model' must be " \
        "ref('<model>')" in err
    assert "models/metrics.yml:2:5: not mapped: metric 'leaky': the engine refuses it: " \
        "read_text() reads files" in err
    assert "models/metrics.yml:4:5: not mapped: metric 'on_leaky': the engine refuses it" in err
    written = "".join((out / f).read_text() for f in ("project.yml", "sources.yml",
                                                      "metrics.yml"))
    assert "read_text" not in written and "/etc" not in written
    assert "allowed_paths" not in (out / "project.yml").read_text()
    _, metrics = _catalog(out)
    assert set(metrics) == {"fine"}


def test_wrong_shapes_are_reported(tmp_path):
    root = _project(tmp_path / "p", {
        "models/semantic.yml": SEMANTIC.replace("    measures:\n", "    measures: 7\n    x:\n"),
        "models/metrics.yml": "metrics: {name: x}\nsaved_queries: 3\n"})
    done, out = _import(root)
    assert done.returncode == 0, done.stderr
    assert "models/metrics.yml:1:1: not mapped: 'metrics' must be a list: not read" in done.stderr
    assert "models/metrics.yml:2:1: not mapped: 'saved_queries' must be a list" in done.stderr
    assert re.search(r"models/semantic.yml:\d+:5: not mapped: measures of semantic model "
                     r"'orders' must be a list", done.stderr)


def _shapes():
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
        ["simple", "ratio", "derived", "cumulative", "conversion", "revenue", "order_count",
         "{{ Dimension('order__status') }} = 'x'", "{{ x }}", "1 month", "a +", "last"]))
    keys = st.sampled_from(["name", "type", "type_params", "measure", "numerator", "filter",
                            "metrics", "expr", "window", "cumulative_type_params", "alias",
                            "offset_window", "period_agg", "meta", "config", "label"])
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


def test_any_metric_shape_is_a_report_line_never_a_crash(tmp_path_factory):
    """Generated metric entries: the import finishes (or refuses with one line), always."""
    hypothesis = pytest.importorskip("hypothesis")
    from sales_metrics.engine.diagnostics import UsageError
    from sales_metrics.engine.interchange.metricflow import import_project

    @hypothesis.settings(max_examples=40, deadline=None, database=None)
    @hypothesis.given(_shapes())
    def check(metric):
        root = _project(tmp_path_factory.mktemp("shape") / "p", {
            "models/semantic.yml": SEMANTIC,
            "models/metrics.yml": yaml.safe_dump({"metrics": [metric, {
                "name": "ok", "type": "simple", "type_params": {"measure": "revenue"}}]})})
        try:
            assert import_project(root, root.parent / "out", strict=False) == 0
        except UsageError:
            return
        assert "ok" in (root.parent / "out" / "metrics.yml").read_text()
    check()


def test_import_in_place_reads_no_data_and_writes_nothing_there(tmp_path):
    """The fixture itself has no data: the import needs none, and leaves the folder as it is."""
    before = sorted(p.relative_to(_fixture()) for p in FIXTURE.rglob("*"))
    done = run_cli("import", "metricflow", str(FIXTURE), "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert sorted(p.relative_to(FIXTURE) for p in FIXTURE.rglob("*")) == before
    if not (FIXTURE / "data").is_dir():
        assert "dbt_project.yml: note: the data folder" in done.stderr
    assert (tmp_path / "out" / "metrics.yml").read_text() == \
        _yaml_text_of_copy(tmp_path)


def _yaml_text_of_copy(tmp_path: Path) -> str:
    """The same definitions come from a copy of the fixture: only paths differ."""
    copy = tmp_path / "copy"
    shutil.copytree(FIXTURE, copy, ignore=shutil.ignore_patterns("data", "target", "logs"))
    done = run_cli("import", "metricflow", str(copy), "--output", str(tmp_path / "out2"))
    assert done.returncode == 0, done.stderr
    return (tmp_path / "out2" / "metrics.yml").read_text()
