"""The transfers page: lanes, the origin trend and every lane in a table."""

from __future__ import annotations

from dashboards.components import Chart, grid, section
from dashboards.data import SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    lanes = queries.transfer_lanes(data, filters)
    trend = ORIGIN_TREND(queries.transfer_accuracy_by_origin(data, filters), filters=filters)
    accuracy = LANE_ACCURACY(lanes, filters=filters)
    every_lane = LANES(data, filters)
    return [
        section("Lanes", grid(accuracy, LANE_CYCLE_TIME(lanes, filters=filters))),
        section("Trend", grid(trend)),
        section("Detail", every_lane),
    ]


# The charts and tables `render` fills in.
LANE_ACCURACY = Chart("transfers-lane-accuracy", "Transfer accuracy by lane", figures.lane_accuracy)
LANE_CYCLE_TIME = Chart(
    "transfers-lane-cycle-time", "Transfer cycle time by lane", figures.lane_cycle_time
)
ORIGIN_TREND = Chart(
    "transfers-origin-trend", "Transfer accuracy by origin", figures.accuracy_by_origin, wide=True
)
LANES = Table(
    "transfers-lanes-table",
    "Every lane, least accurate first",
    queries.transfer_lanes,
    {
        "origin": "origin",
        "destination": "destination",
        "lines": "lines",
        "accuracy": "received in full",
        "short_units": "units short",
        "cycle_p50_h": "p50 cycle (h)",
        "cycle_p95_h": "p95 cycle (h)",
    },
)
