"""The protocol-free core of `metrics serve`: what the HTTP and MCP front ends call.

One :class:`Service` per server. Every method takes a :class:`~.access.Scope` (what the
caller's token may read; :meth:`Service.authenticate` makes one from an ``Authorization``
header) and returns plain Python (dicts, lists, an Arrow table in a :class:`Result`), or
raises a :class:`~sales_metrics.engine.diagnostics.MetricsError` whose stable code and
message :mod:`.errors` gives. Nothing here knows HTTP or MCP; no KPI logic is here either:
names, grains, days, dimensions and filters are checked by the engine (``Project.request``,
``Project.compile``), the definitions are described by :mod:`sales_metrics.cli.lineage`,
the SQL comes from the Project API only.

    >>> service = Service("metrics")                      # loads and validates the project
    >>> service.list_metrics()                            # [{"name": "win_rate", ...}, ...]
    >>> result = service.query(QueryRequest(("win_rate",), grain="quarter", by=("region",)))
    >>> result.table                                      # pyarrow.Table: period, region, win_rate

Thread-safe: a front end calls it from worker threads. Compiling is serialized (it is
CPU-bound under the GIL anyway, and the catalog fills caches lazily); queries run in
parallel, at most ``max_concurrent`` at once, each on a connection of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sales_metrics.engine.diagnostics import did_you_mean, one_of

from .access import FULL, Scope, load_tokens
from .catalog import Definitions, Generation
from .encode import Result, encoded
from .errors import BadRequest, NotFound, TooManyRows
from .pool import Pool, ResultCache, data_files, data_fingerprint
from .request import QueryRequest

if TYPE_CHECKING:
    import pyarrow

log = logging.getLogger("metrics.serve")
MOST_COMPILED = 2000  # requests whose SQL a catalog keeps
GRAINS = ("day", "week", "month", "quarter", "year", "all")
KINDS = {"ConversionMetric": "conversion", "BalanceMetric": "balance",
         "FormulaMetric": "formula", "CumulativeMetric": "cumulative",
         "ComparisonMetric": "comparison", "EntityMetric": "entity", "ShareMetric": "share"}


class Service:
    """Load a project and answer requests about it (see the module docstring).

    ``project``, ``target``, ``connection``, ``profiles_dir``, ``connect_timeout`` and
    ``timeout`` mean what the `metrics run` options of those names mean. ``max_rows``: the
    most rows a result may have (also at most the project's ``limits.max_rows``);
    ``cache_ttl``: seconds a result is kept (0: no cache); ``reload_interval``: how often,
    at most, the definition files are checked for changes; ``queue_wait``: seconds a query
    waits for one of the ``max_concurrent`` slots.
    """

    def __init__(self, project: str | Path | None = None, *, target: str | None = None,
                 connection: str | None = None, profiles_dir: str | Path | None = None,
                 tokens_file: str | Path | None = None, connect_timeout: float = 10.0,
                 timeout: float | None = None, max_concurrent: int = 4,
                 max_rows: int = 100_000, cache_ttl: float = 60.0,
                 reload_interval: float = 1.0, queue_wait: float = 30.0) -> None:
        from ..connections import Where

        if max_concurrent < 1 or max_rows < 1 or cache_ttl < 0:
            raise BadRequest("max_concurrent and max_rows are at least 1; cache_ttl at least 0")
        self.definitions = Definitions(project, reload_interval)
        first = self.definitions.current().project
        self.where = Where(target, connection, Path(profiles_dir) if profiles_dir else None,
                           connect_timeout, False, timeout)
        self.tokens = load_tokens(first, tokens_file)
        self.max_rows = max_rows
        self.pool = Pool(self.where.open, max_concurrent, queue_wait)
        self.cache = ResultCache(cache_ttl)
        self._compiling = threading.Lock()

    # ------------------------------------------------------------------ access and health

    def authenticate(self, authorization: str | None) -> Scope:
        """The scope of an ``Authorization: Bearer <token>`` header (any header when no
        token is configured); :class:`~.errors.Unauthorized` otherwise."""
        return self.tokens.scope(authorization)

    def check_listen(self, host: str) -> None:
        """Refuse a non-loopback address when no token is configured."""
        self.tokens.check_listen(host)

    def status(self, detail: bool = True) -> dict[str, Any]:
        """``{"status": "ok"|"degraded", ...}``; degraded: the definitions on disk are
        invalid and the last good catalog is served. ``detail``: also the catalog's
        generation, size and load time, and the problems' lines."""
        current = self.definitions.current()
        out: dict[str, Any] = {"status": "degraded" if self.definitions.stale else "ok"}
        if detail:
            out["catalog"] = {"generation": current.number,
                              "metrics": len(current.project.catalog.metrics),
                              "loaded_at": _iso(current.loaded_at),
                              "digest": current.digest[:16]}
            out["problems"] = list(self.definitions.problems)
        return out

    def check_connection(self) -> None:
        """Open one connection now (and keep it in the pool): a wrong target or an
        unreachable warehouse is told at start, not on the first request."""
        current = self.definitions.current()
        self.pool.prime(current.project, current.number)

    def generation(self) -> int:
        """The current catalog's number, after a reload when the definition files changed:
        a front end that describes the catalog (the MCP server's tool descriptions) polls
        it to know when to describe it again."""
        return self.definitions.current().number

    @property
    def dialect(self) -> str:
        """The project's SQL dialect (what compile writes unless told another)."""
        return self.definitions.current().project.settings.dialect

    @property
    def stale(self) -> bool:
        return self.definitions.stale

    def close(self) -> None:
        self.pool.close()

    # ------------------------------------------------------------------ the catalog

    def list_metrics(self, scope: Scope = FULL) -> list[dict[str, Any]]:
        """Every metric the scope may read: name, label, description, kind, format, grain
        (its default), grains (those it can be computed at), dimensions (those it may be
        grouped by, and the scope allows), target ({value, direction} or None), owner."""
        current = self.definitions.current()
        facts = self._facts(current)
        return [_scoped(info, scope) for name, info in facts.items()
                if scope.allows(current.project, name)]

    def describe(self, name: str, scope: Scope = FULL, dialect: str | None = None
                 ) -> dict[str, Any]:
        """One metric: its facts (as :meth:`list_metrics`), its definition in words
        (``definition``: one line per part; ``summary``: one sentence), lineage (``reads``:
        source -> columns; ``uses``; ``used_by``), its SQL in ``dialect`` and, for a
        full-access scope, ``text``: what `metrics show` prints."""
        from .. import lineage

        current = self.definitions.current()
        project = self._readable(current, name, scope)
        about = lineage.lineage(project, name)
        model = project.catalog.metrics[name].model
        target = dialect or project.settings.dialect
        with self._compiling:
            by = list(getattr(model, "across", None) or [])
            sql = project.compile([name], dialect=target, by=by)
            text = lineage.describe(project, name, dialect) if scope.metrics is None else None
        out = {**_scoped(self._facts(current)[name], scope),
               "definition": [line.strip() for line in about.definition],
               "summary": lineage.plain(lineage.in_words(project, name)),
               "reads": about.columns, "uses": about.uses,
               "used_by": [m for m in about.used_by if scope.allows(project, m)],
               "dialect": target, "sql": sql}
        if text is not None:
            out["text"] = text
        return out

    def dimension_values(self, name: str, search: str | None = None, limit: int = 100,
                         scope: Scope = FULL) -> dict[str, Any]:
        """A dimension's distinct values, sorted, from the sources that declare it:
        ``{"dimension", "values": [...], "more": bool}`` (more: there are values past
        ``limit``); ``search``: only values that contain it, in any case."""
        from sales_metrics.engine.values_sql import MOST_VALUES

        current = self.definitions.current()
        project = current.project
        scope.check(project, [], [name])
        _known_dimension(project, name)
        limit = min(limit, MOST_VALUES) if isinstance(limit, int) else limit
        with self._compiling:
            sql = project.dimension_values_sql(name, search, limit)
        key = ("values", current.digest, name, search or "", limit, self._data(current))
        table = self.cache.get(key)
        if table is None:
            table = self._run(current, lambda d: sql if d == project.settings.dialect else
                              self._locked(project.dimension_values_sql, name, search, limit, d))
            self.cache.put(key, table)
        values = table.column(0).to_pylist()
        return {"dimension": name, "values": values[:limit], "more": len(values) > limit}

    def validate(self) -> dict[str, Any]:
        """The definitions on disk, checked: ``{"valid", "diagnostics": [Diagnostic.to_dict
        ()], "serving": generation}``. Not valid: the server answers from the last good
        catalog (``serving``) while the files are fixed."""
        current = self.definitions.current()
        found = self.definitions.failed if self.stale else current.diagnostics
        problems = [{"message": line} for line in self.definitions.problems] \
            if self.stale and not found else []
        return {"valid": not self.stale, "serving": current.number,
                "diagnostics": [d.to_dict() for d in found] + problems}

    # ------------------------------------------------------------------ queries

    def compile(self, request: QueryRequest, dialect: str | None = None,
                scope: Scope = FULL) -> str:
        """The SQL of a request in ``dialect`` (default: the project's); no connection."""
        current = self.definitions.current()
        names, _ = self._checked(current, request, scope)
        return self._locked(current.project.compile, names, dialect, **request.options())

    def query(self, request: QueryRequest, scope: Scope = FULL) -> Result:
        """Run a request: the same checks and SQL as `metrics run`, one SELECT, at most
        ``max_rows`` rows (more is refused with :class:`~.errors.TooManyRows`, not cut)."""
        current = self.definitions.current()
        project = current.project
        names, sql = self._checked(current, request, scope)
        key = ("query", current.digest, tuple(names), request.key(), self._data(current))
        grain = request.grain or project.catalog.metrics[names[0]].model.grain.value
        table = self.cache.get(key)
        cached = table is not None
        if table is None:
            table = self._run(current, lambda d: sql if d == project.settings.dialect else
                              self._locked(project.compile, names, d, **request.options()))
            self._check_rows(project, table)
            self.cache.put(key, table)
        log.info("query %s by %s: %d rows%s", ",".join(names), scope.name, table.num_rows,
                 " (cached)" if cached else "")
        return Result(table, tuple(names), grain.lower(), cached, current.number, self.stale,
                      key)

    def encoded(self, result: Result, fmt: str) -> tuple[bytes, str]:
        """The result in ``fmt`` (json, csv, arrow) and its media type. A cached result's
        bytes are kept beside it: the same answer is not encoded again (encoding took more
        of a cached answer's time than finding it)."""
        if not result.cached:
            return encoded(result, fmt)
        key = ("encoded", fmt, result.key)
        found = self.cache.get(key)
        if found is None:
            found = encoded(result, fmt)
            self.cache.put(key, found)
        return found

    def compare_periods(self, metric: str, start: str, end: str,
                        previous_start: str | None = None, previous_end: str | None = None,
                        by: tuple[str, ...] = (), where: tuple[str, ...] = (),
                        scope: Scope = FULL) -> dict[str, Any]:
        """A metric's value over two ranges, and the change: ``{"metric", "current":
        {start, end}, "previous": {start, end}, "rows": [{<by dims>, "current",
        "previous", "change", "relative_change"}]}``. Without a previous range: the one
        just before, as long (whole calendar months: the same number of months before).
        Each value is the metric over its whole range (grain ``all``); relative_change is
        change / |previous| (None when previous is 0 or empty)."""
        first, last = _day(start, "start"), _day(end, "end")
        if last < first:
            raise BadRequest(f"end {end} is before start {start}")
        if (previous_start is None) != (previous_end is None):
            raise BadRequest("give both previous_start and previous_end, or neither")
        if previous_start is None:
            before = _previous(first, last)
        else:
            before = (_day(previous_start, "previous_start"), _day(previous_end, "previous_end"))
        results = [self.query(QueryRequest((metric,), "all", tuple(by), a.isoformat(),
                                           b.isoformat(), tuple(where)), scope)
                   for a, b in ((first, last), before)]
        now, then = (_by_group(r.table, metric, list(by)) for r in results)
        rows = []
        for group in sorted(set(now) | set(then), key=lambda g: tuple((v is None, str(v))
                                                                      for v in g)):
            cur, prev = now.get(group), then.get(group)
            change, relative = _change(cur, prev)
            rows.append({**dict(zip(by, group)), "current": cur, "previous": prev,
                         "change": change, "relative_change": relative})
        return {"metric": metric,
                "current": {"start": first.isoformat(), "end": last.isoformat()},
                "previous": {"start": before[0].isoformat(), "end": before[1].isoformat()},
                "rows": rows}

    # ------------------------------------------------------------------ the plumbing

    def _checked(self, current: Generation, request: QueryRequest, scope: Scope
                 ) -> tuple[list[str], str]:
        """The metrics a request computes and its SQL in the project's dialect, after the
        engine's checks and the scope's."""
        project = current.project
        names = list(request.metrics)
        scope.check(project, names, list(request.by))
        # A request compiled before (in this catalog) is not compiled again: a cached answer
        # then costs no compiling, which is serialized (examples/benchmark_serve.py).
        memo = current.facts.setdefault("compiled", {})
        key = (request.key(), None if names else scope)
        found = memo.get(key)
        if found is None:
            with self._compiling:
                project.request([], **request.options())  # a bad grain, day or filter first
                if not names:
                    readable = [n for n in project.catalog.metrics if scope.allows(project, n)]
                    names, _ = project.runnable(readable, **request.options())
                    if not names:
                        raise BadRequest("no metric this token may read can be computed for "
                                         "this request")
                found = (tuple(names), project.compile(names, **request.options()),
                         tuple(project.filter_dimensions(request.where)))
            if len(memo) < MOST_COMPILED:
                memo[key] = found
        scope.check(project, [], found[2])
        return list(found[0]), found[1]

    def _locked(self, function, *args, **kwargs):
        with self._compiling:
            return function(*args, **kwargs)

    def _run(self, current: Generation, sql_for) -> "pyarrow.Table":
        return self.pool.run(current.project, current.number, sql_for)

    def _check_rows(self, project, table: "pyarrow.Table") -> None:
        most = min(self.max_rows, project.settings.limits.max_rows)
        if table.num_rows > most:
            raise TooManyRows(f"the result has {table.num_rows:,} rows, more than this server "
                              f"sends ({most:,}); narrow the request (start/end, a coarser "
                              "grain, fewer 'by' dimensions)")

    def _data(self, current: Generation) -> Any:
        """The data's fingerprint (None for a warehouse: only the TTL then)."""
        if "data_files" not in current.facts:
            from sales_metrics.adapters.profiles import resolve_target

            chosen = resolve_target(current.project, None, self.where.target,
                                    self.where.connection, self.where.profiles_dir)
            current.facts["data_files"] = data_files(current.project, chosen.settings)
        return data_fingerprint(current.facts["data_files"])

    def _facts(self, current: Generation) -> dict[str, dict[str, Any]]:
        """What :meth:`list_metrics` shows of every metric, computed once per catalog."""
        with current.lock:
            if "metrics" not in current.facts:
                with self._compiling:
                    current.facts["metrics"] = {name: _facts(current.project, name)
                                                for name in current.project.catalog.metrics}
            return current.facts["metrics"]

    def _readable(self, current: Generation, name: str, scope: Scope):
        project = current.project
        scope.check(project, [name], [])
        if name not in project.catalog.metrics:
            hint = did_you_mean(name, project.catalog.metrics) or one_of(
                n for n in project.catalog.metrics if scope.allows(project, n))
            raise NotFound(f"unknown metric '{name}'; {hint}")
        return project


def _facts(project, name: str) -> dict[str, Any]:
    from ..lineage import dimensions

    model = project.catalog.metrics[name].model
    kind = KINDS.get(type(model).__name__) or (
        "ratio" if project.catalog.metrics[name].denominator is not None else "simple")
    by = list(getattr(model, "across", None) or [])
    return {"name": name, "label": model.title, "description": model.description,
            "kind": kind, "format": model.format.value, "grain": model.grain.value,
            "grains": [g for g in GRAINS if project.runnable([name], grain=g, by=by)[0]],
            "dimensions": dimensions(project, name),
            "target": None if model.target is None else
            {"value": model.target.value, "direction": model.target.direction},
            "owner": model.owner}


def headline(text: str) -> str:
    """The first sentence of a description (see :func:`sales_metrics.cli.lineage.first_sentence`),
    for a front end's one-line listing."""
    from ..lineage import first_sentence

    return first_sentence(text)


def _scoped(info: dict[str, Any], scope: Scope) -> dict[str, Any]:
    return {**info, "dimensions": [d for d in info["dimensions"] if scope.allows_dimension(d)]}


def _known_dimension(project, name: str) -> None:
    sources = project.catalog.sources
    source, _, dim = name.rpartition(".")
    if source:
        if source in sources and dim in sources[source].dimensions:
            return
    elif any(name in s.dimensions for s in sources.values()):
        return
    known = {d for s in sources.values() for d in s.dimensions}
    raise NotFound(f"unknown dimension '{name}'; {did_you_mean(name, known) or one_of(known)}")


def _day(text: Any, name: str) -> date:
    if isinstance(text, str) and len(text) <= 40:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise BadRequest(f"{name} '{str(text)[:40]}' is not a date; write it as YYYY-MM-DD")


def _previous(first: date, last: date) -> tuple[date, date]:
    """The range just before ``first..last``: as many whole months when it is whole
    months, else as many days."""
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        months = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
        index = first.year * 12 + first.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), first - timedelta(days=1)
    days = (last - first).days + 1
    return first - timedelta(days=days), first - timedelta(days=1)


def _by_group(table: "pyarrow.Table", metric: str, by: list[str]) -> dict[tuple, Any]:
    columns = table.to_pydict()
    keys = list(zip(*(columns[d] for d in by))) if by else [()] * table.num_rows
    return dict(zip(keys, columns[metric]))


def _change(cur: Any, prev: Any) -> tuple[Any, Any]:
    if cur is None or prev is None:
        return None, None
    if isinstance(cur, Decimal) != isinstance(prev, Decimal):
        cur, prev = float(cur), float(prev)
    change = cur - prev
    return change, (change / abs(prev) if prev else None)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
