"""The case timeline page: a case's state at the horizon (stage, SLA), its events across
systems with the waits between them, and the objects the data links it to (the order line's
reservations, the ERP postings of its stock moves, the other lines of its order, transfer or
return, its open exceptions). An order line names no transfer: the data links none to it
(`NO_TRANSFER` says why)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from dash import dcc, html

from dashboards.components import Chart, grid, message_page, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters
from dashboards.links import case_link
from dashboards.theme import format_duration

from . import figures, queries


def _fact(label: str, value: str, element_id: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="tile-label"), html.Div(value, className="fact", id=element_id)],
        className="tile",
    )


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} h"


def _state(events: pl.DataFrame) -> html.Div:
    """Where the case stands at the data horizon, from int_case_sla via case_events."""
    case = events.row(0, named=True)
    if case["case_stage"] is None:
        status, stage = "not started by the data horizon", "–"
    else:
        stage = case["case_stage"]
        status = (
            "closed"
            if not case["case_is_open"]
            else "stalled: past its SLA"
            if case["case_is_stalled"]
            else "open, within its SLA"
        )
    over = case["hours_over_sla"]
    sla = _hours(case["sla_hours"]) if case["sla_rule"] == "stage_sla" else "expected date + grace"
    facts = [
        _fact("Case", f"{case['workflow']} {case['case_key']}", "timeline-case"),
        _fact("Stage at the horizon", stage, "timeline-stage"),
        _fact("Status", status, "timeline-status"),
        _fact("SLA of the stage", sla, "timeline-sla"),
    ]
    if case["case_is_open"]:
        due = case["due_at"].strftime("%Y-%m-%d %H:%M") if case["due_at"] else "–"
        overdue = f"{_hours(over)} over" if over and over > 0 else f"{_hours(-(over or 0))} left"
        facts.append(_fact("Due", f"{due} ({overdue})", "timeline-due"))
    return html.Div(facts, className="tiles", id="timeline-state")


def _readable(events: pl.DataFrame) -> pl.DataFrame:
    """The events as the table shows them: waits and posting lags as durations."""
    posting = [
        None
        if not row["is_stock_move"]
        else f"{row['erp_posting_event_id']} after {_hours(row['erp_posting_lag_h'])}"
        if row["erp_posting_event_id"]
        else "not posted"
        for row in events.iter_rows(named=True)
    ]
    return events.with_columns(
        wait=pl.col("wait_since_previous_s").map_elements(format_duration, return_dtype=pl.String),
        erp_posting=pl.Series(posting, dtype=pl.String),
        when=pl.when(pl.col("is_after_horizon")).then(pl.lit("after the horizon")),
    )


# Why an order line's timeline names no transfer (order line -> reservation -> transfer -> ERP
# posting): no event carries the link, and matching one by SKU and place would be a guess.
NO_TRANSFER = (
    "No transfer is linked to this order line: no event in the data links an order to a "
    "transfer (transfers move stock between locations on their own; none is requested for "
    "an order), and a transfer of the same SKU received at the fulfilling location before "
    "fulfilment is no proof it supplied this line (stock is interchangeable), so none is "
    "guessed."
)


def _links(items: list, empty: str, element_id: str) -> html.Div:
    return html.Div(html.Ul(items) if items else html.P(empty), id=element_id)


def _related(data: SnapshotData, events: pl.DataFrame, filters: Filters) -> html.Div:
    """The objects the data links the case to."""
    case = events.row(0, named=True)
    workflow, case_key = case["workflow"], case["case_key"]
    parts = []
    lines = queries.other_lines(data, workflow, case["case_id"], case_key)
    parts.append(html.H3(f"Other lines of {workflow} {case['case_id']}"))
    parts.append(
        _links(
            [
                html.Li(
                    [dcc.Link(row["case_key"], href=case_link(filters, workflow, row["case_key"])),
                     f" · at {row['case_stage'] or 'no stage yet'}"]
                )
                for row in lines.iter_rows(named=True)
            ],
            "none",
            "timeline-lines",
        )
    )  # fmt: skip
    if workflow == "order":
        held = queries.reservations(data, workflow, case_key)
        parts.append(html.H3("Reservations (by location)"))
        parts.append(
            _links(
                [
                    html.Li(
                        f"{row['location_id']}: {row['requests']} requested, "
                        f"{row['confirmations']} confirmed, {row['failures']} failed"
                    )
                    for row in held.iter_rows(named=True)
                ],
                "no reservation requested",
                "timeline-reservations",
            )
        )
        parts.append(html.H3("Transfer"))
        parts.append(html.P(NO_TRANSFER, id="timeline-transfer", className="note"))
    moves = events.filter(pl.col("is_stock_move"))
    parts.append(html.H3("ERP postings of its stock moves"))
    parts.append(
        _links(
            [
                html.Li(
                    f"{row['event_type']} {row['event_id']}: "
                    + (
                        f"posted by {row['erp_posting_event_id']} "
                        f"{_hours(row['erp_posting_lag_h'])} later"
                        if row["erp_posting_event_id"]
                        else "not posted to the ERP"
                    )
                )
                for row in moves.iter_rows(named=True)
            ],
            "no stock moves",
            "timeline-postings",
        )
    )
    exceptions = queries.open_exceptions(data, workflow, case_key, events["event_id"].to_list())
    if not isinstance(exceptions, Missing):
        parts.append(html.H3("Open exceptions"))
        parts.append(
            _links(
                [
                    html.Li(f"{row['exception_type']}: {row['detail']}")
                    for row in exceptions.iter_rows(named=True)
                ],
                "none",
                "timeline-exceptions",
            )
        )
    return html.Div(parts, className="card related", id="timeline-related")


def render(data: SnapshotData, filters: Filters) -> list:
    workflow, case_key = filters.param("workflow"), filters.param("case")
    event_id = filters.param("event")
    if case_key is None and event_id is not None:
        found = queries.case_of_event(data, event_id)
        if isinstance(found, Missing):
            return [missing_table("timeline-chart", "Case timeline", found, wide=True)]
        if found is None:
            return [
                message_page(
                    "No workflow case",
                    f"Event {event_id} belongs to no order, transfer, return or purchase order "
                    "case (e.g. a POS sale): it has no timeline.",
                )
            ]
        workflow, case_key = found
    if workflow is None or case_key is None:
        return [
            message_page(
                "Choose a case",
                "Open a case from a list of cases (a figure's “Cases behind this figure”).",
            )
        ]
    events = queries.case_events(data, workflow, case_key)
    # the case the events table was drawn for: the server sends its other pages
    of_case = replace(filters, page_params=(("workflow", workflow), ("case", case_key)))
    if isinstance(events, Missing):
        return [missing_table("timeline-chart", "Case timeline", events, wide=True)]
    if events.is_empty():
        return [message_page("No such case", f"No {workflow} case {case_key} in the snapshot.")]
    return [
        _state(events),
        section(
            "Events across systems", grid(TIMELINE(events)), EVENTS.draw(_readable(events), of_case)
        ),
        section("Related", _related(data, events, filters)),
    ]


# The chart and table `render` fills in.
TIMELINE = Chart("timeline-chart", "Case timeline", figures.case_timeline, wide=True)
# What the events table shows of each event (column -> header).
EVENT_COLUMNS = dict(
    event_index="#", occurred_at="occurred", wait="since previous", event_type="event",
    source_system="system", location_id="location", to_location_id="to", quantity="units",
    reason_code="reason", erp_posting="ERP posting", when="note",
)  # fmt: skip


def event_rows(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
    """The events table's rows: the events of the case the page parameters name."""
    events = queries.case_events(data, filters.param("workflow"), filters.param("case"))
    return events if isinstance(events, Missing) else _readable(events)


EVENTS = Table(
    "timeline-events", "Every event of the case, in order", event_rows, EVENT_COLUMNS, 25
)
