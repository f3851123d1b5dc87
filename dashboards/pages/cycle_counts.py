"""Cycle-count queue: the requests the risk sensor raised, their status and results."""

from __future__ import annotations

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, missing_table, section, table
from ..queries import SnapshotData

REQUEST_COLUMNS = (
    Column("request_id", "request"),
    Column("location_id", "location"),
    Column("requested_at", "requested"),
    Column("status", "status"),
    Column("reason", "reason"),
    Column("requested_skus", "SKUs (priority order)"),
    Column("expected_discrepancy_value", "expected discrepancy", "money"),
    Column("counted_skus", "SKUs counted", "numeric"),
    Column("inaccurate_skus", "SKUs off", "numeric"),
    Column("found_discrepancy_value", "found discrepancy", "money"),
    Column("last_counted_at", "counted"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    requests = queries.cycle_count_requests(data, filters)
    if requests is None:
        return [
            missing_table(
                "cycle-counts-status", "Cycle-count queue", "cycle_count_requests", wide=True
            )
        ]
    return [
        section(
            "Queue",
            grid(
                chart(
                    "cycle-counts-status",
                    requests,
                    figures.cycle_count_status,
                    table="cycle_count_requests",
                    title="Cycle-count status",
                ),
                chart(
                    "cycle-counts-at-stake",
                    requests,
                    figures.cycle_count_value_at_stake,
                    table="cycle_count_requests",
                    title="Value at stake",
                ),
                chart(
                    "cycle-counts-results",
                    requests,
                    figures.cycle_count_results,
                    table="cycle_count_requests",
                    title="Cycle-count results",
                    wide=True,
                ),
            ),
            table(
                "cycle-counts-table",
                requests,
                REQUEST_COLUMNS,
                "Requests, newest first",
                source="cycle_count_requests",
            ),
        ),
    ]


PAGE = Page(
    slug="cycle-counts",
    title="Cycle-count queue",
    heading="Cycle-count queue",
    question="Which counts are requested, which came back, and what did they find?",
    applies=("location",),
    render=render,
    note="Requests are what the risk sensor raised (open → counted). Results are the counts "
    "taken at the request's location, of its SKUs, after the request: as the cycle-count job "
    "recorded them, or from fct_cycle_counts when the table has no results yet.",
)
