"""Working the queue: tick exceptions in the table, then assign, acknowledge, snooze, resolve
or reopen them with a note. Each action goes to the work log (dashboards/worklog.py, outside
the snapshots and the warehouse) and the table redraws with it at once; the next publish
carries it into the snapshot. Local single-user mode: "who" is a name typed once (default:
the operating-system user), not a login."""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import polars as pl
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboards.components import plural
from dashboards.data import Missing, SnapshotData, snapshot_data
from dashboards.datatable import Table, table_id
from dashboards.desk import Desk
from dashboards.filters import Filters
from dashboards.links import with_case_links
from dashboards.snapshot import SnapshotReader
from dashboards.worklog import ACTIONS, MAX_NAME, MAX_NOTE, STATUSES, InvalidAction, validate

from . import queries

DEFAULT_SHOW = ("open", "acknowledged")  # what still needs someone
MAX_SELECTED = 500
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "assign": "Assign to…",
    "snooze": "Snooze until…",
    "resolve": "Resolve (note required)",
    "reopen": "Reopen",
}
FORM_FIELDS = {"owner": "work-owner", "until": "work-until", "note": "work-note"}

# How an exception's columns read wherever exceptions are listed.
EXCEPTION_HEADERS = {
    "exception_type": "exception",
    "workflow": "workflow",
    "location_id": "location",
    "sku": "SKU",
    "reference_id": "reference",
    "opened_at": "opened",
    "age_h": "age (h)",
    "units": "units",
    "value_at_cost": "value at cost",
    "detail": "detail",
}


def _shown(worked: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """The worked queue's rows of the statuses the page parameter `show` names (comma-separated,
    what the table was drawn with), each with its case link."""
    show = (filters.param("show") or "").split(",")
    return with_case_links(worked.filter(worked["status"].is_in(show)), filters)


def queue_rows(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
    """The rows of the worked queue's table (`_shown`)."""
    worked = queries.worked_queue(data, filters, datetime.now(UTC))
    return worked if isinstance(worked, Missing) else _shown(worked, filters)


QUEUE = Table(
    "exceptions-table",
    "Open exceptions ranked by impact",
    queue_rows,
    {
        "impact_rank": "rank",
        "status": "status",
        "owner": "owner",
        "last_action": "last action",
        "idle_h": "since last action (h)",
        **EXCEPTION_HEADERS,
        "note": "note",
    },
    page_size=25,
    row_id="exception_id",
    link="case_href",  # each row opens its case's timeline
)


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "planner"


def queue_table(data: SnapshotData, filters: Filters, show: Sequence[str]):
    """The worked queue, the statuses in `show` only; its title counts every status."""
    worked = queries.worked_queue(data, filters, datetime.now(UTC))
    shown_with = replace(filters, page_params=(("show", ",".join(show)),))
    if isinstance(worked, Missing):
        return QUEUE.draw(worked, shown_with)
    counts = queries.status_counts(worked)
    title = (
        f"{QUEUE.title}: "
        + " · ".join(f"{counts[status]:,} {status}" for status in STATUSES)
        + f" (showing {', '.join(s for s in STATUSES if s in show) or 'none'}; tick rows to work them)"
    )
    return QUEUE.draw(_shown(worked, shown_with), shown_with, title)


def _field(label: str, control, element_id: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=element_id), control], className="work-field")


