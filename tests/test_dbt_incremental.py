"""Incremental models: a new day (plus a late event for an old day) built incrementally
gives exactly what a --full-refresh build gives, without rebuilding untouched history."""

import shutil
from datetime import date, datetime

from dbt_fixtures import DbtRun, append_events, built_base_warehouse, day5_events, query

# bookkeeping columns that legitimately differ between the two paths
# Every incremental model carries its watermark, ingested_through (macros/incremental.sql):
# the one column that legitimately differs between an incremental sequence and a full refresh.
WATERMARK = "ingested_through"


def snapshot(warehouse) -> dict[str, list[tuple]]:
    """Every table of staging, intermediate and marts (views follow from them), sorted."""
    tables = query(
        warehouse,
        """
        select table_schema, table_name from information_schema.tables
        where table_schema in ('staging', 'intermediate', 'marts')
            and table_type = 'BASE TABLE'
        order by 1, 2""",
    )
    result = {}
    for schema, name in tables:
        columns = [
            column
            for (column,) in query(
                warehouse,
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            )
            if column != WATERMARK
        ]
        quoted = ", ".join(f'"{column}"' for column in columns)
        rows = query(warehouse, f"select {quoted} from {schema}.{name} order by all")
        # float sums may differ in the last bits with the order of aggregation
        result[f"{schema}.{name}"] = [
            tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows
        ]
    return result


def test_incremental_build_equals_full_refresh(tmp_path, tmp_path_factory):
    base_warehouse, _ = built_base_warehouse(tmp_path_factory)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(base_warehouse, warehouse)
    dbt = DbtRun(warehouse, tmp_path)
    base_events = query(warehouse, "select count(*) from staging.stg_inventory_events")[0][0]

    append_events(warehouse, day5_events())
    dbt("build", "--exclude-resource-type", "unit_test")

    # the late event (03-02) moved the reprocessing start: 03-01 was left as it was
    watermarks = dict(
        query(
            warehouse,
            """
        select ledger_date, max(ingested_through) from intermediate.int_stock_ledger_daily
        group by ledger_date""",
        )
    )
    assert watermarks[date(2026, 3, 1)] == datetime(2026, 3, 4, 21)
    assert {watermarks[date(2026, 3, day)] for day in (2, 3, 4, 5)} == {datetime(2026, 3, 5, 21)}
    closing = [
        row[0]
        for row in query(
            warehouse,
            """
        select closing_quantity from marts.fct_stock_positions
        where sku = 'SKU1' and location_id = 'S001' order by position_date""",
        )
    ]
    assert closing == [6, 18, 17, 17, 16]
    assert query(warehouse, "select count(*) from staging.stg_inventory_events")[0][0] == (
        base_events + len(day5_events())
    )
    # the end-of-data disruption of 03-04 recovered at 03-05 08:00: 12 h 4 min
    assert query(
        warehouse,
        """
        select value from marts.kpi_daily where kpi_date = '2026-03-04' and dimension = 'all'
            and kpi_name = 'disruption_recovery_time_min'""",
    ) == [(724.0,)]
    incremental = snapshot(warehouse)

    dbt("run", "--full-refresh")
    full_refresh = snapshot(warehouse)

    assert incremental.keys() == full_refresh.keys()
    for table in incremental:
        assert incremental[table] == full_refresh[table], table
    assert len(incremental["marts.kpi_daily"]) > 100
