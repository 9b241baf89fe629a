"""The JSON Schema of the YAML files, for editors, generated from the loader's own models.

One document describes both kinds of file: the project file (:class:`~engine.model.Project`)
and definition files (:class:`~engine.model.MetricsFile`). Their ``sources:`` items are
:class:`~engine.model.Source` and their ``metrics:`` items any of the metric kinds (the
loader picks the kind from the keys present, see :func:`~engine.model.metric_kind`; each
kind requires its own keys, so an editor validates each item against the kind it is).
Lint codes under ``lint:`` come from the lint rules' registry.

The loader stays the authority: what the schema cannot say (exactly one of ``table``,
``sql`` or ``path``; SQL that parses; names that exist) it reports.
"""

from __future__ import annotations

from typing import Any

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"


def json_schema() -> dict[str, Any]:
    """The schema, as a JSON-ready dict (``metrics schema`` prints it)."""
    from pydantic.json_schema import models_json_schema

    from . import model
    from .rules.lint import DEFAULTS

    kinds = [model.Metric, model.ConversionMetric, model.BalanceMetric, model.FormulaMetric,
             model.CumulativeMetric, model.ComparisonMetric, model.EntityMetric,
             model.ShareMetric]
    _, found = models_json_schema(
        [(m, "validation") for m in (model.Project, model.MetricsFile, model.Source, *kinds)],
        ref_template="#/$defs/{model}")
    defs = found["$defs"]
    files = defs["MetricsFile"]["properties"]
    files["sources"]["items"] = {"$ref": "#/$defs/Source"}
    files["metrics"]["items"] = {"anyOf": [{"$ref": f"#/$defs/{k.__name__}"} for k in kinds]}
    lint = defs["Project"]["properties"]["lint"]
    lint["propertyNames"] = {"enum": sorted(DEFAULTS)}
    # YAML 1.1 (PyYAML, so the loader) reads an unquoted `off` as false, and accepts it
    levels = lint["additionalProperties"]
    lint["additionalProperties"] = {"enum": [*levels["enum"], False]}
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Sales KPIs as code: a project file or a definitions file",
        "description": "project.yml (settings shared by every definition), or a YAML file "
                       "of sources and metrics. Generated from engine/model.py by "
                       "`metrics schema`; do not edit by hand.",
        "anyOf": [{"$ref": "#/$defs/Project"}, {"$ref": "#/$defs/MetricsFile"}],
        "$defs": dict(sorted(defs.items())),
    }


def json_text() -> str:
    """The schema as the committed file holds it: sorted, indented, one final newline."""
    import json

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
