"""Shared fixtures: every test runs against its own OMNISTOCK_HOME and DAGSTER_HOME in tmp."""

from __future__ import annotations

import pytest


@pytest.fixture
def omnistock_home(tmp_path, monkeypatch):
    """An isolated Omnistock home (landing, warehouse, outbox, Dagster home) under tmp_path."""

    from homes import isolated_home

    # setenv on every key export_environment() writes, so monkeypatch restores them all.
    with isolated_home(tmp_path / "omnistock", monkeypatch) as settings:
        return settings


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
