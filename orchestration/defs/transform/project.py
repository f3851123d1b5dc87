"""The Omnistock dbt project as Dagster sees it, and how its manifest gets prepared.

The manifest (dbt_project/target/manifest.json) is built by ``dbt parse``; nothing here
runs dbt at import time except ``prepare_if_dev()``, which acts only under ``dagster dev``.
Everywhere else (CI, tests, deployments) call ``prepare_manifest()`` first, e.g.::

    python -m orchestration.defs.transform              # or call it from a CLI / fixture
    dagster-dbt project prepare-and-package --file orchestration/defs/transform/project.py
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from omnistock.config import get_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


def ensure_warehouse_env() -> str:
    """profiles.yml reads OMNISTOCK_WAREHOUSE; default it to the settings' warehouse path.

    dbt parse renders the profile but never opens the file, so no folder is created here.
    """
    return os.environ.setdefault("OMNISTOCK_WAREHOUSE", str(get_settings().warehouse))


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH; in an unactivated virtualenv it sits beside python."""
    if shutil.which("dbt") is None:
        bin_dir = str(Path(sys.executable).parent)
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


@functools.cache
def get_dbt_project() -> DbtProject:
    """The cached DbtProject (profiles.yml lives in the project folder)."""
    ensure_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if os.getenv("DAGSTER_IS_DEV_CLI"):
        ensure_warehouse_env()
    project.prepare_if_dev()
    return project


def prepare_manifest() -> Path:
    """Run ``dbt parse`` into the project's target folder and return the manifest path."""
    ensure_warehouse_env()
    project = get_dbt_project()
    project.preparer.prepare(project)
    if not project.manifest_path.exists():
        raise FileNotFoundError(f"dbt parse did not write {project.manifest_path}")
    return project.manifest_path


# Module-level handle for `dagster-dbt project prepare-and-package --file <this file>`.
omnistock_dbt_project = get_dbt_project()
