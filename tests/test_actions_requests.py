"""omnistock.actions.request_counts: the cycle-count use case on a hand-made warehouse (the
marts of tests/test_ml_inputs.py: S1 and D1, one SKU A1 at S1, 10.0 a unit, counted 4 short
on 03-30, after the horizon) with S1 over the threshold."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest
from test_ml_inputs import MART_DDL  # pytest puts tests/ on sys.path

from ml.count_policy import CycleCountPolicy
from omnistock.actions.request_counts import request_cycle_counts

HORIZON = datetime(2026, 3, 29, 12, 0)  # int_data_horizon of MART_DDL


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute(MART_DDL)
    connection.execute(
        "alter table marts.fct_cycle_counts add column variance_value_at_cost double;"
        "update marts.fct_cycle_counts set variance_value_at_cost = variance_quantity * 10.0"
    )
    connection.execute(
        """
        create schema intelligence;
        create table intelligence.location_risk as select * from (values
            ('S1', 0.95, 1, 'shrink 3.0x peer median'), ('D1', 0.5, 2, 'no feature stands out'))
            t(location_id, risk_score, risk_rank, reason);
        """
    )
    yield connection
    connection.close()


def test_a_request_its_outbox_file_its_results_then_the_cooldown(con, tmp_path):
    outbox = tmp_path / "outbox"
    first = request_cycle_counts(con, CycleCountPolicy(risk_threshold=0.9), outbox)
    assert first.requests_created == 1
    assert first.status == {"counted": 1}  # the 03-30 count of A1 came after the request
    [(request_id, path)] = first.outbox_files.items()
    assert request_id == "CC-S1-20260329" and path == outbox / "CC-S1-20260329.json"
    payload = json.loads(path.read_text())
    assert payload["location_id"] == "S1" and payload["requested_at"] == "2026-03-29T12:00:00Z"
    assert [line["sku"] for line in payload["skus"]] == ["A1"]
    assert first.latest_per_location.rows() == [("S1", HORIZON)]
    [row] = first.latest_requests.rows(named=True)
    assert (row["request_id"], row["sku_count"], row["skus_counted"]) == (request_id, 1, 1)
    [(outbox_file, inaccurate, units, value)] = con.execute(
        "select outbox_file, skus_inaccurate, units_corrected, value_corrected "
        "from actions.cycle_count_requests"
    ).fetchall()
    assert (outbox_file, inaccurate, units, value) == (str(path), 1, 4, 40.0)

    # Again on the same data: S1 is in its cooldown, nothing new (and no new file).
    again = request_cycle_counts(con, CycleCountPolicy(risk_threshold=0.9), outbox)
    assert (again.requests_created, again.outbox_files, again.status) == (0, {}, {"counted": 1})


def test_only_the_given_locations_and_only_with_something_to_count(con, tmp_path):
    outbox = tmp_path / "outbox"
    only_d1 = request_cycle_counts(con, CycleCountPolicy(), outbox, locations=["D1"])
    assert (only_d1.requests_created, only_d1.status) == (0, {})
    assert only_d1.latest_per_location.is_empty()
    # D1 over a lowered threshold still holds no stock to count: no request.
    lowered = request_cycle_counts(con, CycleCountPolicy(risk_threshold=0.4), outbox, ["D1"])
    assert (lowered.requests_created, lowered.outbox_files) == (0, {})
    both = request_cycle_counts(con, CycleCountPolicy(risk_threshold=0.4), outbox)
    assert list(both.outbox_files) == ["CC-S1-20260329"]
