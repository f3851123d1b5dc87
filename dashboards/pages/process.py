"""Process map: the directly-follows graph of each workflow with counts and durations."""

from __future__ import annotations

import polars as pl
from dash import dcc

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, empty_state, graph, missing_table, section, table
from ..queries import SnapshotData

WORKFLOW_ORDER = ("order", "transfer", "return", "replenishment")
EDGE_COLUMNS = (
    Column("from_activity", "from"),
    Column("to_activity", "to"),
    Column("transition_count", "transitions", "numeric"),
    Column("case_count", "cases", "numeric"),
    Column("p50", "median"),
    Column("p95", "p95"),
)


def _workflow_tab(workflow: str, edges: pl.DataFrame) -> dcc.Tab:
    readable = edges.with_columns(
        p50=pl.col("p50_duration_s").map_elements(figures.format_duration, return_dtype=pl.String),
        p95=pl.col("p95_duration_s").map_elements(figures.format_duration, return_dtype=pl.String),
    )
    return dcc.Tab(
        label=workflow,
        value=workflow,
        children=[
            graph(f"process-map-{workflow}", figures.process_map(edges, workflow), wide=True),
            table(
                f"process-edges-{workflow}",
                readable,
                EDGE_COLUMNS,
                f"Every {workflow} transition, most frequent first",
                source="process_transitions",
            ),
        ],
    )


def render(data: SnapshotData, filters: Filters) -> list:
    transitions = queries.process_transitions(data)
    if transitions is None:
        return [missing_table("process-map", "Process map", "process_transitions", wide=True)]
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


PAGE = Page(
    slug="process",
    title="Process map",
    heading="Process map",
    question="How do cases really move between stages, how often, and how long each step takes?",
    applies=(),
    render=render,
    note="The performance directly-follows graph over the whole history (the same as pm4py's "
    "on this log). Blue arrows go forward; red curves loop back (e.g. a retry).",
)
