"""`metrics diff --values`: both versions of each changed metric, run on the same data.

Each version's SQL is compiled for the connection's dialect at the same grain and range, run
on the working tree's connection, and the two results are joined on period with Arrow.
The periods whose value moved are kept, largest absolute change first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sales_metrics.engine.diagnostics import MetricsError

from .report import Moved, Report, Row

if TYPE_CHECKING:
    import pyarrow

    from sales_metrics.engine.project import Project


TOLERANCE = 1e-9  # relative: float noise is not a change


def compare_values(report: Report, base: Project, head: Project, conn: Any,
                   options: dict[str, Any], top: int) -> None:
    """Fill ``report.values`` for every metric whose compiled SQL changed."""
    for change in report.renamed + report.changed:
        if not change.sql_diff:
            continue  # same SQL on the same data: the same values
        grain = options.get("grain") or head.catalog.metrics[change.name].model.grain.value
        request = {**options, "grain": grain}
        moved = Moved(grain)
        try:
            before = base.query([change.old_name or change.name], connection=conn, **request)
            after = head.query([change.name], connection=conn, **request)
        except MetricsError as err:
            moved.note = str(err).splitlines()[0]
        else:
            _moved(moved, before.column(change.old_name or change.name), before.column("period"),
                   after.column(change.name), after.column("period"), top)
        report.values[change.name] = moved


def _moved(out: Moved, before, before_period, after, after_period, top: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    a = pa.table({"period": before_period, "before": pc.cast(before, pa.float64())})
    b = pa.table({"period": after_period, "after": pc.cast(after, pa.float64())})
    joined = a.join(b, "period", join_type="full outer")
    delta = pc.subtract(joined["after"], joined["before"])
    size = pc.abs(delta)
    noise = pc.multiply(pc.add(pc.abs(joined["before"]), 1.0), TOLERANCE)
    one_missing = pc.xor(pc.is_null(joined["before"]), pc.is_null(joined["after"]))
    moved = pc.or_(pc.fill_null(pc.greater(size, noise), False), one_missing)
    base = pc.if_else(pc.equal(joined["before"], 0.0), pa.scalar(None, pa.float64()),
                      pc.abs(joined["before"]))
    table = joined.append_column("change", delta).append_column("size", pc.fill_null(size, -1.0)) \
        .append_column("relative", pc.divide(delta, base)).filter(moved)
    table = table.sort_by([("size", "descending"), ("period", "ascending")])  # empty ones last
    out.periods, out.moved = joined.num_rows, table.num_rows
    out.rows = [Row(r["period"], r["before"], r["after"], r["change"], r["relative"])
                for r in _head(table, top).to_pylist()]


def _head(table: "pyarrow.Table", top: int) -> "pyarrow.Table":
    return table.select(["period", "before", "after", "change", "relative"]).slice(0, top)
