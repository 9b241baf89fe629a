"""The terminal views of `metrics run`: the table's gaps to target and its column decimals,
the `--format spark` trend lines, and week labels that say what they are.

Expected texts are built here from numbers computed another way: by hand from the rows a test
writes (``ROWS``, summed and averaged in plain Python), with pandas from the sample data, or
with ``datetime.isocalendar()``; never from the tool's own output.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from sales_metrics.cli import formatting, output, trends
from sales_metrics.engine.calendar import Calendar, period_label
from sales_metrics.engine.model import Format, Grain
from support import run_cli

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
BARS = re.compile(r"[▁▂▃▄▅▆▇█·]{2,}")  # a sparkline of two periods or more

# id, closed, stage, amount, region, fee, days, score: four months of deals.
# January 2 of 4 won; February 2 closed (under min_denominator 3: not enough data);
# March 3 lost (no won revenue: 0; no fees: 0); April 1 of 5 won.
ROWS = [
    (1, "2025-01-06", "won", 1200.0, "EMEA", 10.50, 20, 40),
    (2, "2025-01-14", "won", 300.0, "APAC", 0.25, 40, 25),
    (3, "2025-01-20", "lost", 800.0, "EMEA", 2.00, 12, 30),
    (4, "2025-01-29", "lost", 150.0, "APAC", 1.00, 16, 35),
    (5, "2025-02-03", "won", 99.0, "EMEA", 3.10, 35, 20),
    (6, "2025-02-17", "lost", 500.0, "APAC", 4.00, 45, 30),
    (7, "2025-03-04", "lost", 700.0, "EMEA", 0.0, 31, 31),
    (8, "2025-03-12", "lost", 650.0, "APAC", 0.0, 29, 29),
    (9, "2025-03-27", "lost", 900.0, "EMEA", 0.0, 33, 36),
    (10, "2025-04-01", "won", 2500.0, "EMEA", 12.0, 18, 50),
    (11, "2025-04-08", "lost", 100.0, "APAC", 1.5, 22, 10),
    (12, "2025-04-15", "lost", 120.0, "EMEA", 2.5, 26, 20),
    (13, "2025-04-22", "lost", 140.0, "APAC", 3.5, 30, 30),
    (14, "2025-04-29", "lost", 160.0, "EMEA", 4.5, 34, 41),
]
NAMES = ["win_rate", "revenue", "fees", "cycle", "score", "raw_score"]
TITLES = {"win_rate": "Win rate", "revenue": "Won revenue", "fees": "Fees", "cycle": "Cycle",
          "score": "Score", "raw_score": "Raw score"}
TARGETS = {"win_rate": (0.25, "higher"), "cycle": (30, "lower"), "score": (30, "higher")}


def write_project(folder: Path, week_start: str = "monday") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.yml").write_text(
        f"name: terminal\nweek_start: {week_start}\nconnection: {{type: duckdb, data: .}}\n")
    lines = ["id,closed_at,stage,amount,region,fee,days,score"]
    lines += [",".join(map(str, row)) for row in ROWS]
    (folder / "deals.csv").write_text("\n".join(lines) + "\n")

    def metric(name: str, numerator: str, fmt: str, **more) -> dict:
        m = {"name": name, "label": TITLES[name], "source": "deals", "numerator": numerator,
             "format": fmt, **more}
        if name in TARGETS:
            m["target"] = {"value": TARGETS[name][0], "direction": TARGETS[name][1]}
        return m

    metrics = [
        metric("win_rate", "count(*)", "percent", denominator="count(*)",
               numerator_filters=["stage = 'won'"], min_denominator=3),
        metric("revenue", "sum(amount)", "currency", filters=["stage = 'won'"]),
        metric("fees", "sum(fee)", "currency"),
        metric("cycle", "avg(days)", "days"),
        metric("score", "avg(score)", "number", decimals=1),
        metric("raw_score", "avg(score)", "number"),
    ]
    defs = {"sources": [{"name": "deals", "path": "deals.csv", "time": "closed_at", "key": "id",
                         "dimensions": {"region": "region"}}], "metrics": metrics}
    (folder / "defs.yml").write_text(json.dumps(defs, indent=2))  # JSON is YAML
    return folder


def oracle(rows=ROWS) -> dict[str, dict[str, float | None]]:
    """Per month (2025-01 ...), each metric computed by hand from ``rows``."""
    months: dict[str, list] = {}
    for row in rows:
        months.setdefault(row[1][:7], []).append(row)
    out = {}
    for month, deals in sorted(months.items()):
        won = [d for d in deals if d[2] == "won"]
        out[month] = {
            "win_rate": len(won) / len(deals) if len(deals) >= 3 else None,
            "revenue": sum(d[3] for d in won),
            "fees": sum(d[5] for d in deals),
            "cycle": sum(d[6] for d in deals) / len(deals),
            "score": sum(d[7] for d in deals) / len(deals),
            "raw_score": sum(d[7] for d in deals) / len(deals),
        }
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("terminal") / "proj")


def result(folder: Path, names: list[str], **options):
    """The project and the result table of a request, run in this process."""
    from sales_metrics import adapters, engine

    project = engine.load_project(folder)
    sql = project.compile(names, **options)
    with adapters.connect(project) as conn:
        return project, conn.execute(sql)


def table_rows(text: str) -> dict[str, list[str]]:
    """Period label -> its cells (spaces inside a cell squeezed to one), over every table."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [" ".join(c.split()) for c in line.strip("│").split("│")]
            rows.setdefault(cells[0], []).extend(cells[1:])
    return rows


