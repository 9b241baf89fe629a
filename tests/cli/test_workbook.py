"""`metrics run --output kpis.xlsx`: typed, formatted cells, read back with openpyxl.

Expected numbers come from pandas on the sample Parquet files (the `frames` fixture) or from
the few rows a test writes itself; definitions from the YAML read with PyYAML; never from the
tool's own output.
"""

from __future__ import annotations

import errno
import io
import json
import os
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import yaml

from support import PROJECT_DIR, run_cli

openpyxl = pytest.importorskip("openpyxl", reason="the report extra: pip install -e '.[report]'")

UNIT_MARK = {"percent": "%", "currency": '"$"', "days": '"d"', "hours": '"h"'}


# ----------------------------------------------------------------------------- helpers


def yaml_metrics() -> dict[str, dict]:
    """Every metric of the sample project, as written in its YAML."""
    out = {}
    for path in sorted(PROJECT_DIR.glob("*.yml")):
        for m in (yaml.safe_load(path.read_text()) or {}).get("metrics", []):
            out[m["name"]] = m
    return out


def run_book(tmp_path: Path, *args: str) -> openpyxl.Workbook:
    out = tmp_path / "kpis.xlsx"
    result = run_cli("run", *args, "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == ["kpis.xlsx"]  # no temporary file left beside it
    return openpyxl.load_workbook(out)


def names(ws) -> dict[str, int]:
    """Metric name -> column number, from the first line of each header's comment."""
    return {c.comment.text.splitlines()[0]: c.column for c in ws[1] if c.comment}


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def rows(ws) -> list[dict]:
    """The sheet's rows as {header or metric name: cell}."""
    cols = {**{h: i for i, h in enumerate(headers(ws), 1)}, **names(ws)}
    return [{k: ws.cell(r, c) for k, c in cols.items()} for r in range(2, ws.max_row + 1)]


def quarter(series: pd.Series) -> pd.Series:
    return series.dt.to_period("Q").dt.start_time.dt.date


def oracle(frames, by: list[str] = ()) -> tuple[pd.Series, pd.Series]:
    """Won revenue (sum of won amounts) and win rate (won over won or lost; at least 5 closed
    deals, else None) per quarter of closed_at (and --by dimension)."""
    opps = frames["opportunities"].merge(frames["reps"], left_on="owner_rep_id",
                                         right_on="rep_id", how="left")
    keys = lambda d: [quarter(d.closed_at), *[d[b] for b in by]]  # noqa: E731
    won = opps[opps.stage == "won"]
    revenue = won.groupby(keys(won)).amount.sum()
    closed = opps[opps.stage.isin(["won", "lost"])]
    wins = (closed.stage == "won").groupby(keys(closed))
    rate = wins.mean().where(wins.size() >= 5)
    return revenue, rate


def check_values(sheet_rows: list[dict], frames, by: list[str] = (), group=None) -> int:
    """Every row's won revenue and win rate equal the oracle's, and every quarter (and group)
    with wins has a row (of ``group`` only, when given); how many rates were values."""
    revenue, rate = oracle(frames, by)
    seen, values = set(), 0
    for row in sheet_rows:
        start = row["Period start"].value
        assert isinstance(start, datetime) and row["Period start"].is_date
        day = start.date()
        key = (day, *[row[b.capitalize()].value for b in by]) if by else day
        seen.add(key)
        assert row["Period"].value == f"{day.year} Q{(day.month - 1) // 3 + 1}"
        got = row["won_revenue"]
        assert got.data_type == "n" and isinstance(got.value, (int, float))
        assert got.value == pytest.approx(revenue.get(key, 0.0), rel=1e-12, abs=1e-9)
        want = rate.get(key)
        cell = row["win_rate"]
        if want is None or pd.isna(want):
            assert (cell.value, cell.data_type) == ("not enough data", "s")
        else:
            assert cell.data_type == "n" and cell.value == pytest.approx(want, rel=1e-12)
            values += 1
    assert {k for k in revenue.index if group is None or k[1:] == group} <= seen
    return values


# ----------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def quarterly(tmp_path_factory):
    return run_book(tmp_path_factory.mktemp("q"), "--grain=quarter")


@pytest.fixture(scope="module")
def by_region(tmp_path_factory):
    return run_book(tmp_path_factory.mktemp("r"), "--grain=quarter", "--by", "region")


def test_quarterly_values_match_pandas(quarterly, frames):
    assert quarterly.sheetnames == ["KPIs", "Definitions"]
    ws = quarterly["KPIs"]
    assert headers(ws)[:2] == ["Period", "Period start"]
    assert check_values(rows(ws), frames) > 0
    days = [r["Period start"].value for r in rows(ws)]
    assert days == sorted(set(days))  # one row per quarter, in order


def test_by_region_values_match_pandas_on_every_sheet(by_region, frames):
    regions = sorted(frames["reps"].region.unique())
    assert by_region.sheetnames[0] == "KPIs" and by_region.sheetnames[-1] == "Definitions"
    assert sorted(by_region.sheetnames[1:-1]) == regions  # a sheet per region
    all_rows = rows(by_region["KPIs"])
    assert check_values(all_rows, frames, ["region"]) > 0
    for region in regions:
        ws = by_region[region]
        mine = rows(ws)
        assert {r["Region"].value for r in mine} == {region}
        assert len(mine) == sum(r["Region"].value == region for r in all_rows)
        check_values(mine, frames, ["region"], (region,))
        assert ws.freeze_panes == "D2"


def test_each_kpi_column_has_the_number_format_of_its_format(quarterly):
    defs = yaml_metrics()
    ws = quarterly["KPIs"]
    columns = names(ws)
    assert len(columns) > 30
    seen = set()
    for name, col in columns.items():
        fmt = defs[name].get("format") or ("percent" if "share_of" in defs[name] else "number")
        seen.add(fmt)
        numbers = [c for c in next(ws.iter_cols(col, col, 2)) if c.data_type == "n"
                   and c.value is not None]
        assert numbers, name
        for cell in numbers:
            assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
            if fmt in UNIT_MARK:
                assert UNIT_MARK[fmt] in cell.number_format, (name, cell.number_format)
            elif "decimals" in defs[name]:  # the KPI's own digits (nps: 28.7)
                assert cell.number_format == "#,##0." + "0" * defs[name]["decimals"]
            else:
                assert cell.number_format in ("#,##0", "#,##0.00"), (name, cell.number_format)
        assert len({c.number_format for c in numbers}) == 1, name  # one format per column
    assert seen == {"percent", "currency", "days", "hours", "number"}
    cell = lambda name: ws.cell(2, columns[name]).number_format  # noqa: E731
    assert cell("win_rate") == "0.0%"
    assert cell("sales_cycle_length") == '#,##0.0 "d"'
    assert cell("deals_won") == "#,##0"  # a count: whole numbers
    assert cell("won_revenue") == '"$"#,##0'


def test_header_is_bold_frozen_filtered_and_sized(quarterly, by_region):
    ws = quarterly["KPIs"]
    defs = yaml_metrics()
    assert ws.freeze_panes == "C2"  # the header row, and the period's label and date
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert all(c.font.b for c in ws[1])
    for name, col in names(ws).items():
        head = ws.cell(1, col)
        assert head.value == defs[name].get("label", name)
        if "target" in defs[name]:
            assert "target" in head.comment.text
    assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1])
    assert by_region["KPIs"].freeze_panes == "D2"  # and the region


