"""ml.inputs: the SQL adapter reads the marts it names, within the right windows.

The first test uses hand-made mart tables (just the columns ml reads); the second runs the
adapter on the marts dbt builds from the tiny hand-made dataset of the dbt tests.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from ml.features import FeatureConfig, location_category_features, location_features
from ml.input_frames import INPUT_SCHEMAS
from ml.inputs import data_as_of, load_risk_inputs

AS_OF = datetime(2026, 3, 29, 12, 0)
INSIDE, BEFORE_WINDOW, BEFORE_HISTORY = "2026-03-28 10:00", "2026-03-10 10:00", "2026-02-20"

MART_DDL = f"""
create schema marts;
create schema staging;
create schema intermediate;
create table intermediate.int_data_horizon as
    select timestamp '2026-03-29 12:00' as horizon_at, date '2026-03-29' as horizon_date;
create table marts.dim_locations as select * from (values
    ('S1', 'store', 'north', 'North 1'), ('D1', 'dc', 'north', 'North DC'))
    t(location_id, location_type, region, location_name);
create table marts.dim_skus as select * from (values ('A1', 'apparel', 'A', 10.0, 20.0))
    t(sku, category, abc_class, unit_cost, unit_price);
create table marts.fct_cycle_counts as select location_id, sku, counted_at::timestamp
    as counted_at, is_accurate, variance_quantity::bigint as variance_quantity from (values
    ('S1', 'A1', '{INSIDE}', false, -2), ('S1', 'A1', '{BEFORE_WINDOW}', true, 0),
    ('S1', 'A1', '{BEFORE_HISTORY}', false, -4), ('S1', 'A1', '2026-03-30', false, -4))
    t(location_id, sku, counted_at, is_accurate, variance_quantity);
create table marts.fct_inventory_adjustments as select location_id, sku,
    adjusted_at::timestamp as adjusted_at, reason_code, quantity::bigint as quantity from (values
    ('S1', 'A1', '{INSIDE}', 'shrink', -2), ('S1', 'A1', '{BEFORE_WINDOW}', 'shrink', -9))
    t(location_id, sku, adjusted_at, reason_code, quantity);
create table marts.fct_transfers as select origin_location_id, destination_location_id, sku,
    received_at::timestamp as received_at, is_received_short from (values
    ('D1', 'S1', 'A1', '{INSIDE}', true), ('D1', 'S1', 'A1', null, null))
    t(origin_location_id, destination_location_id, sku, received_at, is_received_short);
create table marts.fct_reservations as select location_id, sku,
    first_requested_at::timestamp as first_requested_at, requests::bigint as requests,
    confirmations::bigint as confirmations, failures::bigint as failures from (values
    ('S1', 'A1', '{INSIDE}', 2, 1, 1)) t(location_id, sku, first_requested_at, requests,
    confirmations, failures);
create table marts.fct_order_lines as select oversell_location_id, sku,
    cancelled_at::timestamp as cancelled_at, is_oversold from (values
    ('S1', 'A1', '{INSIDE}', true), (null, 'A1', '{INSIDE}', false))
    t(oversell_location_id, sku, cancelled_at, is_oversold);
create table marts.fct_stock_positions as select location_id, sku,
    position_date::date as position_date, closing_quantity::bigint as closing_quantity,
    is_negative, sales_quantity::bigint as sales_quantity, transfer_out_quantity::bigint
    as transfer_out_quantity from (values
    ('S1', 'A1', '2026-03-28', 4, false, 1, 0), ('S1', 'A1', '2026-03-05', 4, false, 1, 0),
    ('S1', 'A1', '2026-02-20', 4, false, 1, 0)) t(location_id, sku, position_date,
    closing_quantity, is_negative, sales_quantity, transfer_out_quantity);
create table staging.stg_inventory_events as select location_id, event_type,
    occurred_at::timestamp as occurred_at, emitted_at::timestamp as emitted_at from (values
    ('S1', 'sale', '{INSIDE}', '2026-03-28 10:20'), (null, 'api_call', '{INSIDE}', '{INSIDE}'),
    ('S1', 'sale', '2026-03-29 12:00', '2026-03-29 12:01'))
    t(location_id, event_type, occurred_at, emitted_at);
create table marts.fct_returns as select location_id, sku, received_at::timestamp
    as received_at, is_stalled from (values
    ('D1', 'A1', '{INSIDE}', true)) t(location_id, sku, received_at, is_stalled);
"""


@pytest.fixture
def marts():
    con = duckdb.connect()
    con.execute(MART_DDL)
    yield con
    con.close()


def test_loads_each_concern_within_its_window(marts):
    assert data_as_of(marts) == datetime(2026, 3, 29, 12, 0)
    inputs = load_risk_inputs(marts, AS_OF, FeatureConfig(window_days=14, history_days=28))
    for name, schema in INPUT_SCHEMAS.items():
        assert getattr(inputs, name).schema == pl.Schema(schema), name
    # Counts and positions reach back over the 28-day history, the rest over 14 days.
    assert inputs.cycle_counts["counted_at"].to_list() == [
        datetime(2026, 3, 28, 10),
        datetime(2026, 3, 10, 10),
    ]
    assert inputs.stock_positions["position_date"].to_list() == [
        date(2026, 3, 28),
        date(2026, 3, 5),
    ]
    assert inputs.adjustments["quantity"].to_list() == [-2]
    assert inputs.transfers.height == 1  # the line still in transit has no receipt yet
    assert inputs.oversells.rows() == [("S1", "A1", datetime(2026, 3, 28, 10))]
    assert inputs.event_lags.rows() == [
        ("S1", "sale", datetime(2026, 3, 28, 10), datetime(2026, 3, 28, 10, 20)),
        ("S1", "sale", datetime(2026, 3, 29, 12), datetime(2026, 3, 29, 12, 1)),
    ]
    assert inputs.locations["location_id"].to_list() == ["D1", "S1"]

    s1 = location_features(inputs, AS_OF).filter(pl.col("location_id") == "S1").row(0, named=True)
    assert s1["count_discrepancy_rate"] == 1.0  # the one count inside the window was off
    assert s1["inbound_short_receipt_rate"] == 1.0
    assert s1["feed_lag_p95_min"] == pytest.approx(1 + 0.95 * 19)


@pytest.mark.slow
def test_reads_the_marts_dbt_builds(tmp_path_factory):
    from dbt_fixtures import built_base_warehouse

    warehouse, _ = built_base_warehouse(tmp_path_factory)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = data_as_of(con)
        inputs = load_risk_inputs(con, as_of)
    assert inputs.locations.height > 0 and inputs.skus.height > 0
    for name in (
        "cycle_counts",
        "transfers",
        "reservations",
        "stock_positions",
        "event_lags",
        "returns",
    ):
        assert getattr(inputs, name).height > 0, name
    features = location_features(inputs, as_of)
    assert features.height == inputs.locations.height
    assert location_category_features(inputs, as_of).height > 0
