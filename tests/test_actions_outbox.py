"""omnistock.actions.outbox: the payload of docs/architecture.md and its files."""

from __future__ import annotations

import json

import polars as pl
from test_ml_count_policy import AS_OF, expected_estimates, sku_inputs

from ml.count_policy import CycleCountPolicy, build_requests, select_locations
from ml.sku_discrepancies import estimate_sku_discrepancies
from omnistock.actions.outbox import outbox_payloads, write_outbox


def test_outbox_payload_and_files(tmp_path):
    estimates = estimate_sku_discrepancies(sku_inputs(), AS_OF)
    selected = select_locations(
        pl.DataFrame(
            {
                "location_id": ["S1"],
                "risk_score": [0.97],
                "risk_rank": [1],
                "reason": ["shrink 3.0x peer median"],
            }
        ),
        AS_OF,
    )
    requests, lines = build_requests(
        selected, estimates, AS_OF, CycleCountPolicy(max_skus_per_location=2)
    )
    payloads = outbox_payloads(requests, lines)
    value = expected_estimates()["A1"][1]
    assert payloads == [
        {
            "request_id": "CC-S1-20260329",
            "location_id": "S1",
            "requested_at": "2026-03-29T12:00:00Z",
            "reason": "shrink 3.0x peer median",
            "skus": [
                {"sku": "A1", "expected_discrepancy_value": round(value, 2)},
                {"sku": "A2", "expected_discrepancy_value": 10.0},
            ],
        }
    ]
    paths = list(write_outbox(payloads, tmp_path / "outbox").values())
    assert [p.name for p in paths] == ["CC-S1-20260329.json"]
    assert json.loads(paths[0].read_text()) == payloads[0]
    assert not list((tmp_path / "outbox").glob("*.tmp"))


def test_outbox_file_names_stay_inside_the_outbox(tmp_path):
    """A location_id from reference data may hold `/` or `..`: the file name is encoded."""
    payload = {"request_id": "CC-../x/S1-20260329", "location_id": "../x/S1", "skus": []}
    path = write_outbox([payload], tmp_path / "outbox")[payload["request_id"]]
    assert path.parent == tmp_path / "outbox"
    assert path.name == "CC-..%2Fx%2FS1-20260329.json"
    assert json.loads(path.read_text()) == payload
