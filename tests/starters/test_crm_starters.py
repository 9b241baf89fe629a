"""CRM starters: `metrics init DIR --from salesforce|hubspot|zoho` writes a project over the
CRM's tables as Fivetran lands them, with a sample of such tables, that runs at once.

The sample (examples/crm_sample.py) is the bundled sample's deals, leads, activities and reps
reshaped into each CRM's tables, so each starter must give the bundled catalog's numbers: every
metric both define, in every month, overall and by lead source (and at quarter grain for the
quota KPIs). A few KPIs are also computed with pandas straight from the CRM-shaped files (win
rate from is_won / is_closed, from HubSpot's stage flags, from Zoho's stage names), so the
check is not only the engine against itself.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from support import DATA_DIR, PROJECT_DIR, ROOT, run_cli

CRMS = ("salesforce", "hubspot", "zoho")
# What each starter maps (the others cannot be: see the README section and each file's header).
MAPPED = {
    "salesforce": {"calls_made", "emails_sent", "meetings_scheduled", "leads_created",
                   "lead_conversion_rate", "lead_to_customer_90d"},
    "hubspot": {"calls_made", "emails_sent", "meetings_scheduled", "email_open_rate",
                "click_through_rate", "meeting_attendance_rate", "leads_created",
                "lead_conversion_rate", "mql_to_sql_rate", "lead_to_customer_90d",
                "lead_to_mql_30d", "mql_to_sql_30d", "avg_days_lead_to_mql",
                "median_days_lead_to_mql", "median_days_mql_to_sql", "inbound_response_hours",
                "leads_followed_up_rate"},
    "zoho": {"calls_made", "meetings_scheduled", "leads_created", "lead_conversion_rate",
             "lead_to_customer_90d"},
}
DEALS = {"opportunities_created", "win_rate", "deals_won", "won_revenue", "average_deal_size",
         "sales_cycle_length", "pipeline_created", "p90_deal_size", "upsell_rate",
         "accounts_won", "open_pipeline", "open_pipeline_at_start", "open_opportunities",
         "pipeline_lost", "pipeline_velocity", "won_revenue_growth", "won_revenue_ytd",
         "win_rate_trailing_3"}
QUOTA = ("quota", "quota_attainment", "reps_at_quota", "pipeline_coverage")
# Defined differently on purpose: Salesforce's ConvertedDate is a date, so "within 90 days"
# counts calendar days there (checked against pandas below), elapsed 24-hour days in the
# catalog. On the sample that moves one lead of February 2024.
DIFFERS = {"salesforce": {"lead_to_customer_90d"}}


def _load_generator():
    spec = importlib.util.spec_from_file_location("crm_sample", ROOT / "examples" / "crm_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


crm_sample = _load_generator()


def ok(result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def run(folder, *args: str) -> list[dict[str, str]]:
    return rows(ok(run_cli("run", "--format", "csv", *args, cwd=folder)))


@pytest.fixture(scope="module", params=CRMS)
def starter(request, tmp_path_factory):
    """(crm, folder): a project made by `metrics init --from crm`, shared read-only."""
    folder = tmp_path_factory.mktemp(request.param) / "kpis"
    made = run_cli("init", str(folder), "--from", request.param)
    ok(made)
    assert f"from the {crm_sample_title(request.param)} starter" in made.stderr
    return request.param, folder


def crm_sample_title(crm: str) -> str:
    return {"salesforce": "Salesforce", "hubspot": "HubSpot", "zoho": "Zoho CRM"}[crm]


@pytest.fixture(scope="module")
def bundled():
    """The bundled project's `metrics run` output, by the run's extra arguments."""
    cache: dict[tuple, list[dict[str, str]]] = {}

    def get(*args: str) -> list[dict[str, str]]:
        if args not in cache:
            cache[args] = run(ROOT, "-p", str(PROJECT_DIR), *args)
        return cache[args]
    return get


def same(value: str, expected: str) -> bool:
    if value == expected:
        return True
    if value == "" or expected == "":
        return False
    return math.isclose(float(value), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def compare(ours: list[dict], theirs: list[dict], keys: list[str], metrics: set[str],
            translate=lambda row: row) -> int:
    """Every value of ``metrics`` equal in every row (matched on ``keys``); the number compared."""
    def key(row: dict) -> tuple:
        return tuple(row[k] for k in keys)

    index = {key(r): r for r in theirs}
    ours = [translate(r) for r in ours]
    assert {key(r) for r in ours} == set(index)
    wrong = [(key(r), m, r[m], index[key(r)][m]) for r in ours for m in sorted(metrics)
             if not same(r[m], index[key(r)][m])]
    assert not wrong, wrong[:10]
    return len(ours) * len(metrics)


def test_a_starter_validates_and_passes_its_test(starter):
    crm, folder = starter
    assert sorted(p.name for p in (folder / "metrics").glob("*.yml")) == [
        "activity.yml", "deals.test.yml", "deals.yml", "leads.yml", "project.yml",
        "quota.yml", "sources.yml"]
    assert {p.stem for p in (folder / "data").glob("*.parquet")} == set(crm_sample.shape(crm))
    ok(run_cli("validate", "--strict", cwd=folder))
    assert "1 passed" in ok(run_cli("test", cwd=folder))


def test_a_starter_gives_the_catalogs_numbers_every_month(starter, bundled):
    crm, folder = starter
    ours = run(folder, "--grain=month")
    metrics = set(ours[0]) - {"period"}
    assert metrics == DEALS | MAPPED[crm]  # (the quota KPIs are quarterly: below)
    theirs = bundled("--grain=month")
    assert len(ours) == 24
    compare(ours, theirs, ["period"], metrics - DIFFERS.get(crm, set()))


def test_by_lead_source_too(starter, bundled):
    crm, folder = starter
    back = {v: k for k, v in crm_sample.LEAD_SOURCE[crm].items()} | {"unknown": "unknown"}
    picked = ["win_rate", "won_revenue", "open_pipeline", "sales_cycle_length", "leads_created",
              "lead_conversion_rate"]
    args = ["--grain=month", "--by", "lead_source", *[a for m in picked for a in ("-m", m)]]
    ours = run(folder, *args)
    assert {r["lead_source"] for r in ours} == set(back)  # the CRM's own picklist values
    compared = compare(ours, bundled(*args), ["period", "lead_source"],
                       set(picked) - DIFFERS.get(crm, set()),
                       lambda r: r | {"lead_source": back[r["lead_source"]]})
    assert compared == 24 * 6 * len(picked)


def test_quota_kpis_by_quarter(starter, bundled):
    crm, folder = starter
    args = ["--grain=quarter", *[a for m in QUOTA for a in ("-m", m)]]
    ours = run(folder, *args)
    assert len(ours) == 8
    compare(ours, bundled(*args), ["period"], set(QUOTA))


# ------------------------------------------------------------------ pandas, on the CRM files

def month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")


def expect(ours: list[dict], metric: str, by_month: pd.Series, default: float) -> None:
    for row in ours:
        value = by_month.get(row["period"], default)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            assert row[metric] == "", (metric, row["period"], row[metric])
        else:
            assert math.isclose(float(row[metric]), value, rel_tol=1e-9), (metric, row["period"])


def win_rate(frame: pd.DataFrame) -> pd.Series:
    """Won over closed per close month, empty under 5 closed deals (min_denominator)."""
    grouped = frame[frame["closed"]].groupby("month")
    closed, won = grouped.size(), grouped["won"].sum()
    return (won / closed).where(closed >= 5)


def deals_frame(crm: str, data) -> pd.DataFrame:
    """One row per live deal: month closed, closed and won flags from the CRM's own fields."""
    if crm == "salesforce":
        d = pd.read_parquet(data / "opportunity.parquet")
        d = d[~d["is_deleted"]]
        return pd.DataFrame({"month": month(d["close_date"]), "closed": d["is_closed"],
                             "won": d["is_won"], "amount": d["amount"]})
    if crm == "hubspot":
        d = pd.read_parquet(data / "deal.parquet")
        stages = pd.read_parquet(data / "deal_pipeline_stage.parquet")
        d = d[~d["is_deleted"]].merge(stages, how="left", validate="many_to_one",
                                      left_on=["deal_pipeline_stage_id", "deal_pipeline_id"],
                                      right_on=["stage_id", "pipeline_id"])
        return pd.DataFrame({"month": month(d["property_closedate"]), "closed": d["is_closed"],
                             "won": d["closed_won"], "amount": d["property_amount"]})
    d = pd.read_parquet(data / "deal.parquet")
    d = d[~d["_fivetran_deleted"]]
    return pd.DataFrame({"month": month(d["closing_date"]),
                         "closed": d["stage"].str.startswith("Closed"),
                         "won": d["stage"] == "Closed Won", "amount": d["amount"]})


