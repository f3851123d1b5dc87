"""Resources shared by every domain: the warehouse, the paths (omnistock.config) and the
cycle-count policy (orchestration.policy).

Paths are `EnvVar`s resolved when a run starts, not when the code location loads, so the CLI,
`dagster dev` and tests (each with their own OMNISTOCK_* environment) all use the right files.
Whoever loads the code location exports them first (omnistock.app.runtime.prepare_dagster_home).
The warehouse connections take the DuckDB settings (memory limit, threads) of omnistock.config
as they are when the code location loads.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock.config import Settings, duckdb_config
from orchestration.policy import deployed_policy

# Every asset that writes the warehouse runs in this pool; the instance limits each pool to
# one op at a time (see omnistock.app.runtime.DAGSTER_YAML), because DuckDB allows one writer.
WAREHOUSE_POOL = "duckdb_warehouse"


class OmnistockPaths(dg.ConfigurableResource):
    """Where the landing folder, outbox, snapshots and model files live."""

    home: str
    landing_dir: str
    warehouse: str

    @property
    def settings(self) -> Settings:
        return Settings(
            home=Path(self.home), landing_dir=Path(self.landing_dir), warehouse=Path(self.warehouse)
        )


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "duckdb": DuckDBResource(
            database=dg.EnvVar("OMNISTOCK_WAREHOUSE"), connection_config=duckdb_config()
        ),
        "paths": OmnistockPaths(
            home=dg.EnvVar("OMNISTOCK_HOME"),
            landing_dir=dg.EnvVar("OMNISTOCK_LANDING_DIR"),
            warehouse=dg.EnvVar("OMNISTOCK_WAREHOUSE"),
        ),
        "policy": deployed_policy(),
    }


def resources_for(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Resources bound to explicit paths (tests, sensors evaluated by hand); the policy as
    deployed."""
    return {
        "duckdb": DuckDBResource(
            database=str(settings.warehouse), connection_config=duckdb_config()
        ),
        "paths": OmnistockPaths(
            home=str(settings.home),
            landing_dir=str(settings.landing_dir),
            warehouse=str(settings.warehouse),
        ),
        "policy": deployed_policy(),
    }
