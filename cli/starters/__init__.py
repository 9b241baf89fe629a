"""CRM starter projects: `metrics init DIR --from salesforce|hubspot|zoho`.

Each folder here is a project over one CRM's standard objects as a sync tool lands them in
a warehouse, with that tool's table and column names, and a sample of such tables:

=========== ========================== ===============================================
starter     sync tool                  schema followed
=========== ========================== ===============================================
salesforce  Fivetran Salesforce        fivetran/dbt_salesforce_source v1.2.0 (2025-10-01)
hubspot     Fivetran HubSpot           fivetran/dbt_hubspot_source v0.21.0 (2025-10-01)
zoho        Fivetran Zoho CRM          Fivetran's Zoho CRM schema ERD (docs page, unversioned)
=========== ========================== ===============================================

``<crm>/metrics/`` holds the definitions: the bundled catalog's KPIs (same names, labels,
formats and targets) mapped onto the CRM's columns, with what orgs customise (the won and
lost stage values, the amount field, the deal types of upsells) as ``vars:`` in project.yml,
read through the macros in ``metrics/macros/crm.sql``. ``<crm>/data/`` holds the sample,
written by ``examples/crm_sample.py`` from the bundled sample's deals, so a new project gives
the bundled catalog's numbers (tests/starters/ check it). For Zoho CRM, the ERD's account
table was checked column by column and the other tables follow its naming rule (see
examples/crm_sample.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable


@dataclass(frozen=True)
class Starter:
    name: str
    title: str
    tool: str
    schema: str


STARTERS = {s.name: s for s in (
    Starter("salesforce", "Salesforce", "Fivetran's Salesforce connector",
            "fivetran/dbt_salesforce_source v1.2.0 (2025-10-01)"),
    Starter("hubspot", "HubSpot", "Fivetran's HubSpot connector",
            "fivetran/dbt_hubspot_source v0.21.0 (2025-10-01)"),
    Starter("zoho", "Zoho CRM", "Fivetran's Zoho CRM connector",
            "Fivetran's Zoho CRM schema ERD (docs page, unversioned)"),
)}
FOLDERS = ("metrics", "data")  # what a starter writes into the new project


def files(name: str) -> dict[str, bytes]:
    """A starter's files, by their path in the new project (``metrics/sources.yml``, ...)."""
    root = resources.files(__name__) / name
    out: dict[str, bytes] = {}
    for folder in FOLDERS:
        _collect(root / folder, folder, out)
    return out


def _collect(node: Traversable, path: str, out: dict[str, bytes]) -> None:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name.startswith((".", "__")):
            continue
        if child.is_dir():
            _collect(child, f"{path}/{child.name}", out)
        else:
            out[f"{path}/{child.name}"] = child.read_bytes()
