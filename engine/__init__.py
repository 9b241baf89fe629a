"""Metrics as code: load YAML KPI definitions, validate them, compile them to SQL.

The public API is re-exported here lazily, so ``from sales_metrics import engine`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Project": "project", "load_project": "project", "check_project": "project",
    "Request": "compile", "Diagnostic": "diagnostics", "Span": "diagnostics",
    "MetricsError": "diagnostics", "DefinitionError": "diagnostics", "UsageError": "diagnostics",
    "CompileError": "diagnostics", "UnsupportedFeature": "diagnostics",
    "AdapterError": "diagnostics", "Grain": "model", "Format": "model",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sales_metrics.engine' has no attribute '{name}'")
    import importlib
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