def signed(x: float, text: str) -> str:
    return ("+" if x > 0 else "-" if x < 0 else "") + text


# ----------------------------------------------------------------------------- the table


@pytest.fixture(scope="module")
def monthly(small):
    project, table = result(small, NAMES, grain="month")
    return table_rows(output.render_table(table, project, NAMES, "month", 400))


def test_each_percent_value_shows_its_mark_and_gap_in_points(monthly):
    for month, want in oracle().items():
        cell = monthly[month][NAMES.index("win_rate")]
        rate = want["win_rate"]
        if rate is None:
            assert cell == "not enough data"
            continue
        gap = rate - TARGETS["win_rate"][0]
        mark = "✓" if rate >= TARGETS["win_rate"][0] else "✗"
        assert cell == f"{rate * 100:.1f}% {mark} {signed(gap, f'{abs(gap) * 100:.1f} pts')}"


def test_days_gap_against_a_lower_is_better_target(monthly):
    for month, want in oracle().items():
        days, goal = want["cycle"], TARGETS["cycle"][0]
        mark = "✓" if days <= goal else "✗"
        gap = signed(days - goal, f"{abs(days - goal):.1f} d")
        assert monthly[month][NAMES.index("cycle")] == f"{days:.1f} d {mark} {gap}"


def test_a_currency_column_has_one_number_of_decimals(monthly):
    revenue = [monthly[m][NAMES.index("revenue")] for m in oracle()]
    fees = [monthly[m][NAMES.index("fees")] for m in oracle()]
    # won revenue reaches 100: whole dollars everywhere, $99 and $0 included
    assert revenue == [f"${v['revenue']:,.0f}" for v in oracle().values()]
    assert "$0" in revenue and "$99" in revenue
    # every fee is under 100 and some have cents: cents everywhere, $0.00 included
    assert fees == [f"${v['fees']:,.2f}" for v in oracle().values()]
    assert "$0.00" in fees


def test_declared_decimals_are_honoured_and_others_follow_the_column(monthly):
    goal = TARGETS["score"][0]
    for month, want in oracle().items():
        score = want["score"]
        mark = "✓" if score >= goal else "✗"
        gap = signed(score - goal, f"{abs(score - goal):.1f}")
        assert monthly[month][NAMES.index("score")] == f"{score:.1f} {mark} {gap}"  # decimals: 1
    raw = [monthly[m][NAMES.index("raw_score")] for m in oracle()]
    assert raw == [f"{v['raw_score']:.2f}" for v in oracle().values()]  # some fractional: 2
    assert any(cell.endswith(".00") for cell in raw)  # a whole value keeps the column's two


def test_target_in_the_header_and_values_aligned_down_a_column(small):
    project, table = result(small, ["win_rate"], grain="month")
    text = output.render_table(table, project, ["win_rate"], "month", 400)
    assert "target ≥ 25.0%" in text
    lines = [line for line in text.splitlines() if line.startswith("│") and "%" in line]
    marks = {line.index("✓" if "✓" in line else "✗") for line in lines}
    assert len(marks) == 1 and len({len(line) for line in lines}) == 1


def test_colour_green_met_red_missed_and_plain_without_it(small):
    project, table = result(small, ["win_rate"], grain="month")
    plain = output.render_table(table, project, ["win_rate"], "month", 400)
    coloured = output.render_table(table, project, ["win_rate"], "month", 400, color=True)
    assert "\x1b" not in plain
    assert re.search(r"\x1b\[32m50\.0% ✓ \+25\.0 pts\x1b\[0m", coloured)
    assert re.search(r"\x1b\[31m20\.0% ✗ +-5\.0 pts\x1b\[0m", coloured)


