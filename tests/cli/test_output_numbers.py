"""Numbers as numbers (issue 13, item 7): JSON numbers, CSV without float noise, typed Parquet.

The sample's results are checked against values computed here with pandas and Python's
decimal module from the Parquet files; the writers themselves against synthetic Arrow tables
(DECIMAL(38, 2), 30-digit decimals, 0.1 + 0.2, int64 beyond 2**53, nulls, NaN).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import struct
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from sales_metrics.cli.numbers import csv_text, json_text

from support import DATA_DIR, run_cli


def no_constants(name: str):
    raise AssertionError(f"{name} in JSON output")


def loads(text: str):
    """Strict JSON: NaN/Infinity refused, every non-integer number read exactly, as a Decimal."""
    return json.loads(text, parse_float=Decimal, parse_constant=no_constants)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def one_column(array: pa.Array, name: str = "x") -> tuple[list, list[str]]:
    """(JSON values, CSV cells) of a one-column table."""
    table = pa.table({name: array})
    values = [row[name] for row in loads(json_text(table))]
    rows = csv_rows(csv_text(table))
    assert rows[0] == [name]
    return values, [r[0] if r else "" for r in rows[1:]]  # an empty cell: an empty line


# ------------------------------------------------------------------------------ decimals

def test_decimal_38_2_is_a_json_number_with_its_own_digits():
    values = [Decimal("12000.00"), Decimal("469703.97"), Decimal("-0.05"), None, Decimal("0.30")]
    table = pa.table({"won_revenue": pa.array(values, pa.decimal128(38, 2))})
    text = json_text(table)
    assert '"won_revenue": 12000.00' in text and '"12000' not in text
    assert [r["won_revenue"] for r in loads(text)] == values
    _, cells = one_column(pa.array(values, pa.decimal128(38, 2)))
    assert cells == ["12000.00", "469703.97", "-0.05", "", "0.30"]


def test_a_decimal_of_30_digits_keeps_every_digit():
    whole = 10**29 + 7  # 30 digits: a double keeps 15 to 17 of them
    assert float(whole) != whole
    got, cells = one_column(pa.array([whole, -whole], pa.decimal128(38, 0)))
    assert got == [whole, -whole] and all(type(v) is int for v in got)
    assert cells == [str(whole), "-" + str(whole)]

    fraction = Decimal("1234567890123456789012.34567891")  # 30 digits, 8 after the point
    assert Decimal(repr(float(fraction))) != fraction
    got, cells = one_column(pa.array([fraction], pa.decimal128(38, 8)))
    assert got == [fraction] and cells == ["1234567890123456789012.34567891"]

    wide = Decimal(10**60 + 1).scaleb(-2)  # decimal256: 61 digits
    got, cells = one_column(pa.array([wide], pa.decimal256(70, 2)))
    assert got == [wide] and Decimal(cells[0]) == wide


def test_decimals_are_written_without_an_exponent():
    tiny = pa.array([Decimal("1E-10"), Decimal("-0.0000001")], pa.decimal128(38, 10))
    got, cells = one_column(tiny)
    assert cells == ["0.0000000001", "-0.0000001000"]
    assert got == [Decimal("1E-10"), Decimal("-1E-7")]
    hundreds = pa.array([Decimal("12300"), Decimal("100")], pa.decimal128(5, -2))
    got, cells = one_column(hundreds)
    assert cells == ["12300", "100"] and got == [12300, 100]
    for cell in cells:
        assert "e" not in cell.lower()


# -------------------------------------------------------------------------------- floats

def significant_digits(text: str) -> int:
    mantissa = re.split("[eE]", text)[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1


def assert_shortest(text: str, value: float, read=float) -> None:
    """``text`` reads back to ``value``, and no text with one digit fewer does."""
    assert read(float(text)) == value, (text, value)
    digits = significant_digits(text)
    if digits > 1:
        assert read(float(f"{value:.{digits - 2}e}")) != value, (text, value)


def test_float64_is_the_shortest_text_that_reads_back():
    noisy = 0.1 + 0.2
    got, cells = one_column(pa.array([noisy, 0.1, 100.0, 1e22, 5e-324, -0.0]))
    assert cells == ["0.30000000000000004", "0.1", "100.0", "1e+22", "5e-324", "-0.0"]
    assert [float(v) for v in got] == [noisy, 0.1, 100.0, 1e22, 5e-324, -0.0]
    rng = random.Random(13)
    bits = [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(5000)]
    floats = [x for x in bits if math.isfinite(x)]
    floats += [rng.uniform(0, 1e7) for _ in range(2000)]  # money-sized sums
    got, cells = one_column(pa.array(floats, pa.float64()))
    for value, cell, parsed in zip(floats, cells, got):
        assert cell == repr(value)  # what the README promises: Python's repr of the float
        assert_shortest(cell, value)
        assert float(parsed) == value


def test_float32_reads_back_to_the_same_float32():
    def f32(x: float) -> float:
        return struct.unpack("<f", struct.pack("<f", x))[0]

    _, cells = one_column(pa.array([0.1, 3.4e38, 1e-7], pa.float32()))
    assert cells == ["0.1", "3.4e+38", "1e-07"]  # not 0.10000000149011612
    rng = random.Random(7)
    values = [struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0] for _ in range(3000)]
    values = [v for v in values if math.isfinite(v)]
    got, cells = one_column(pa.array(values, pa.float32()))
    for value, cell, parsed in zip(values, cells, got):
        assert_shortest(cell, value, read=f32)
        assert np.float32(float(parsed)) == np.float32(value)


def test_nan_and_infinity_are_null_in_json_and_empty_in_csv():
    array = pa.array([math.nan, math.inf, -math.inf, None, 1.5], pa.float64())
    table = pa.table({"rate": array})
    text = json_text(table)
    assert "NaN" not in text and "Infinity" not in text
    assert [r["rate"] for r in loads(text)] == [None, None, None, None, Decimal("1.5")]
    assert csv_text(table) == '"rate"\n\n\n\n\n1.5\n'
    got, cells = one_column(pa.array([math.nan, None, 2.0], pa.float32()))
    assert got == [None, None, Decimal("2.0")] and cells == ["", "", "2.0"]


# ------------------------------------------------------------------------------ integers

def test_int64_beyond_2_53_is_exact():
    big = [2**53 + 1, 2**63 - 1, -(2**63), None, 0]
    assert float(2**53 + 1) == 2**53  # a double would lose it
    got, cells = one_column(pa.array(big, pa.int64()))
    assert got == big and all(type(v) is int for v in got if v is not None)
    assert cells == ["9007199254740993", "9223372036854775807", "-9223372036854775808", "", "0"]
    got, cells = one_column(pa.array([2**64 - 1], pa.uint64()))
    assert got == [2**64 - 1] and cells == ["18446744073709551615"]


# ---------------------------------------------------------------- everything else: as before

def mixed() -> pa.Table:
    return pa.table({
        "period": pa.array([0, 31, None, 59], pa.date32()),
        "rep": ['Ann "A"', "x,y", None, "two\nlines"],
        "region": pa.array(["EMEA", "AMER", "EMEA", None]).dictionary_encode(),
        "won": [True, False, None, True],
        "at": pa.array([0, 1, None, 86_400_000_000], pa.timestamp("us")),
        "calls": pa.array([1, None, 2**62, -3], pa.int64()),
        "rate": [0.25, None, 0.5, 1.0],
    })


def test_csv_of_everything_but_floats_is_what_arrow_writes():
    table = mixed().drop_columns(["rate"])  # Arrow writes 1.0 as 1; Python's repr, 1.0
    arrow = io.BytesIO()
    pcsv.write_csv(table, arrow)
    assert csv_text(table) == arrow.getvalue().decode()
    rows = csv_rows(csv_text(mixed()))
    assert rows[0] == ["period", "rep", "region", "won", "at", "calls", "rate"]
    assert rows[1] == ["1970-01-01", 'Ann "A"', "EMEA", "true", "1970-01-01 00:00:00.000000", "1",
                       "0.25"]
    assert rows[3][0] == "" and rows[3][1] == "" and rows[3][-1] == "0.5"
    assert rows[4][0] == "1970-03-01" and rows[4][1] == "two\nlines"


def test_json_keeps_its_shape_dates_and_strings():
    table = mixed()
    want = json.dumps(table.to_pylist(), default=str, indent=2) + "\n"  # the layout it had
    assert json_text(table) == want
    rows = loads(json_text(table))
    assert rows[0]["period"] == "1970-01-01" and rows[2]["period"] is None
    assert rows[3]["period"] == "1970-03-01" and rows[2]["calls"] == 2**62
    assert json_text(table.slice(0, 0)) == "[]\n" and loads("[]\n") == []
    assert csv_text(table.slice(0, 0)) == '"period","rep","region","won","at","calls","rate"\n'


# ------------------------------------------------------------------ the sample, as run by users

def month(series: pd.Series) -> pd.Series:
    return series.dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def revenue() -> pd.DataFrame:
    """won_revenue and win_rate per close month, with pandas from the Parquet files."""
    opps = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    won = opps[opps.stage == "won"]
    closed = opps[opps.stage.isin(["won", "lost"])]
    rate = (closed.stage == "won").groupby(month(closed.closed_at))
    return pd.DataFrame({
        "won_revenue": won.groupby(month(won.closed_at)).amount.sum(),
        # win_rate needs at least 5 closed deals (min_denominator in conversion.yml)
        "win_rate": rate.mean().where(rate.size() >= 5),
    }).sort_index()


REVENUE = ["run", "-m", "won_revenue", "-m", "win_rate"]


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_json_from_the_sample_has_numbers_equal_to_pandas(revenue, tmp_path):
    text = ok(run_cli(*REVENUE, "--format", "json"))
    out = tmp_path / "kpis.json"
    ok(run_cli(*REVENUE, "--output", str(out)))
    assert out.read_text() == text  # printed or written, the same document
    rows = loads(text)
    assert [r["period"] for r in rows] == list(revenue.index)
    for row in rows:
        want = revenue.loc[row["period"]]
        assert isinstance(row["won_revenue"], Decimal)  # a JSON number, never "46163.88"
        assert float(row["won_revenue"]) == pytest.approx(want.won_revenue, rel=1e-12)
        if math.isnan(want.win_rate):
            assert row["win_rate"] is None
        else:
            assert float(row["win_rate"]) == pytest.approx(want.win_rate, rel=1e-12)
    assert not re.search(r'"(won_revenue|win_rate)": "', text)  # no number as a string


def test_csv_from_the_sample_is_python_floats_equal_to_pandas(revenue):
    rows = csv_rows(ok(run_cli(*REVENUE, "--format", "csv")))
    assert rows[0] == ["period", "won_revenue", "win_rate"]
    assert [r[0] for r in rows[1:]] == list(revenue.index)
    for period, amount, rate in rows[1:]:
        want = revenue.loc[period]
        assert amount == repr(float(amount))  # the float's own repr: no noise, no 4.6e+4
        assert float(amount) == pytest.approx(want.won_revenue, rel=1e-12)
        if math.isnan(want.win_rate):
            assert rate == ""
        else:
            assert rate == repr(float(rate))
            assert float(rate) == pytest.approx(want.win_rate, rel=1e-12)


def test_nulls_from_the_sample_are_null_in_json_and_empty_in_csv():
    """win_rate by rep and quarter: null where a rep closed fewer than 5 deals (pandas)."""
    opps = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    reps = pd.read_parquet(DATA_DIR / "reps.parquet")
    closed = opps[opps.stage.isin(["won", "lost"])].merge(reps, left_on="owner_rep_id",
                                                          right_on="rep_id")
    groups = (closed.stage == "won").groupby(
        [quarter(closed.closed_at).dt.start_time.dt.strftime("%Y-%m-%d"), closed.rep_name])
    want = groups.mean().where(groups.size() >= 5)
    assert want.isna().any() and want.notna().any()
    args = ["run", "-g", "quarter", "-m", "win_rate", "--by", "rep"]
    rows = loads(ok(run_cli(*args, "--format", "json")))
    seen = {(r["period"], r["rep"]): r["win_rate"] for r in rows if (r["period"], r["rep"]) in want}
    assert set(seen) == set(want.index)
    for key, rate in seen.items():
        if math.isnan(want[key]):
            assert rate is None, key
        else:
            assert float(rate) == pytest.approx(want[key], rel=1e-12), key
    cells = {(p, rep): rate for p, rep, rate in csv_rows(ok(run_cli(*args, "--format", "csv")))[1:]}
    for key in want.index:
        assert (cells[key] == "") == math.isnan(want[key]), key
        assert cells[key] == "" or cells[key] == repr(float(cells[key]))


def quarter(series: pd.Series) -> pd.Series:
    return series.dt.to_period("Q")


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    """Per quarter, with pandas: deals won, opportunities open and subscriptions active at
    its end (opened in or before it, not closed in or before it)."""
    opps = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    subs = pd.read_parquet(DATA_DIR / "subscriptions.parquet")
    quarters = pd.period_range(min(quarter(opps.created_at).min(), quarter(subs.started_at).min()),
                               max(quarter(opps.created_at).max(), quarter(subs.started_at).max()),
                               freq="Q")

    def open_at_end(opens: pd.Series, closes: pd.Series) -> list[int]:
        o, c = quarter(opens), quarter(closes)
        return [int(((o <= q) & ~(c.notna() & (c <= q))).sum()) for q in quarters]

    won = opps[opps.stage == "won"]
    frame = pd.DataFrame({
        "open_opportunities": open_at_end(opps.created_at, opps.closed_at),
        "active_subscriptions": open_at_end(subs.started_at, subs.cancelled_at),
    }, index=[q.start_time.strftime("%Y-%m-%d") for q in quarters])
    frame["deals_won"] = quarter(won.closed_at).value_counts().reindex(quarters).fillna(0) \
        .astype(int).to_numpy()
    return frame


COUNTS = ["run", "-g", "quarter", "-m", "open_opportunities", "-m", "active_subscriptions",
          "-m", "deals_won"]


def test_hugeint_counts_are_json_integers(counts):
    rows = loads(ok(run_cli(*COUNTS, "--format", "json")))
    got = pd.DataFrame(rows).set_index("period")
    for name in counts.columns:
        for period, value in got[name].items():
            if period in counts.index:
                assert type(value) is int and value == counts.loc[period, name], (name, period)
    assert set(counts.index) <= set(got.index)


def test_hugeint_counts_are_csv_digits(counts):
    rows = csv_rows(ok(run_cli(*COUNTS, "--format", "csv")))
    names = rows[0][1:]
    for period, *cells in rows[1:]:
        for name, cell in zip(names, cells):
            assert re.fullmatch(r"\d+", cell), (name, period, cell)
            if period in counts.index:
                assert int(cell) == counts.loc[period, name]


def test_json_by_a_dimension_keeps_strings_and_numbers(tmp_path):
    opps = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    reps = pd.read_parquet(DATA_DIR / "reps.parquet")
    won = opps[opps.stage == "won"].merge(reps, left_on="owner_rep_id", right_on="rep_id")
    want = won.groupby([month(won.closed_at), won.region]).size()
    rows = loads(ok(run_cli("run", "-m", "deals_won", "--by", "region", "--format", "json")))
    assert {(r["period"], r["region"]) for r in rows if r["deals_won"]} == set(want.index)
    for row in rows:
        assert isinstance(row["region"], str) and type(row["deals_won"]) is int
        assert row["deals_won"] == want.get((row["period"], row["region"]), 0)


def test_parquet_keeps_typed_columns(counts, revenue, tmp_path):
    out = tmp_path / "kpis.parquet"
    ok(run_cli("run", "-g", "quarter", "-m", "open_opportunities", "-m", "won_revenue",
               "-o", str(out)))
    table = pq.read_table(out)
    kinds = dict(zip(table.column_names, table.schema.types))
    assert pa.types.is_date(kinds["period"])
    assert pa.types.is_decimal(kinds["open_opportunities"]) and kinds["open_opportunities"].scale == 0
    assert pa.types.is_float64(kinds["won_revenue"])
    opps = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    won = opps[opps.stage == "won"]
    per_quarter = won.groupby(quarter(won.closed_at)).amount.sum()
    for row in table.to_pylist():
        period = row["period"].isoformat()
        assert row["open_opportunities"] == int(counts.loc[period, "open_opportunities"])
        assert isinstance(row["open_opportunities"], Decimal)
        q = pd.Period(period, freq="Q")
        assert row["won_revenue"] == pytest.approx(per_quarter[q], rel=1e-12)


def test_the_table_view_still_formats_counts(counts):
    text = ok(run_cli(*COUNTS[:3], "-m", "open_opportunities"))
    cells = {}
    for line in text.splitlines():
        parts = [c.strip() for c in line.strip("│").split("│")]
        if re.fullmatch(r"\d{4} Q\d", parts[0]):
            cells[parts[0]] = parts[1]
    assert cells
    for period, value in counts.open_opportunities.items():
        label = f"{period[:4]} Q{(int(period[5:7]) + 2) // 3}"
        if label in cells:
            assert cells[label] == f"{value:,}"


# ---------------------------------------------------------- DECIMAL sums on DuckDB, end to end

@pytest.fixture(scope="module")
def decimal_project(tmp_path_factory) -> tuple[Path, dict]:
    """A project over a Parquet file of DECIMAL(18, 2) amounts (the sample's won deals, to the
    cent; two are null) and int64 sizes near 2**62: DuckDB sums them as DECIMAL(38, 2) and
    HUGEINT. Returns the folder and, per close month, the sums computed here with Python's
    decimal module."""
    folder = tmp_path_factory.mktemp("decimals")
    opps = pq.read_table(DATA_DIR / "opportunities.parquet").to_pandas()
    won = opps[opps.stage == "won"].reset_index(drop=True)
    amounts = [None if math.isnan(a) else Decimal(f"{a:.2f}") for a in won.amount]
    assert amounts.count(None) == 2
    sizes = [2**62 + i for i in range(len(won))]
    pq.write_table(pa.table({
        "id": pa.array(range(len(won)), pa.int64()),
        "closed_at": pa.array(won.closed_at.dt.date.tolist(), pa.date32()),
        "amount": pa.array(amounts, pa.decimal128(18, 2)),
        "size": pa.array(sizes, pa.int64()),
    }), folder / "deals.parquet")
    (folder / "project.yml").write_text("name: decimals\nconnection: {type: duckdb, data: .}\n")
    defs = {"sources": [{"name": "deals", "path": "deals.parquet", "time": "closed_at",
                         "key": "id"}],
            "metrics": [{"name": "revenue", "source": "deals", "numerator": "sum(amount)"},
                        {"name": "size", "source": "deals", "numerator": "sum(size)"}]}
    (folder / "defs.yml").write_text(json.dumps(defs))
    want: dict[str, dict] = {}
    for day, amount, size in zip(month(won.closed_at), amounts, sizes):
        sums = want.setdefault(day, {"revenue": None, "size": None})
        if amount is not None:
            sums["revenue"] = (sums["revenue"] or Decimal("0.00")) + amount
        if size is not None:
            sums["size"] = (sums["size"] or 0) + size
    return folder, want


def test_decimal_sums_are_exact_json_numbers(decimal_project):
    folder, want = decimal_project
    text = ok(run_cli("run", "-p", str(folder), "--format", "json"))
    rows = loads(text)
    assert {r["period"]: {"revenue": r["revenue"], "size": r["size"]} for r in rows} == want
    sums = [r for r in rows if r["size"] is not None]
    assert len(sums) == len(rows)
    assert all(type(r["size"]) is int and isinstance(r["revenue"], Decimal) for r in sums)
    assert any(r["size"] > 2**63 for r in sums)  # beyond int64: a HUGEINT
    assert '"revenue": "' not in text and '"size": "' not in text
    for r in sums:  # two places, as DECIMAL(38, 2) has: 12000.00, not 12000 or 1.2E+4
        assert re.search(rf'"revenue": {re.escape(str(r["revenue"]))},\n', text)
        assert len(str(r["revenue"]).split(".")[1]) == 2


def test_decimal_sums_are_exact_csv_cells(decimal_project):
    folder, want = decimal_project
    rows = csv_rows(ok(run_cli("run", "-p", str(folder), "--format", "csv")))
    assert rows[0] == ["period", "revenue", "size"]
    got = {p: {"revenue": Decimal(r) if r else None, "size": int(s) if s else None}
           for p, r, s in rows[1:]}
    assert got == want
    for _, revenue, size in rows[1:]:
        assert re.fullmatch(r"-?\d+\.\d\d", revenue) and re.fullmatch(r"\d+", size)


def test_decimal_sums_stay_decimals_in_parquet(decimal_project, tmp_path):
    folder, want = decimal_project
    out = tmp_path / "d.parquet"
    ok(run_cli("run", "-p", str(folder), "-o", str(out)))
    table = pq.read_table(out)
    assert table.schema.field("revenue").type == pa.decimal128(38, 2)
    assert pa.types.is_decimal(table.schema.field("size").type)
    got = {r["period"].isoformat(): {"revenue": r["revenue"],
                                     "size": None if r["size"] is None else int(r["size"])}
           for r in table.to_pylist()}
    assert got == want
