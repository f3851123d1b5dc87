"""Dashboards domain: the published snapshot and the shareable report."""

import dagster as dg

from orchestration.defs.dashboards.assets import planner_report, published_snapshot

defs = dg.Definitions(assets=[published_snapshot, planner_report])
