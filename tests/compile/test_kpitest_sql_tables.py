"""KPI tests may give rows for the tables a ``sql:`` source reads (engine/kpitests/needs.py):
a table the query gives an alias (``deal_touches AS d``) is still known by its name."""

from __future__ import annotations

from sales_metrics import engine
from sales_metrics.engine.kpitests.needs import source_tables, tables_read


def test_an_aliased_table_is_read_by_its_name(tmp_path):
    (tmp_path / "project.yml").write_text("name: t\n")
    (tmp_path / "m.yml").write_text("""\
sources:
  - name: deals
    table: deals
    time: closed_at
  - name: touched
    sql: >-
      select o.closed_at, count(d.activity_id) as touches
      from deals o left join crm.deal_touches as d on d.opportunity_id = o.id
      group by o.closed_at
    time: closed_at
metrics:
  - {name: touches, source: touched, numerator: sum(touches)}
  - {name: deals_closed, source: deals, numerator: count(*)}
""")
    project = engine.load_project(tmp_path)
    assert tables_read(project.catalog.sources["touched"]) == ["crm.deal_touches", "deals"]
    assert source_tables(project.catalog)["crm.deal_touches"] == {"touched"}
