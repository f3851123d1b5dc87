"""The process map page: one tab per workflow, its map and its transitions."""

from __future__ import annotations

import polars as pl
from dash import dcc

from dashboards.components import empty_state, graph, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import table
from dashboards.drills import step_cases
from dashboards.filters import Filters
from dashboards.theme import format_duration

from . import figures, queries


def _workflow_tab(workflow: str, edges: pl.DataFrame, filters: Filters) -> dcc.Tab:
    """The workflow's map and its transitions; a step's label and row open its cases."""
    drill = step_cases(workflow)

    def step_link(before: str, after: str) -> str:
        return drill.link(filters, **{"from": before, "to": after})

    readable = edges.with_columns(
        p50=pl.col("p50_duration_s").map_elements(format_duration, return_dtype=pl.String),
        p95=pl.col("p95_duration_s").map_elements(format_duration, return_dtype=pl.String),
        cases_href=pl.Series(
            [step_link(*step) for step in edges.select("from_activity", "to_activity").rows()],
            dtype=pl.String,
        ),
    )
    return dcc.Tab(
        label=workflow,
        value=workflow,
        children=[
            graph(
                f"process-map-{workflow}",
                figures.process_map(edges, workflow, step_link),
                wide=True,
            ),
            table(
                f"process-edges-{workflow}",
                f"Every {workflow} transition, most frequent first (each opens its cases)",
                readable,
                EDGE_COLUMNS,
                link="cases_href",
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
    tabs = [
        _workflow_tab(w, transitions.filter(pl.col("workflow") == w), filters) for w in workflows
    ]
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
