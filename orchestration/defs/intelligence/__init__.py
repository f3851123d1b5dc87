"""Intelligence domain: location features, risk scores and their evaluation."""

import dagster as dg

from orchestration.defs.intelligence.assets import (
    evaluation_targets_met,
    location_features,
    location_risk,
    risk_model_evaluation,
)

defs = dg.Definitions(
    assets=[location_features, location_risk, risk_model_evaluation],
    asset_checks=[evaluation_targets_met],
)
