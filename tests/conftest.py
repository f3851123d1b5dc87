"""Shared fixtures: every test runs against its own OMNISTOCK_HOME and DAGSTER_HOME in tmp."""

from __future__ import annotations

import pytest


@pytest.fixture
def omnistock_home(tmp_path, monkeypatch):
    """An isolated Omnistock home (landing, warehouse, outbox, Dagster home) under tmp_path."""
    from omnistock.config import get_settings

    home = tmp_path / "omnistock"
    monkeypatch.setenv("OMNISTOCK_HOME", str(home))
    # setenv on every key export_environment() writes, so monkeypatch restores them all.
    monkeypatch.setenv("OMNISTOCK_LANDING_DIR", str(home / "landing"))
    monkeypatch.setenv("OMNISTOCK_WAREHOUSE", str(home / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster_home"))
    from omnistock.runtime import prepare_dagster_home

    return prepare_dagster_home(get_settings())


def pytest_sessionstart(session):
    """Prepare the dbt manifest before collection: test modules import the code location,
    which loads the manifest (prepared explicitly, never at import time)."""
    from orchestration.defs.transform import prepare_manifest

    prepare_manifest()
