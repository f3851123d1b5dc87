"""The cycle-count sensor, evaluated with build_sensor_context against a real instance."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from orchestration.defs.actions.sensors import cycle_count_sensor
from orchestration.defs.intelligence.assets import location_risk
from orchestration.policy import cycle_count_policy


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


def _evaluate(instance, cursor):
    with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
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
    monkeypatch.setenv("OMNISTOCK_COOLDOWN_DAYS", "7")
    _report_risk(instance, "2026-03-08 23:00:00", {"S001": 0.99})
    first = _evaluate(instance, None)
    assert _locations(first) == ["S001"]

    _report_risk(instance, "2026-03-12 23:00:00", {"S001": 0.99, "S004": 0.97})
    inside = _evaluate(instance, first.cursor)
    assert _locations(inside) == ["S004"]

    _report_risk(instance, "2026-03-16 23:00:00", {"S001": 0.99, "S004": 0.97})
    after = _evaluate(instance, inside.cursor)
    assert _locations(after) == ["S001"]  # 8 days after S001's request; S004 still cooling
    assert json.loads(after.cursor)["requested"]["S001"].startswith("2026-03-16")


def test_threshold_is_configurable(instance, monkeypatch):
    monkeypatch.setenv("OMNISTOCK_RISK_THRESHOLD", "0.5")
    _report_risk(instance, "2026-03-08 23:00:00", {"S001": 0.6, "S002": 0.4})
    assert _locations(_evaluate(instance, None)) == ["S001"]


def test_the_deployed_policy_reads_the_environment(monkeypatch):
    monkeypatch.setenv("OMNISTOCK_RISK_THRESHOLD", "0.75")
    monkeypatch.setenv("OMNISTOCK_COOLDOWN_DAYS", "3")
    policy = cycle_count_policy()
    assert (policy.risk_threshold, policy.cooldown_days) == (0.75, 3.0)
    monkeypatch.delenv("OMNISTOCK_RISK_THRESHOLD")
    assert cycle_count_policy().risk_threshold == 0.9
