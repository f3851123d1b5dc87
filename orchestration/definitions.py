"""The Omnistock code location: one Definitions merged from the per-domain modules.

Importing it does nothing but build the definitions: the environment (absolute OMNISTOCK_*
paths, the Dagster instance settings) is prepared by whoever loads it — the CLI
(omnistock.app.pipeline), the server loader (omnistock.app.code_location, named in
workspace.yaml) or a test fixture. The dbt manifest must exist before this loads: `omnistock
run` prepares it, `dagster dev` prepares it itself, and tests prepare it in a session fixture.
"""

import dagster as dg

from orchestration.defs import (
    actions,
    alerts,
    dashboards,
    ingest,
    intelligence,
    interop,
    transform,
)
from orchestration.jobs import ocel_export_job, pipeline_job
from orchestration.resources import build_resources

defs = dg.Definitions.merge(
    ingest.defs,
    transform.defs,
    intelligence.defs,
    actions.defs,
    dashboards.defs,
    alerts.defs,
    interop.defs,
    dg.Definitions(
        jobs=[pipeline_job, ocel_export_job],
        resources=build_resources(),
        # Steps of a run execute one after another in one process: DuckDB has one writer.
        executor=dg.in_process_executor,
    ),
)