def test_kpis_by_hand_from_the_crm_tables(starter):
    crm, folder = starter
    data = folder / "data"
    ours = run(folder, "--grain=month")
    deals = deals_frame(crm, data)
    expect(ours, "win_rate", win_rate(deals), math.nan)
    won = deals[deals["closed"] & deals["won"]]
    expect(ours, "won_revenue", won.groupby("month")["amount"].sum(), 0.0)
    expect(ours, "deals_won", won.groupby("month").size().astype(float), 0.0)
    calls = {"salesforce": ("task", "activity_date"), "hubspot": ("engagement_call",
             "property_hs_timestamp"), "zoho": ("call", "call_start_time")}[crm]
    table = pd.read_parquet(data / f"{calls[0]}.parquet")
    if crm == "salesforce":
        table = table[(table["task_subtype"] == "Call") & ~table["is_deleted"]]
    expect(ours, "calls_made", table.groupby(month(table[calls[1]])).size().astype(float), 0.0)
    leads = {"salesforce": ("lead", "created_date", "is_converted"),
             "hubspot": ("contact", "property_createdate", "property_hs_lifecyclestage_opportunity_date"),
             "zoho": ("lead", "created_time", "converted_s")}[crm]
    table = pd.read_parquet(data / f"{leads[0]}.parquet")
    converted = table[leads[2]].notna() if crm == "hubspot" else table[leads[2]].astype(bool)
    expect(ours, "lead_conversion_rate", converted.groupby(month(table[leads[1]])).mean(), math.nan)
    if crm == "hubspot":
        emails = pd.read_parquet(data / "engagement_email.parquet")
        opened = emails["property_hs_email_open_count"] > 0
        expect(ours, "email_open_rate", opened.groupby(month(emails["property_hs_timestamp"])).mean(),
               math.nan)
        meetings = pd.read_parquet(data / "engagement_meeting.parquet")
        attended = meetings["property_hs_meeting_outcome"] == "COMPLETED"
        expect(ours, "meeting_attendance_rate",
               attended.groupby(month(meetings["property_hs_timestamp"])).mean(), math.nan)
    if crm == "salesforce":  # calendar days from the created date to the converted date
        created = table["created_date"].dt.normalize()
        days = (pd.to_datetime(table["converted_date"]) - created).dt.days
        expect(ours, "lead_to_customer_90d",
               (days <= 90).groupby(month(table["created_date"])).mean(), math.nan)


