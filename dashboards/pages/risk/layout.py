"""The risk page: ranking and regions against the count threshold, drivers, categories. A
location's mark opens what is open at it now (its exceptions)."""

from __future__ import annotations

from dashboards.components import Chart, grid, missing_table, section
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
    ranking = RANKING(risk, threshold, filters=filters)
    regions = BY_REGION(risk, threshold, filters=filters)
    drivers = DRIVERS(risk, LOCATION_FEATURES, filters=filters)
    every_location = RISK_TABLE.draw(
        risk, filters, RISK_TABLE.title + figures.unknown_region_note(risk["region"])
    )
    return [
        section("Ranking", grid(ranking, regions)),
        section("Drivers", grid(drivers), every_location),
        section("By category", CATEGORIES(data, filters)),
    ]


# The charts and tables `render` fills in.
RANKING = Chart("risk-ranking", "Location risk", figures.risk_ranking)
BY_REGION = Chart("risk-by-region", "Risk by region", figures.risk_by_region)
DRIVERS = Chart("risk-drivers", "Risk drivers", figures.risk_drivers, wide=True)
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
