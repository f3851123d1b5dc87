"""The dbt CLI resource of the transform code."""

from __future__ import annotations

import os
import shutil
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource

from .project import ensure_dbt_on_path, get_dbt_project
from .spark import dbt_target

DBT_LAUNCHER = Path(__file__).with_name("dbt_launcher.sh")


def dbt_resource() -> DbtCliResource:
    # Runs write their artifacts to $DBT_TARGET_PATH/<run> (default target/<run>), so
    # concurrent runs never share a target folder. The target is the engine (spark.py).
    # dbt runs through dbt_launcher.sh, which answers dagster-dbt's per-run `dbt --version`
    # from the installed package instead of starting dbt for it.
    ensure_dbt_on_path()
    os.environ.setdefault("OMNISTOCK_DBT_EXECUTABLE", shutil.which("dbt") or "dbt")
    os.environ["OMNISTOCK_DBT_CORE_VERSION"] = version("dbt-core")
    return DbtCliResource(
        project_dir=get_dbt_project(), target=dbt_target(), dbt_executable=str(DBT_LAUNCHER)
    )
