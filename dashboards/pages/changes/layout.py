"""What changed since the previous run: active alerts, exceptions opened and closed, KPIs
beyond their normal variation, late or incomplete sources."""

from __future__ import annotations

import polars as pl
from dash import html

from dashboards.components import Chart, grid, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import Table
from dashboards.drills import kpi_day_cases
from dashboards.filters import Filters
from dashboards.kpi_queries import kpi_catalog
from dashboards.kpis import format_value
from dashboards.pages.exceptions.work import EXCEPTION_HEADERS

from . import figures, queries
from .alerts import alert_list


def compared_with(data: SnapshotData, previous: dict | None) -> html.P:
    if previous is None:
        text = "This is the first snapshot: there is no previous run to compare with yet."
    else:
        text = (
            f"Compared with the previous run's snapshot {previous['version']} (published "
            f"{previous.get('published_at')}, KPIs complete through "
            f"{previous.get('horizon_date') or 'unknown'}); now through "
            f"{data.snapshot.horizon_date or 'unknown'}."
        )
    return html.P(text, className="note", id="changes-compared")


def movement_rows(data: SnapshotData, movements: pl.DataFrame | Missing) -> pl.DataFrame | Missing:
    """kpi_movements with its values written in each KPI's unit."""
    catalog = kpi_catalog(data)
    if isinstance(movements, Missing) or isinstance(catalog, Missing):
        return movements if isinstance(movements, Missing) else catalog

    def written(column: str) -> pl.Series:
        return pl.Series(
            [
                format_value(catalog[name], value) if name in catalog else value
                for name, value in zip(movements["kpi_name"], movements[column], strict=True)
            ],
            dtype=pl.String,
        )

    verdict = {True: "moved", False: "normal", None: "too few days to judge"}
    return movements.with_columns(
        *(
            written(column).alias(f"{column}_text")
            for column in ("value", "previous_day_value", "baseline_mean")
        ),
        pl.Series([verdict[v] for v in movements["is_moved"]], dtype=pl.String).alias("verdict"),
    )


def source_rows(sources: pl.DataFrame | Missing, silent: list[str] | Missing, compared: bool):
    """Each source's state in words: late (dbt's rule), nothing new since the previous run,
    or on time; plus the regular feeds that never delivered a regular day."""
    if isinstance(sources, Missing):
        return sources

    def state(row: dict) -> str:
        if row["is_lagging"]:
            return f"late: {row['lag_behind_leader_h']:.1f} h behind the leading feed"
        if compared and row["is_regular_feed"] and not row["new_events"]:
            return "no new events since the previous run"
        return "on time" if row["is_regular_feed"] else "not a regular feed"

    rows = sources.with_columns(
        pl.Series([state(r) for r in sources.iter_rows(named=True)], dtype=pl.String).alias("state")
    )
    silent = [] if isinstance(silent, Missing) else silent
    quiet = pl.DataFrame(
        {"source_system": silent, "state": ["silent: no regular day of events"] * len(silent)}
    )
    return pl.concat([quiet, rows], how="diagonal_relaxed")


def compares(previous: dict | None, table: str) -> bool:
    """Whether the previous run's snapshot held `table` to compare with."""
    return previous is not None and table in previous.get("compared", [])


def kpi_movement_rows(data: SnapshotData, _filters: Filters) -> pl.DataFrame | Missing:
    """The KPI movements table's rows (every KPI, whatever the filters)."""
    return movement_rows(data, queries.kpi_movements(data))


def source_state_rows(data: SnapshotData, _filters: Filters) -> pl.DataFrame | Missing:
    """The sources table's rows (every source, whatever the filters)."""
    compared = compares(queries.comparison(data), "int_source_watermarks")
    return source_rows(queries.source_changes(data), queries.silent_feeds(data), compared)


def render(data: SnapshotData, filters: Filters) -> list:
    previous = queries.comparison(data)
    compared = compares(previous, "exception_queue")
    summary = queries.exception_change_summary(data, filters)
    movements = queries.kpi_movements(data)
    return [
        compared_with(data, previous),
        section("Active alerts", alert_list(data)),
        section(
            "Exceptions opened and closed",
            grid(CHANGES(summary, compared, filters=filters)),
            CHANGES_TABLE(data, filters),
        ),
        section(
            "KPIs beyond their normal variation",
            grid(MOVEMENTS(movements, kpi_day_cases)),
            MOVEMENTS_TABLE(data, filters),
        ),
        section("Sources: late or incomplete", SOURCES_TABLE(data, filters)),
    ]


# The charts and tables `render` fills in.
CHANGES = Chart(
    "changes-exceptions",
    "Exceptions opened and closed",
    figures.exception_changes_by_type,
    wide=True,
)
CHANGES_TABLE = Table(
    "changes-exceptions-table",
    "Exceptions opened and closed since the previous run",
    queries.exception_changes,
    {"change": "change", **EXCEPTION_HEADERS},
)
MOVEMENTS = Chart("changes-kpis", "KPI movements", figures.kpi_movements, wide=True)
MOVEMENT_HEADERS = {
    "label": "KPI",
    "kpi_date": "day judged",
    "verdict": "verdict",
    "direction": "direction",
    "value_text": "on the day",
    "previous_day_value_text": "day before",
    "baseline_mean_text": "baseline mean",
    "z_score": "sd from mean",
    "baseline_days": "baseline days",
}
MOVEMENTS_TABLE = Table(
    "changes-kpis-table",
    "Each KPI on its latest settled day against the complete days before it",
    kpi_movement_rows,
    MOVEMENT_HEADERS,
)
SOURCES_TABLE = Table(
    "changes-sources-table",
    "Per source: freshness now (watermark rule) and what arrived since the previous run",
    source_state_rows,
    {
        "source_system": "source",
        "state": "state",
        "watermark_at": "complete through",
        "previous_watermark_at": "previously",
        "watermark_advance_h": "advanced (h)",
        "new_events": "new events",
        "lag_behind_leader_h": "behind leader (h)",
        "events": "events",
    },
)
