"""Deterministic sample data in the shape three CRMs take in a warehouse, from the bundled sample.

The bundled sample (examples/data/*.parquet, written by examples/generate.py) is reshaped,
never re-simulated: the same deals, leads, activities, reps and accounts, with the tables,
column names, identifiers, picklist values and types that the sync tool lands for each CRM.
So a starter project (`metrics init DIR --from salesforce|hubspot|zoho`) must give the bundled
catalog's numbers on this data; tests/starters/ hold it to that.

Sync tool and schema followed, per CRM (what the starters in cli/starters/ read):

* salesforce: Fivetran's Salesforce connector, as its dbt package fivetran/dbt_salesforce_source
  v1.2.0 (2025-10-01) declares the source tables and columns (macros/get_*_columns.sql):
  opportunity, lead, task, event, user, user_role, account; API names in snake_case
  (StageName -> stage_name), custom fields with `__c` as `_c` (Amount_USD__c -> amount_usd_c),
  soft deletes as is_deleted. CloseDate, ActivityDate and ConvertedDate are dates.
* hubspot: Fivetran's HubSpot connector: tables and fixed columns as fivetran/dbt_hubspot_source
  v0.21.0 (2025-10-01) declares them; HubSpot properties as property_<internal name> columns
  (the package passes them through unlisted, so those follow the naming rule): deal (property_<name> columns), deal_company, company, deal_pipeline, deal_pipeline_stage (closed_won,
  is_closed, probability), engagement with engagement_call / engagement_email /
  engagement_meeting (property_hs_* columns), engagement_deal, engagement_contact, contact
  (property_lifecyclestage, property_hs_lifecyclestage_<stage>_date, property_hs_lead_status,
  property_hs_analytics_source), owner. Fivetran lands HubSpot's epoch-millisecond values as
  timestamps (other tools, e.g. Stitch, keep epoch ms).
* zoho: Fivetran's Zoho CRM connector, its schema ERD (fivetran.com/docs/connectors/
  applications/zoho-crm/connector-schema): one table per module, singular and snake_case
  (Accounts -> account, Deals -> deal, Calls -> call, Meetings, API name Events -> event),
  field API names in snake_case, lookups flattened to <field>_id / _name / _email
  (Owner -> owner_id, Account_Name -> account_name_id), created_time / modified_time,
  deletes as _fivetran_deleted. The ERD's account table was checked column by column; the
  columns of deal, lead, call, event and user follow the same rule from Zoho's field API
  names (Deal_Name, Stage, Closing_Date, Lead_Status, Converted__s -> converted_s,
  Converted_Date_Time, Call_Start_Time, Start_DateTime, Full_Name, Role). Zoho has no
  won/closed flags: the stage picklist says it. Closing_Date is a date.

Identifiers are made from the bundled ids (a Salesforce id is its key prefix + the number),
so the reshaping is a pure function of the bundled files. Each CRM also gets `quota`: the
quota table a team provides (none of the three has one every org fills; Salesforce's
ForecastingQuota exists only with Collaborative Forecasts), owner_id / start_date /
quota_amount per rep and quarter.

    python examples/crm_sample.py                # all three, into cli/starters/<crm>/data
    python examples/crm_sample.py --crm zoho --out /tmp/crm
"""
from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
STARTERS = HERE.parent / "cli" / "starters"
CRMS = ("salesforce", "hubspot", "zoho")
BASE = ("reps", "accounts", "leads", "opportunities", "activities", "quotas")
TS, DATE = pa.timestamp("us"), pa.date32()
Tables = dict[str, pa.Table]

