"""Location risk as the risk model writes it (omnistock/tables.py declares the tables): the
score, the model's rank, its reason and the features that drive it."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, at_locations, needs
from dashboards.filters import Filters
from omnistock.tables import LOCATION_CATEGORY_RISK, LOCATION_FEATURES, LOCATION_RISK


@needs(LOCATION_RISK)
def location_risk(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """One row per location, riskiest first: location_id, region ("unknown": not in the
    locations reference data, or without a region there), location_type, risk_score,
    risk_rank (within the selection), reason, drivers (the model's top features), scored_at
    and the features (`LOCATION_FEATURES`)."""
    features = ", ".join(f'"{name}"' for name in LOCATION_FEATURES)
    ranked = data.select(
        f"""
        select location_id, coalesce(region, 'unknown') as region, location_type, risk_score,
            reason,
            array_to_string(top_features, ', ') as drivers, as_of as scored_at,
            risk_rank as model_rank, {features}
        from location_risk {{where}}
        """,
        at_locations(filters),
    )
    # Rank within what the planner sees, so "#1" is the riskiest of the selection; the
    # model's rank breaks ties of the calibrated score (it saturates at 1).
    return (
        ranked.sort(
            ["risk_score", "model_rank", "location_id"],
            descending=[True, False, False],
            nulls_last=True,
        )
        .with_row_index("risk_rank", offset=1)
        .with_columns(pl.col("risk_rank").cast(pl.Int64))
        .drop("model_rank")
    )


@needs(LOCATION_CATEGORY_RISK)
def location_category_risk(data: SnapshotData, filters: Filters, top: int = 100) -> pl.DataFrame:
    """The riskiest location x category rows: location_id, category, risk_score, reason."""
    return data.select(
        """
        select location_id, category, risk_score, reason
        from location_category_risk {where}
        order by risk_score desc, risk_rank, location_id, category
        limit ?
        """,
        at_locations(filters),
        top,
    )