def test_targets_colour_values_by_conditional_formatting(quarterly):
    ws = quarterly["KPIs"]
    col = ws.cell(1, names(ws)["win_rate"]).column_letter
    rules = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    target = yaml_metrics()["win_rate"]["target"]
    assert target["direction"] == "higher"
    value = repr(float(target["value"]))
    assert rules[f"{col}2:{col}{ws.max_row}"] == [
        f"AND(ISNUMBER({col}2),{col}2>={value})", f"AND(ISNUMBER({col}2),{col}2<{value})"]
    lower = ws.cell(1, names(ws)["sales_cycle_length"]).column_letter
    assert rules[f"{lower}2:{lower}{ws.max_row}"][0].endswith(f"{lower}2<=60.0)")


def test_definitions_sheet_matches_the_yaml(quarterly):
    defs = yaml_metrics()
    ws = quarterly["Definitions"]
    assert headers(ws) == ["Metric", "Label", "Description", "Formula", "Owner", "Format",
                           "Target", "Direction", "Default grain"]
    assert ws.freeze_panes == "B2"
    by_name = {r["Metric"].value: r for r in rows(ws)}
    assert set(by_name) == set(names(quarterly["KPIs"]))
    for name in ("win_rate", "won_revenue", "sales_cycle_length"):
        m, row = defs[name], by_name[name]
        assert row["Label"].value == m["label"]
        assert row["Description"].value == m["description"].strip()
        assert row["Owner"].value == m["owner"]
        assert row["Format"].value == m["format"]
        if "target" in m:
            assert row["Target"].value == pytest.approx(m["target"]["value"])
            assert row["Target"].data_type == "n"
            assert row["Direction"].value == m["target"].get("direction", "higher")
        else:
            assert row["Target"].value is None and row["Direction"].value is None
    assert by_name["win_rate"]["Target"].number_format == "0.0%"


