"""Alert sensors: when a pipeline run ends (succeeded or failed), judge the published snapshot
and the run's checks, and keep the alert log (omnistock.alerts; records in
`<home>/notifications/`). The outcome shows on the sensor's ticks and as a tag on the run."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from dashboards.snapshot import SnapshotNotFound, open_snapshot
from omnistock import alerts
from omnistock.config import Settings
from orchestration.defs.transform.checks import WATERMARKS_KEY
from orchestration.jobs import pipeline_job
from orchestration.policy import CycleCountPolicyResource
from orchestration.resources import OmnistockPaths

ALERTS_TAG = "omnistock/alerts"


def run_check_outcomes(instance: dg.DagsterInstance, run_id: str) -> list[alerts.CheckOutcome]:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    outcomes = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        outcomes.append(
            alerts.CheckOutcome(
                asset=evaluation.asset_key.to_user_string(),
                check_name=evaluation.check_name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=evaluation.description,
            )
        )
    return outcomes


def evaluate_alerts(
    instance: dg.DagsterInstance,
    run_id: str,
    settings: Settings,
    risk_threshold: float,
    now: datetime,
) -> alerts.AlertChanges:
    judgement = alerts.Judgement()
    # the freshness checks restate dbt's watermark rule, alerted once as stale_source
    outcomes = [
        outcome
        for outcome in run_check_outcomes(instance, run_id)
        if outcome.asset != WATERMARKS_KEY.to_user_string()
    ]
    alerts.check_conditions(outcomes, judgement)
    try:
        snapshot = open_snapshot(settings.snapshots_dir)
    except SnapshotNotFound:
        snapshot = None  # a run that failed before publishing: only its checks are judged
    if snapshot is not None:
        with snapshot:
            alerts.data_conditions(snapshot, risk_threshold, judgement)
    log = alerts.AlertLog(settings.notifications_dir)
    changes = log.update(judgement, run_id, now)
    problem = alerts.notify(changes, alerts.alert_urls())
    active = len(log.active())
    instance.add_run_tags(
        run_id,
        {ALERTS_TAG: f"{len(changes.raised)} raised, {len(changes.resolved)} resolved, "
         f"{active} active"},
    )  # fmt: skip
    if problem:
        raise RuntimeError(f"Alerts are recorded in {log.folder} but were not sent: {problem}")
    return changes


def _alert_sensor(status: dg.DagsterRunStatus) -> dg.RunStatusSensorDefinition:
    @dg.run_status_sensor(
        name=f"alerts_after_{status.value.lower()}_run",
        run_status=status,
        monitored_jobs=[pipeline_job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=15,
        description="Raises and resolves alerts after every pipeline run: KPIs beyond their "
        "thresholds and stale feeds (dbt's alert_conditions), failed checks of the run, "
        "locations at or above the risk threshold. Records in <home>/notifications/.",
    )
    def alert_sensor(
        context: dg.RunStatusSensorContext,
        paths: OmnistockPaths,
        policy: CycleCountPolicyResource,
    ):
        changes = evaluate_alerts(
            context.instance,
            context.dagster_run.run_id,
            paths.settings,
            policy.policy().risk_threshold,
            datetime.now(UTC),
        )
        return dg.SkipReason(changes.describe())

    return alert_sensor


ALERT_SENSORS = [
    _alert_sensor(dg.DagsterRunStatus.SUCCESS),
    _alert_sensor(dg.DagsterRunStatus.FAILURE),
]
