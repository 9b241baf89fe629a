"""The editor JSON Schema: generated from the loader's models, committed, current, and it
accepts the catalog and flags the mistakes analysts make."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from sales_metrics.engine.model import metric_kind
from sales_metrics.engine.schema import json_schema, json_text
from sales_metrics.engine.yamlspan import read_yaml
from support import ROOT

COMMITTED = ROOT / "examples" / "metrics.schema.json"
FILES = sorted((ROOT / "metrics").glob("*.yml")) + sorted(
    (ROOT / "tests" / "cases" / "base_project").glob("*.yml"))


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def load(path: Path):
    """A YAML file as the loader reads it (keys as written: `on:` is not True)."""
    data, _, problems = read_yaml(path, path.name)
    assert not problems
    return data


def errors(validator, data) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


def test_the_committed_copy_is_current():
    assert COMMITTED.read_text() == json_text(), (
        "examples/metrics.schema.json is stale: metrics schema > examples/metrics.schema.json")


def test_metrics_schema_prints_it(cli):
    result = cli("schema")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout) == json_schema()


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_every_catalog_file_is_valid(validator, path):
    assert errors(validator, load(path)) == []


def test_each_metric_is_valid_as_the_kind_the_loader_reads_it_as(validator):
    defs = validator.schema["$defs"]
    for path in FILES:
        for item in (load(path) or {}).get("metrics", []):
            kind = {**validator.schema, "$ref": f"#/$defs/{metric_kind(item).__name__}"}
            del kind["anyOf"]
            assert list(jsonschema.Draft7Validator(kind).iter_errors(item)) == [], item["name"]
    assert {"Metric", "FormulaMetric", "EntityMetric", "Source", "Project"} <= set(defs)


@pytest.mark.parametrize("text", [
    "metrics:\n  - name: win_rate\n    source: opportunities\n    numerator: count(*)\n"
    "    denominater: count(*)\n",
    "metrics:\n  - name: deals\n    source: opportunities\n    numerator: count(*)\n"
    "    grain: monthly\n",
    "metrics:\n  - name: growth\n    of: deals\n    compare: last_year\n",
    "metrics:\n  - name: deals\n    source: opportunities\n",
    "sources:\n  - name: deals\n    table: opportunities\n    tme: created_at\n",
    "name: acme\ndialec: duckdb\n",
    "name: acme\nlint: {missing-ower: warning}\n",
    "name: acme\nlint: {missing-owner: warn}\n",
], ids=["misspelled key", "unknown grain", "unknown comparison", "no numerator",
        "misspelled source key", "misspelled project key", "unknown lint rule",
        "unknown severity"])
def test_mistakes_fail(validator, tmp_path, text):
    path = tmp_path / "m.yml"
    path.write_text(text)
    assert errors(validator, load(path))


def test_every_kind_and_the_lint_settings_pass(validator, tmp_path):
    path = tmp_path / "m.yml"
    path.write_text(
        "metrics:\n"
        "  - {name: a, source: s, numerator: count(*), denominator: {expr: count(*), "
        "filters: [x]}, format: percent}\n"
        "  - {name: b, source: s, conversion: {start: c, end: d, within_days: 30}}\n"
        "  - {name: c, source: s, measure: sum(x), balance: {opens: o, closes: c}}\n"
        "  - {name: d, formula: a / b}\n"
        "  - {name: e, of: a, trailing: 3}\n"
        "  - {name: f, of: a, compare: previous_year, change: absolute}\n"
        "  - {name: g, of: a, entity: rep, condition: '>= 1', aggregate: share}\n")
    assert errors(validator, load(path)) == []
    assert errors(validator, {"name": "p", "lint": {"missing-owner": "off",
                                                    "ratio-not-subset": "error"}}) == []