def check_formula_and_grain(ws, defs: dict) -> None:
    by_name = {r["Metric"].value: r for r in rows(ws)}
    for name in ("win_rate", "won_revenue", "sales_cycle_length"):
        assert by_name[name]["Default grain"].value == defs[name].get("grain", "month")
    win, won = by_name["win_rate"]["Formula"].value, by_name["won_revenue"]["Formula"].value
    assert "divided by" in win and "opportunities" in win and "won" in win
    assert "amount" in won and "opportunities" in won


def test_definitions_from_a_loaded_project_say_formula_and_grain(project, duck):
    names = ["win_rate", "won_revenue", "sales_cycle_length", "quota"]
    book = write(project, names, project.query(names, connection=duck, grain="quarter"),
                 "quarter")
    check_formula_and_grain(book["Definitions"], yaml_metrics())
    assert book["Definitions"]["G5"].value is None  # quota has no target


def test_definitions_from_metrics_run_say_formula_and_grain(quarterly):
    check_formula_and_grain(quarterly["Definitions"], yaml_metrics())


def test_whole_range_has_one_row_and_no_date_column(tmp_path, frames):
    book = run_book(tmp_path, "--grain=all", "-m", "won_revenue", "-m", "deals_won")
    ws = book["KPIs"]
    assert headers(ws) == ["Period", "Won revenue", "Deals won"]
    assert ws.max_row == 2 and ws["A2"].value == "whole range" and ws.freeze_panes == "B2"
    opps = frames["opportunities"]
    won = opps[opps.stage == "won"]
    assert ws["B2"].value == pytest.approx(won.amount.sum(), rel=1e-12)
    assert ws["C2"].value == len(won) and ws["C2"].data_type == "n"


# ----------------------------------------------------------------------------- a small project

HOSTILE_LABEL = '=HYPERLINK("http://evil.example","click")'
HOSTILE_DESCRIPTION = "=cmd|' /C calc'!A0 \x07bell \x00nul \x1b[31m"
DEALS = """id,closed_at,stage,amount,region
1,2025-01-03,won,100,North
2,2025-01-04,won,200,North
3,2025-01-05,won,300,South
4,2025-01-06,lost,50,South
5,2025-01-07,lost,60,North
6,2025-01-08,lost,70,=1+1
7,2025-02-03,won,10,#N/A
8,2025-02-04,lost,25,South
9,2025-04-03,won,40,a/b:c*d?[e]'\\ and a name longer than thirty-one characters
"""


