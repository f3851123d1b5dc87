"""One memory limit (and thread count) for every DuckDB connection of a run: the app's, the
Dagster resource's and dbt's (omnistock.config.duckdb_config; dbt_project/profiles.yml)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from omnistock.config import (
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    duckdb_config,
    duckdb_memory_limit,
    duckdb_threads,
    export_environment,
)
from omnistock.warehouse import connect
from orchestration.defs.transform.project import DBT_PROJECT_DIR
from orchestration.resources import resources_for

ONE_GB = "953.6 MiB"  # how DuckDB shows a limit of 1GB (10^9 bytes)
SETTINGS_SQL = "select current_setting('memory_limit'), current_setting('threads')"


def test_the_settings_are_read_and_checked(monkeypatch):
    monkeypatch.delenv("OMNISTOCK_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("OMNISTOCK_DUCKDB_THREADS", raising=False)
    assert DEFAULT_DUCKDB_MEMORY_LIMIT == "3GB"
    assert duckdb_config() == {"memory_limit": "3GB"}  # threads: DuckDB's own default
    assert duckdb_threads() is None
    for accepted in ("512MiB", "1.5GB", "50%", "800 MB"):
        monkeypatch.setenv("OMNISTOCK_DUCKDB_MEMORY_LIMIT", accepted)
        assert duckdb_memory_limit() == accepted
    for refused in ("lots", "2", "-1GB", "2GB; drop table x"):
        monkeypatch.setenv("OMNISTOCK_DUCKDB_MEMORY_LIMIT", refused)
        with pytest.raises(ValueError, match="OMNISTOCK_DUCKDB_MEMORY_LIMIT"):
            duckdb_memory_limit()
    monkeypatch.setenv("OMNISTOCK_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("OMNISTOCK_DUCKDB_THREADS", "3")
    assert duckdb_config() == {"memory_limit": "1GB", "threads": "3"}
    for refused in ("0", "two"):
        monkeypatch.setenv("OMNISTOCK_DUCKDB_THREADS", refused)
        with pytest.raises(ValueError, match="OMNISTOCK_DUCKDB_THREADS"):
            duckdb_threads()


def test_app_and_dagster_connections_open_with_the_settings(omnistock_home, monkeypatch):
    monkeypatch.setenv("OMNISTOCK_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("OMNISTOCK_DUCKDB_THREADS", "1")
    with connect(omnistock_home.warehouse) as con:
        assert con.execute(SETTINGS_SQL).fetchall() == [(ONE_GB, 1)]
    with resources_for(omnistock_home)["duckdb"].get_connection() as con:
        assert con.execute(SETTINGS_SQL).fetchall() == [(ONE_GB, 1)]
    with connect(omnistock_home.warehouse, read_only=True) as con:
        assert con.execute(SETTINGS_SQL).fetchall() == [(ONE_GB, 1)]


def test_dbt_builds_with_the_exported_settings(tmp_path, monkeypatch):
    """The project's own profiles.yml, on a one-model project that records the settings."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    shutil.copy(DBT_PROJECT_DIR / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        "name: settings_probe\nversion: '1.0.0'\nconfig-version: 2\nprofile: omnistock\n"
    )
    (project / "models" / "probe.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select current_setting('memory_limit') as memory_limit, "
        "current_setting('threads') as threads\n"
    )
    warehouse = tmp_path / "warehouse.duckdb"
    for name in ("OMNISTOCK_DUCKDB_SETTINGS", "OMNISTOCK_ENGINE", "DBT_TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMNISTOCK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OMNISTOCK_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home" / "dagster_home"))
    monkeypatch.setenv("OMNISTOCK_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("OMNISTOCK_DUCKDB_THREADS", "1")
    export_environment()
    assert json.loads(os.environ["OMNISTOCK_DUCKDB_SETTINGS"]) == {
        "memory_limit": "1GB",
        "threads": "1",
    }
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "run", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        check=True,
        capture_output=True,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select * from main.probe").fetchall() == [(ONE_GB, 1)]
