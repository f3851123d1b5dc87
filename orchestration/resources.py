"""Resources shared by every domain, built from the one path setting (omnistock.config)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock.config import Settings, get_settings

# Every asset that writes the warehouse runs in this pool; the instance limits each pool to
# one op at a time (see omnistock.runtime.DAGSTER_YAML), because DuckDB allows one writer.
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


def build_resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    settings = settings or get_settings()
    return {
        "duckdb": DuckDBResource(database=str(settings.warehouse)),
        "paths": OmnistockPaths(
            home=str(settings.home),
            landing_dir=str(settings.landing_dir),
            warehouse=str(settings.warehouse),
        ),
    }
