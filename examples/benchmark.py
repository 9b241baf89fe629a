"""Benchmark: the whole KPI catalog on a scaled sample dataset, three ways, in one process.

    python examples/benchmark.py --opportunities 10000000 [--runs 5] [--data DIR]

1. Generates the CRM sample data at the requested scale with ``generate.generate`` (in a child
   process, so its memory is not counted as the queries'), or reuses it from ``--data``.
2. On one DuckDB connection with a view over each Parquet file (as ``adapters/duckdb.py`` does)
   it runs every metric ``metrics run --grain=month`` would run, and again grouped by region
   (the metrics that allow it), three ways:

   (a) the engine's SQL: one SELECT for the whole request;
   (b) SQL an expert wrote for DuckDB from the definitions alone, without looking at the
       engine's (benchmark_expert.py): a few variants (conditional aggregation on rows,
       pre-aggregation by the columns the conditions read, cheaper per-row expressions), all
       timed in the same run; (b) is the fastest of them there;
   (c) one query per metric, the way naive tools do it: each metric compiled alone, run one
       after the other.

   It checks that (a) and (b) (and (c)) give the same rows and numbers (1e-9 relative), and
   prints medians, the min-max spread and the ratios a/b and c/b as a Markdown table.
3. Before any query (so DuckDB's threads do not compete) it times the CLI's start-up against a
   bare ``python -c pass`` and against the floor under it (importing the libraries `metrics
   validate` needs), loading and validating the catalog, compiling it, and validating and
   compiling a generated project of 1,000 metrics over 20 sources
   (``benchmark_project.make_project``); after the queries it reports peak memory.

Not part of the test suite: it takes minutes at 10 million opportunities.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOG = ROOT / "metrics"
TOLERANCE = 1e-9


# -- data --------------------------------------------------------------------------------------

def default_data_dir(opportunities: int, seed: int) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "sales-metrics-benchmark" / f"opportunities-{opportunities}-seed-{seed}"


def ensure_data(folder: Path, opportunities: int, seed: int, regenerate: bool) -> dict:
    """Reuse the dataset in ``folder`` when it was generated with the same settings, else
    generate it in a child process (its time and peak memory are reported, not counted)."""
    marker = folder / "benchmark.json"
    if marker.exists() and not regenerate:
        info = json.loads(marker.read_text())
        if info.get("opportunities") == opportunities and info.get("seed") == seed:
            return info | {"reused": True}
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)  # written last: a half-written folder is regenerated
    code = ("import json, sys, time; sys.path.insert(0, sys.argv[1]); from generate import "
            "generate; start = time.perf_counter(); rows = generate(sys.argv[2], int(sys.argv[3]),"
            " seed=int(sys.argv[4])); print(json.dumps({'rows': rows, 'seconds': "
            "time.perf_counter() - start}))")
    print(f"generating {opportunities:,} opportunities into {folder} ...", file=sys.stderr)
    done = subprocess.run([sys.executable, "-c", code, str(HERE), str(folder), str(opportunities),
                           str(seed)], check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # first child: it
    info = {"opportunities": opportunities, "seed": seed, "rows": result["rows"],
            "seconds": result["seconds"], "peak_bytes": child, "load": os.getloadavg()}
    marker.write_text(json.dumps(info, indent=2))
    return info | {"reused": False}


# -- timing ------------------------------------------------------------------------------------

class Timer:
    """Wall-clock and CPU seconds (this process, all threads) of repeated runs."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, action: Callable[[], object]) -> object:
        cpu, start = time.process_time(), time.perf_counter()
        result = action()
        self.wall.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - cpu)
        return result

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def spread(self, unit: float = 1.0, digits: int = 2) -> str:
        return f"{min(self.wall) * unit:.{digits}f}–{max(self.wall) * unit:.{digits}f}"


def repeat(action: Callable[[], object], runs: int) -> Timer:
    timer = Timer()
    for _ in range(runs):
        timer(action)
    return timer


# -- checking (a) against (b) and (c) ----------------------------------------------------------