# ------------------------------------------------------------------ customised orgs

CUSTOM = {  # table, {old stage value: new}, stage column, amount column: new name, vars
    "salesforce": ("opportunity", {"Closed Won": "Won - Signed", "Closed Lost": "Lost"},
                   "stage_name", ("amount", "amount_usd_c"),
                   {"won_stages": ["Won - Signed"], "lost_stages": ["Lost"],
                    "amount_column": "amount_usd_c"}),
    "hubspot": ("deal", {"closedwon": "98765432", "closedlost": "98765433"},
                "deal_pipeline_stage_id", ("property_amount", "property_amount_in_home_currency"),
                {"won_stages": ["98765432"], "lost_stages": ["98765433"],
                 "amount_column": "property_amount_in_home_currency"}),
    "zoho": ("deal", {"Closed Won": "Won", "Closed Lost": "Lost",
                      "Closed Lost to Competition": "Lost to a competitor"},
             "stage", ("amount", "amount_usd"),
             {"won_stages": ["Won"], "lost_stages": ["Lost", "Lost to a competitor"],
              "amount_column": "amount_usd"}),
}


def test_a_customised_org_changes_vars_not_metrics(starter, tmp_path):
    crm, folder = starter
    table, stages, stage_column, (amount, renamed), variables = CUSTOM[crm]
    custom = tmp_path / "custom"
    shutil.copytree(folder, custom)
    frame = pd.read_parquet(custom / "data" / f"{table}.parquet")
    assert set(stages) <= set(frame[stage_column])
    frame[stage_column] = frame[stage_column].replace(stages)
    frame.rename(columns={amount: renamed}).to_parquet(custom / "data" / f"{table}.parquet")
    if crm == "hubspot":  # a custom pipeline's stages have numeric ids in both tables
        path = custom / "data" / "deal_pipeline_stage.parquet"
        pipeline = pd.read_parquet(path)
        pipeline["stage_id"] = pipeline["stage_id"].replace(stages)
        pipeline.to_parquet(path)
    project = custom / "metrics" / "project.yml"
    settings = yaml.safe_load(project.read_text())
    before = run(folder, "--grain=month")
    assert "error" in run_cli("run", cwd=custom).stderr  # the old vars no longer fit the data
    settings["vars"].update(variables)
    project.write_text(yaml.safe_dump(settings, sort_keys=False))
    after = run(custom, "--grain=month")
    compare(after, before, ["period"], set(before[0]) - {"period"})


