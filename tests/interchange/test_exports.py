"""`metrics export osi|snowflake-semantic-view|databricks-metric-view` and `metrics import osi`.

What they protect, on the whole bundled catalog:

- the OSI export is valid against the spec's own JSON Schema (vendored: fixtures/README.md);
- OSI round trip: importing our export gives back equal definitions, field by field, and the
  same numbers from `metrics run`;
- the Snowflake and Databricks YAML hold what the definitions say (win_rate's expression and
  filters, each table's dimensions, relationships from joins), in the structure the vendors'
  docs give, with expressions that parse in the target dialect;
- their measures compute our numbers: the Snowflake expressions run on fakesnow (a Snowflake
  emulator over DuckDB), the Databricks ones on a local Spark session (Spark SQL, the engine
  under Databricks SQL; MEASURE() references are expanded by the test). Weaker evidence than
  a real Snowflake or Databricks warehouse;
- every metric is either exported or reported, one line each, never dropped silently;
- bad input is one clean line and exit code 2.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest
import sqlglot
import yaml
from sqlglot import exp

from support import DATA_DIR, PROJECT_DIR, run_cli

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = {"ConversionMetric", "BalanceMetric", "CumulativeMetric", "ComparisonMetric",
         "EntityMetric", "ShareMetric"}


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def project():
    from sales_metrics.engine.project import load_project

    return load_project(PROJECT_DIR)


def _export(kind: str, *args: str):
    result = run_cli("export", kind, "-p", str(PROJECT_DIR), *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def osi_run():
    return _export("osi")


@pytest.fixture(scope="module")
def osi(osi_run):
    return yaml.safe_load(osi_run.stdout)


@pytest.fixture(scope="module")
def snowflake_run():
    return _export("snowflake-semantic-view")


@pytest.fixture(scope="module")
def snowflake(snowflake_run):
    return yaml.safe_load(snowflake_run.stdout)


@pytest.fixture(scope="module")
def databricks_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dbx") / "views"
    result = _export("databricks-metric-view", "--output", str(folder))
    return folder, result


@pytest.fixture(scope="module")
def databricks(databricks_dir):
    folder, _ = databricks_dir
    return {f.stem: yaml.safe_load(f.read_text()) for f in sorted(folder.glob("*.yml"))}


@pytest.fixture(scope="module")
def reimported(tmp_path_factory, osi_run):
    """Our OSI export imported into <tmp>/metrics, beside <tmp>/examples/data (the sample
    data, linked): the project's relative data paths mean the same there."""
    base = tmp_path_factory.mktemp("roundtrip")
    (base / "examples").mkdir()
    (base / "examples" / "data").symlink_to(DATA_DIR, target_is_directory=True)
    source = base / "export.osi.yaml"
    source.write_text(osi_run.stdout)
    result = run_cli("import", "osi", str(source), "--output", str(base / "metrics"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # our own export: nothing unmapped
    return base / "metrics"


def _run_csv(project_dir: Path, grain: str) -> str:
    result = run_cli("run", "-p", str(project_dir), f"--grain={grain}", "--format", "csv")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def numbers():
    """Our numbers, by grain: {metric: {period: value}}."""
    out = {}
    for grain in ("month", "quarter"):
        rows = list(csv.DictReader(io.StringIO(_run_csv(PROJECT_DIR, grain))))
        out[grain] = {name: {r["period"]: _value(r[name]) for r in rows}
                      for name in rows[0] if name != "period"}
    return out


@pytest.fixture(scope="module")
def by_region(project):
    """Our monthly numbers grouped by region, for every metric that may be grouped by it:
    {metric: {"period|region": value}} (an empty region is a NULL one)."""
    ok, _ = project.runnable(list(project.catalog.metrics), grain="month", by=["region"])
    result = run_cli("run", "-p", str(PROJECT_DIR), "--grain=month", "--by", "region",
                     "--format", "csv", *[a for name in ok for a in ("-m", name)])
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(ok) >= 20 and {r["region"] for r in rows} >= {"EMEA", "APAC"}
    return {name: {f"{r['period']}|{r['region']}": _value(r[name]) for r in rows} for name in ok}


def _grouped(table: str, time: str, expr: str, group: str, joins: str = "",
             query: str | None = None) -> str:
    """The measure by month and one dimension expression; the group is '' when NULL."""
    rows = f"({query}) AS {table}" if query else f"{table} AS {table}"
    return (f"SELECT CAST(DATE_TRUNC('MONTH', {table}.{time}) AS DATE) AS period, "
            f"COALESCE({group}, '') AS grp, {expr} AS value FROM {rows}{joins} "
            f"WHERE {table}.{time} IS NOT NULL GROUP BY 1, 2")


def _value(text):
    if text in ("", None):
        return None
    value = float(text)
    return None if math.isnan(value) else value


# -- OSI --------------------------------------------------------------------------------------

def test_osi_export_validates_against_the_spec_schema(osi):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((FIXTURES / "osi-schema-0.1.1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft202012Validator(schema).iter_errors(osi)]
    assert errors == []
    assert osi["version"] == "0.1.1"


def test_osi_core_says_what_the_definitions_say(osi, project):
    model, = osi["semantic_model"]
    catalog = project.catalog
    datasets = {d["name"]: d for d in model["datasets"]}
    assert list(datasets) == list(catalog.sources)
    opportunities = datasets["opportunities"]
    assert opportunities["source"] == "opportunities"
    assert opportunities["primary_key"] == ["opportunity_id"]
    fields = {f["name"]: f for f in opportunities["fields"]}
    assert fields["lead_source"]["dimension"] == {"is_time": False}
    assert _dialect(fields["lead_source"], "ANSI_SQL") == "COALESCE(lead_source, 'unknown')"
    assert fields["created_at"]["dimension"] == {"is_time": True}
    assert fields["closed_at"]["dimension"] == {"is_time": True}
    for name, source in catalog.sources.items():
        dims = {f["name"] for f in datasets[name]["fields"] if f.get("dimension") == {
            "is_time": False}}
        assert dims == set(source.dimensions), name
    joins = {(r["from"], r["to"], tuple(r["from_columns"]), tuple(r["to_columns"]))
             for r in model["relationships"]}
    assert ("opportunities", "reps", ("owner_rep_id",), ("rep_id",)) in joins
    assert len(joins) == sum(len(s.model.joins) for s in catalog.sources.values())
    metrics = {m["name"]: m for m in model["metrics"]}
    assert list(metrics) == list(catalog.metrics)
    win_rate = metrics["win_rate"]
    assert win_rate["description"] == catalog.metrics["win_rate"].model.description
    assert win_rate["ai_context"] == {"synonyms": ["Opportunity win rate"]}
    assert _dialect(win_rate, "ANSI_SQL") == (
        "CASE WHEN (COUNT(CASE WHEN opportunities.stage IN ('won', 'lost') THEN 1 END)) >= 5 "
        "THEN CAST(COUNT(CASE WHEN opportunities.stage IN ('won', 'lost') AND "
        "opportunities.stage = 'won' THEN 1 END) AS DOUBLE) / NULLIF((COUNT(CASE WHEN "
        "opportunities.stage IN ('won', 'lost') THEN 1 END)), 0) END")
    for item in [*model["metrics"], *(f for d in model["datasets"] for f in d["fields"])]:
        for entry in item["expression"]["dialects"]:
            read = {"ANSI_SQL": "", "SNOWFLAKE": "snowflake", "DATABRICKS": "databricks"}
            sqlglot.parse_one(entry["expression"], read=read[entry["dialect"]])


def _dialect(item: dict, dialect: str) -> str:
    return next(d["expression"] for d in item["expression"]["dialects"]
                if d["dialect"] == dialect)


def test_osi_extension_carries_each_definition(osi, project):
    model, = osi["semantic_model"]
    for metric in model["metrics"]:
        ext, = metric["custom_extensions"]
        assert ext["vendor_name"] == "COMMON"
        data = json.loads(ext["data"])["sales_metrics"]
        assert data["metric"]["name"] == metric["name"]
        assert data["file"].endswith(".yml")


def test_osi_report_names_each_metric_the_core_cannot_express(osi_run, project):
    reported = _reported(osi_run.stderr, "osi", "approximate in the OSI core")
    expected = {n for n, m in project.catalog.metrics.items()
                if type(m.model).__name__ in KINDS or getattr(m.model, "snapshot", None)}
    assert expected <= set(reported)
    for name in set(reported) - expected:  # built on one of them
        assert "built on one" in reported[name], name


def _reported(stderr: str, target: str, verb: str = "not exported") -> dict[str, str]:
    found = {}
    for line in stderr.splitlines():
        match = re.match(rf"{re.escape(target)}: {verb}: (\w+): (.+)$", line)
        if match:
            assert match.group(1) not in found, f"reported twice: {line}"
            found[match.group(1)] = match.group(2)
    return found


def test_osi_round_trip_gives_equal_definitions(project, reimported):
    from sales_metrics.engine.project import load_project

    again = load_project(reimported)
    for kind in ("sources", "metrics"):
        before, after = getattr(project.catalog, kind), getattr(again.catalog, kind)
        assert list(before) == list(after)
        for name in before:
            a, b = before[name].model, after[name].model
            assert type(a) is type(b), name
            assert a.model_dump() == b.model_dump(), name
            assert a.model_fields_set == b.model_fields_set, name
    assert project.settings.model_dump() == again.settings.model_dump()
    assert [t for t, _ in project.loaded.tests] == [t for t, _ in again.loaded.tests]
    written = sorted(p.relative_to(reimported).as_posix() for p in reimported.rglob("*.y*ml"))
    original = sorted(p.relative_to(PROJECT_DIR).as_posix() for p in PROJECT_DIR.rglob("*.y*ml"))
    assert written == original  # each definition back in the file it came from


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_osi_round_trip_gives_the_same_numbers(reimported, grain):
    """Same rows, columns and values; sums of floats may differ in their last bits (DuckDB
    adds them in the order its threads finish)."""
    ours = list(csv.reader(io.StringIO(_run_csv(PROJECT_DIR, grain))))
    back = list(csv.reader(io.StringIO(_run_csv(reimported, grain))))
    assert back[0] == ours[0] and len(back) == len(ours)
    for mine, theirs in zip(ours[1:], back[1:]):
        assert theirs[0] == mine[0]  # the period
        for name, a, b in zip(ours[0][1:], mine[1:], theirs[1:]):
            a, b = _value(a), _value(b)
            assert (a is None) == (b is None) and (a is None or b == pytest.approx(
                a, rel=1e-12)), (mine[0], name, a, b)


FOREIGN = """\
version: "0.1.1"
semantic_model:
  - name: shop
    description: A small shop
    datasets:
      - name: orders
        source: shop.public.orders
        primary_key: [order_id]
        unique_keys: [[order_number]]
        fields:
          - name: ordered_at
            expression: {dialects: [{dialect: ANSI_SQL, expression: ordered_at}]}
            dimension: {is_time: true}
          - name: channel
            expression: {dialects: [{dialect: SNOWFLAKE, expression: "LOWER(channel)"}]}
            dimension: {is_time: false}
            ai_context: {synonyms: [source]}
          - name: customer_id
            expression: {dialects: [{dialect: ANSI_SQL, expression: customer_id}]}
      - name: customers
        source: shop.public.customers
        primary_key: [id]
        fields:
          - name: country
            expression: {dialects: [{dialect: ANSI_SQL, expression: country}]}
            dimension: {is_time: false}
    relationships:
      - name: orders_to_customers
        from: orders
        to: customers
        from_columns: [customer_id]
        to_columns: [id]
    metrics:
      - name: revenue
        expression: {dialects: [{dialect: ANSI_SQL, expression: SUM(orders.amount)}]}
        description: Total order amount
      - name: per_customer
        expression:
          dialects: [{dialect: ANSI_SQL, expression: SUM(orders.amount) / COUNT(customers.id)}]
      - name: in_mdx
        expression: {dialects: [{dialect: MDX, expression: "[Measures].[Amount]"}]}
    custom_extensions:
      - vendor_name: DBT
        data: '{"project_name": "shop"}'
"""


def test_import_maps_a_foreign_osi_file_and_reports_the_rest(tmp_path):
    source = tmp_path / "shop.osi.yaml"
    source.write_text(FOREIGN)
    result = run_cli("import", "osi", str(source), "--output", str(tmp_path / "shop"),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert all(re.match(r"shop\.osi\.yaml:\d+:\d+: warning: ", line) for line in lines), lines
    text = result.stderr
    for word in ("vendor DBT", "description", "unique_keys", "field ai_context",
                 "'per_customer' is not an aggregate over the columns of one dataset",
                 "metric 'in_mdx': no ANSI_SQL"):
        assert word in text, word
    assert "shop.osi.yaml:39:11: warning: metric 'per_customer'" in text  # by its line's expression, by its line
    from sales_metrics.engine.project import load_project

    shop = load_project(tmp_path / "shop")
    orders = shop.catalog.sources["orders"].model
    assert (orders.table, orders.time, orders.key) == ("shop.public.orders", "ordered_at",
                                                       "order_id")
    assert orders.dimensions == {"channel": "LOWER(channel)"}
    assert [(j.to, j.on) for j in orders.joins] == [("customers", "customer_id = customers.id")]
    revenue = shop.catalog.metrics["revenue"].model
    assert (revenue.source, revenue.numerator, revenue.description) == (
        "orders", "SUM(amount)", "Total order amount")
    assert set(shop.catalog.metrics) == {"revenue"}
    strict = run_cli("import", "osi", str(source), "--output", str(tmp_path / "again"),
                     "--strict", cwd=tmp_path)
    assert strict.returncode == 1


def test_import_keeps_jinja_braces_in_text_as_written(tmp_path):
    """The project's files are rendered by Jinja: an imported description holding ``{{``,
    ``{%`` or ``{#`` must read back as written, not be evaluated or dropped as a comment."""
    text = "Sum of {{ amount }}, {% if %} and {# not a comment #} as written"
    source = tmp_path / "shop.osi.yaml"
    source.write_text(FOREIGN.replace("description: Total order amount",
                                      f"description: '{text}'"))
    result = run_cli("import", "osi", str(source), "--output", str(tmp_path / "shop"),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from sales_metrics.engine.project import load_project

    assert load_project(tmp_path / "shop").catalog.metrics["revenue"].model.description == text


@pytest.mark.parametrize("content, message", [
    ("semantic_model: [", "shop.osi.yaml:2:1: did not find expected node content"),
    ("just: a mapping\n", "not an OSI document"),
    ("semantic_model: [{name: x}]\n", "needs a 'name' and a 'datasets' list"),
])
def test_import_refuses_bad_input_in_one_line(tmp_path, content, message):
    source = tmp_path / "shop.osi.yaml"
    source.write_text(content)
    result = run_cli("import", "osi", str(source), "--output", str(tmp_path / "out"),
                     cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_import_refuses_a_folder_that_is_not_empty(tmp_path, osi_run):
    source = tmp_path / "x.osi.yaml"
    source.write_text(osi_run.stdout)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    result = run_cli("import", "osi", str(source), "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and "new or empty folder" in result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


# -- Snowflake semantic view --------------------------------------------------------------

# From Snowflake's "YAML specification for semantic views": the keys each level may have, and
# those it must have. (data_type is optional for semantic views and left out: it would take
# reading the warehouse.)
SNOWFLAKE_KEYS = {
    "view": ({"name", "description", "tables", "relationships", "metrics", "verified_queries",
              "custom_instructions", "module_custom_instructions"}, {"name", "tables"}),
    "table": ({"name", "description", "synonyms", "base_table", "primary_key", "unique_keys",
               "dimensions", "time_dimensions", "facts", "metrics", "filters"},
              {"name", "base_table"}),
    "base_table": ({"database", "schema", "table"}, {"database", "schema", "table"}),
    "primary_key": ({"columns"}, {"columns"}),
    "dimension": ({"name", "synonyms", "description", "expr", "data_type", "unique",
                   "sample_values", "is_enum", "cortex_search_service"}, {"name", "expr"}),
    "fact": ({"name", "synonyms", "description", "expr", "data_type", "access_modifier",
              "sample_values"}, {"name", "expr"}),
    "metric": ({"name", "synonyms", "description", "expr", "access_modifier"}, {"name", "expr"}),
    "relationship": ({"name", "left_table", "right_table", "relationship_columns"},
                     {"name", "left_table", "right_table", "relationship_columns"}),
    "relationship_column": ({"left_column", "right_column"}, {"left_column", "right_column"}),
}


def _keys(kind: str, item: dict, rules: dict) -> None:
    allowed, required = rules[kind]
    assert set(item) <= allowed, f"{kind} {item.get('name')}: {set(item) - allowed}"
    assert required <= set(item), f"{kind} {item.get('name')}: missing {required - set(item)}"


def test_snowflake_view_has_the_documented_structure(snowflake):
    _keys("view", snowflake, SNOWFLAKE_KEYS)
    for table in snowflake["tables"]:
        _keys("table", table, SNOWFLAKE_KEYS)
        _keys("base_table", table["base_table"], SNOWFLAKE_KEYS)
        if "primary_key" in table:
            _keys("primary_key", table["primary_key"], SNOWFLAKE_KEYS)
        names = []
        for key, kind in (("dimensions", "dimension"), ("time_dimensions", "dimension"),
                          ("facts", "fact"), ("metrics", "metric")):
            for item in table.get(key, []):
                _keys(kind, item, SNOWFLAKE_KEYS)
                sqlglot.parse_one(item["expr"], read="snowflake")
                names.append(item["name"])
        assert len(names) == len(set(names)), table["name"]  # unique within a table
    for rel in snowflake.get("relationships", []):
        _keys("relationship", rel, SNOWFLAKE_KEYS)
        for pair in rel["relationship_columns"]:
            _keys("relationship_column", pair, SNOWFLAKE_KEYS)
    for metric in snowflake.get("metrics", []):
        _keys("metric", metric, SNOWFLAKE_KEYS)
        sqlglot.parse_one(metric["expr"], read="snowflake")


def test_snowflake_view_says_what_the_definitions_say(snowflake, project):
    catalog = project.catalog
    tables = {t["name"]: t for t in snowflake["tables"]}
    assert list(tables) == [n for n, s in catalog.sources.items() if s.model.table]
    for name, source in catalog.sources.items():
        if not source.model.table:
            continue  # a query: not a logical table (reported)
        table = tables[name]
        assert table["base_table"] == {"database": "ACME_SALES", "schema": "PUBLIC",
                                       "table": source.model.table}
        assert table.get("primary_key", {}).get("columns", []) == source.model.keys
        assert [d["name"] for d in table.get("dimensions", [])] == list(source.dimensions)
        times = [t["name"] for t in table.get("time_dimensions", [])]
        if source.model.time:
            assert source.model.time in times
    opportunities = tables["opportunities"]
    assert {"name": "lead_source", "expr": "COALESCE(lead_source, 'unknown')"} in \
        opportunities["dimensions"]
    assert [t["name"] for t in opportunities["time_dimensions"]] == ["created_at", "closed_at"]
    facts = {f["name"]: f["expr"] for f in opportunities["facts"]}
    assert facts["stage_fact"] == "stage" and facts["amount"] == "amount"
    win_rate = next(m for m in opportunities["metrics"] if m["name"] == "win_rate")
    assert win_rate["synonyms"] == ["Opportunity win rate"]
    assert win_rate["description"].endswith("Time: opportunities.closed_at.")
    tree = sqlglot.parse_one(win_rate["expr"], read="snowflake")
    conditions = {c.sql("snowflake") for c in tree.find_all(exp.If)}
    assert "opportunities.stage_fact IN ('won', 'lost') AND opportunities.stage_fact = 'won'" \
        in {c.this.sql("snowflake") for c in tree.find_all(exp.If)}, conditions
    assert isinstance(tree, exp.Case)  # min_denominator: empty below 5 closed deals
    assert tree.args["ifs"][0].this.expression.sql() == "5"
    rels = {(r["left_table"], r["right_table"],
             tuple((c["left_column"], c["right_column"]) for c in r["relationship_columns"]))
            for r in snowflake["relationships"]}
    expected = set()
    for name, source in catalog.sources.items():
        for join in source.model.joins:
            if not (source.model.table and catalog.sources[join.to].model.table):
                continue  # a query is no logical table, so no relationship
            left, right = (p.strip() for p in join.on.split("="))
            expected.add((name, join.to, ((left, right.split(".")[1]),)))
    assert rels == expected
    derived = {m["name"]: m["expr"] for m in snowflake["metrics"]}
    assert derived["average_deal_size"] == (
        "CAST(opportunities.won_revenue AS DOUBLE) / NULLIF((opportunities.deals_won), 0)")


def _exported_metrics_snowflake(snowflake) -> dict[str, tuple[str, dict]]:
    out = {m["name"]: (t["name"], m) for t in snowflake["tables"] for m in t.get("metrics", [])}
    out.update({m["name"]: (None, m) for m in snowflake.get("metrics", [])})
    return out


def test_snowflake_every_metric_is_exported_or_reported(snowflake, snowflake_run, project):
    _exported_or_reported(set(_exported_metrics_snowflake(snowflake)),
                          _reported(snowflake_run.stderr, "snowflake-semantic-view"), project)


def _exported_or_reported(exported: set[str], reported: dict[str, str], project) -> None:
    catalog = project.catalog
    assert exported.isdisjoint(reported)
    assert exported | set(reported) == set(catalog.metrics)
    for name, metric in catalog.metrics.items():
        if type(metric.model).__name__ in KINDS or getattr(metric.model, "snapshot", None):
            assert name in reported, name
    assert "different sources or time columns" in reported["quota_attainment"]
    assert "different sources or time columns" in reported["pipeline_velocity"]
    assert {"win_rate", "average_deal_size", "nps", "p90_deal_size", "won_revenue",
            "quota"} <= exported


@pytest.fixture(scope="module")
def fakesnow_cursor():
    fakesnow = pytest.importorskip("fakesnow")
    pd = pytest.importorskip("pandas")
    with fakesnow.patch():
        import snowflake.connector
        from snowflake.connector.pandas_tools import write_pandas

        conn = snowflake.connector.connect(database="ACME_SALES", schema="PUBLIC")
        cur = conn.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS ACME_SALES")
        cur.execute("CREATE SCHEMA IF NOT EXISTS ACME_SALES.PUBLIC")
        cur.execute("USE SCHEMA ACME_SALES.PUBLIC")
        import pyarrow as pa
        import pyarrow.parquet as pq

        for file in sorted(DATA_DIR.glob("*.parquet")):
            table = pq.read_table(file)
            dates = [f.name for f in table.schema if pa.types.is_date(f.type)]
            frame = table.to_pandas()
            for column in dates:  # pandas holds dates as objects, which load as text
                frame[column] = pd.to_datetime(frame[column])
            write_pandas(conn, frame, file.stem.upper(), auto_create_table=True,
                         use_logical_type=True)
        yield cur
        conn.close()


def _time_of(description: str) -> str | None:
    """The time column a description names; None for a timeless metric (none named)."""
    found = re.search(r"Time: (\w+)\.(\w+)\.$", description)
    return found.group(2) if found else None


def _bucketed(grain: str, table: str, time: str | None, expr: str, joins: str = "",
              query: str | None = None) -> str:
    """The measure by period over its table (or the query a view reads, named as the table);
    a timeless one once over the whole table."""
    rows = f"({query}) AS {table}" if query else f"{table} AS {table}"
    if time is None:
        return f"SELECT NULL AS period, {expr} AS value FROM {rows}{joins}"
    return (f"SELECT CAST(DATE_TRUNC('{grain.upper()}', {table}.{time}) AS DATE) AS period, "
            f"{expr} AS value FROM {rows}{joins} "
            f"WHERE {table}.{time} IS NOT NULL GROUP BY 1")


def _snowflake_measure(snowflake, name: str) -> tuple[str, str, str]:
    """(table, time column, expression over base columns) of an exported metric."""
    metrics = _exported_metrics_snowflake(snowflake)
    tables = {t["name"]: t for t in snowflake["tables"]}
    table, metric = metrics[name]
    tree = sqlglot.parse_one(metric["expr"], read="snowflake")
    for col in list(tree.find_all(exp.Column)):
        owner = tables.get(col.table)
        facts = {f["name"]: f["expr"] for f in (owner or {}).get("facts", [])}
        if col.name in facts:
            col.set("this", exp.to_identifier(facts[col.name]))
        elif col.name in metrics:  # a derived metric's table.metric
            inner_table, _, inner = _snowflake_measure(snowflake, col.name)
            table = inner_table
            col.replace(exp.paren(sqlglot.parse_one(inner, read="snowflake")))
    return table, _time_of(metric["description"]), tree.sql("snowflake")


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_snowflake_metrics_compute_our_numbers_on_fakesnow(snowflake, numbers, grain,
                                                           fakesnow_cursor):
    compared = 0
    for name in _exported_metrics_snowflake(snowflake):
        if name not in numbers[grain]:
            continue  # not runnable at this grain (a quarterly quota by month)
        table, time, expr = _snowflake_measure(snowflake, name)
        fakesnow_cursor.execute(_bucketed(grain, table, time, expr))
        theirs = {str(p)[:10]: v for p, v in fakesnow_cursor.fetchall()}
        _same(name, numbers[grain][name], theirs)
        compared += 1
    assert compared >= 30 if grain == "month" else compared >= 1


def _snowflake_dimension(snowflake, table: str, name: str) -> tuple[str, str] | None:
    """(SQL of the dimension qualified by its table, a LEFT JOIN reaching it from ``table``)
    through the view's relationships, one hop; None when it is on neither."""
    tables = {t["name"]: t for t in snowflake["tables"]}

    def qualified(owner: str) -> str | None:
        dims = {d["name"]: d["expr"] for d in tables[owner].get("dimensions", [])}
        if name not in dims:
            return None
        tree = sqlglot.parse_one(dims[name], read="snowflake")
        for col in tree.find_all(exp.Column):
            col.set("table", exp.to_identifier(owner))
        return tree.sql("snowflake")

    if (own := qualified(table)) is not None:
        return own, ""
    for rel in snowflake["relationships"]:
        if rel["left_table"] == table and (far := qualified(rel["right_table"])) is not None:
            right = rel["right_table"]
            on = " AND ".join(f"{table}.{c['left_column']} = {right}.{c['right_column']}"
                              for c in rel["relationship_columns"])
            return far, f" LEFT JOIN {right} AS {right} ON {on}"
    return None


def test_snowflake_metrics_compute_our_numbers_by_region_on_fakesnow(snowflake, by_region,
                                                                     fakesnow_cursor):
    """Grouped by a dimension of another table, reached through the view's relationships."""
    compared = 0
    for name in _exported_metrics_snowflake(snowflake):
        if name not in by_region:
            continue
        table, time, expr = _snowflake_measure(snowflake, name)
        found = _snowflake_dimension(snowflake, table, "region")
        assert found, f"{name}: no region reachable from {table} in the semantic view"
        group, join = found
        fakesnow_cursor.execute(_grouped(table, time, expr, group, join))
        theirs = {f"{str(p)[:10]}|{g}": v for p, g, v in fakesnow_cursor.fetchall()}
        _same(name, by_region[name], theirs)
        compared += 1
    assert compared >= 15


def _same(name: str, ours: dict[str, float | None], theirs: dict[str, object]) -> None:
    assert theirs, name
    if list(theirs) == ["None"]:  # timeless: the whole table's value is every period's
        theirs = dict.fromkeys(ours, theirs["None"])
    for period, value in theirs.items():
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else float(value)
        assert period in ours, (name, period)
        if value is None or ours[period] is None:
            assert value == ours[period], (name, period, value, ours[period])
        else:
            assert ours[period] == pytest.approx(value, rel=1e-9), (name, period)
    for period in set(ours) - set(theirs):  # periods without rows: 0 or empty for us
        assert ours[period] in (0, None), (name, period, ours[period])


# -- Databricks metric views --------------------------------------------------------------

# From Databricks' "Metric view YAML syntax reference" (version 1.1).
DATABRICKS_KEYS = {
    "view": ({"version", "comment", "source", "filter", "joins", "dimensions", "measures",
              "materialization"}, {"version", "source"}),
    "join": ({"name", "source", "on", "using", "joins", "rely", "cardinality"},
             {"name", "source"}),
    "dimension": ({"name", "expr", "comment", "display_name", "format", "synonyms"},
                  {"name", "expr"}),
    "measure": ({"name", "expr", "comment", "display_name", "format", "synonyms", "window"},
                {"name", "expr"}),
}


def test_databricks_views_have_the_documented_structure(databricks):
    for name, view in databricks.items():
        _keys("view", view, DATABRICKS_KEYS)
        assert view["version"] == "1.1"
        assert view.get("dimensions") or view.get("measures")
        pending = list(view.get("joins", []))
        while pending:
            join = pending.pop()
            _keys("join", join, DATABRICKS_KEYS)
            assert ("on" in join) != ("using" in join)
            sqlglot.parse_one(join["on"], read="databricks")
            pending += join.get("joins", [])
        names = []
        for key, kind in (("dimensions", "dimension"), ("measures", "measure")):
            for item in view.get(key, []):
                _keys(kind, item, DATABRICKS_KEYS)
                sqlglot.parse_one(item["expr"], read="databricks")
                names.append(item["name"])
        assert len(names) == len(set(names)), name


def test_databricks_views_say_what_the_definitions_say(databricks, project):
    catalog = project.catalog
    opportunities = databricks["opportunities"]
    assert opportunities["source"] == "main.default.opportunities"
    assert opportunities["comment"] == catalog.sources["opportunities"].model.description
    assert opportunities["joins"] == [
        {"name": "reps", "source": "main.default.reps", "on": "source.owner_rep_id = reps.rep_id"},
        {"name": "accounts", "source": "main.default.accounts",
         "on": "source.account_id = accounts.account_id"}]
    dims = {d["name"]: d["expr"] for d in opportunities["dimensions"]}
    assert dims["lead_source"] == "COALESCE(lead_source, 'unknown')"
    assert dims["region"] == "reps.region" and dims["rep"] == "reps.rep_name"
    assert dims["segment"] == "accounts.segment" and dims["closed_at"] == "closed_at"
    for source, view in databricks.items():
        for own in catalog.sources[source].dimensions:
            assert own in {d["name"] for d in view["dimensions"]}, (source, own)
    measures = {m["name"]: m for m in opportunities["measures"]}
    win_rate = measures["win_rate"]
    assert win_rate["display_name"] == "Opportunity win rate"
    assert win_rate["comment"].endswith("Time: closed_at.")
    tree = sqlglot.parse_one(win_rate["expr"], read="databricks")
    filters = [f.expression.this.sql("databricks") for f in tree.find_all(exp.Filter)]
    assert "stage IN ('won', 'lost') AND stage = 'won'" in filters
    assert set(filters) == {"stage IN ('won', 'lost')",
                            "stage IN ('won', 'lost') AND stage = 'won'"}
    assert measures["average_deal_size"]["expr"] == (
        "CAST(MEASURE(won_revenue) AS DOUBLE) / NULLIF((MEASURE(deals_won)), 0)")
    assert measures["p90_deal_size"]["expr"] == (
        "PERCENTILE(amount, 0.9) FILTER(WHERE stage = 'won')")


def test_databricks_every_metric_is_exported_or_reported(databricks, databricks_dir, project):
    _, result = databricks_dir
    exported = {m["name"] for v in databricks.values() for m in v["measures"]}
    _exported_or_reported(exported, _reported(result.stderr, "databricks-metric-view"), project)
    for name, view in databricks.items():  # each measure on its own source's view
        for measure in view["measures"]:
            metric = project.catalog.metrics[measure["name"]]
            assert name in project.catalog.metric_sources(measure["name"]) or \
                metric.model.source == name


def _databricks_measure(view: dict, name: str) -> str:
    measures = {m["name"]: m["expr"] for m in view["measures"]}
    tree = sqlglot.parse_one(measures[name], read="databricks")
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.upper() == "MEASURE":  # composability: Databricks-only, expanded here
            inner = _databricks_measure(view, call.expressions[0].name)
            call.replace(exp.paren(sqlglot.parse_one(inner, read="databricks")))
    return tree.sql("databricks")


def _databricks_joins(view: dict, source: str, *exprs: str) -> str:
    """The view's joins the expressions read, as LEFT JOINs (a metric view joins many to one),
    each after its parent; ``source.`` in a top-level condition is the view's source."""
    used = {c.table for e in exprs
            for c in sqlglot.parse_one(e, read="databricks").find_all(exp.Column)}

    def needed(join: dict) -> bool:
        return join["name"] in used or any(needed(j) for j in join.get("joins", []))

    out, pending = "", [join for join in view.get("joins", []) if needed(join)]
    while pending:
        join = pending.pop(0)
        on = sqlglot.parse_one(join["on"], read="databricks")
        for col in on.find_all(exp.Column):
            if col.table == "source":
                col.set("table", exp.to_identifier(source))
        table = join["source"].split(".")[-1]
        out += f" LEFT JOIN {table} AS {join['name']} ON {on.sql('databricks')}"
        pending += [inner for inner in join.get("joins", []) if needed(inner)]
    return out


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_databricks_measures_compute_our_numbers_on_spark(databricks, numbers, grain, spark):
    compared = 0
    for source, view in databricks.items():
        for measure in view["measures"]:
            name = measure["name"]
            if name not in numbers[grain]:
                continue
            time = re.search(r"Time: (\w+)\.$", measure["comment"])
            expr = _databricks_measure(view, name)
            query = None if re.fullmatch(r"[\w.]+", view["source"]) else view["source"]
            table = spark.execute(_bucketed(grain, source, time and time.group(1), expr,
                                            _databricks_joins(view, source, expr), query))
            theirs = {str(p): v for p, v in zip(table.column("period").to_pylist(),
                                                table.column("value").to_pylist())}
            _same(name, numbers[grain][name], theirs)
            compared += 1
    assert compared >= 30 if grain == "month" else compared >= 1


def _own_columns(sql: str, source: str) -> str:
    """A view expression with its bare columns (the source's own) qualified by the source, so
    that they stay unambiguous next to the joined tables."""
    tree = sqlglot.parse_one(sql, read="databricks")
    for col in tree.find_all(exp.Column):
        if not col.table:
            col.set("table", exp.to_identifier(source))
    return tree.sql("databricks")


def test_databricks_measures_compute_our_numbers_by_region_on_spark(databricks, by_region,
                                                                   spark):
    """Grouped by the view's region dimension, through the view's joins."""
    compared = 0
    for source, view in databricks.items():
        dims = {d["name"]: d["expr"] for d in view.get("dimensions", [])}
        for measure in view["measures"]:
            name = measure["name"]
            if name not in by_region:
                continue
            assert "region" in dims, f"{name}: its view {source} has no region dimension"
            time = re.search(r"Time: (\w+)\.$", measure["comment"]).group(1)
            expr, group = (_own_columns(e, source) for e in
                           (_databricks_measure(view, name), dims["region"]))
            query = None if re.fullmatch(r"[\w.]+", view["source"]) else view["source"]
            table = spark.execute(_grouped(source, time, expr, group,
                                           _databricks_joins(view, source, expr, group), query))
            theirs = {f"{p}|{g}": v for p, g, v in zip(table.column("period").to_pylist(),
                                                        table.column("grp").to_pylist(),
                                                        table.column("value").to_pylist())}
            _same(name, by_region[name], theirs)
            compared += 1
    assert compared >= 15


def test_the_readme_counts_what_each_export_takes(snowflake, databricks, osi_run, project):
    readme = (PROJECT_DIR.parent / "README.md").read_text()
    took = re.search(r"Of the (\d+) metrics, Databricks takes (\d+) and Snowflake (\d+); the "
                     r"others \((\d+) and (\d+)\)", " ".join(readme.split()))
    approximate = re.search(r"(\d+) of the (\d+) metrics have no plain OSI expression",
                            " ".join(readme.split()))
    assert took and approximate, "the README no longer says how many metrics each export takes"
    total = len(project.catalog.metrics)
    dbx = len({m["name"] for v in databricks.values() for m in v["measures"]})
    snow = len(_exported_metrics_snowflake(snowflake))
    assert [int(n) for n in took.groups()] == [total, dbx, snow, total - dbx, total - snow]
    carried = set(re.findall(r"approximate in the OSI core: (\w+):", osi_run.stderr))
    assert [int(n) for n in approximate.groups()] == [len(carried), total]


# -- output -----------------------------------------------------------------------------------

def test_output_file_is_written_whole_and_equals_stdout(tmp_path, snowflake_run, osi_run):
    for kind, run in (("snowflake-semantic-view", snowflake_run), ("osi", osi_run)):
        target = tmp_path / f"{kind}.yaml"
        result = _export(kind, "--output", str(target))
        assert result.stdout == ""
        assert target.read_text() == run.stdout
        assert result.stderr == run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["osi.yaml",
                                                          "snowflake-semantic-view.yaml"]


def test_databricks_stdout_holds_every_view(databricks):
    result = _export("databricks-metric-view")
    documents = list(yaml.safe_load_all(result.stdout))
    def by_source(views):
        return sorted(views, key=lambda view: view["source"])

    assert by_source(documents) == by_source(databricks.values())


@pytest.mark.parametrize("kind, make, message", [
    ("snowflake-semantic-view", "folder", "is a folder"),
    ("osi", "missing-parent", "does not exist"),
    ("databricks-metric-view", "file", "is a file"),
])
def test_bad_output_is_one_line_and_exit_2(tmp_path, kind, make, message):
    target = tmp_path / "out"
    if make == "folder":
        target.mkdir()
    elif make == "file":
        target.write_text("keep")
    else:
        target = tmp_path / "no" / "such" / "out.yaml"
    result = run_cli("export", kind, "-p", str(PROJECT_DIR), "--output", str(target))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert result.stdout == ""
    if make == "file":
        assert target.read_text() == "keep"
