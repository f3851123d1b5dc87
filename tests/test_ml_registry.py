"""ml.registry: a fitted risk model is recorded whole, with its version and metadata."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import joblib
from polars.testing import assert_frame_equal
from test_ml_detectors import population  # pytest puts tests/ on sys.path

from ml.detectors import fit_risk_model, score_risk
from ml.registry import save_model
from omnistock.tables import LOCATION_FEATURES

FITTED_AT = datetime(2026, 3, 30, 6, 15, 0, tzinfo=UTC)


def test_round_trip_with_version_and_metadata(tmp_path):
    features = population(S040={"shrink_units_per_throughput": 0.02})
    model = fit_risk_model(features)
    record = save_model(model, tmp_path / "models", fitted_at=FITTED_AT)

    assert re.fullmatch(r"20260330T061500Z-[0-9a-f]{12}", record.version)
    assert record.path == tmp_path / "models" / f"location-{record.version}.joblib"
    sidecar = json.loads(record.path.with_suffix(".json").read_text())
    assert sidecar == json.loads(json.dumps(record.metadata, default=str))
    assert sidecar["version"] == record.version
    assert sidecar["fitted_at"] == "2026-03-30T06:15:00Z"
    assert sidecar["features"] == list(LOCATION_FEATURES)
    assert sidecar["training"] == {"rows": 41, "as_of": "2026-03-29T00:00:00", "window_days": 14}
    assert sidecar["parameters"]["random_state"] == 0
    assert sidecar["detectors"]["isolation_forest"]["n_estimators"] == 200

    assert sidecar["detectors"]["nearest_neighbors"]["n_neighbors"] == 6  # 5 peers + itself
    # The file holds the fitted model: what a version scored can be audited.
    stored = joblib.load(record.path)
    assert stored["metadata"] == record.metadata
    assert_frame_equal(score_risk(stored["model"], features), score_risk(model, features))


def test_version_hash_names_the_content(tmp_path):
    features = population()
    same = [
        save_model(fit_risk_model(features), tmp_path, fitted_at=FITTED_AT).version
        for _ in range(2)
    ]
    assert same[0] == same[1]
    other = save_model(fit_risk_model(population(seed=4)), tmp_path, fitted_at=FITTED_AT)
    assert other.version.split("-")[1] != same[0].split("-")[1]
