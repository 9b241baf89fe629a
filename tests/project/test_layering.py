"""The layers stay apart, and no two modules import each other.

- ``engine`` imports neither ``adapters`` nor ``cli``; nothing imports ``cli``.
- The front ends (the CLI's commands, the HTTP server, the MCP server) are thin: none of them
  reaches into the engine's internals (the compiler, the catalog, the loader, the rules); the
  HTTP and MCP servers call only the service (``cli.serve.service``), which calls the Project
  API.
- Every import of the project's own code goes through the installed namespace
  (``sales_metrics.engine``, never a bare ``engine``), so the folders can never shadow or be
  shadowed by another package's ``engine`` or ``cli``.
- The import graph of ``engine``, ``adapters`` and ``cli`` has no circle: counting every
  import (at the top, inside functions, and under ``TYPE_CHECKING``), no module reaches
  itself again.
- ``metrics --help`` loads none of the heavy libraries.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from support import ROOT

PACKAGES = ("engine", "adapters", "cli")
NAMESPACE = "sales_metrics"


def module_name(file: Path) -> str:
    parts = list(file.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([NAMESPACE, *parts])


def modules() -> dict[str, Path]:
    return {module_name(f): f for pkg in PACKAGES for f in sorted((ROOT / pkg).rglob("*.py"))}


def imported(file: Path, name: str, known: set[str]) -> set[str]:
    """Every module of the project that ``file`` (module ``name``) imports, anywhere in it."""
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                      for a in node.names}
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imported(file, name, set(mods)) for name, file in mods.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(edges) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve_to_modules():
    edges = graph()
    assert "sales_metrics.engine.catalog" in edges["sales_metrics.engine.resolve"]
    assert "sales_metrics.engine.kpitests.records" in edges["sales_metrics.engine.kpitests.given"]
    assert "sales_metrics.engine.diagnostics" in edges["sales_metrics.cli.main"]


def test_no_module_imports_a_module_that_imports_it_back():
    found = circles(graph())
    assert found == [], "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_engine_does_not_import_adapters_or_cli():
    bad = [(m, t) for m, targets in graph().items() if m.startswith(f"{NAMESPACE}.engine")
           for t in targets if t.startswith((f"{NAMESPACE}.adapters", f"{NAMESPACE}.cli"))]
    assert bad == []


def top_level_imports(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for file in folder.rglob("*.py"):
        if ".venv" in file.parts:
            continue
        for node in ast.walk(ast.parse(file.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found |= {(str(file.relative_to(ROOT)), n) for n in names}
    return found


def test_nothing_imports_cli():
    """Only the CLI's own tests (tests/cli/, and tests/serve/ for the servers) may drive it in
    process."""
    for folder in ("engine", "adapters", "examples", "tests"):
        assert [f for f, mod in top_level_imports(ROOT / folder)
                if mod.startswith(f"{NAMESPACE}.cli")
                and not f.startswith(("tests/cli/", "tests/serve/"))] == []


# The three front ends over one Python API (DESIGN.md, "Front ends are thin"), and the only
# modules of the project each may import: None means "any, but no engine internals".
FRONT_ENDS = {
    f"{NAMESPACE}.cli.main": None,
    f"{NAMESPACE}.cli.serve.http": {f"{NAMESPACE}.cli.serve.{m}" for m in (
        "service", "access", "encode", "errors", "request", "openapi")},
    f"{NAMESPACE}.cli.serve.mcp": {f"{NAMESPACE}.cli.serve.{m}" for m in (
        "service", "access", "encode", "errors", "request")},
}
ENGINE_INTERNALS = tuple(f"{NAMESPACE}.engine.{m}" for m in (
    "compile", "catalog", "resolve", "loader", "rules", "sql", "sides", "kinds", "model",
    "values_sql", "conditions", "dialects", "templating", "yamlspan", "sandbox"))


def test_front_ends_are_thin():
    edges = graph()
    assert f"{NAMESPACE}.cli.serve.http" in edges, "the HTTP front end moved: update FRONT_ENDS"
    for front, allowed in FRONT_ENDS.items():
        if front not in edges:  # not written yet (the MCP server)
            continue
        internal = sorted(t for t in edges[front] if t.startswith(ENGINE_INTERNALS))
        assert internal == [], f"{front} reaches into the engine: {internal}"
        if allowed is not None:
            own = {t for t in edges[front] if not t.startswith(f"{NAMESPACE}.engine.diagnostics")}
            assert own <= allowed, f"{front} imports {sorted(own - allowed)}: call the service"


def test_own_code_is_imported_through_the_namespace():
    """A bare ``import engine`` would pick up whatever ``engine`` comes first on the path."""
    for folder in ("engine", "adapters", "cli", "examples", "tests"):
        bare = [(f, mod) for f, mod in top_level_imports(ROOT / folder)
                if mod.split(".")[0] in PACKAGES]
        assert bare == []


def test_cli_start_up_does_not_load_heavy_modules():
    """`metrics --help` must not pay for DuckDB, sqlglot, pyarrow or pydantic."""
    code = ("import sys, sales_metrics.cli.main as m\n"
            "heavy = {'duckdb', 'sqlglot', 'pyarrow', 'pydantic', 'pandas'} & set(sys.modules)\n"
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_metrics_help_loads_no_heavy_module():
    """Not only importing the CLI: running `metrics --help` itself (start-up budget, issue 6)."""
    code = ("import sys\nsys.argv = ['metrics', '--help']\nimport sales_metrics.cli.main as m\n"
            "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
            "heavy = {'duckdb', 'sqlglot', 'pyarrow', 'pydantic', 'pandas', 'jinja2', 'rich'}\n"
            "print(sorted(heavy & set(sys.modules)), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr
    assert "Usage: metrics" in out.stdout
