"""The cycle-count sensor, evaluated with build_sensor_context against a real instance, and
the policy resource it shares with the requests asset."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.defs.actions.assets import cycle_count_requests
from orchestration.defs.actions.sensors import cycle_count_sensor
from orchestration.defs.intelligence.assets import location_risk
from orchestration.policy import CycleCountPolicyResource, deployed_policy


def _report_risk(instance, as_of: str, scores: dict[str, float]) -> None:
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=location_risk.key,
            metadata={
                "as_of": as_of,
                "scores": dg.MetadataValue.json(
                    [
                        {"location_id": loc, "risk_score": score, "risk_rank": rank, "reason": "x"}
                        for rank, (loc, score) in enumerate(ranked, start=1)
                    ]
                ),
            },
        )
    )


def _report_requests(instance, requested: dict[str, str]) -> None:
    """What a cycle_count_requests run records: the latest request per location."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=cycle_count_requests.key,
            metadata={
                "recent_requests": dg.MetadataValue.json(
                    [{"location_id": loc, "requested_at": at} for loc, at in requested.items()]
                )
            },
        )
    )


def _evaluate(instance, cursor, policy: CycleCountPolicyResource | None = None):
    """One evaluation with the policy as deployed (read from the environment now)."""
    resources = {"policy": policy or deployed_policy()}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        return cycle_count_sensor(context)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def _locations(result) -> list[str]:
    return [
        request.run_config["ops"]["cycle_count_requests"]["config"]["locations"][0]
        for request in result.run_requests
    ]


def test_requests_above_threshold_only_with_run_key_per_location_and_day(instance):
    _report_risk(instance, "2026-03-08 23:00:00", {"S001": 0.95, "S002": 0.9, "S003": 0.89})
    result = _evaluate(instance, None)
    assert _locations(result) == ["S001", "S002"]
    assert [r.run_key for r in result.run_requests] == ["CC-S001-20260308", "CC-S002-20260308"]

    # The same materialization evaluated again: nothing new.
    assert isinstance(_evaluate(instance, result.cursor), dg.SkipReason)


def test_cooldown_blocks_a_recount_until_it_expires(instance, monkeypatch):
    """The cooldown's record is the requests table (as its materialization reports it)."""
    monkeypatch.setenv("OMNISTOCK_COOLDOWN_DAYS", "7")
    _report_risk(instance, "2026-03-08 23:00:00", {"S001": 0.99})
    first = _evaluate(instance, None)
    assert _locations(first) == ["S001"]
    _report_requests(instance, {"S001": "2026-03-08T23:00:00"})  # the run it started

    _report_risk(instance, "2026-03-12 23:00:00", {"S001": 0.99, "S004": 0.97})
    inside = _evaluate(instance, first.cursor)
    assert _locations(inside) == ["S004"]
    _report_requests(instance, {"S001": "2026-03-08T23:00:00", "S004": "2026-03-12T23:00:00"})

    _report_risk(instance, "2026-03-16 23:00:00", {"S001": 0.99, "S004": 0.97})
    after = _evaluate(instance, inside.cursor)
    assert _locations(after) == ["S001"]  # 8 days after S001's request; S004 still cooling


def test_scores_a_pipeline_run_acted_on_start_no_run(omnistock_home, instance):
    """The pipeline job scores and requests in one run: its scores need no sensor run. A run
    that only scored (a subset picked in the UI) leaves the requests to the sensor."""
    from orchestration.definitions import defs
    from orchestration.defs.actions.sensors import _acted_on_by_its_run

    pipeline = defs.resolve_job_def("omnistock_pipeline")
    whole = instance.create_run_for_job(job_def=pipeline)
    scoring_only = instance.create_run_for_job(
        job_def=pipeline, asset_selection=frozenset({location_risk.key})
    )
    assert _acted_on_by_its_run(instance, whole.run_id)
    assert not _acted_on_by_its_run(instance, scoring_only.run_id)
    assert not _acted_on_by_its_run(instance, "")  # a runless event


def test_threshold_is_configurable(instance, monkeypatch):
    monkeypatch.setenv("OMNISTOCK_RISK_THRESHOLD", "0.5")
    _report_risk(instance, "2026-03-08 23:00:00", {"S001": 0.6, "S002": 0.4})
    assert _locations(_evaluate(instance, None)) == ["S001"]


def test_the_deployed_policy_reads_the_environment(monkeypatch):
    """EnvVars for the variables that are set, resolved when the resource is used; an unset
    variable keeps the default."""
    monkeypatch.setenv("OMNISTOCK_RISK_THRESHOLD", "0.75")
    monkeypatch.setenv("OMNISTOCK_COOLDOWN_DAYS", "3")
    resource = deployed_policy()
    assert resource.risk_threshold == dg.EnvVar("OMNISTOCK_RISK_THRESHOLD")
    with dg.build_resources({"policy": resource}) as resources:
        policy = resources.policy.policy()
    assert (policy.risk_threshold, policy.cooldown_days) == (0.75, 3.0)

    monkeypatch.delenv("OMNISTOCK_RISK_THRESHOLD")
    monkeypatch.delenv("OMNISTOCK_COOLDOWN_DAYS")
    default = deployed_policy().policy()
    assert (default.risk_threshold, default.cooldown_days) == (0.9, 7.0)


def test_a_policy_setting_that_is_not_a_number_is_named(monkeypatch):
    monkeypatch.setenv("OMNISTOCK_COOLDOWN_DAYS", "a week")
    with (
        pytest.raises(ValueError, match="OMNISTOCK_COOLDOWN_DAYS must be a number"),
        dg.build_resources({"policy": deployed_policy()}) as resources,
    ):
        resources.policy.policy()


def test_the_policy_resource_reaches_the_sensor(instance):
    """A policy given as the `policy` resource (as the definitions register it) is the one
    the sensor applies."""
    _report_risk(instance, "2026-03-08 23:00:00", {"S001": 0.95, "S002": 0.8, "S003": 0.7})
    strict = CycleCountPolicyResource(risk_threshold="0.99")
    assert _locations(_evaluate(instance, None, strict)) == []
    capped = CycleCountPolicyResource(risk_threshold="0.75", max_locations=1)
    assert _locations(_evaluate(instance, None, capped)) == ["S001"]
