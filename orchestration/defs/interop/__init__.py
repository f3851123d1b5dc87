"""Interop domain: the event store as an OCEL 2.0 log."""

import dagster as dg

from orchestration.defs.interop.assets import ocel_export

defs = dg.Definitions(assets=[ocel_export])