@pytest.fixture
def small(tmp_path):
    """January: 6 closed deals, 3 won; February: 2; March: no rows at all; April: 1.

    win_rate needs 5 closed deals (min_denominator); avg_deal divides with no minimum.
    """
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.yml").write_text("name: tiny\nconnection: {type: duckdb, data: .}\n"
                                        "currency_symbol: \"€\"\n")
    (folder / "deals.csv").write_text(DEALS)
    metrics = [
        {"name": "win_rate", "label": HOSTILE_LABEL, "description": HOSTILE_DESCRIPTION,
         "owner": "#N/A", "source": "deals", "numerator": "count(*)",
         "denominator": "count(*)", "numerator_filters": ["stage = 'won'"],
         "min_denominator": 5, "format": "percent", "target": {"value": 0.4}},
        {"name": "avg_deal", "label": "Average deal", "source": "deals",
         "numerator": "sum(amount)", "denominator": "count(*)", "format": "currency"},
        {"name": "revenue", "label": "Revenue", "source": "deals", "numerator": "sum(amount)",
         "format": "currency"},
        {"name": "cycle", "label": "Cycle", "source": "deals", "numerator": "avg(amount) / 10",
         "format": "hours"},
    ]
    defs = {"sources": [{"name": "deals", "path": "deals.csv", "time": "closed_at", "key": "id",
                         "dimensions": {"region": "region"}}], "metrics": metrics}
    (folder / "defs.yml").write_text(json.dumps(defs))  # JSON is YAML
    return folder


def query(folder: Path, **options):
    from sales_metrics import adapters, engine

    project = engine.load_project(folder)
    names = list(project.metrics)
    with adapters.connect(project) as conn:
        return project, names, project.query(names, connection=conn, **options)


