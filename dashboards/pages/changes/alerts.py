"""The active alerts (raised by the alert sensors after each run, omnistock/alerts.py) as the
pages show them: a banner on the Overview, a list on What changed."""

from __future__ import annotations

from dash import dcc, html

from dashboards.components import plural
from dashboards.data import SnapshotData

MAX_LISTED = 200  # per rule
OPEN_UP_TO = 5  # a rule with more alerts than this starts folded


def _alert(record: dict) -> html.Li:
    severity = str(record.get("severity", "warning"))
    raised = str(record.get("raised_at") or "")[:16].replace("T", " ")
    return html.Li(
        [
            html.Span(severity, className=f"alert-severity {severity}"),
            html.Span(str(record.get("message", record.get("key", ""))), className="alert-text"),
            html.Span(f"since {raised} UTC" if raised else "", className="alert-since"),
        ],
        className="alert-item",
    )


def alert_list(data: SnapshotData) -> html.Div:
    """Every active alert, by rule (the most severe rule first), a long rule folded."""
    if data.desk is None:
        return html.Div(
            html.P("No alert log is connected to these dashboards."), className="card wide"
        )
    alerts = data.desk.active_alerts()
    if not alerts:
        body = [html.P("No active alerts: every rule held after the last run.")]
    else:
        by_rule: dict[str, list[dict]] = {}
        for record in alerts:  # most severe first, so is each rule
            by_rule.setdefault(str(record.get("rule", "other")), []).append(record)
        body = [
            html.Details(
                [
                    html.Summary(f"{rule}: {plural(len(records), 'active alert')}"),
                    html.Ul([_alert(r) for r in records[:MAX_LISTED]], className="alert-list"),
                ],
                open=len(records) <= OPEN_UP_TO,
                className="alert-rule",
            )
            for rule, records in by_rule.items()
        ]
    return html.Div(body, className="card wide", id="changes-alerts")


def alert_banner(data: SnapshotData) -> html.Div | None:
    """One line over a page when alerts are active: how many, the most severe, a link."""
    alerts = data.desk.active_alerts() if data.desk is not None else []
    if not alerts:
        return None
    worst = alerts[0]
    severity = str(worst.get("severity", "warning"))
    return html.Div(
        [
            html.Span(plural(len(alerts), "active alert"), className="alert-count"),
            html.Span(str(worst.get("message", worst.get("key", ""))), className="alert-text"),
            dcc.Link("What changed →", href="/changes", className="alert-link"),
        ],
        className=f"alert-banner {severity}",
        id="alert-banner",
        role="alert",
    )