def test_the_table_fits_160_columns_with_gaps(small):
    project, table = result(small, NAMES, grain="month")
    text = output.render_table(table, project, NAMES, "month", 160)
    assert max(len(line) for line in text.splitlines()) <= 160


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize("x, fmt, text", [
    (0.021, Format.percent, "+2.1 pts"), (-0.021, Format.percent, "-2.1 pts"),
    (1200, Format.currency, "+$1,200"), (-1200.4, Format.currency, "-$1,200"),
    (-3, Format.days, "-3.0 d"), (12, Format.number, "+12"), (1.5, Format.hours, "+1.5 h"),
    (0, Format.percent, "0.0 pts"), (None, Format.number, ""),
])
def test_a_gap_reads_in_the_kpis_unit(x, fmt, text):
    assert formatting.signed(x, fmt, "$") == text


def test_integers_are_shown_digit_for_digit():
    big = 2**62 + 7
    assert formatting.value(big, Format.number) == f"{big:,}"
    assert formatting.value(0, Format.currency) == "$0"


# ----------------------------------------------------------------------------- sparklines


@pytest.mark.parametrize("values", [
    [3.0, 1.0, 4.0, 1.5, 9.0, 2.6], [-5.0, -1.0, -3.0, 2.0], [0.2, None, 0.5, 0.3],
])
def test_bar_heights_follow_the_values_order(values):
    line = trends.sparkline(values)
    assert len(line) == len(values)
    shown = [(v, bar) for v, bar in zip(values, line) if v is not None]
    assert [bar for v, bar in zip(values, line) if v is None] == ["·"] * values.count(None)
    low, high = min(v for v, _ in shown), max(v for v, _ in shown)
    for v, bar in shown:  # the lowest value is the lowest bar, the highest the highest
        assert (v == low) <= (bar == "▁") and (v == high) <= (bar == "█")
    assert_order(values, line)


def assert_order(values: list, bars: str) -> None:
    """A higher value never has a lower bar."""
    order = "▁▂▃▄▅▆▇█"
    for a, bar_a in zip(values, bars):
        for b, bar_b in zip(values, bars):
            if a is not None and b is not None and a < b:
                assert order.index(bar_a) <= order.index(bar_b), (a, b, bars)


def test_constant_empty_and_single_series():
    assert len(set(trends.sparkline([4.0, 4.0, 4.0]))) == 1  # flat
    assert trends.sparkline([0.0, 0.0]) == "▁▁"
    assert trends.sparkline([None, None]) == "··"
    assert len(trends.sparkline([7.5])) == 1
    assert trends.sparkline([]) == ""


def spark_lines(text: str) -> dict[str, str]:
    """KPI title -> its line (the heading and section titles left out)."""
    out = {}
    for line in text.splitlines():
        for title in TITLES.values():
            if line.startswith(title + "  "):
                out[title] = line
    return out


def test_spark_line_per_kpi_from_the_oracle(small):
    project, table = result(small, NAMES, grain="month")
    lines = spark_lines(trends.render(table, project, NAMES, "month", 160))
    months = list(oracle())
    rates = [oracle()[m]["win_rate"] for m in months]
    line = lines["Win rate"]
    # first and last period, then the latest value, its gap and its change
    last, before = rates[-1], rates[-2]
    gap = last - TARGETS["win_rate"][0]
    change = last - before
    want = (f"{months[0]}  {trends.sparkline(rates)}  {months[-1]}  {last * 100:.1f}%  "
            f"✗ {signed(gap, f'{abs(gap) * 100:.1f} pts')}  "
            f"▲ {signed(change, f'{abs(change) * 100:.1f} pts')}  target ≥ 25.0%")
    assert " ".join(line.split()).endswith(" ".join(want.split()))
    bars = BARS.search(line).group()
    assert bars[1] == "·" and bars[0] == "█" and bars[2] == "▁"  # 50%, empty, 0%, 20%
    revenue = [oracle()[m]["revenue"] for m in months]
    assert f"${revenue[-1]:,.0f}" in lines["Won revenue"]
    assert f"▲ +${revenue[-1] - revenue[-2]:,.0f}" in lines["Won revenue"]


def test_spark_with_groups_has_a_line_per_group(small):
    project, table = result(small, ["revenue"], grain="month", by=["region"])
    text = trends.render(table, project, ["revenue"], "month", 160)
    body = [line for line in text.splitlines() if "$" in line]
    assert len(body) == 2
    assert body[0].startswith("Won revenue") and body[1].startswith(" ")  # the title once
    for region, line in zip(["APAC", "EMEA"], body):
        months: dict[str, float] = {}
        for row in ROWS:
            if row[4] == region and row[2] == "won":
                months[row[1][:7]] = months.get(row[1][:7], 0) + row[3]
        assert region in line
        latest = months.get("2025-04", 0)
        assert f"${latest:,.0f}" in line


def test_spark_keeps_the_latest_periods_when_narrow(small):
    project, table = result(small, ["win_rate"], grain="week")
    weeks = table.num_rows
    wide = trends.render(table, project, ["win_rate"], "week", 400)
    narrow = trends.render(table, project, ["win_rate"], "week", 60)
    assert len(BARS.search(wide).group()) == weeks
    cut = BARS.search(narrow).group()
    assert len(cut) < weeks and BARS.search(wide).group().endswith(cut)


