"""The console script: replay a command's output when nothing it read has changed.

`metrics validate` and `metrics compile` are functions of files: the definitions, the
profiles, the data files' names and columns, a few environment variables. Their first run
records what they read (:mod:`sales_metrics.engine.inputs`) with their output and exit code;
a later run with the same command line, in the same folder, with the same code and libraries,
prints that output again after checking every input, without importing Typer, pydantic,
sqlglot or DuckDB (about 40 ms instead of 0.6-0.8 s). Anything else runs as usual.

`metrics run` keeps its plan the same way (the SQL and how to show the result, not the
result: the data is read fresh every time), for an embedded DuckDB whose settings hold no
secret; a later identical run executes the plan without loading the definitions.

Not replayed: a command that reaches a warehouse (`validate --against`), verbose runs, and
any run with ``METRICS_NO_CACHE`` set. The cache is ``$METRICS_CACHE_DIR``, else
``$XDG_CACHE_HOME/sales-metrics``, else ``~/.cache/sales-metrics``; deleting it is always
safe. Entries hold output and digests only: no environment variable's value, no secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

REPLAYED = {"validate", "compile"}
NEVER = {"--against", "-v", "--verbose", "--help", "--version"}
_ENV = ("METRICS_PROJECT", "METRICS_TARGET", "METRICS_PROFILES_DIR", "COLUMNS", "NO_COLOR",
        "HOME", "XDG_CONFIG_HOME")
_LIBRARIES = ("duckdb", "sqlglot", "sqlglotc", "jinja2", "yaml", "pydantic", "pydantic_core",
              "typer", "pyarrow")


def main() -> None:
    argv = sys.argv[1:]
    if _plannable(argv):
        _planned(argv)
        return
    if not _replayable(argv):
        _run()
        return
    folder = _folder()
    key = _key(argv)
    entry = os.path.join(folder, key + ".json")
    code = _replay(entry)
    if code is not None:
        sys.exit(code)
    _record(entry, folder)


def _plannable(argv: list[str]) -> bool:
    """`run` (with --verbose too: its log is of the query, which runs every time)."""
    if not argv or argv[0] != "run" or os.environ.get("METRICS_NO_CACHE"):
        return False
    return not any(a in ("--help", "--version") for a in argv)


def _planned(argv: list[str]) -> None:
    """`metrics run`: execute the kept plan while its inputs are unchanged; else run as
    usual, keeping the plan it makes (:mod:`sales_metrics.cli.planned`)."""
    folder = _folder()
    entry = os.path.join(folder, _key(argv) + ".plan.json")
    try:
        with open(entry, encoding="utf-8") as f:
            saved = json.load(f)
    except (OSError, ValueError):
        saved = None
    if saved is not None:
        from sales_metrics.engine import inputs

        try:
            fresh = inputs.unchanged(saved["inputs"])
        except (KeyError, TypeError, ValueError):
            fresh = False  # an entry of another version, or damaged: run as usual
        if fresh:
            from .planned import replay

            code = replay(saved["plan"])
            sys.stdout.flush()  # every output is written (a file: renamed into place) by now
            sys.stderr.flush()
            os._exit(code)  # skip closing DuckDB and tearing down the interpreter
    from sales_metrics.engine import inputs

    from . import planned

    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        pass

    def made(plan: dict) -> None:  # the inputs of the plan are all read by now
        seen = inputs.stop()
        if seen is not None and plan.get("connection") is not None:
            _save(entry, folder, {"inputs": seen, "plan": plan})

    inputs.start(ignore=(folder,))
    planned.on_keep(made)
    try:
        _run()
    finally:
        inputs.stop()


def _replayable(argv: list[str]) -> bool:
    if not argv or argv[0] not in REPLAYED or os.environ.get("METRICS_NO_CACHE"):
        return False
    return not any(a in NEVER or a.split("=", 1)[0] in NEVER for a in argv)


def _run() -> None:
    from .main import main as typer_main

    typer_main()


def _folder() -> str:
    chosen = os.environ.get("METRICS_CACHE_DIR")
    if chosen:
        return os.path.abspath(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sales-metrics")


def _key(argv: list[str]) -> str:
    """The command line, the folder it runs in, the environment that chooses files and
    output, whether output goes to a terminal, and the code that would run."""
    parts = {"argv": argv, "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in _ENV},
             "tty": [_isatty(sys.stdout), _isatty(sys.stderr)],
             "python": sys.version, "executable": sys.executable, "code": _code_stamp()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _code_stamp() -> list:
    """Our modules and the libraries' own files, by size and modification time: an edit or
    an upgrade is a new key."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    ours = []
    for package in ("cli", "engine", "adapters"):
        root = os.path.join(os.path.dirname(here), package)
        for folder, _, names in os.walk(root):
            for name in names:
                if name.endswith(".py"):
                    try:
                        info = os.stat(os.path.join(folder, name))
                    except OSError:  # gone since the listing: the stamp differs anyway
                        continue
                    ours.append([folder[len(root):], name, info.st_size, info.st_mtime_ns])
    libraries = []
    for name in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec else None
        info = os.stat(origin) if origin and os.path.exists(origin) else None
        libraries.append([name, origin, info and info.st_size, info and info.st_mtime_ns])
    return sorted(ours) + libraries


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _replay(entry: str) -> int | None:
    try:
        with open(entry, encoding="utf-8") as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return None
    from sales_metrics.engine import inputs

    try:
        if not inputs.unchanged(saved["inputs"]):
            return None
        out, err, code = saved["stdout"], saved["stderr"], int(saved["code"])
    except (KeyError, TypeError, ValueError):
        return None  # an entry of another version, or damaged: run as usual
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.stderr.write(err)
    sys.stderr.flush()
    return code


class _Tee:
    """A text stream that passes writes on and keeps a copy."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # Click writes bytes where it finds no binary layer
            text = text.decode(getattr(self._stream, "encoding", None) or "utf-8", "replace")
        self.parts.append(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    @property
    def buffer(self):  # bytes written past the text layer would not be copied: refuse them
        raise AttributeError("buffer")


def _record(entry: str, folder: str) -> None:
    from sales_metrics.engine import inputs

    try:  # made first: its appearing must not look like a change to a folder listed
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        pass
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    inputs.start(ignore=(folder,))
    code: int | str | None = 0
    try:
        _run()
    except SystemExit as done:
        code = done.code
    finally:
        sys.stdout, sys.stderr = out._stream, err._stream
        seen = inputs.stop()
    if seen is not None and isinstance(code, int | None):
        _save(entry, folder, {"inputs": seen, "stdout": "".join(out.parts),
                              "stderr": "".join(err.parts), "code": code or 0})
    sys.exit(code)


def _save(entry: str, folder: str, saved: dict) -> None:
    """Written whole or not at all; a cache that cannot be written is no error."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(saved, f)
        os.replace(tmp, entry)
    except OSError:
        pass
