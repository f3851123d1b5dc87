"""Location risk and cycle counts (SPEC 6). Plain Python: never imports Dagster.

The order the orchestration calls it in:

1. `ml.inputs.load_risk_inputs(con, as_of)` (as_of: `ml.inputs.data_as_of(con)`, the data
   horizon): the marts as one polars frame per concern (`ml.features.RiskInputs`); all SQL
   on the marts lives there (`ml.model_evaluations` keeps its own tables).
2. `ml.features.location_features` / `location_category_features(inputs, as_of)`.
3. `ml.detectors.fit_risk_model(features, level)` + `score_risk(model, features)` (or
   `fit_and_score`): location_risk and location_category_risk.
4. `ml.registry.save_model(model, models_dir)`: joblib + JSON metadata, with a version;
   `ml.model_evaluations.count_plan` + `record_scored_version`: the version's scored state,
   frozen for its evaluation.
5. `ml.cycle_counts.select_locations` (sensor: threshold, cooldown, request ids), then
   `estimate_sku_discrepancies`, `build_requests`, `outbox_payloads`, `write_outbox` (job).
6. `ml.model_evaluations.evaluate_version(con, version, landing)`: `ml.evaluation.evaluate`
   of the version's frozen state against the simulator's ground truth (never for scoring),
   kept per version.
"""