def write(project, names, table, grain="month") -> openpyxl.Workbook:
    from sales_metrics.cli import workbook

    buffer = io.BytesIO()
    workbook.write(table, project, names, grain, buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_not_enough_data_and_no_data_are_told_apart(small):
    book = write(*query(small, grain="month"))
    by_period = {r["Period"].value: r for r in rows(book["KPIs"])}
    assert list(by_period) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    jan, feb, mar, apr = by_period.values()
    assert jan["win_rate"].value == pytest.approx(3 / 6)
    assert jan["avg_deal"].value == pytest.approx((100 + 200 + 300 + 50 + 60 + 70) / 6)
    # February: 2 closed deals, under the 5 win_rate needs; avg_deal has a value
    assert feb["win_rate"].value == "not enough data"
    assert feb["avg_deal"].value == pytest.approx((10 + 25) / 2)
    # March: no rows. A KPI with a min_denominator: its denominator (0) is under it, so not
    # enough data too; avg_deal has nothing to divide: no data; revenue, a sum: 0
    assert mar["win_rate"].value == "not enough data"
    assert mar["avg_deal"].value == "no data"
    assert mar["revenue"].value == 0 and mar["revenue"].data_type == "n"
    for cell in (feb["win_rate"], mar["win_rate"], mar["avg_deal"], apr["win_rate"]):
        assert cell.data_type == "s"  # text: AVERAGE and SUM skip it
        assert cell.font.i and cell.font.color.rgb.endswith("808080")  # grey italic
    assert jan["win_rate"].number_format == "0.0%" and not jan["win_rate"].font.i
    assert jan["cycle"].number_format == '#,##0.0 "h"'
    assert jan["revenue"].number_format == '"€"#,##0'
    assert feb["Period start"].value == datetime(2025, 2, 1) and feb["Period start"].is_date


def test_hostile_text_is_written_as_text(small):
    out = small / "k.xlsx"
    result = run_cli("run", "-p", str(small), "--by", "region", "-o", str(out))
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    ws = book["KPIs"]
    head = ws.cell(1, names(ws)["win_rate"])
    assert (head.value, head.data_type) == (HOSTILE_LABEL, "s")
    assert head.quotePrefix  # edited in Excel, it stays text
    regions = {c.value: c for c in next(ws.iter_cols(3, 3, 2))}
    for value in ("=1+1", "#N/A"):
        assert regions[value].data_type == "s" and regions[value].quotePrefix
    d = {r["Metric"].value: r for r in rows(book["Definitions"])}["win_rate"]
    assert d["Description"].data_type == "s"
    assert d["Description"].value == "=cmd|' /C calc'!A0 \\x07bell \\x00nul \\x1b[31m"
    assert (d["Owner"].value, d["Owner"].data_type) == ("#N/A", "s")
    with zipfile.ZipFile(out) as z:  # the file itself holds strings, no formula, no error
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/s")]
    assert sheets and not any("<f>" in s or 't="e"' in s for s in sheets)
    assert any("HYPERLINK" in s for s in sheets)
    for name in book.sheetnames:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
    assert len({n.casefold() for n in book.sheetnames}) == len(book.sheetnames)
    assert {"=1+1", "#N_A", "North", "South"} <= set(book.sheetnames)
    assert any(n.startswith("a_b_c_d__e_'_ and a name") for n in book.sheetnames)


def test_sheet_names_follow_excels_rules():
    from sales_metrics.cli.workbook import sheet_name

    taken = {"kpis", "definitions"}
    assert sheet_name("KPIs", taken) == "KPIs (2)"
    assert sheet_name("kpis", taken) == "kpis (3)"  # unique ignoring case
    assert sheet_name("x" * 40, taken) == "x" * 31
    assert sheet_name("x" * 40, taken) == "x" * 27 + " (2)"
    assert sheet_name("'quoted'", taken) == "quoted"
    assert sheet_name("History", taken) == "History_"
    assert sheet_name("", taken) == "(blank)"
    assert sheet_name("a\x1bb\nc", taken) == "a_x1bb_c"
    assert sheet_name("😀" * 20, taken) == "😀" * 15  # Excel counts UTF-16 units


def test_decimals_nans_and_integers_become_typed_cells(small):
    project, names, _ = query(small, grain="month")
    table = pa.table({
        "period": pa.array([date(2025, 1, 1), date(2025, 2, 1)], pa.date32()),
        "win_rate": pa.array([0.5, float("nan")]),
        "avg_deal": pa.array([Decimal("12.50"), None], pa.decimal128(18, 2)),
        "revenue": pa.array([2**40, 7], pa.int64()),
        "cycle": pa.array([1.25, 2.0]),
    })
    book = write(project, names, table)
    first, second = rows(book["KPIs"])
    assert first["avg_deal"].value == 12.5 and first["avg_deal"].data_type == "n"
    assert first["avg_deal"].number_format == '"€"#,##0.00'  # cents: every value under 100
    assert first["revenue"].value == 2**40 and first["revenue"].number_format == '"€"#,##0'
    assert second["win_rate"].value == "not enough data"  # NaN is no value
    assert second["avg_deal"].value == "no data"


def test_two_writes_differ_only_in_their_timestamps(small):
    from sales_metrics.cli import workbook

    project, names, table = query(small, grain="month", by=["region"])
    parts = []
    for _ in range(2):
        buffer = io.BytesIO()
        workbook.write(table, project, names, "month", buffer)
        with zipfile.ZipFile(buffer) as z:
            parts.append({n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"})
    assert parts[0] == parts[1]
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.properties.creator == "sales-metrics"
    assert book.properties.title == "tiny KPIs"
    assert book.properties.subject == "per month, by region"


def test_without_openpyxl_the_message_names_the_extra(small, monkeypatch):
    from sales_metrics.cli import workbook
    from sales_metrics.engine.diagnostics import UsageError

    project, names, table = query(small, grain="month")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl raises ImportError
    with pytest.raises(UsageError, match=r"pip install 'sales-metrics\[report\]'"):
        workbook.write(table, project, names, "month", io.BytesIO())


def test_a_result_over_a_sheets_rows_is_refused(small, monkeypatch):
    from sales_metrics.cli import workbook
    from sales_metrics.engine.diagnostics import UsageError

    project, names, table = query(small, grain="month")
    monkeypatch.setattr(workbook, "SHEET_ROWS", 4)
    with pytest.raises(UsageError, match="narrow the request"):
        write(project, names, table)


def test_a_failure_while_writing_leaves_the_old_file(small, monkeypatch):
    """The disk fills after the first sheet: the error is one line, the old file stays and
    no temporary file is left."""
    from openpyxl.writer.excel import ExcelWriter

    from sales_metrics.cli import output
    from sales_metrics.engine.diagnostics import UsageError

    project, names, table = query(small, grain="month")
    out = small / "out" / "kpis.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"previous")
    calls = []
    real = ExcelWriter.write_worksheet

    def full(self, ws):
        calls.append(ws.title)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, ws)

    monkeypatch.setattr(ExcelWriter, "write_worksheet", full)
    with pytest.raises(UsageError, match="No space left on device"):
        output.emit(table, "xlsx", out, project, names, "month")
    assert calls == ["KPIs", "Definitions"]
    assert out.read_bytes() == b"previous"
    assert os.listdir(out.parent) == ["kpis.xlsx"]