# Picklist values, bundled value -> CRM value. Lead sources are org picklists: the values here
# are standard options of Salesforce's and Zoho's Lead Source, and of HubSpot's "Original
# source" (hs_analytics_source) enumeration.
LEAD_SOURCE = {
    "salesforce": {"inbound": "Web", "outbound": "Cold Call", "referral": "Employee Referral",
                   "partner": "Partner", "event": "Trade Show"},
    "hubspot": {"inbound": "ORGANIC_SEARCH", "outbound": "OFFLINE", "referral": "REFERRALS",
                "partner": "OTHER_CAMPAIGNS", "event": "EMAIL_MARKETING"},
}
LEAD_SOURCE["zoho"] = LEAD_SOURCE["salesforce"]
STAGE = {
    "salesforce": {"prospecting": "Prospecting", "qualification": "Qualification",
                   "proposal": "Proposal/Price Quote", "negotiation": "Negotiation/Review",
                   "won": "Closed Won", "lost": "Closed Lost"},
    "hubspot": {"prospecting": "appointmentscheduled", "qualification": "qualifiedtobuy",
                "proposal": "presentationscheduled", "negotiation": "contractsent",
                "won": "closedwon", "lost": "closedlost"},
    "zoho": {"prospecting": "Qualification", "qualification": "Needs Analysis",
             "proposal": "Proposal/Price Quote", "negotiation": "Negotiation/Review",
             "won": "Closed Won", "lost": "Closed Lost"},
}
ZOHO_LOST_TO_COMPETITION = "Closed Lost to Competition"  # every third lost Zoho deal
DEAL_TYPE = {
    "salesforce": {"new_business": "New Customer", "expansion": "Existing Customer - Upgrade",
                   "renewal": "Renewal"},
    "hubspot": {"new_business": "newbusiness", "expansion": "existingbusiness",
                "renewal": "renewal"},
    "zoho": {"new_business": "New Business", "expansion": "Existing Business",
             "renewal": "Renewal"},
}
PROBABILITY = {"prospecting": 10, "qualification": 20, "proposal": 60, "negotiation": 80,
               "won": 100, "lost": 0}
