"""Location risk: the ranking, what drives it, and the regional picture."""

from __future__ import annotations

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, missing_table, section, table
from ..queries import SnapshotData

CATEGORY_COLUMNS = (
    Column("location_id", "location"),
    Column("category", "category"),
    Column("risk_score", "risk score", "numeric"),
    Column("reason", "why"),
)
RISK_COLUMNS = (
    Column("risk_rank", "rank", "numeric"),
    Column("location_id", "location"),
    Column("region", "region"),
    Column("location_type", "type"),
    Column("risk_score", "risk score", "numeric"),
    Column("reason", "why"),
    Column("scored_at", "scored"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    risk = queries.location_risk(data, filters)
    if risk is None:
        return [missing_table("risk-ranking", "Location risk", "location_risk", wide=True)]
    features = queries.risk_feature_columns(data)
    categories = queries.location_category_risk(data, filters)
    category_table = table(
        "risk-categories-table",
        categories,
        CATEGORY_COLUMNS,
        "Riskiest location × category pairs (what to count first)",
        source="location_category_risk",
    )
    return [
        section(
            "Ranking",
            grid(
                chart(
                    "risk-ranking",
                    risk,
                    figures.risk_ranking,
                    table="location_risk",
                    title="Location risk",
                ),
                chart(
                    "risk-by-region",
                    risk,
                    figures.risk_by_region,
                    table="location_risk",
                    title="Risk by region",
                ),
            ),
        ),
        section(
            "Drivers",
            grid(
                chart(
                    "risk-drivers",
                    risk,
                    lambda r: figures.risk_drivers(r, features),
                    table="location_risk",
                    title="Risk drivers",
                    wide=True,
                ),
            ),
            table(
                "risk-table",
                risk,
                RISK_COLUMNS,
                "Every scored location, riskiest first",
                source="location_risk",
            ),
        ),
        section("By category", category_table),
    ]


PAGE = Page(
    slug="risk",
    title="Location risk",
    heading="Location risk",
    question="Which locations most likely have inaccurate stock records, and why?",
    applies=("location",),
    render=render,
    note="Scores from the latest risk model run (0–1: the share of locations that look less "
    "risky). Ranks are within the locations selected.",
)
