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
    from omnistock.app.runtime import prepare_dagster_home

    return prepare_dagster_home(get_settings())


@pytest.fixture
def landing(tmp_path):
    """A landing folder holding the ingestion tests' reference data (ingest_helpers.py)."""
    from ingest_helpers import write_reference

    folder = tmp_path / "landing"
    write_reference(folder)
    return folder


@pytest.fixture
def con(tmp_path, landing):
    """A warehouse file with the raw schema and `landing`'s reference data loaded."""
    import duckdb

    from omnistock import ingest

    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest.ensure_schema(connection)
    ingest.load_reference(connection, landing)
    yield connection
    connection.close()


def pytest_sessionstart(session):
    """Prepare the dbt manifest before collection: test modules import the code location,
    which loads the manifest (prepared explicitly, never at import time)."""
    from orchestration.defs.transform import prepare_manifest

    prepare_manifest()