# ------------------------------------------------------------------ the command

def test_an_unknown_starter_is_one_line_listing_the_choices(tmp_path):
    target = tmp_path / "new"
    result = run_cli("init", str(target), "--from", "pipedrive")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("error: unknown starter 'pipedrive' for --from; choose one of: "
                             "salesforce, hubspot, zoho\n")
    assert not target.exists()


def test_a_folder_that_is_not_empty_is_refused_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    refused = run_cli("init", str(tmp_path), "--from", "zoho")
    assert refused.returncode == 2 and "is not empty" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    ok(run_cli("init", str(tmp_path), "--from", "ZOHO", "--force"))
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "data" / "deal.parquet").is_file()
    ok(run_cli("validate", cwd=tmp_path))


def test_a_project_is_written_whole_or_not_at_all(tmp_path):
    (tmp_path / "data" / "user.parquet").mkdir(parents=True)  # a folder where a file must go
    result = run_cli("init", str(tmp_path), "--from", "salesforce", "--force")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: cannot write the project in {tmp_path}: ")
    assert len(result.stderr.splitlines()) == 1
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["data", "data/user.parquet"]  # what was there before, nothing more


@pytest.mark.parametrize("crm", CRMS)
def test_the_shipped_sample_is_the_generators_output(crm):
    """cli/starters/<crm>/data is what examples/crm_sample.py makes of examples/data today;
    after the bundled sample changes, run `python examples/crm_sample.py`."""
    shipped = ROOT / "cli" / "starters" / crm / "data"
    made = crm_sample.shape(crm, crm_sample.read_base(DATA_DIR))
    assert {p.stem for p in shipped.glob("*.parquet")} == set(made)
    for name, table in made.items():
        assert pq.read_table(shipped / f"{name}.parquet").equals(table), (
            f"{crm}/{name} is stale: run python examples/crm_sample.py")