HUBSPOT_STAGES = [  # stage_id, label, probability, closed_won, is_closed
    ("appointmentscheduled", "Appointment Scheduled", 0.2, False, False),
    ("qualifiedtobuy", "Qualified To Buy", 0.4, False, False),
    ("presentationscheduled", "Presentation Scheduled", 0.6, False, False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", 0.8, False, False),
    ("contractsent", "Contract Sent", 0.9, False, False),
    ("closedwon", "Closed Won", 1.0, True, True),
    ("closedlost", "Closed Lost", 0.0, False, True)]
SALESFORCE_LEAD_STATUS = {"new": "Open - Not Contacted", "mql": "Working - Contacted",
                          "sql": "Working - Contacted", "converted": "Closed - Converted",
                          "disqualified": "Closed - Not Converted"}
HUBSPOT_LEAD_STATUS = {"new": "NEW", "mql": "OPEN", "sql": "IN_PROGRESS",
                       "converted": "OPEN_DEAL", "disqualified": "UNQUALIFIED"}
ZOHO_LEAD_STATUS = {"new": "Not Contacted", "mql": "Contacted", "sql": "Pre-Qualified",
                    "converted": "Pre-Qualified", "disqualified": "Not Qualified"}
DELETED_EVERY = 250  # one deleted copy of every 250th opportunity: the starters must skip it
SYNCED = np.datetime64("2026-01-01T06:00:00", "us")  # when the sync tool last wrote a row


def read_base(data: Path = DATA) -> Tables:
    return {name: pq.read_table(data / f"{name}.parquet") for name in BASE}


def col(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


def mapped(values: list, mapping: dict) -> list:
    return [None if v is None else mapping[v] for v in values]


def ids(prefix: str, numbers: list) -> list:
    """Salesforce-style 18-character ids: the object's key prefix and the number."""
    return [None if n is None else f"{prefix}{n:012d}AAA" for n in numbers]


def zoho_ids(module: int, numbers: list) -> list:
    """Zoho-style 19-digit record ids, one range per module."""
    return [None if n is None else str(5725767000000000000 + module * 10**9 + n) for n in numbers]


def dates(table: pa.Table, name: str) -> pa.Array:
    return pc.cast(table.column(name), DATE)


def expected_close(opps: pa.Table) -> list:
    """An open deal's expected close date (CRMs require one): after the sample's end."""
    end = max(d for d in col(opps, "created_at") if d is not None)
    return [closed.date() if closed is not None else
            (max(created, end) + timedelta(days=14 + oid % 60)).date()
            for oid, created, closed in zip(col(opps, "opportunity_id"), col(opps, "created_at"),
                                            col(opps, "closed_at"))]


def close_times(opps: pa.Table) -> list:
    """closed_at, or for an open deal its expected close date at noon."""
    return [closed if closed is not None else
            np.datetime64(day, "us").astype(object) + timedelta(hours=12)
            for closed, day in zip(col(opps, "closed_at"), expected_close(opps))]


def with_deleted(table: pa.Table, key: str, flag: str, make_id) -> pa.Table:
    """Append a deleted copy (a new id, the flag set) of every DELETED_EVERY-th row."""
    pick = pa.array(np.arange(table.num_rows) % DELETED_EVERY == DELETED_EVERY - 1)
    copies = table.filter(pick)
    numbers = [10**7 + i for i in range(copies.num_rows)]
    copies = copies.set_column(copies.schema.get_field_index(key), key,
                               pa.array(make_id(numbers), table.schema.field(key).type))
    copies = copies.set_column(copies.schema.get_field_index(flag), flag,
                               pa.array([True] * copies.num_rows))
    return pa.concat_tables([table, copies])


def synced(n: int) -> pa.Array:
    return pa.array(np.full(n, SYNCED), TS)


def names(reps: pa.Table) -> tuple[list, list]:
    full = col(reps, "rep_name")
    return [n.split(" ", 1)[0] for n in full], [n.split(" ", 1)[1] for n in full]


def email(full_name: str) -> str:
    return full_name.lower().replace(" ", ".") + "@acme.example"


def quota_table(base: Tables, owner) -> pa.Table:
    quotas = base["quotas"]
    return pa.table({"owner_id": owner(col(quotas, "rep_id")),
                     "start_date": quotas.column("quarter_start"),
                     "quota_amount": quotas.column("quota")})


# ---------------------------------------------------------------------------- Salesforce

def salesforce(base: Tables) -> Tables:
    """Salesforce objects as Fivetran lands them (dbt_salesforce_source v1.2.0's columns)."""
    reps, accounts, leads = base["reps"], base["accounts"], base["leads"]
    opps, acts = base["opportunities"], base["activities"]
    user, role, account = (lambda n: ids("005", n)), (lambda n: ids("00E", n)), (lambda n: ids("001", n))
    opp, lead = (lambda n: ids("006", n)), (lambda n: ids("00Q", n))
    return {"opportunity": sf_opportunity(opps, user, account, opp),
            "lead": sf_lead(leads, opps, user, lead, opp, account),
            "task": sf_task(acts, user, account, opp, lead),
            "event": sf_event(acts, user, account, opp, lead),
            "user": sf_user(reps, user, role),
            "user_role": sf_user_role(reps, role),
            "account": sf_account(accounts, user, account),
            "quota": quota_table(base, user)}


def sf_opportunity(opps: pa.Table, user, account, opp) -> pa.Table:
    stage = col(opps, "stage")
    n = opps.num_rows
    table = pa.table({
        "id": opp(col(opps, "opportunity_id")), "is_deleted": pa.array([False] * n),
        "account_id": account(col(opps, "account_id")),
        "name": [f"Opportunity {i}" for i in col(opps, "opportunity_id")],
        "stage_name": mapped(stage, STAGE["salesforce"]),
        "amount": opps.column("amount"),
        "probability": pa.array([float(PROBABILITY[s]) for s in stage]),
        "close_date": pa.array(expected_close(opps), DATE),
        "type": mapped(col(opps, "deal_type"), DEAL_TYPE["salesforce"]),
        "lead_source": mapped(col(opps, "lead_source"), LEAD_SOURCE["salesforce"]),
        "is_closed": pa.array([s in ("won", "lost") for s in stage]),
        "is_won": pa.array([s == "won" for s in stage]),
        "forecast_category_name": [{"won": "Closed", "lost": "Omitted", "negotiation": "Commit",
                                    "proposal": "Best Case"}.get(s, "Pipeline") for s in stage],
        "owner_id": user(col(opps, "owner_rep_id")),
        "created_date": opps.column("created_at"),
        "_fivetran_synced": synced(n)})
    return with_deleted(table, "id", "is_deleted", opp)


def sf_lead(leads: pa.Table, opps: pa.Table, user, lead, opp, account) -> pa.Table:
    converted = [c is not None for c in col(leads, "converted_at")]
    opp_of = {lid: (oid, aid) for lid, oid, aid in zip(col(opps, "lead_id"), col(opps, "opportunity_id"),
                                                       col(opps, "account_id")) if lid is not None}
    n = leads.num_rows
    return pa.table({
        "id": lead(col(leads, "lead_id")), "is_deleted": pa.array([False] * n),
        "last_name": [f"Lead {i}" for i in col(leads, "lead_id")],
        "company": [f"Prospect {i}" for i in col(leads, "lead_id")],
        "status": mapped(col(leads, "status"), SALESFORCE_LEAD_STATUS),
        "lead_source": mapped(col(leads, "lead_source"), LEAD_SOURCE["salesforce"]),
        "owner_id": user(col(leads, "owner_rep_id")),
        "created_date": leads.column("created_at"),
        "is_converted": pa.array(converted),
        "converted_date": dates(leads, "converted_at"),
        "converted_opportunity_id": opp([opp_of.get(i, (None,))[0] for i in col(leads, "lead_id")]),
        "converted_account_id": account([opp_of.get(i, (None, None))[1] for i in col(leads, "lead_id")]),
        "_fivetran_synced": synced(n)})


def sf_task(acts: pa.Table, user, account, opp, lead) -> pa.Table:
    """Calls and emails: logged as completed tasks (TaskSubtype Call / Email)."""
    acts = acts.filter(pc.is_in(acts.column("activity_type"), pa.array(["call", "email"])))
    kind = [t.capitalize() for t in col(acts, "activity_type")]
    n = acts.num_rows
    seconds = [None if m is None else m * 60 for m in col(acts, "duration_minutes")]
    return pa.table({
        "id": ids("00T", col(acts, "activity_id")), "is_deleted": pa.array([False] * n),
        "owner_id": user(col(acts, "rep_id")), "account_id": account(col(acts, "account_id")),
        "what_id": opp(col(acts, "opportunity_id")), "who_id": lead(col(acts, "lead_id")),
        "subject": [f"{k}: follow-up" if f else k for k, f in zip(kind, col(acts, "is_follow_up"))],
        "activity_date": dates(acts, "occurred_at"),
        "status": ["Completed"] * n, "priority": ["Normal"] * n, "is_closed": pa.array([True] * n),
        "type": kind, "task_subtype": kind,
        "call_type": ["Outbound" if k == "Call" else None for k in kind],
        "call_duration_in_seconds": pa.array(seconds, pa.int64()),
        "completed_date_time": acts.column("occurred_at"),
        "created_date": acts.column("occurred_at"),
        "_fivetran_synced": synced(n)})


def sf_event(acts: pa.Table, user, account, opp, lead) -> pa.Table:
    """Meetings: calendar events of type Meeting."""
    acts = acts.filter(pc.equal(acts.column("activity_type"), "meeting"))
    n, start = acts.num_rows, col(acts, "occurred_at")
    minutes = [m or 30 for m in col(acts, "duration_minutes")]
    return pa.table({
        "id": ids("00U", col(acts, "activity_id")), "is_deleted": pa.array([False] * n),
        "owner_id": user(col(acts, "rep_id")), "account_id": account(col(acts, "account_id")),
        "what_id": opp(col(acts, "opportunity_id")), "who_id": lead(col(acts, "lead_id")),
        "subject": ["Meeting"] * n, "type": ["Meeting"] * n, "event_subtype": ["Event"] * n,
        "activity_date": dates(acts, "occurred_at"),
        "activity_date_time": acts.column("occurred_at"),
        "start_date_time": acts.column("occurred_at"),
        "end_date_time": pa.array([s + timedelta(minutes=m) for s, m in zip(start, minutes)], TS),
        "duration_in_minutes": pa.array(minutes, pa.int64()),
        "created_date": acts.column("occurred_at"),
        "_fivetran_synced": synced(n)})


def sf_user(reps: pa.Table, user, role) -> pa.Table:
    first, last = names(reps)
    teams = sorted(set(col(reps, "team")))
    return pa.table({
        "id": user(col(reps, "rep_id")), "name": reps.column("rep_name"),
        "first_name": first, "last_name": last,
        "email": [email(n) for n in col(reps, "rep_name")],
        "username": [email(n) for n in col(reps, "rep_name")],
        "is_active": pa.array([True] * reps.num_rows), "user_type": ["Standard"] * reps.num_rows,
        "title": ["Account Executive"] * reps.num_rows,
        "user_role_id": role([teams.index(t) + 100 for t in col(reps, "team")]),
        "_fivetran_synced": synced(reps.num_rows)})


def sf_user_role(reps: pa.Table, role) -> pa.Table:
    """The role hierarchy: a role per region, a role per team below it."""
    regions = sorted(set(col(reps, "region")))
    teams = sorted(set(zip(col(reps, "team"), col(reps, "region"))))
    numbers = list(range(1, len(regions) + 1)) + [i + 100 for i in range(len(teams))]
    parents = [None] * len(regions) + [regions.index(r) + 1 for _, r in teams]
    labels = regions + [t for t, _ in teams]
    return pa.table({"id": role(numbers), "name": labels,
                     "developer_name": [x.replace(" ", "_").replace("-", "_") for x in labels],
                     "parent_role_id": role(parents),
                     "_fivetran_synced": synced(len(labels))})


def sf_account(accounts: pa.Table, user, account) -> pa.Table:
    n = accounts.num_rows
    employees = {"SMB": 40, "Mid-Market": 600, "Enterprise": 8000}
    return pa.table({
        "id": account(col(accounts, "account_id")), "is_deleted": pa.array([False] * n),
        "name": accounts.column("account_name"), "industry": accounts.column("industry"),
        "billing_country": accounts.column("country"),
        "number_of_employees": pa.array([employees[s] for s in col(accounts, "segment")], pa.int64()),
        "owner_id": user(col(accounts, "owner_rep_id")),
        "_fivetran_synced": synced(n)})


# ---------------------------------------------------------------------------- HubSpot

def hubspot(base: Tables) -> Tables:
    """HubSpot objects as Fivetran lands them (dbt_hubspot_source v0.21.0's columns)."""
    reps, leads, opps, acts = base["reps"], base["leads"], base["opportunities"], base["activities"]
    accounts = base["accounts"]
    company = lambda n: [None if x is None else 700_000_000 + x for x in n]  # noqa: E731
    owner = lambda n: [None if x is None else 50_000_000 + x for x in n]  # noqa: E731
    deal = lambda n: [None if x is None else 9_000_000_000 + x for x in n]  # noqa: E731
    contact = lambda n: [None if x is None else 100_000 + x for x in n]  # noqa: E731
    engagement = lambda n: [None if x is None else 30_000_000_000 + x for x in n]  # noqa: E731
    return {"deal": hs_deal(opps, owner, deal),
            "deal_pipeline": pa.table({"pipeline_id": ["default"], "label": ["Sales Pipeline"],
                                       "active": [True], "display_order": [0],
                                       "_fivetran_deleted": [False], "_fivetran_synced": synced(1)}),
            "deal_pipeline_stage": hs_stages(),
            "company": pa.table({
                "id": pa.array(company(col(accounts, "account_id")), pa.int64()),
                "is_deleted": pa.array([False] * accounts.num_rows),
                "property_name": accounts.column("account_name"),
                "property_industry": accounts.column("industry"),
                "property_country": accounts.column("country"),
                "property_hubspot_owner_id": pa.array(owner(col(accounts, "owner_rep_id")), pa.int64()),
                "_fivetran_synced": synced(accounts.num_rows)}),
            # the deal's primary company: association type 5, HubSpot-defined
            "deal_company": pa.table({
                "deal_id": pa.array(deal(col(opps, "opportunity_id")), pa.int64()),
                "company_id": pa.array(company(col(opps, "account_id")), pa.int64()),
                "type_id": pa.array([5] * opps.num_rows, pa.int64()),
                "category": ["HUBSPOT_DEFINED"] * opps.num_rows}),
            "contact": hs_contact(leads, opps, owner, contact),
            "owner": hs_owner(reps, owner),
            **hs_engagements(acts, owner, engagement, deal, contact),
            "quota": quota_table(base, owner)}


def hs_deal(opps: pa.Table, owner, deal) -> pa.Table:
    n = opps.num_rows
    table = pa.table({
        "deal_id": pa.array(deal(col(opps, "opportunity_id")), pa.int64()),
        "is_deleted": pa.array([False] * n), "portal_id": pa.array([4_727_653] * n, pa.int64()),
        "deal_pipeline_id": ["default"] * n,
        "deal_pipeline_stage_id": mapped(col(opps, "stage"), STAGE["hubspot"]),
        "owner_id": pa.array(owner(col(opps, "owner_rep_id")), pa.int64()),
        "property_dealname": [f"Deal {i}" for i in col(opps, "opportunity_id")],
        "property_amount": opps.column("amount"),
        "property_closedate": pa.array(close_times(opps), TS),
        "property_createdate": opps.column("created_at"),
        "property_dealtype": mapped(col(opps, "deal_type"), DEAL_TYPE["hubspot"]),
        "property_hs_analytics_source": mapped(col(opps, "lead_source"), LEAD_SOURCE["hubspot"]),
        "_fivetran_synced": synced(n)})
    return with_deleted(table, "deal_id", "is_deleted", lambda n: [9_900_000_000 + x for x in n])


def hs_stages() -> pa.Table:
    rows = list(zip(*HUBSPOT_STAGES))
    n = len(HUBSPOT_STAGES)
    return pa.table({"stage_id": rows[0], "pipeline_id": ["default"] * n, "label": rows[1],
                     "probability": rows[2], "closed_won": rows[3], "is_closed": rows[4],
                     "active": [True] * n, "display_order": list(range(n)),
                     "_fivetran_deleted": [False] * n, "_fivetran_synced": synced(n)})


def hs_contact(leads: pa.Table, opps: pa.Table, owner, contact) -> pa.Table:
    """Leads as contacts: lifecycle stage dates from the funnel steps; a converted lead whose
    deal was won became a customer."""
    won = {lid: closed for lid, stage, closed in zip(col(opps, "lead_id"), col(opps, "stage"),
                                                     col(opps, "closed_at"))
           if lid is not None and stage == "won"}
    lid = col(leads, "lead_id")
    customer = [won.get(i) for i in lid]
    stage = []
    for mql, sql, conv, cust in zip(col(leads, "mql_at"), col(leads, "sql_at"),
                                    col(leads, "converted_at"), customer):
        stage.append("customer" if cust else "opportunity" if conv else
                     "salesqualifiedlead" if sql else "marketingqualifiedlead" if mql else "lead")
    n = leads.num_rows
    return pa.table({
        "id": pa.array(contact(lid), pa.int64()), "_fivetran_deleted": pa.array([False] * n),
        "property_email": [f"lead{i}@prospect.example" for i in lid],
        "property_createdate": leads.column("created_at"),
        "property_lifecyclestage": stage,
        "property_hs_lead_status": mapped(col(leads, "status"), HUBSPOT_LEAD_STATUS),
        "property_hs_analytics_source": mapped(col(leads, "lead_source"), LEAD_SOURCE["hubspot"]),
        "property_hubspot_owner_id": pa.array(owner(col(leads, "owner_rep_id")), pa.int64()),
        "property_hs_lifecyclestage_lead_date": leads.column("created_at"),
        "property_hs_lifecyclestage_marketingqualifiedlead_date": leads.column("mql_at"),
        "property_hs_lifecyclestage_salesqualifiedlead_date": leads.column("sql_at"),
        "property_hs_lifecyclestage_opportunity_date": leads.column("converted_at"),
        "property_hs_lifecyclestage_customer_date": pa.array(customer, TS),
        "property_hs_sa_first_engagement_date": leads.column("first_response_at"),
        "_fivetran_synced": synced(n)})


def hs_owner(reps: pa.Table, owner) -> pa.Table:
    first, last = names(reps)
    n = reps.num_rows
    return pa.table({"owner_id": pa.array(owner(col(reps, "rep_id")), pa.int64()),
                     "email": [email(x) for x in col(reps, "rep_name")],
                     "first_name": first, "last_name": last, "type": ["PERSON"] * n,
                     "active_user_id": pa.array([7_000_000 + i for i in col(reps, "rep_id")], pa.int64()),
                     "portal_id": pa.array([4_727_653] * n, pa.int64()),
                     "is_active": pa.array([True] * n), "_fivetran_synced": synced(n)})


def hs_engagements(acts: pa.Table, owner, engagement, deal, contact) -> Tables:
    """One engagement per activity, and its row in the table of its type."""
    kind = [t.upper() for t in col(acts, "activity_type")]
    n, eid = acts.num_rows, pa.array(engagement(col(acts, "activity_id")), pa.int64())
    owners = pa.array(owner(col(acts, "rep_id")), pa.int64())
    out = {"engagement": pa.table({
        "id": eid, "type": kind, "timestamp": acts.column("occurred_at"),
        "created_at": acts.column("occurred_at"), "owner_id": owners,
        "active": pa.array([True] * n), "portal_id": pa.array([4_727_653] * n, pa.int64()),
        "_fivetran_synced": synced(n)})}
    common = {"engagement_id": eid, "property_hs_timestamp": acts.column("occurred_at"),
              "property_hs_createdate": acts.column("occurred_at"),
              "property_hubspot_owner_id": owners, "_fivetran_deleted": pa.array([False] * n),
              "_fivetran_synced": synced(n)}
    base = pa.table(common)
    minutes = col(acts, "duration_minutes")
    extra = {
        "CALL": {"property_hs_call_status": ["COMPLETED"] * n,
                 "property_hs_call_direction": ["OUTBOUND"] * n,
                 "property_hs_call_duration": pa.array(
                     [None if m is None else m * 60_000 for m in minutes], pa.int64())},
        "EMAIL": {"property_hs_email_direction": ["EMAIL"] * n,
                  "property_hs_email_status": ["SENT"] * n,
                  "property_hs_email_open_count": pa.array(
                      [(1 + i % 3) if o else 0 for i, o in zip(col(acts, "activity_id"),
                                                               col(acts, "email_opened"))], pa.int64()),
                  "property_hs_email_click_count": pa.array(
                      [1 if c else 0 for c in col(acts, "email_clicked")], pa.int64())},
        "MEETING": {"property_hs_meeting_outcome": [
                        None if a is None else "COMPLETED" if a else "NO_SHOW"
                        for a in col(acts, "meeting_attended")],
                    "property_hs_meeting_start_time": acts.column("occurred_at"),
                    "property_hs_meeting_end_time": pa.array(
                        [s + timedelta(minutes=m or 30) for s, m in
                         zip(col(acts, "occurred_at"), minutes)], TS)}}
    for name, columns in extra.items():
        table = base.append_column("type", pa.array([name] * n))
        for key, values in columns.items():
            table = table.append_column(key, pa.array(values) if isinstance(values, list) else values)
        out[f"engagement_{name.lower()}"] = table.filter(pa.array([k == name for k in kind]))
    links = acts.filter(pc.is_valid(acts.column("opportunity_id")))
    out["engagement_deal"] = pa.table({
        "engagement_id": pa.array(engagement(col(links, "activity_id")), pa.int64()),
        "deal_id": pa.array(deal(col(links, "opportunity_id")), pa.int64())})
    links = acts.filter(pc.is_valid(acts.column("lead_id")))
    out["engagement_contact"] = pa.table({
        "engagement_id": pa.array(engagement(col(links, "activity_id")), pa.int64()),
        "contact_id": pa.array(contact(col(links, "lead_id")), pa.int64())})
    return out


# ---------------------------------------------------------------------------- Zoho CRM

def zoho(base: Tables) -> Tables:
    """Zoho CRM modules as Fivetran lands them (one table per module, flattened lookups).
    Emails are not a module Zoho's API lists, so there is no email table."""
    reps, accounts, leads = base["reps"], base["accounts"], base["leads"]
    opps, acts = base["opportunities"], base["activities"]
    user, account = (lambda n: zoho_ids(1, n)), (lambda n: zoho_ids(2, n))
    deal, lead = (lambda n: zoho_ids(3, n)), (lambda n: zoho_ids(4, n))
    owner_name = dict(zip(col(reps, "rep_id"), col(reps, "rep_name")))
    return {"deal": zoho_deal(opps, user, account, deal, owner_name),
            "lead": zoho_lead(leads, user, lead, owner_name),
            "call": zoho_call(acts, user, deal, lead),
            "event": zoho_event(acts, user, deal, lead),
            "user": zoho_user(reps, user),
            "account": pa.table({
                "id": account(col(accounts, "account_id")),
                "account_name": accounts.column("account_name"),
                "industry": accounts.column("industry"),
                "billing_country": accounts.column("country"),
                "owner_id": user(col(accounts, "owner_rep_id")),
                "_fivetran_deleted": pa.array([False] * accounts.num_rows),
                "_fivetran_synced": synced(accounts.num_rows)}),
            "quota": quota_table(base, user)}


def zoho_stage(stage: str, number: int) -> str:
    if stage == "lost" and number % 3 == 0:
        return ZOHO_LOST_TO_COMPETITION
    return STAGE["zoho"][stage]


def zoho_deal(opps: pa.Table, user, account, deal, owner_name: dict) -> pa.Table:
    n = opps.num_rows
    stage = col(opps, "stage")
    table = pa.table({
        "id": deal(col(opps, "opportunity_id")), "_fivetran_deleted": pa.array([False] * n),
        "deal_name": [f"Deal {i}" for i in col(opps, "opportunity_id")],
        "stage": [zoho_stage(s, i) for s, i in zip(stage, col(opps, "opportunity_id"))],
        "amount": opps.column("amount"),
        "probability": pa.array([PROBABILITY[s] for s in stage], pa.int64()),
        "closing_date": pa.array(expected_close(opps), DATE),
        "type": mapped(col(opps, "deal_type"), DEAL_TYPE["zoho"]),
        "lead_source": mapped(col(opps, "lead_source"), LEAD_SOURCE["zoho"]),
        "account_name_id": account(col(opps, "account_id")),
        "owner_id": user(col(opps, "owner_rep_id")),
        "owner_name": [owner_name[r] for r in col(opps, "owner_rep_id")],
        "created_time": opps.column("created_at"),
        "modified_time": pa.array(close_times(opps), TS),
        "_fivetran_synced": synced(n)})
    return with_deleted(table, "id", "_fivetran_deleted", lambda n: zoho_ids(9, n))


def zoho_lead(leads: pa.Table, user, lead, owner_name: dict) -> pa.Table:
    n = leads.num_rows
    return pa.table({
        "id": lead(col(leads, "lead_id")), "_fivetran_deleted": pa.array([False] * n),
        "last_name": [f"Lead {i}" for i in col(leads, "lead_id")],
        "company": [f"Prospect {i}" for i in col(leads, "lead_id")],
        "lead_status": mapped(col(leads, "status"), ZOHO_LEAD_STATUS),
        "lead_source": mapped(col(leads, "lead_source"), LEAD_SOURCE["zoho"]),
        "owner_id": user(col(leads, "owner_rep_id")),
        "owner_name": [owner_name[r] for r in col(leads, "owner_rep_id")],
        "created_time": leads.column("created_at"),
        "converted_s": pa.array([c is not None for c in col(leads, "converted_at")]),
        "converted_date_time": leads.column("converted_at"),
        "_fivetran_synced": synced(n)})


def zoho_activity(acts: pa.Table, kind: str, deal, lead) -> tuple[pa.Table, dict]:
    acts = acts.filter(pc.equal(acts.column("activity_type"), kind))
    return acts, {"what_id_id": deal(col(acts, "opportunity_id")),
                  "who_id_id": lead(col(acts, "lead_id")),
                  "created_time": acts.column("occurred_at"),
                  "_fivetran_deleted": pa.array([False] * acts.num_rows),
                  "_fivetran_synced": synced(acts.num_rows)}


def zoho_call(acts: pa.Table, user, deal, lead) -> pa.Table:
    acts, common = zoho_activity(acts, "call", deal, lead)
    minutes = col(acts, "duration_minutes")
    return pa.table({
        "id": zoho_ids(5, col(acts, "activity_id")), "subject": ["Call"] * acts.num_rows,
        "call_type": ["Outbound"] * acts.num_rows, "call_start_time": acts.column("occurred_at"),
        "call_duration": [None if m is None else f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
        "call_duration_in_seconds": pa.array([None if m is None else m * 60 for m in minutes], pa.int64()),
        "owner_id": user(col(acts, "rep_id")), **common})


def zoho_event(acts: pa.Table, user, deal, lead) -> pa.Table:
    acts, common = zoho_activity(acts, "meeting", deal, lead)
    return pa.table({
        "id": zoho_ids(6, col(acts, "activity_id")), "event_title": ["Meeting"] * acts.num_rows,
        "start_date_time": acts.column("occurred_at"),
        "end_date_time": pa.array([s + timedelta(minutes=m or 30) for s, m in
                                   zip(col(acts, "occurred_at"), col(acts, "duration_minutes"))], TS),
        "owner_id": user(col(acts, "rep_id")), **common})


def zoho_user(reps: pa.Table, user) -> pa.Table:
    first, last = names(reps)
    teams = sorted(set(col(reps, "team")))
    n = reps.num_rows
    return pa.table({
        "id": user(col(reps, "rep_id")), "full_name": reps.column("rep_name"),
        "first_name": first, "last_name": last,
        "email": [email(x) for x in col(reps, "rep_name")],
        "role_id": zoho_ids(7, [teams.index(t) for t in col(reps, "team")]),
        "role_name": reps.column("team"), "profile_name": ["Standard"] * n,
        "status": ["active"] * n, "_fivetran_synced": synced(n)})


def parquet_options(table: pa.Table) -> dict:
    """Small files (they ship in the wheel): delta encodings for numbers, times and ids,
    dictionaries for picklists."""
    delta, ids_, words = [], [], []
    for field in table.schema:
        if pa.types.is_integer(field.type) or pa.types.is_temporal(field.type):
            delta.append(field.name)
        elif pa.types.is_string(field.type):
            distinct = pc.count_distinct(table.column(field.name)).as_py()
            (ids_ if distinct > table.num_rows // 2 else words).append(field.name)
    return {"compression": "zstd", "compression_level": 9, "store_schema": False,
            "use_dictionary": words,
            "column_encoding": dict.fromkeys(delta, "DELTA_BINARY_PACKED")
            | dict.fromkeys(ids_, "DELTA_BYTE_ARRAY")}


SHAPES = {"salesforce": salesforce, "hubspot": hubspot, "zoho": zoho}


def shape(crm: str, base: Tables | None = None) -> Tables:
    """The CRM-shaped tables, by table name."""
    return SHAPES[crm](base if base is not None else read_base())


def write(crm: str, out: Path, base: Tables | None = None) -> dict[str, int]:
    """Write one CRM's tables as Parquet files into ``out`` (replacing its old files)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    counts = {}
    for name, table in shape(crm, base).items():
        pq.write_table(table, out / f"{name}.parquet", **parquet_options(table))
        counts[name] = table.num_rows
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crm", choices=CRMS, action="append", help="default: all three")
    parser.add_argument("--data", type=Path, default=DATA, help="the bundled sample's folder")
    parser.add_argument("--out", type=Path, default=None,
                        help="write <out>/<crm>/*.parquet (default: cli/starters/<crm>/data)")
    args = parser.parse_args()
    base = read_base(args.data)
    for crm in args.crm or CRMS:
        out = args.out / crm if args.out else STARTERS / crm / "data"
        for name, rows in write(crm, out, base).items():
            print(f"{crm:<12}{name:<22}{rows:>8,}  {out / (name + '.parquet')}")


if __name__ == "__main__":
    main()
