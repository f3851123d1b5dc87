"""Prepare a Dagster home so runs launched by the CLI, the UI and sensors share one instance."""

from __future__ import annotations

from pathlib import Path

from omnistock.config import Settings, export_environment

# One run at a time and one op per pool: DuckDB allows a single writer process.
DAGSTER_YAML = """\
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def prepare_dagster_home(settings: Settings | None = None) -> Settings:
    settings = export_environment(settings)
    config_file = Path(settings.dagster_home) / "dagster.yaml"
    if not config_file.exists():
        config_file.write_text(DAGSTER_YAML)
    return settings
