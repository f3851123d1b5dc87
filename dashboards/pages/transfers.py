"""Transfers: accuracy and cycle time by lane."""

from __future__ import annotations

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, section, table
from ..queries import SnapshotData

LANE_COLUMNS = (
    Column("origin", "origin"),
    Column("destination", "destination"),
    Column("lines", "lines", "numeric"),
    Column("accuracy", "received in full", "ratio"),
    Column("short_units", "units short", "numeric"),
    Column("cycle_p50_h", "p50 cycle (h)", "numeric"),
    Column("cycle_p95_h", "p95 cycle (h)", "numeric"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    lanes = queries.transfer_lanes(data, filters)
    lane_table = table(
        "transfers-lanes-table",
        lanes,
        LANE_COLUMNS,
        "Every lane, least accurate first",
        source="fct_transfers",
    )
    return [
        section(
            "Lanes",
            grid(
                chart(
                    "transfers-lane-accuracy",
                    lanes,
                    figures.lane_accuracy,
                    table="fct_transfers",
                    title="Transfer accuracy by lane",
                ),
                chart(
                    "transfers-lane-cycle-time",
                    lanes,
                    figures.lane_cycle_time,
                    table="fct_transfers",
                    title="Transfer cycle time by lane",
                ),
            ),
        ),
        section(
            "Trend",
            grid(
                chart(
                    "transfers-origin-trend",
                    queries.transfer_accuracy_by_origin(data, filters),
                    figures.accuracy_by_origin,
                    table="fct_transfers",
                    title="Transfer accuracy by origin",
                    wide=True,
                ),
            ),
        ),
        section("Detail", lane_table),
    ]


PAGE = Page(
    slug="transfers",
    title="Transfers",
    heading="Transfers",
    question="Which lanes ship short or slow, and is a shipping location getting worse?",
    applies=("dates", "location"),
    render=render,
    note="Lines that were shipped and received, by day of shipment; a location filter keeps "
    "lanes whose origin or destination matches.",
)