def panel(data: SnapshotData) -> html.Div:
    """The form that records what was done about the ticked exceptions."""
    if data.desk is None or not data.desk.writable:
        why = "without a work log" if data.desk is None else "on a network address, not 127.0.0.1"
        return html.Div(
            html.P(f"Read-only: these dashboards were started {why}."),
            className="card wide work-panel",
            id="work-panel",
        )
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)  # as the log judges a snooze
    return html.Div(
        [
            html.Div(
                [
                    _field(
                        "Your name",
                        dcc.Input(
                            id="work-who",
                            value=_default_user(),
                            maxLength=MAX_NAME,
                            persistence=True,
                            persistence_type="local",
                        ),
                        "work-who",
                    ),
                    _field(
                        "Action",
                        dcc.Dropdown(
                            id="work-action",
                            options=[{"label": v, "value": k} for k, v in ACTION_LABELS.items()],
                            value="acknowledge",
                            clearable=False,
                        ),
                        "work-action",
                    ),
                    _field("Owner", dcc.Input(id="work-owner", maxLength=MAX_NAME), "work-owner"),
                    _field(
                        "Snooze until",
                        dcc.DatePickerSingle(
                            id="work-until",
                            min_date_allowed=tomorrow,
                            initial_visible_month=tomorrow,
                            display_format="YYYY-MM-DD",
                        ),
                        "work-until",
                    ),
                    _field(
                        "Note",
                        dcc.Textarea(id="work-note", maxLength=MAX_NOTE, rows=1),
                        "work-note",
                    ),
                    html.Button("Record", id="work-apply", n_clicks=0, className="work-apply"),
                ],
                className="work-form",
            ),
            html.Div(id="work-message", role="status", className="work-message"),
            dcc.Checklist(
                id="work-show",
                options=[{"label": f" {status}", "value": status} for status in STATUSES],
                value=list(DEFAULT_SHOW),
                inline=True,
                className="work-show",
            ),
            html.P(
                f"Every action is kept in the audit log {data.desk.worklog.path} "
                "(who, when, what, before and after).",
                className="work-log-path",
            ),
        ],
        className="card wide work-panel",
        id="work-panel",
    )


def record_actions(
    data: SnapshotData,
    desk: Desk,
    selected,
    action,
    who,
    form: Mapping[str, object],
) -> tuple[bool, str]:
    """Record `action` for every selected exception of the snapshot's queue: (recorded,
    what happened in words). Everything is validated before anything is written."""
    if not desk.writable:
        return False, "Not recorded: the dashboards are served read-only."
    if not isinstance(selected, list) or not selected:
        return False, "Tick one or more exceptions in the table first."
    if len(selected) > MAX_SELECTED or not all(isinstance(s, str) for s in selected):
        return False, f"Not recorded: select at most {MAX_SELECTED} exceptions."
    known = queries.known_exception_ids(data, selected)
    if isinstance(known, Missing) or set(selected) - known:
        return False, "Not recorded: the selection holds exceptions this snapshot does not list."
    required, optional = ACTIONS.get(action, ((), ()))
    fields = {name: form.get(name) for name in (*required, *optional)}
    today = datetime.now(UTC).date()
    try:
        for exception_id in selected:
            validate(exception_id, action, who, fields, today)
        for exception_id in selected:
            desk.worklog.record(exception_id, action, who, fields)
    except InvalidAction as error:
        return False, f"Not recorded: {error}."
    done = queries.PAST_TENSE[action].capitalize()
    return True, f"{done} {plural(len(selected), 'exception')}."


def register(app: Dash, reader: SnapshotReader, desk: Desk) -> None:
    @app.callback(
        Output("exceptions-queue", "children"),
        Output("work-message", "children"),
        Input("work-apply", "n_clicks"),
        Input("work-show", "value"),
        State(table_id("exceptions-table"), "selected_row_ids"),
        State("work-action", "value"),
        State("work-who", "value"),
        *(
            State(element, "date" if name == "until" else "value")
            for name, element in FORM_FIELDS.items()
        ),
        State("global-filters", "data"),
        prevent_initial_call=True,
    )
    def work(_clicks, show, selected, action, who, owner, until, note, filters):
        with snapshot_data(reader, desk) as data:
            if data is None:
                return [], "No snapshot published yet."
            if ctx.triggered_id != "work-apply":
                return queue_table(data, Filters.from_store(filters), show or []), ""
            form = {"owner": owner, "until": until, "note": note}
            recorded, message = record_actions(data, desk, selected, action, who, form)
            if not recorded:  # keep the table and its ticks: fix the form and try again
                return no_update, message
            return queue_table(data, Filters.from_store(filters), show or []), message
