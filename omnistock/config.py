"""One place for every path setting.

`OMNISTOCK_HOME` (default `.omnistock/` in the working folder) holds `landing/`,
`warehouse.duckdb`, `outbox/`, `snapshots/` and `dagster_home/`.
`OMNISTOCK_LANDING_DIR` and `OMNISTOCK_WAREHOUSE` override those two.

The warehouse path is exported back to the environment as an absolute path so that
dbt's `profiles.yml` (`env_var('OMNISTOCK_WAREHOUSE')`) and the Dagster DuckDB resource
always read the same file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SOURCE_SYSTEMS = (
    "pos",
    "ecommerce",
    "marketplace",
    "oms",
    "wms",
    "erp",
    "supplier_portal",
    "customer_service",
    "integration_gateway",
)


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    warehouse: Path

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def cycle_count_outbox(self) -> Path:
        return self.outbox_dir / "cycle_counts"

    @property
    def snapshots_dir(self) -> Path:
        return self.home / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.home / "dagster_home").resolve()


def _abs(value: str | os.PathLike) -> Path:
    return Path(value).expanduser().resolve()


def get_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where a path is needed)."""
    home = _abs(os.environ.get("OMNISTOCK_HOME") or ".omnistock")
    landing = _abs(os.environ.get("OMNISTOCK_LANDING_DIR") or home / "landing")
    warehouse = _abs(os.environ.get("OMNISTOCK_WAREHOUSE") or home / "warehouse.duckdb")
    return Settings(home=home, landing_dir=landing, warehouse=warehouse)


def export_environment(settings: Settings | None = None) -> Settings:
    """Write the resolved absolute paths to the environment for dbt and Dagster children."""
    settings = settings or get_settings()
    os.environ["OMNISTOCK_HOME"] = str(settings.home)
    os.environ["OMNISTOCK_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["OMNISTOCK_WAREHOUSE"] = str(settings.warehouse)
    os.environ.setdefault("DAGSTER_HOME", str(settings.home / "dagster_home"))
    for folder in (
        settings.home,
        settings.landing_dir,
        settings.dagster_home,
        settings.warehouse.parent,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    return settings
