"""Definitions in and out: importers and exporters are pure transformations of definitions.

They read and write definitions, never data, and report every construct they cannot map
instead of dropping it. Each kind is a module: ``importer(kind)`` and ``exporter(kind)`` give
the function the CLI calls.
"""

from __future__ import annotations

import importlib
from typing import Callable

_IMPORTERS = {"metricflow": "metricflow", "osi": "_osi_import"}
_EXPORTERS = {"osi": "osi", "snowflake-semantic-view": "snowflake",
              "databricks-metric-view": "databricks"}


def importer(kind: str) -> Callable:
    """``(path, output_folder, strict) -> exit code``."""
    return getattr(importlib.import_module(f".{_IMPORTERS[kind]}", __name__), "import_project")


def exporter(kind: str) -> Callable:
    """``(project, output_path_or_None) -> exit code``."""
    return getattr(importlib.import_module(f".{_EXPORTERS[kind]}", __name__), "export_project")
