"""The Omnistock code location: one Definitions merged from the per-domain modules.

The dbt manifest must exist before this loads: `omnistock run` prepares it, `dagster dev`
prepares it itself, and tests prepare it in a session fixture.
"""

import dagster as dg

from omnistock.runtime import prepare_dagster_home
from orchestration.defs import actions, dashboards, ingest, intelligence, interop, transform
from orchestration.jobs import ocel_export_job, pipeline_job
from orchestration.resources import build_resources

# Resolve OMNISTOCK_* to absolute paths in the environment the resources read at run time.
prepare_dagster_home()

defs = dg.Definitions.merge(
    ingest.defs,
    transform.defs,
    intelligence.defs,
    actions.defs,
    dashboards.defs,
    interop.defs,
    dg.Definitions(
        jobs=[pipeline_job, ocel_export_job],
        resources=build_resources(),
        # Steps of a run execute one after another in one process: DuckDB has one writer.
        executor=dg.in_process_executor,
    ),
)