def rows_by_key(table, keys: list[str]) -> dict[tuple, dict[str, object]]:
    data = table.to_pydict()
    return {tuple(data[k][i] for k in keys): {c: data[c][i] for c in data}
            for i in range(table.num_rows)}


def same(x: object, y: object) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return math.isclose(float(x), float(y), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def differences(expected, actual, keys: list[str], metrics: list[str],
                subset: bool = False) -> dict[str, str]:
    """Metric -> what differs between two results (rows keyed by period and dimensions).
    With ``subset``, ``actual`` may lack rows (a metric run alone has its own range)."""
    want, got = rows_by_key(expected, keys), rows_by_key(actual, keys)
    out: dict[str, str] = {}
    if set(got) - set(want) or (not subset and set(want) - set(got)):
        out["(rows)"] = (f"{len(set(want) - set(got))} rows only in one, "
                         f"{len(set(got) - set(want))} only in the other")
    for metric in metrics:
        if metric not in actual.column_names:
            out[metric] = "missing"
            continue
        bad = [(k, want[k][metric], got[k][metric]) for k in want.keys() & got.keys()
               if not same(want[k][metric], got[k][metric])]
        if bad:
            key, x, y = bad[0]
            out[metric] = f"{len(bad)} of {len(want)} rows differ, e.g. {key}: {x!r} vs {y!r}"
    return out


# -- the three ways, on one connection ---------------------------------------------------------

def scenario(project, execute: Callable[[str], object], by: list[str], runs: int,
             naive_runs: int) -> dict:
    """Time (a), every variant of (b) and (c) for the catalog at month grain (grouped by
    ``by``); check them. (b) is the variant with the lowest median in this run."""
    from benchmark_expert import ALL_METRICS, VARIANTS

    names, skipped = project.runnable(project.catalog.metrics, grain="month", by=by)
    later = [n for n in names if n not in ALL_METRICS]  # KPIs added after (b) was written
    names = [n for n in names if n in ALL_METRICS]
    engine_sql = project.compile(names, grain="month", by=by)
    variants = {name: build(bool(by)) for name, build in VARIANTS.items()}
    naive_sql = [(name, project.compile([name], grain="month", by=by)) for name in names]
    keys = ["period", *by]
    a = execute(engine_sql)  # warm-up, and the results to check
    problems: dict[str, str] = {}
    for variant, text in variants.items():
        b = execute(text)
        problems |= {f"(b {variant}) {m}": why
                     for m, why in differences(a, b, keys, names).items()}
        extra = sorted(set(b.column_names) - set(names) - set(keys))
        if extra:
            problems[f"(b {variant}) columns"] = f"not computed by the engine: {', '.join(extra)}"
    if naive_runs:
        for name, text in naive_sql:
            alone = execute(text)
            for metric, why in differences(a.select(keys + [name]), alone, keys, [name],
                                           subset=True).items():
                problems[f"(c) {name}{'' if metric == name else ' ' + metric}"] = why
    timers = {"a": Timer(), "c": Timer(), **{f"b {v}": Timer() for v in variants}}
    ways = {"a": lambda: execute(engine_sql),
            "c": lambda: [execute(text) for _, text in naive_sql],
            **{f"b {v}": (lambda text=text: execute(text)) for v, text in variants.items()}}
    order = ["a", *(f"b {v}" for v in variants)]
    for run in range(runs):
        turn = order if run % 2 == 0 else order[::-1]  # none always runs first
        for way in turn + (["c"] if run < naive_runs else []):
            timers[way](ways[way])
    fastest = min(variants, key=lambda v: timers[f"b {v}"].median)
    timers["b"] = timers[f"b {fastest}"]
    return {"by": by, "metrics": len(names), "skipped": len(skipped), "later": len(later),
            "rows": a.num_rows,
            "timers": timers, "problems": problems, "fastest": fastest}


def catalog_timings(runs: int) -> dict[str, Timer]:
    from sales_metrics.engine.project import check_project

    out = {"validate": Timer(), "compile": Timer(), "compile_region": Timer()}
    for _ in range(runs):
        project, diagnostics = out["validate"](lambda: check_project(CATALOG))
        assert project is not None, [d.render() for d in diagnostics]
        for key, by in (("compile", []), ("compile_region", ["region"])):
            out[key](lambda: project.compile(
                project.runnable(project.catalog.metrics, grain="month", by=by)[0],
                grain="month", by=by))
    return out


def generated_project_timings(runs: int) -> dict:
    """Validate and compile (every metric, one request) a generated 1,000-metric project, in
    a fresh process per run as `metrics` would (the imports are not counted)."""
    code = """if True:
        import json, sys, time
        sys.path[:0] = [sys.argv[1], sys.argv[2]]
        from benchmark_project import make_project
        from sales_metrics.engine.project import check_project
        root = make_project(sys.argv[3], metrics=1000, sources=20)
        start = time.perf_counter()
        project, diagnostics = check_project(root)
        assert project is not None, [d.render() for d in diagnostics][:5]
        middle = time.perf_counter()
        names = project.runnable(project.catalog.metrics, grain="month")[0]
        project.compile(names, grain="month")
        end = time.perf_counter()
        print(json.dumps({"validate": middle - start, "compile": end - middle,
                          "both": end - start, "metrics": len(project.catalog.metrics),
                          "sources": len(project.catalog.sources)}))"""
    out: dict = {"validate": Timer(), "compile": Timer(), "both": Timer()}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            done = subprocess.run([sys.executable, "-c", code, str(HERE), str(ROOT),
                                   str(Path(tmp) / f"project{run}")], check=True,
                                  capture_output=True, text=True)
            times = json.loads(done.stdout.strip().splitlines()[-1])
            for key in ("validate", "compile", "both"):
                out[key].wall.append(times[key])
            out["metrics"], out["sources"] = times["metrics"], times["sources"]
    return out


def startup_timings(runs: int, data: Path, run_runs: int) -> dict:
    """Wall-clock of fresh processes, interleaved: bare Python, `metrics --help`, `metrics
    validate` of the catalog pointed at the benchmark's data (run as usual, and replayed:
    cli/entry.py prints a recorded result when nothing it read has changed), the floor
    under a validate that runs (importing the libraries it needs: Typer, Jinja, PyYAML,
    pydantic, sqlglot with its DuckDB dialect, DuckDB, and parsing one expression, with none
    of our code), and `metrics run --grain=month` end to end, with its queries' own time as
    the run logs it (``-v``), so what is ours is the difference: once making its plan from
    the definitions, once executing the plan a previous identical run kept."""
    script = Path(sys.executable).with_name("metrics")
    metrics = [str(script)] if script.exists() else [sys.executable, "-m", "sales_metrics.cli"]
    floor = ("import typer, pydantic, jinja2, yaml, sqlglot, duckdb; "
             "sqlglot.parse_one('x', read='duckdb')")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "metrics"
        shutil.copytree(CATALOG, project, ignore=shutil.ignore_patterns("*.test.yml"))
        settings = project / "project.yml"
        text = settings.read_text().replace("../examples/data", json.dumps(str(data)))
        settings.write_text(text)
        os.utime(settings, (time.time() - 60,) * 2)  # not "just changed": it may be recorded
        cold = {**os.environ, "METRICS_NO_CACHE": "1"}
        warm = {**os.environ, "METRICS_CACHE_DIR": str(Path(tmp) / "cache")}
        warm.pop("METRICS_NO_CACHE", None)
        commands = {"python -c pass": ([sys.executable, "-c", "pass"], cold),
                    "metrics --help": ([*metrics, "--help"], cold),
                    "metrics validate": ([*metrics, "validate", str(project)], cold),
                    "metrics validate, replayed": ([*metrics, "validate", str(project)], warm),
                    "libraries": ([sys.executable, "-c", floor], cold)}
        for _ in range(5):  # record the result the timed runs replay (none is kept while
            # an input changed in the last 2 s, as freshly generated data has)
            subprocess.run(commands["metrics validate, replayed"][0], env=warm, check=True,
                           capture_output=True)
            if list((Path(tmp) / "cache").glob("*.json")):
                break
            time.sleep(2)
        out = {name: Timer() for name in commands}
        for _ in range(runs):
            for name, (command, env) in commands.items():
                out[name](lambda: subprocess.run(command, cwd=ROOT, env=env, check=True,
                                                 stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL))
        command = [*metrics, "run", "--grain=month", "-p", str(project), "-v"]
        subprocess.run(command, cwd=ROOT, env=warm, check=True, capture_output=True)  # keeps
        for kind, env in (("metrics run", cold), ("metrics run, planned", warm)):  # its plan
            run, query = Timer(), Timer()
            for _ in range(run_runs):
                started = time.perf_counter()
                done = subprocess.run(command, cwd=ROOT, env=env, check=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True)
                run.wall.append(time.perf_counter() - started)
                query.wall.append(_queries(done.stderr))
            out[kind], out[f"{kind}: query"] = run, query
            out[f"{kind}: ours"] = Timer()
            out[f"{kind}: ours"].wall = [r - q for r, q in zip(run.wall, query.wall)]
    return out


def _queries(log: str) -> float:
    """The seconds of the queries a `metrics run -v` logged: the request's, and the count
    of rows without a time (`... query 2 of 2 done in 0.041 s`)."""
    took = [float(line.rsplit(" in ", 1)[1].split()[0]) for line in log.splitlines()
            if " done in " in line and " query " in line]
    if not took:
        raise SystemExit("benchmark: `metrics run -v` logged no query time")
    return sum(took)


# -- report ------------------------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal")), 0)
    import duckdb

    return (f"{os.cpu_count()} CPUs ({cpu}), {memory / 2**30:.0f} GiB, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def seconds(timer: Timer) -> str:
    return f"{timer.median:.3f} s ({timer.spread(digits=3)})"


def report(args, data: dict, results: list[dict], catalog: dict, generated: dict,
           startup: dict, peak: int, loads: tuple[str, str]) -> str:
    n = f"{args.opportunities / 1e6:g}M" if args.opportunities >= 1e6 else f"{args.opportunities:,}"
    lines = [f"### {n} opportunities, month grain, {args.runs} runs (naive: {args.naive_runs})",
             "", f"Machine: {machine()}. Load average (1, 5, 15 min) {loads[0]} at the start, "
             f"{loads[1]} at the end.", "",
             "| request | metrics | rows | (a) engine | (b) hand-written | (c) one query per "
             "metric | a/b | c/b | a/b CPU |",
             "| --- | ---: | ---: | --- | --- | --- | ---: | ---: | ---: |"]
    for r in results:
        t = r["timers"]
        naive = seconds(t["c"]) if t["c"].wall else "not run"
        c_b = f"{t['c'].median / t['b'].median:.1f}" if t["c"].wall else "-"
        lines.append(f"| {'by ' + ', '.join(r['by']) if r['by'] else 'whole catalog'} | "
                     f"{r['metrics']} | {r['rows']} | {seconds(t['a'])} | {seconds(t['b'])} | "
                     f"{naive} | {t['a'].median / t['b'].median:.2f} | {c_b} | "
                     f"{t['a'].cpu_median / t['b'].cpu_median:.2f} |")
    for r in results:
        t = r["timers"]
        if "fastest" in r:
            others = ", ".join(f"{k[2:]} {t[k].median:.3f} s" for k in t
                               if k.startswith("b ") and k != f"b {r['fastest']}")
            lines.append(f"\n{'By ' + ', '.join(r['by']) if r['by'] else 'Whole catalog'}: (b) is "
                         f"the expert variant `{r['fastest']}`, the fastest in this run "
                         f"(the others: {others}).")
    later = max((r.get("later", 0) for r in results), default=0)
    if later:
        lines.append(f"\n{later} KPIs of the catalog came after (b) was written and are not "
                     "in these requests (examples/benchmark_expert.py, ALL_METRICS).")
    lines += ["", "Times are medians (min–max) of wall-clock seconds; a/b CPU is the ratio of "
              "the medians of CPU seconds (all DuckDB threads), less sensitive to other load.", ""]
    gen = data.get("seconds")
    lines.append(f"Data: {', '.join(f'{k} {v:,}' for k, v in data['rows'].items())}; "
                 + (f"generated in {gen:.1f} s (peak {data['peak_bytes'] / 2**30:.2f} GiB, "
                    f"load {' '.join(f'{x:.2f}' for x in data['load'])})"
                    if not data.get("reused") else f"reused from {args.data}"
                    + (f" (generated in {gen:.1f} s)" if gen else "")) + ".")
    lines.append(f"Peak memory of the benchmark process (DuckDB included): "
                 f"{peak / 2**30:.2f} GiB.")
    problems = [f"- {way}: {why}" for r in results for way, why in r["problems"].items()]
    lines += ["", "Checks: (a) = (b) for every metric and row (relative tolerance 1e-9), "
              "every variant of (b), and each metric alone (c) = (a)." if not problems else
              "", *(["Differences:", *problems] if problems else [])]
    base = startup["python -c pass"].median
    lines += ["", "| step | median | min–max | goal |", "| --- | ---: | ---: | --- |",
              f"| load + validate the catalog ({catalog['metrics']} metrics) | "
              f"{catalog['validate'].median * 1000:.0f} ms | {catalog['validate'].spread(1000, 0)} ms | |",
              f"| compile the whole catalog, month | {catalog['compile'].median * 1000:.0f} ms | "
              f"{catalog['compile'].spread(1000, 0)} ms | |",
              f"| compile it by region | {catalog['compile_region'].median * 1000:.0f} ms | "
              f"{catalog['compile_region'].spread(1000, 0)} ms | |",
              f"| generated project ({generated['metrics']:,} metrics, {generated['sources']} "
              f"sources): validate | {generated['validate'].median * 1000:.0f} ms | "
              f"{generated['validate'].spread(1000, 0)} ms | |",
              f"| generated project: compile every metric in one request | "
              f"{generated['compile'].median * 1000:.0f} ms | "
              f"{generated['compile'].spread(1000, 0)} ms | |",
              f"| generated project: validate + compile | {generated['both'].median * 1000:.0f} ms"
              f" | {generated['both'].spread(1000, 0)} ms | well under 1 s |",
              f"| `python -c pass` | {base * 1000:.0f} ms | "
              f"{startup['python -c pass'].spread(1000, 0)} ms | |"]
    for name, goal in (("metrics --help", "under +150 ms"),
                       ("metrics validate", "(runs: the floor below is under it)"),
                       ("metrics validate, replayed", "within +300 ms"),
                       ("libraries", "(the floor under a validate that runs)")):
        timer = startup[name]
        label = "import the libraries validate uses, parse `x`" if name == "libraries" \
            else f"`{name.split(',')[0]}`{name[len(name.split(',')[0]):]}"
        lines.append(f"| {label} | {timer.median * 1000:.0f} ms (+{(timer.median - base) * 1000:.0f}) "
                     f"| {timer.spread(1000, 0)} ms | {goal} |")
    for kind, how in (("metrics run", "making its plan"),
                      ("metrics run, planned", "its plan kept (cli/planned.py)")):
        run, query, ours = startup[kind], startup[f"{kind}: query"], startup[f"{kind}: ours"]
        lines += [f"| `metrics run --grain=month` end to end, {how} | {run.median * 1000:.0f} ms "
                  f"| {run.spread(1000, 0)} ms | |",
                  f"| its two queries (the request, rows without a time), as logged | "
                  f"{query.median * 1000:.0f} ms | {query.spread(1000, 0)} ms | |",
                  f"| the rest: start-up, load, connect, compile, notes, format | "
                  f"{ours.median * 1000:.0f} ms | {ours.spread(1000, 0)} ms | at most 250 ms |"]
    return "\n".join(lines)


def postgres_report(results: list[dict], runs: int) -> str:
    seed = results[0].get("seed", {})
    lines = ["", f"PostgreSQL ({runs} runs, one session for both: work_mem 256MB, JIT off):", "",
             "| request | metrics | rows | (a) engine | (b) hand-written for PostgreSQL | a/b |",
             "| --- | ---: | ---: | --- | --- | ---: |"]
    for r in results:
        t = r["timers"]
        lines.append(f"| {'by ' + ', '.join(r['by']) if r['by'] else 'whole catalog'} | "
                     f"{r['metrics']} | {r['rows']} | {seconds(t['a'])} | {seconds(t['b'])} | "
                     f"{t['a'].median / t['b'].median:.2f} |")
    problems = [f"- {way}: {why}" for r in results for way, why in r["problems"].items()]
    lines += ["", "Checks: (a) = (b) for every metric and row." if not problems
              else "Differences:\n" + "\n".join(problems)]
    if seed:
        lines.append(f"Seed: {json.dumps(seed, default=str)[:300]}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of (a) and (b)")
    parser.add_argument("--naive-runs", type=int, default=None,
                        help="timed runs of (c) (default: --runs, at most 3; 0 skips it)")
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset folder (default: a cache folder per size and seed)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true", help="generate even if cached")
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--run-runs", type=int, default=5,
                        help="fresh `metrics run --grain=month` processes on the data")
    parser.add_argument("--project-runs", type=int, default=5,
                        help="fresh processes that validate and compile the 1,000-metric project")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="also the (a)/(b) rows on PostgreSQL, the data seeded there once "
                             "(benchmark_postgres.py), e.g. postgresql://postgres@127.0.0.1/test")
    args = parser.parse_args()
    for name in ("runs", "startup_runs", "run_runs", "project_runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1 (the report needs a median)")
    args.naive_runs = min(args.runs, 3) if args.naive_runs is None else args.naive_runs
    args.data = args.data or default_data_dir(args.opportunities, args.seed)
    start_load = load()
    data = ensure_data(args.data, args.opportunities, args.seed, args.regenerate)

    sys.path[:0] = [str(ROOT), str(HERE)]
    from sales_metrics.adapters.duckdb import DuckDBAdapter
    from sales_metrics.engine.project import load_project

    project = load_project(CATALOG)
    # The timings of our own work first, before DuckDB's threads and the data's pages compete.
    startup = startup_timings(args.startup_runs, args.data, args.run_runs)
    catalog = catalog_timings(max(args.runs, 5)) | {"metrics": len(project.catalog.metrics)}
    generated = generated_project_timings(args.project_runs)
    adapter = DuckDBAdapter(root=ROOT, data=str(args.data))
    results = []
    for by in ([], ["region"]):
        print(f"running the catalog{' by ' + by[0] if by else ''} ...", file=sys.stderr)
        results.append(scenario(project, adapter.execute, by, args.runs, args.naive_runs))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    adapter.close()
    text = report(args, data, results, catalog, generated, startup, peak, (start_load, load()))
    print(text)
    if args.postgres:
        from benchmark_postgres import postgres_scenarios

        print("running the catalog on PostgreSQL ...", file=sys.stderr)
        schema = f"bench_{args.opportunities}_{args.seed}"
        pg = postgres_scenarios(project, args.data, args.runs, url=args.postgres, schema=schema)
        print(postgres_report(pg, args.runs))
    if args.json:
        timers = lambda d: {k: {"wall": v.wall, "cpu": v.cpu} for k, v in d.items()  # noqa: E731
                            if isinstance(v, Timer)}
        args.json.write_text(json.dumps({
            "opportunities": args.opportunities, "data": data, "peak_bytes": peak,
            "machine": machine(), "load": [start_load, load()],
            "results": [{k: v for k, v in r.items() if k != "timers"} | {"timers": timers(
                r["timers"])} for r in results],
            "catalog": timers(catalog), "generated": timers(generated),
            "startup": timers(startup)}, indent=2, default=str))


if __name__ == "__main__":
    main()
