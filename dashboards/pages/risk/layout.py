"""The risk page: ranking and regions against the count threshold, drivers, categories."""

from __future__ import annotations

from dashboards.components import graph, grid, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters
from omnistock.tables import LOCATION_FEATURES

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    risk = queries.location_risk(data, filters)
    if isinstance(risk, Missing):
        return [missing_table("risk-ranking", "Location risk", risk, wide=True)]
    threshold = data.snapshot.risk_threshold  # None in a snapshot that does not record it
    ranking = graph("risk-ranking", figures.risk_ranking(risk, threshold))
    regions = graph("risk-by-region", figures.risk_by_region(risk, threshold))
    drivers = graph("risk-drivers", figures.risk_drivers(risk, LOCATION_FEATURES), wide=True)
    return [
        section("Ranking", grid(ranking, regions)),
        section("Drivers", grid(drivers), RISK_TABLE(data, filters)),
        section("By category", CATEGORIES(data, filters)),
    ]


# The charts and tables `render` fills in.
RISK_TABLE = Table(
    "risk-table",
    "Every scored location, riskiest first",
    queries.location_risk,
    {
        "risk_rank": "rank",
        "location_id": "location",
        "region": "region",
        "location_type": "type",
        "risk_score": "risk score",
        "reason": "why",
        "scored_at": "scored",
    },
)
CATEGORIES = Table(
    "risk-categories-table",
    "Riskiest location × category pairs (what to count first)",
    queries.location_category_risk,
    {
        "location_id": "location",
        "category": "category",
        "risk_score": "risk score",
        "reason": "why",
    },
)
