"""A shareable report: one self-contained HTML file with the headline figures.

plotly.js is inlined once, so the file opens offline, from a mail attachment or a shared
drive, with no server. It reads the same published snapshot as the dashboards.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go

from . import figures, queries
from .filters import Filters
from .kpis import format_change, format_value
from .queries import SnapshotData, snapshot_data
from .snapshot import Snapshot, SnapshotReader

STYLE = """
body { font-family: Inter, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif;
       color: #1f2937; margin: 0; background: #f5f6f8; }
header { background: #111827; color: white; padding: 18px 28px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; color: #9ca3af; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 28px 40px; }
h2 { font-size: 17px; margin: 26px 0 10px; }
table { border-collapse: collapse; width: 100%; background: white; font-size: 14px; }
th, td { border: 1px solid #e5e7eb; padding: 7px 10px; text-align: left; }
td.num { text-align: right; } .good { color: #15803d; } .bad { color: #b91c1c; }
.neutral { color: #6b7280; }
.figure { background: white; border: 1px solid #e5e7eb; border-radius: 10px; padding: 8px;
          margin-bottom: 16px; }
"""


def _kpi_table(data: SnapshotData, filters: Filters) -> str:
    """The headline KPIs of the catalog, as the Overview tiles compute them."""
    headline = queries.headline_kpis(data)
    current = None if headline is None else queries.kpi_values(data, headline, filters)
    if current is None:
        return "<p>The snapshot has no KPI tables (kpi_catalog, kpi_daily).</p>"
    previous_period = filters.previous_period()
    previous = previous_period and queries.kpi_values(data, headline, previous_period)
    body = []
    for kpi in headline:
        value = current.value(kpi.name)
        before = previous.value(kpi.name) if previous else None
        change, tone = format_change(kpi, value, before)
        note = current.cuts[kpi.name].note
        body.append(
            f"<tr id='kpi-{html.escape(kpi.name)}'><td>{html.escape(kpi.label)}</td>"
            f"<td class='num'>{html.escape(format_value(kpi, value))}</td>"
            f"<td class='num'>{html.escape(format_value(kpi, before))}</td>"
            f"<td class='{tone}'>{html.escape(change)}</td>"
            f"<td>{html.escape(note)}</td></tr>"
        )
    return (
        "<table><thead><tr><th>KPI</th><th>this period</th><th>previous period</th>"
        "<th>change</th><th>rows</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>"
    )


def headline_figures(data: SnapshotData, filters: Filters) -> list[go.Figure]:
    """The figures a planner forwards: what breaks accuracy, where, and what to count."""
    built = []
    candidates = [
        (queries.exception_summary(data, filters), figures.exception_value_by_workflow),
        (
            queries.order_exception_rate_by_channel(data, filters),
            figures.order_exception_rate_by_channel,
        ),
        (queries.orders_by_day(data, filters), figures.oversells_by_channel),
        (queries.transfer_lanes(data, filters), figures.lane_accuracy),
        (queries.return_disposition_by_location(data, filters), figures.disposition_by_location),
        (
            (
                queries.api_failure_rate_by_day(data, filters),
                queries.integration_disruptions(data, filters),
            ),
            figures.failure_rate_with_disruptions,
        ),
        (queries.location_risk(data, filters), figures.risk_ranking),
    ]
    for frames, build in candidates:
        frames = frames if isinstance(frames, tuple) else (frames,)
        if all(frame is not None for frame in frames):
            built.append(build(*frames))
    return built


def _report_filters(data: SnapshotData) -> Filters:
    """The dashboards' default window: the current standard period (kpi_period)."""
    start, end = queries.kpi_window(data)
    return Filters(start=start, end=end)


def render_report(data: SnapshotData, filters: Filters | None = None) -> str:
    filters = filters or _report_filters(data)
    period = f"{filters.start} to {filters.end}" if filters.start and filters.end else "all dates"
    parts = []
    for number, figure in enumerate(headline_figures(data, filters)):
        # plotly.js goes in once, with the first figure; the rest reuse it.
        parts.append(
            "<div class='figure'>"
            + figure.to_html(
                full_html=False,
                include_plotlyjs=number == 0,
                config={"displaylogo": False},
                default_width="100%",
            )
            + "</div>"
        )
    snapshot = data.snapshot
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Omnistock inventory report · {html.escape(period)}</title>
<style>{STYLE}</style></head>
<body><header><h1>Omnistock inventory report</h1>
<p>{html.escape(period)} · complete through {html.escape(str(snapshot.horizon_date))} ·
data as of {html.escape(str(snapshot.as_of))} · snapshot
{html.escape(snapshot.version)} · written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p></header>
<main><h2>Headline KPIs (vs the equally long period before)</h2>{_kpi_table(data, filters)}
<h2>Where to act</h2>{"".join(parts)}</main></body></html>
"""


def write_report(
    source: Path | str | duckdb.DuckDBPyConnection,
    out_path: Path | str,
    filters: Filters | None = None,
) -> Path:
    """Write the report from a snapshots folder (its current snapshot) or from a connection
    opened by `open_snapshot`. Returns the written path."""
    out_path = Path(out_path)
    if isinstance(source, duckdb.DuckDBPyConnection):
        data = SnapshotData(source, _snapshot_of_connection(source))
        text = render_report(data, filters)
    else:
        with snapshot_data(SnapshotReader(source)) as data:
            if data is None:
                raise FileNotFoundError(f"no snapshot published in {source}")
            text = render_report(data, filters)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = out_path.with_name(out_path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out_path)  # a reader never sees half a report
    return out_path


def _snapshot_of_connection(con: duckdb.DuckDBPyConnection) -> Snapshot:
    """What a bare connection knows about its snapshot: its views (and the info table)."""
    tables = [
        row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
    ]
    info = (
        dict(con.execute("select key, value from snapshot_info").fetchall())
        if "snapshot_info" in tables
        else {}
    )
    manifest = {
        "version": info.get("version", "unknown"),
        "as_of": info.get("as_of"),
        "horizon_date": info.get("horizon_date"),
        "tables": {
            name: {"columns": [c[0] for c in con.execute(f'describe "{name}"').fetchall()]}
            for name in tables
            if name != "snapshot_info"
        },
    }
    return Snapshot(version=manifest["version"], folder=Path("."), manifest=manifest)


def main(argv: list[str] | None = None) -> int:
    """`python -m dashboards.report [--snapshots DIR] [--out FILE]`"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dashboards.report", description=__doc__)
    parser.add_argument("--snapshots", help="snapshots folder (default: the configured one)")
    parser.add_argument("--out", help="HTML file (default: <reports dir>/inventory-report.html)")
    args = parser.parse_args(argv)
    if args.snapshots and args.out:
        snapshots, out = Path(args.snapshots), Path(args.out)
    else:
        from omnistock.config import get_settings

        settings = get_settings()
        snapshots = Path(args.snapshots) if args.snapshots else settings.snapshots_dir
        out = Path(args.out) if args.out else settings.reports_dir / "inventory-report.html"
    print(write_report(snapshots, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
