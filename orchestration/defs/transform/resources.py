"""The dbt CLI resource of the transform code."""

from __future__ import annotations

import os

from dagster_dbt import DbtCliResource

from omnistock.config import get_engine

from .project import get_dbt_project


def dbt_target() -> str:
    """The profiles.yml output dbt runs against: the engine's (`duckdb`, `spark`: a local
    session), unless OMNISTOCK_DBT_TARGET names another one (e.g. `spark_cluster`)."""
    return os.environ.get("OMNISTOCK_DBT_TARGET") or get_engine()


def dbt_resource() -> DbtCliResource:
    # Runs write their artifacts to $DBT_TARGET_PATH/<run> (default target/<run>), so
    # concurrent runs never share a target folder.
    return DbtCliResource(project_dir=get_dbt_project(), target=dbt_target())
