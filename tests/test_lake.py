"""The Parquet lake (omnistock.lake) on a hand-made store, the raw_lake asset, and how the
engine setting wires Dagster (OMNISTOCK_ENGINE). No Spark session starts here
(tests/test_spark_equality.py builds on Spark)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import dagster as dg
import duckdb
import pytest
from dbt_fixtures import LOCATIONS, SKUS, append_events, create_raw_warehouse, event_rows, ts

from omnistock.config import Settings
from omnistock.lake import (
    MANIFEST_NAME,
    get_engine,
    lake_dir,
    lake_url,
    mirror_lake,
    publish_lake,
    spark_dir,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _event(event_id, event_type, source_system, occurred_at, case_id, **fields) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "source_system": source_system,
        "occurred_at": occurred_at.isoformat(),
        "case_id": case_id,
        **fields,
    }


def _store(tmp_path):
    """Four events: two pos sales on 03-01, an erp snapshot on 03-01, a pos sale on 03-02."""
    at_s001 = {"location_id": "S001", "sku": "SKU1"}
    events = [
        _event("e001", "sale", "pos", ts(1, 9), "t1", **at_s001, quantity=1),
        _event(
            "e002",
            "sale",
            "pos",
            ts(1, 23, 59, 59),
            "t2",
            location_id="S002",
            sku="SKU2",
            quantity=2,
        ),
        _event("e003", "stock_snapshot", "erp", ts(1), "s1", **at_s001, quantity=9),
        _event("e004", "sale", "pos", ts(2, 0, 0, 1), "t3", **at_s001, quantity=1),
    ]
    return create_raw_warehouse(tmp_path / "warehouse.duckdb", event_rows(events, ts(3, 1)))


def _partitions(lake):
    return sorted(
        str(path.relative_to(lake / "inventory_events"))
        for path in (lake / "inventory_events").glob("*=*/*=*")
    )


def _read_back(lake):
    """The lake's events as a hive-partitioned reader sees them."""
    with duckdb.connect() as con:
        return con.execute(
            "select event_id, source_system, occurred_date, occurred_at, quantity "
            "from read_parquet(?, hive_partitioning = true) order by event_id",
            [str(lake / "inventory_events" / "*" / "*" / "*.parquet")],
        ).fetchall()


def test_lake_layout_partitions_events_by_day_and_source(tmp_path):
    warehouse, lake = _store(tmp_path), tmp_path / "lake"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        report = publish_lake(con, lake)

    assert report.rewritten
    assert report.rows == {"inventory_events": 4, "locations": 3, "skus": 2}
    assert report.partitions == 3
    assert _partitions(lake) == [
        "occurred_date=2026-03-01/source_system=erp",
        "occurred_date=2026-03-01/source_system=pos",
        "occurred_date=2026-03-02/source_system=pos",
    ]
    # the partition columns come back from the folder names, the UTC day of occurred_at
    d1, d2 = datetime(2026, 3, 1).date(), datetime(2026, 3, 2).date()
    assert _read_back(lake) == [
        ("e001", "pos", d1, ts(1, 9), 1),
        ("e002", "pos", d1, ts(1, 23, 59, 59), 2),
        ("e003", "erp", d1, ts(1), 9),
        ("e004", "pos", d2, ts(2, 0, 0, 1), 1),
    ]
    # a file holds no partition column
    with duckdb.connect() as con:
        columns = [
            row[0]
            for row in con.execute(
                "describe select * from read_parquet(?, hive_partitioning = false)",
                [str(next((lake / "inventory_events").rglob("*.parquet")))],
            ).fetchall()
        ]
    assert "source_system" not in columns and "occurred_date" not in columns
    assert "event_id" in columns and "ingested_at" in columns
    # reference tables: one file each, in a folder of their own
    with duckdb.connect() as con:
        locations = con.execute(
            "select * from read_parquet(?) order by location_id",
            [str(lake / "locations" / "locations.parquet")],
        ).fetchall()
        skus = con.execute(
            "select * from read_parquet(?) order by sku", [str(lake / "skus" / "skus.parquet")]
        ).fetchall()
    assert locations == sorted(LOCATIONS) and skus == sorted(SKUS)
    manifest = json.loads((lake / MANIFEST_NAME).read_text())
    assert manifest["rows"] == report.rows
    assert manifest["partitioned_by"] == {"inventory_events": ["occurred_date", "source_system"]}


