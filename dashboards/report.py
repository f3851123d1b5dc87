"""A shareable report: one self-contained HTML file with the headline figures.

plotly.js is inlined once, so the file opens offline, from a mail attachment or a shared
drive, with no server. It reads the same published snapshot as the dashboards.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from string import Template

import duckdb
import plotly.graph_objects as go

from .data import Missing, SnapshotData, snapshot_data
from .filters import Filters
from .kpi_queries import headline, kpi_window
from .kpis import format_value
from .pages.exceptions import figures as exception_figures
from .pages.exceptions import queries as exception_queries
from .pages.integrations import figures as integration_figures
from .pages.integrations import queries as integration_queries
from .pages.orders import figures as order_figures
from .pages.orders import queries as order_queries
from .pages.returns import figures as return_figures
from .pages.returns import queries as return_queries
from .pages.risk import figures as risk_figures
from .pages.risk import queries as risk_queries
from .pages.transfers import figures as transfer_figures
from .pages.transfers import queries as transfer_queries
from .snapshot import Snapshot, SnapshotReader, thresholds_from_info
from .theme import BAD, FONT, GOOD, GRID, INK, MUTED

# Where the pipeline writes the report, in its reports folder.
REPORT_FILE = "omnistock-report.html"

# The dashboards' look (theme), as CSS.
STYLE = Template("""
body { font-family: $font; color: $ink; margin: 0; background: #f5f6f8; }
header { background: #111827; color: white; padding: 18px 28px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 4px 0 0; color: #9ca3af; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 28px 40px; }
h2 { font-size: 17px; margin: 26px 0 10px; }
table { border-collapse: collapse; width: 100%; background: white; font-size: 14px; }
th, td { border: 1px solid $grid; padding: 7px 10px; text-align: left; }
td.num { text-align: right; } .good { color: $good; } .bad { color: $bad; }
.neutral { color: $muted; }
.figure { background: white; border: 1px solid $grid; border-radius: 10px; padding: 8px;
          margin-bottom: 16px; }
""").substitute(font=FONT, ink=INK, grid=GRID, good=GOOD, bad=BAD, muted=MUTED)


def _kpi_table(data: SnapshotData, filters: Filters) -> str:
    """The headline KPIs of the catalog, as the Overview tiles compute them."""
    values = headline(data, filters)
    if isinstance(values, Missing):
        return "<p>The snapshot has no KPI tables (kpi_catalog, kpi_daily).</p>"
    body = []
    for kpi in values.kpis:
        value, before = values.current.value(kpi.name), values.previous_value(kpi)
        change, tone = values.change(kpi)
        note = values.current.cuts[kpi.name].note
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
    risk_threshold = data.snapshot.risk_threshold
    candidates = [
        (
            exception_figures.exception_value_by_workflow,
            exception_queries.exception_summary(data, filters),
        ),
        (
            order_figures.order_exception_rate_by_channel,
            order_queries.order_exception_rate_by_channel(data, filters),
        ),
        (order_figures.oversells_by_channel, order_queries.orders_by_day(data, filters)),
        (transfer_figures.lane_accuracy, transfer_queries.transfer_lanes(data, filters)),
        (
            return_figures.disposition_by_location,
            return_queries.return_disposition_by_location(data, filters),
        ),
        (
            integration_figures.failure_rate_with_disruptions,
            integration_queries.api_failure_rate_by_day(data, filters),
            integration_queries.integration_disruptions(data, filters),
        ),
        (
            lambda risk: risk_figures.risk_ranking(risk, risk_threshold),
            risk_queries.location_risk(data, filters),
        ),
    ]
    return [
        build(*results)
        for build, *results in candidates
        if not any(isinstance(result, Missing) for result in results)
    ]


def _report_filters(data: SnapshotData) -> Filters:
    """The dashboards' default window: the current standard period (kpi_period)."""
    start, end = kpi_window(data)
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
        "thresholds": thresholds_from_info(info),
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
    parser.add_argument("--out", help=f"HTML file (default: <reports dir>/{REPORT_FILE})")
    args = parser.parse_args(argv)
    if args.snapshots and args.out:
        snapshots, out = Path(args.snapshots), Path(args.out)
    else:
        from omnistock.config import get_settings

        settings = get_settings()
        snapshots = Path(args.snapshots) if args.snapshots else settings.snapshots_dir
        out = Path(args.out) if args.out else settings.reports_dir / REPORT_FILE
    print(write_report(snapshots, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