def test_spark_of_one_period_and_of_no_values(small):
    project, table = result(small, ["win_rate", "revenue"], grain="all")
    text = trends.render(table, project, ["win_rate", "revenue"], "all", 160)
    line = spark_lines(text)["Won revenue"]
    total = sum(r[3] for r in ROWS if r[2] == "won")
    assert line.count("whole range") == 1 and f"${total:,.0f}" in line
    project, table = result(small, ["win_rate"], grain="month", start="2030-01-01",
                            end="2030-02-28")
    line = spark_lines(trends.render(table, project, ["win_rate"], "month", 160))["Win rate"]
    assert "··" in line and "not enough data" in line


def test_spark_from_the_command_line_matches_pandas(cli, frames):
    """End to end: `metrics run --format spark` on the sample data, its win-rate line against
    the monthly rates computed with pandas; not a terminal, so no colour."""
    result_ = cli("run", "-m", "win_rate", "-m", "won_revenue", "-g", "month", "-f", "spark")
    assert result_.returncode == 0, result_.stderr
    out = result_.stdout
    assert "\x1b" not in out
    opps = frames["opportunities"]
    closed = opps[opps.stage.isin(["won", "lost"])]
    month = closed.closed_at.dt.strftime("%Y-%m")
    counts = closed.groupby(month).stage.agg(lambda s: (s == "won").sum() / len(s))
    sizes = closed.groupby(month).size()
    rates = counts.where(sizes >= 5)
    line = next(line for line in out.splitlines() if line.startswith("Opportunity win rate"))
    fields = line.split()
    bars = BARS.search(line).group()
    assert len(bars) == len(rates)
    values = [None if pd.isna(r) else r for r in rates]
    assert [b == "·" for b in bars] == [v is None for v in values]
    assert_order(values, bars)
    assert rates.index[0] in fields and rates.index[-1] in fields
    last, before = rates.iloc[-1], rates.iloc[-2]
    assert f"{last * 100:.1f}%" in fields
    gap = last - 0.25
    assert f"{'✓' if gap >= 0 else '✗'} {signed(gap, f'{abs(gap) * 100:.1f} pts')}" in line
    change = last - before
    assert f"{'▲' if change > 0 else '▼'} {signed(change, f'{abs(change) * 100:.1f} pts')}" in line


# ----------------------------------------------------------------------------- week labels


def test_monday_weeks_are_named_by_their_iso_week():
    for first in (date(2025, 1, 13), date(2024, 12, 30), date(2026, 12, 28), date(2021, 1, 4)):
        year, week, day = first.isocalendar()
        assert day == 1
        shown = f"{year}-W{week:02d} (Mon {first.day} {MONTH_NAMES[first.month - 1]})"
        assert period_label(first, Grain.week, Calendar()) == shown
        assert period_label(first, Grain.week, Calendar(), short=True) == f"{year}-W{week:02d}"


def test_other_weeks_are_named_by_their_first_day():
    sunday = date(2025, 1, 12)
    assert sunday.weekday() == 6
    assert period_label(sunday, Grain.week, Calendar(week_start=6)) == "week of Sun 12 Jan 2025"
    for start in range(1, 7):
        first = date(2025, 3, 3) + timedelta(days=start)
        label = period_label(first, Grain.week, Calendar(week_start=start))
        assert label == f"week of {DAY_NAMES[start]} {first.day} {MONTH_NAMES[first.month - 1]} " \
            f"{first.year}"


def test_other_grains_keep_their_labels():
    day = date(2025, 4, 1)
    assert period_label(day, Grain.month, Calendar()) == "2025-04"
    assert period_label(day, Grain.quarter, Calendar()) == "2025 Q2"
    assert period_label(day, Grain.day, Calendar()) == "2025-04-01"
    assert period_label(day, Grain.year, Calendar(fiscal_start_month=4)) == "FY2026"


def test_week_table_labels_and_csv_dates(tmp_path):
    folder = write_project(tmp_path / "sunday", week_start="sunday")
    project, table = result(folder, ["revenue"], grain="week")
    rows = table_rows(output.render_table(table, project, ["revenue"], "week", 160))
    first = min(date.fromisoformat(r[1]) for r in ROWS)
    sunday = first - timedelta(days=(first.weekday() + 1) % 7)
    assert f"week of Sun {sunday.day} {MONTH_NAMES[sunday.month - 1]} {sunday.year}" in rows
    csv = run_cli("run", "-p", str(folder), "-m", "revenue", "-g", "week", "-f", "csv")
    assert csv.returncode == 0, csv.stderr
    got = pd.read_csv(io.StringIO(csv.stdout))
    assert got.period.iloc[0] == sunday.isoformat()  # files carry dates, not labels
