"""The one adapter between the warehouse and `ml`: loads `RiskInputs` from the marts.

All of ml's SQL lives here, with values as bound parameters (`con.sql(sql, params=...)`;
in DuckDB 2 `.pl()` is a relation method). Frames cover the trailing history
(`FeatureConfig.history_days`, at least the window) for the concerns that look back further
than the feature window (cycle counts for days since last count, stock positions for the
sales history), and the feature window for the rest. Rules come as the marts' flags
(is_accurate, is_received_short, is_negative, is_stalled): ml never recomputes them.
"""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from .features import DEFAULT_FEATURE_CONFIG, FeatureConfig
from .input_frames import RiskInputs, Window, to_naive_utc

# Feed lag needs every event naming the location; no mart keeps emitted_at per event.
EVENTS_TABLE = "staging.stg_inventory_events"
# The data's "now" as dbt defines it (the earliest regular-feed watermark; SPEC 5).
HORIZON_TABLE = "intermediate.int_data_horizon"

QUERIES = {
    "locations": "select location_id, location_type, region from marts.dim_locations",
    "skus": "select sku, category, abc_class, unit_cost from marts.dim_skus",
    "cycle_counts": """
        select location_id, sku, counted_at, is_accurate, variance_quantity
        from marts.fct_cycle_counts
        where counted_at > $history_start and counted_at <= $as_of
    """,
    "adjustments": """
        select location_id, sku, adjusted_at, reason_code, quantity
        from marts.fct_inventory_adjustments
        where adjusted_at > $window_start and adjusted_at <= $as_of
    """,
    "transfers": """
        select origin_location_id, destination_location_id, sku, received_at, is_received_short
        from marts.fct_transfers
        where received_at > $window_start and received_at <= $as_of
    """,
    "reservations": """
        select location_id, sku, first_requested_at, requests, confirmations, failures
        from marts.fct_reservations
        where first_requested_at > $window_start and first_requested_at <= $as_of
    """,
    "oversells": """
        select oversell_location_id as location_id, sku, cancelled_at as oversold_at
        from marts.fct_order_lines
        where is_oversold and cancelled_at > $window_start and cancelled_at <= $as_of
    """,
    "stock_positions": """
        select location_id, sku, position_date, closing_quantity, is_negative, sales_quantity,
               transfer_out_quantity
        from marts.fct_stock_positions
        where position_date between $history_first_day and $as_of_day
    """,
    "event_lags": f"""
        select location_id, event_type, occurred_at, emitted_at
        from {EVENTS_TABLE}
        where location_id is not null and occurred_at > $window_start and occurred_at <= $as_of
    """,
    "returns": """
        select location_id, sku, received_at, is_stalled
        from marts.fct_returns
        where received_at > $window_start and received_at <= $as_of
    """,
}

_PARAMETER = re.compile(r"\$(\w+)")


def data_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The data's "now": the data horizon the dbt models measure open states at, so a late
    out-of-band file (cycle-count answers) cannot stretch the windows over empty days."""
    rows = con.sql(f"select horizon_at from {HORIZON_TABLE}").fetchall()
    return rows[0][0] if rows else None


def load_risk_inputs(
    con: duckdb.DuckDBPyConnection, as_of: datetime, config: FeatureConfig = DEFAULT_FEATURE_CONFIG
) -> RiskInputs:
    as_of = to_naive_utc(as_of)
    window = Window.ending(as_of, config.window_days)
    history = Window.ending(as_of, max(config.history_days, config.window_days))
    values = {
        "as_of": as_of,
        "as_of_day": as_of.date(),
        "window_start": window.start,
        "history_start": history.start,
        "history_first_day": history.first_day,
    }
    frames = {}
    for name, sql in QUERIES.items():
        # Bind exactly the parameters the query names (DuckDB rejects unused ones).
        params = {key: values[key] for key in _PARAMETER.findall(sql)}
        frames[name] = con.sql(sql, params=params).pl()
    frames["locations"] = frames["locations"].sort("location_id")
    frames["skus"] = frames["skus"].sort("sku")
    return RiskInputs.from_frames(**frames)
