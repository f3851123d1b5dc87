"""What `dagster dev` and `dagster definitions validate` load (workspace.yaml).

The code location itself (`orchestration.definitions`) is a library without import-time side
effects. Loading it for a server is an application's act: resolve the OMNISTOCK_* paths to
absolute ones in the environment that resources, dbt and run workers read, and write the Dagster
instance settings (one run and one warehouse writer at a time), then hand over the definitions.
"""

from omnistock.app.runtime import prepare_dagster_home

prepare_dagster_home()

from orchestration.definitions import defs  # noqa: E402  (the set-up must come first)

__all__ = ["defs"]
