"""Model records: one joblib file per fitted risk model, plus a JSON sidecar with its
metadata (what the Dagster asset shows without unpickling anything).

The file is the version's record, for audit: which model made the scores a version's
evaluation judges. Nothing in the pipeline loads it (each run fits on the current features);
an analyst reads it with `joblib.load(path)["model"]` (only files this package wrote: joblib
unpickles).

The version is `<fitted_at as YYYYMMDDTHHMMSSZ>-<first 12 hex of the model's sha256>`: the
hash says what was fitted (same data and parameters, same hash), the time when.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import joblib

from .detectors import RiskModel


@dataclass(frozen=True)
class ModelRecord:
    version: str
    path: Path
    metadata: dict


def model_metadata(model: RiskModel) -> dict:
    """Parameters, features and training window of a fitted model (JSON-ready)."""
    return {
        "level": model.level.name,
        "keys": list(model.level.keys),
        "peer_groups": [list(group) for group in model.level.peer_groups],
        "features": list(model.feature_names),
        "evidence_columns": dict(model.evidence_columns),
        "parameters": dataclasses.asdict(model.config),
        "detectors": {name: detector.params() for name, detector in model.detectors.items()},
        "training": dict(model.training),
    }


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def save_model(
    model: RiskModel, models_dir: str | Path, fitted_at: datetime | None = None
) -> ModelRecord:
    """Write `<models_dir>/<level>-<version>.joblib` and its `.json` metadata."""
    fitted_at = (fitted_at or datetime.now(UTC)).astimezone(UTC)
    content = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    version = f"{fitted_at:%Y%m%dT%H%M%SZ}-{hashlib.sha256(content).hexdigest()[:12]}"
    metadata = model_metadata(model) | {
        "version": version,
        "fitted_at": fitted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    folder = Path(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.level.name}-{version}.joblib"
    temporary = path.with_name(path.name + ".tmp")
    joblib.dump({"model": model, "metadata": metadata}, temporary)
    os.replace(temporary, path)
    _write_atomically(
        path.with_suffix(".json"), (json.dumps(metadata, indent=2, default=str) + "\n").encode()
    )
    return ModelRecord(version, path, metadata)