def test_publish_is_idempotent_and_rewrites_the_whole_lake_on_change(tmp_path):
    warehouse, lake = _store(tmp_path), tmp_path / "lake"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_lake(con, lake)
    first_files = {path: path.stat().st_mtime_ns for path in lake.rglob("*.parquet")}

    with duckdb.connect(str(warehouse), read_only=True) as con:
        unchanged = publish_lake(con, lake)
    assert not unchanged.rewritten
    assert {path: path.stat().st_mtime_ns for path in lake.rglob("*.parquet")} == first_files

    # a late event for 03-01 arrives and the erp snapshot is removed (e.g. a recovery):
    # the erp partition disappears, no stale file survives
    late = _event(
        "late001", "sale", "pos", ts(1, 12), "t9", location_id="S001", sku="SKU1", quantity=3
    )
    append_events(warehouse, event_rows([late], ts(3, 2)))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.inventory_events where event_type = 'stock_snapshot'")
    # a publish that died midway left its staging folder behind
    (tmp_path / ".lake.staging" / "junk").mkdir(parents=True)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        changed = publish_lake(con, lake)
    assert changed.rewritten and changed.rows["inventory_events"] == 4
    assert _partitions(lake) == [
        "occurred_date=2026-03-01/source_system=pos",
        "occurred_date=2026-03-02/source_system=pos",
    ]
    assert [row[0] for row in _read_back(lake)] == ["e001", "e002", "e004", "late001"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["lake", "warehouse.duckdb"]


def test_mirror_copies_the_lake_and_drops_what_it_no_longer_holds(tmp_path):
    """The object-storage copy, through a file:// URL (the same pyarrow code path as s3://)."""
    warehouse, lake, copy = _store(tmp_path), tmp_path / "lake", tmp_path / "bucket" / "lake"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_lake(con, lake)
    assert mirror_lake(lake, f"file://{copy}") == 5  # 3 partition files, 2 reference files
    assert _read_back(copy) == _read_back(lake)
    assert (copy / MANIFEST_NAME).read_bytes() == (lake / MANIFEST_NAME).read_bytes()
    assert mirror_lake(lake, f"file://{copy}") == 0  # same manifest: nothing to copy

    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from raw.inventory_events where source_system = 'erp'")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_lake(con, lake)
    assert mirror_lake(lake, f"file://{copy}") == 4
    assert _partitions(copy) == _partitions(lake)
    assert not (
        copy / "inventory_events" / "occurred_date=2026-03-01" / "source_system=erp"
    ).exists()
    assert [row[0] for row in _read_back(copy)] == ["e001", "e002", "e004"]


def test_raw_lake_asset_publishes_into_the_lake_dir(omnistock_home, monkeypatch, tmp_path):
    from orchestration.defs.lake import raw_lake
    from orchestration.resources import resources_for

    _store(tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    lake = tmp_path / "published"
    monkeypatch.setenv("OMNISTOCK_LAKE_DIR", str(lake))
    settings = Settings(omnistock_home.home, omnistock_home.landing_dir, warehouse)

    result = dg.materialize(
        [raw_lake], resources=resources_for(settings), instance=dg.DagsterInstance.ephemeral()
    )

    assert result.success
    [materialization] = result.asset_materializations_for_node("raw_lake")
    assert materialization.metadata["dagster/row_count"].value == 4
    assert materialization.metadata["partitions"].value == 3
    assert materialization.metadata["rewritten"].value is True
    assert len(_read_back(lake)) == 4


def test_engine_setting_is_checked(monkeypatch):
    monkeypatch.delenv("OMNISTOCK_ENGINE", raising=False)
    assert get_engine() == "duckdb"
    monkeypatch.setenv("OMNISTOCK_ENGINE", "postgres")
    with pytest.raises(ValueError, match="OMNISTOCK_ENGINE must be one of duckdb, spark"):
        get_engine()


def test_lake_and_spark_folders_default_under_the_home(tmp_path, monkeypatch):
    settings = Settings(tmp_path / "home", tmp_path / "landing", tmp_path / "w.duckdb")
    for name in ("OMNISTOCK_LAKE_DIR", "OMNISTOCK_LAKE_URL", "OMNISTOCK_SPARK_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert lake_dir(settings) == tmp_path / "home" / "lake"
    assert spark_dir(settings) == tmp_path / "home" / "spark"
    assert lake_url() is None
    monkeypatch.setenv("OMNISTOCK_LAKE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("OMNISTOCK_LAKE_URL", "s3a://bucket/omnistock/lake")
    assert lake_dir(settings) == tmp_path / "elsewhere"
    assert lake_url() == "s3a://bucket/omnistock/lake"


WIRING = """
import json
from orchestration.definitions import defs
from orchestration.jobs import PIPELINE_JOB_NAME
import dagster as dg
job = defs.resolve_job_def(PIPELINE_JOB_NAME)
keys = {key.to_user_string() for key in job.asset_layer.asset_graph.get_all_asset_keys()
        if job.asset_layer.asset_graph.get(key).is_executable}
specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
staging = specs["staging/stg_inventory_events"]
print(json.dumps({
    "target": defs.resources["dbt"].target,
    "lake_in_pipeline": "raw_lake" in keys,
    "staging_deps": sorted(dep.asset_key.to_user_string() for dep in staging.deps),
    "kinds": sorted(specs["marts/kpi_daily"].kinds),
}))
"""


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_engine_picks_the_dbt_target_and_the_lake_step(engine, tmp_path):
    """The code location loaded with OMNISTOCK_ENGINE (a fresh process: it is read at load)."""
    if engine == "spark":
        pytest.importorskip("pyspark", reason="pyspark is not installed (the `spark` extra)")
    env = {**os.environ, "OMNISTOCK_ENGINE": engine, "OMNISTOCK_HOME": str(tmp_path / "home")}
    env.pop("OMNISTOCK_WAREHOUSE", None)
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-c", WIRING], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    wiring = json.loads(result.stdout.strip().splitlines()[-1])
    assert wiring["target"] == engine
    assert wiring["lake_in_pipeline"] is (engine == "spark")
    expected_deps = ["raw/inventory_events"] + (["raw_lake"] if engine == "spark" else [])
    assert wiring["staging_deps"] == expected_deps
    assert wiring["kinds"] == sorted({"dbt", engine})
