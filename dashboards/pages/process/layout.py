"""The process map page: one tab per workflow, its map and its transitions."""

from __future__ import annotations

import polars as pl
from dash import dcc

from dashboards.components import empty_state, graph, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import table
from dashboards.filters import Filters
from dashboards.theme import format_duration

from . import figures, queries


def _workflow_tab(workflow: str, edges: pl.DataFrame) -> dcc.Tab:
    readable = edges.with_columns(
        p50=pl.col("p50_duration_s").map_elements(format_duration, return_dtype=pl.String),
        p95=pl.col("p95_duration_s").map_elements(format_duration, return_dtype=pl.String),
    )
    return dcc.Tab(
        label=workflow,
        value=workflow,
        children=[
            graph(f"process-map-{workflow}", figures.process_map(edges, workflow), wide=True),
            table(
                f"process-edges-{workflow}",
                f"Every {workflow} transition, most frequent first",
                readable,
                EDGE_COLUMNS,
            ),
        ],
    )


def render(data: SnapshotData, filters: Filters) -> list:
    transitions = queries.process_transitions(data)
    if isinstance(transitions, Missing):
        return [missing_table("process-map", "Process map", transitions, wide=True)]
    present = transitions["workflow"].unique().to_list()
    workflows = [w for w in WORKFLOW_ORDER if w in present] + sorted(
        w for w in present if w not in WORKFLOW_ORDER
    )
    if not workflows:
        return [empty_state("process-map", "Process map", "No transitions yet.", wide=True)]
    tabs = [_workflow_tab(w, transitions.filter(pl.col("workflow") == w)) for w in workflows]
    return [
        section(
            "Stage transitions per workflow",
            dcc.Tabs(tabs, id="process-tabs", value=workflows[0], className="process-tabs"),
        )
    ]


WORKFLOW_ORDER = ("order", "transfer", "return", "replenishment")
EDGE_COLUMNS = {
    "from_activity": "from",
    "to_activity": "to",
    "transition_count": "transitions",
    "case_count": "cases",
    "p50": "median",
    "p95": "p95",
}
