"""Producers against the one declaration of the tables they write (omnistock.tables).

The pipeline job runs for real on the simulator's `tiny` scenario; every table ml and the
cycle-count action write must then have exactly the declared columns, in the declared order,
with the declared DuckDB types, NOT NULL constraints and primary keys. ml's own names
(feature labels, rate parts, evidence columns, detector score columns) must agree with the
declaration too, and a frame that drifted from it is refused with a message naming the table
and the columns.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import duckdb
import polars as pl
import pytest
from homes import isolated_home

import simulator
from ml.detector_registry import DETECTORS
from ml.detectors import DEFAULT_DETECTOR_CONFIG, LOCATION_CATEGORY_LEVEL, LOCATION_LEVEL
from ml.features import FEATURE_LABELS, RATE_PARTS, SUPPORT_COLUMNS
from omnistock.actions import request_store
from omnistock.tables import (
    CYCLE_COUNT_REQUESTS,
    EVIDENCE_COLUMNS,
    LOCATION_CATEGORY_FEATURES,
    LOCATION_CATEGORY_RISK,
    LOCATION_FEATURES,
    LOCATION_RISK,
    TABLES,
    TableContractError,
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The warehouse after one pipeline run on `tiny` (seed 7)."""
    from orchestration.jobs import PIPELINE_JOB_NAME

    home = tmp_path_factory.mktemp("contracts") / "omnistock"
    with isolated_home(home) as settings:
        simulator.simulate(simulator.get_scenario("tiny", seed=7), settings.landing_dir)
        from orchestration.definitions import defs

        with dg.instance_for_test() as instance:
            result = defs.resolve_job_def(PIPELINE_JOB_NAME).execute_in_process(
                instance=instance, raise_on_error=False
            )
        assert result.success
        yield settings.warehouse


def _columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[tuple[str, str, bool]]:
    """(column, type, nullable) in table order."""
    return [
        (column, kind, nullable == "YES")
        for column, kind, nullable in con.execute(
            "select column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]


def _primary_key(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> tuple[str, ...]:
    rows = con.execute(
        "select constraint_column_names from duckdb_constraints() "
        "where schema_name = ? and table_name = ? and constraint_type = 'PRIMARY KEY'",
        [schema, name],
    ).fetchall()
    return tuple(rows[0][0]) if rows else ()


@pytest.mark.slow
@pytest.mark.parametrize("qualified_name", sorted(TABLES))
def test_every_written_table_is_as_declared(warehouse, qualified_name):
    table = TABLES[qualified_name]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        written = _columns(con, table.schema, table.name)
        [(rows,)] = con.execute(f"select count(*) from {qualified_name}").fetchall()
        primary_key = _primary_key(con, table.schema, table.name)
    required = {*table.not_null, *table.primary_key}
    assert written == [(c, kind, c not in required) for c, kind in table.columns.items()]
    assert rows > 0  # the producer ran and wrote something to compare
    assert primary_key == table.primary_key


def test_ml_names_the_declared_features():
    assert set(FEATURE_LABELS) == set(LOCATION_FEATURES)
    # every feature but feed lag (a p95, not a rate) is a declared rate with its evidence
    assert set(RATE_PARTS) | {"feed_lag_p95_min"} == set(LOCATION_FEATURES)
    assert tuple(EVIDENCE_COLUMNS) == SUPPORT_COLUMNS
    assert LOCATION_LEVEL.feature_names == LOCATION_FEATURES
    assert LOCATION_CATEGORY_LEVEL.feature_names == LOCATION_CATEGORY_FEATURES


def test_the_default_detectors_scores_are_declared_after_the_combined_score():
    score_columns = [DETECTORS[name].score_column for name in DEFAULT_DETECTOR_CONFIG.detectors]
    for table in (LOCATION_RISK, LOCATION_CATEGORY_RISK):
        columns = list(table.columns)
        start = columns.index("combined_score") + 1
        assert columns[start : start + len(score_columns)] == score_columns


def test_a_drifted_frame_is_refused_with_the_table_and_columns_named():
    row = {column: None for column in CYCLE_COUNT_REQUESTS.columns}
    drifted = pl.DataFrame([row]).drop("sku_count").with_columns(pl.lit(1).alias("skus"))
    with pytest.raises(TableContractError) as refused:
        CYCLE_COUNT_REQUESTS.conform(drifted)
    assert str(refused.value) == (
        "actions.cycle_count_requests: missing columns ['sku_count']; undeclared columns ['skus']"
    )
    conformed = CYCLE_COUNT_REQUESTS.conform(pl.DataFrame([row]))
    assert conformed.schema == CYCLE_COUNT_REQUESTS.polars_schema()


def test_a_producer_refuses_to_write_a_drifted_frame():
    """The request store conforms before it writes: a request frame without its risk score
    never reaches the table."""
    requests = pl.DataFrame(
        {
            "request_id": ["CC-S1-20260329"],
            "location_id": ["S1"],
            "requested_at": [datetime(2026, 3, 29, 12)],
            "risk_rank": [1],
            "reason": ["shrink 3.0x peer median"],
            "sku_count": [1],
            "expected_discrepancy_value": [10.0],
        }
    )
    with (
        duckdb.connect() as con,
        pytest.raises(TableContractError, match=r"missing columns \['risk_score'\]"),
    ):
        request_store.record_requests(con, requests, pl.DataFrame(), {})
