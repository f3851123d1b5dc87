"""The dbt CLI resource of the transform code."""

from __future__ import annotations

from dagster_dbt import DbtCliResource

from .project import get_dbt_project
from .spark import dbt_target


def dbt_resource() -> DbtCliResource:
    # Runs write their artifacts to $DBT_TARGET_PATH/<run> (default target/<run>), so
    # concurrent runs never share a target folder. The target is the engine (spark.py).
    return DbtCliResource(project_dir=get_dbt_project(), target=dbt_target())
