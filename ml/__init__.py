"""Location risk and cycle counts (SPEC 6). Plain Python: never imports Dagster.

Modules by role, in the order the orchestration uses them:

1. `ml.inputs`: the one adapter to the marts: `data_as_of(con)` (the data horizon) and
   `load_risk_inputs(con, as_of)`, one polars frame per concern (`ml.input_frames`).
2. `ml.features`: location and location × category features (`ml.scoring.write_features`
   writes them).
3. `ml.detectors`: peer excess (`ml.peers`) → the registered detectors
   (`ml.detector_registry`) → one calibrated risk score; `ml.registry` keeps each fitted
   model with its version. `ml.scoring.score_locations` runs it, writes the risk tables and
   freezes the version's scored state with its count plan (`ml.model_evaluations`).
4. `ml.count_policy` (`CycleCountPolicy`, `select_locations`: threshold, cooldown, request
   ids; `build_requests`) and `ml.sku_discrepancies` (which SKUs are likely wrong),
   chained on the warehouse by `ml.count_plan`: the requests (`omnistock.actions`) and the
   frozen count plan.
5. `ml.model_evaluations.evaluate_version(con, version, landing)`: `ml.evaluation.evaluate`
   of the version's frozen state against the simulator's ground truth (never for scoring),
   kept per version.

Tables are written as `omnistock.tables` declares them.
"""
