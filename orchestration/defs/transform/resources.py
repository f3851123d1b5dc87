"""The dbt CLI resource of the transform code."""

from __future__ import annotations

from dagster_dbt import DbtCliResource

from omnistock.config import get_engine

from .project import get_dbt_project


def dbt_resource() -> DbtCliResource:
    # Runs write their artifacts to $DBT_TARGET_PATH/<run> (default target/<run>), so
    # concurrent runs never share a target folder. The dbt target is the engine
    # (OMNISTOCK_ENGINE: duckdb or spark, profiles.yml).
    return DbtCliResource(project_dir=get_dbt_project(), target=get_engine())
