"""The dbt assets in Dagster: graph shape, a real materialization whose kpi_daily event
carries the headline KPIs of the current standard period (kpi_period), and the per-feed
source freshness checks."""

import dagster as dg
import pytest
from dbt_fixtures import base_events, create_raw_warehouse, regular_feed_events


@pytest.fixture(scope="module")
def transform(tmp_path_factory):
    """The transform package, with its manifest prepared explicitly (dbt parse)."""
    from orchestration.defs import transform

    transform.prepare_manifest()
    return transform


def raw_warehouse_for_dbt(events, tmp_path, monkeypatch) -> None:
    """A raw warehouse holding `events`, and the environment the dbt resource reads pointing
    at it (with Omnistock, Dagster and dbt's own paths private to the test)."""
    warehouse = create_raw_warehouse(tmp_path / "warehouse.duckdb", events)
    monkeypatch.setenv("OMNISTOCK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OMNISTOCK_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))


def test_asset_graph(transform):
    assets = transform.omnistock_dbt_assets
    specs = {spec.key: spec for spec in assets.specs}
    kpi_daily = specs[transform.KPI_DAILY_KEY]
    assert kpi_daily.group_name == "marts"
    assert kpi_daily.kinds == {"dbt", "duckdb"}
    assert "team:inventory-planning" in kpi_daily.owners
    assert kpi_daily.description.startswith("Every KPI of SPEC 5")
    staging = specs[dg.AssetKey(["staging", "stg_inventory_events"])]
    assert [dep.asset_key for dep in staging.deps] == [dg.AssetKey(["raw", "inventory_events"])]
    assert {spec.group_name for spec in specs.values()} == {"staging", "intermediate", "marts"}
    checks = list(assets.check_specs)
    assert any(check.asset_key == transform.KPI_DAILY_KEY for check in checks)
    transform.defs.resolve_asset_graph()


def test_materialize_attaches_headline_kpis(transform, tmp_path, monkeypatch):
    raw_warehouse_for_dbt(base_events(), tmp_path, monkeypatch)
    assets = transform.omnistock_dbt_assets

    result = dg.materialize(
        [assets],
        resources={"dbt": transform.defs.resources["dbt"]},
        instance=dg.DagsterInstance.ephemeral(),
        # unit tests already ran in test_dbt_build; the data tests run as asset checks
        run_config={"ops": {assets.op.name: {"config": {"unit_tests": False}}}},
    )

    assert result.success
    materializations = {
        m.asset_key: m for m in result.asset_materializations_for_node(assets.op.name)
    }
    assert len(materializations) == len(assets.keys)
    metadata = materializations[transform.KPI_DAILY_KEY].metadata
    # the current period of kpi_period: 7 days ending on the horizon's day (03-04 20:00)
    assert metadata["kpi_period"].value == "2026-02-26 to 2026-03-04"
    # api calls: 03-01 two (none failed), 03-02 ten (seven failed), 03-04 five (all failed)
    assert metadata["api_failure_rate"].value == pytest.approx(12 / 17)
    table = metadata["headline_kpis"].value
    assert "| API failure rate | api_failure_rate | 70.6% | – |" in table
    headline = [line.split(" | ")[1] for line in table.splitlines()[4:]]
    assert headline == [name for name in headline if name in metadata] and len(headline) == 12
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(evaluation.passed for evaluation in evaluations)
    assert any(e.asset_key == transform.KPI_DAILY_KEY for e in evaluations)


def test_builds_in_one_home_reuse_dbts_parse_and_refresh_fully_only_for_a_changed_project(
    transform, tmp_path, monkeypatch
):
    """dbt keeps a parse for the profile it was made with (the warehouse path is part of it):
    the build leaves its parse where the next build starts from, so that one does not parse
    the whole project again. The incremental models are rebuilt from scratch when the
    warehouse was last built by another version of the dbt project (here: never built, then
    built by this one, then stamped as built by another), and only then."""
    import json

    from orchestration.defs.transform.assets import built_with_stamp
    from orchestration.defs.transform.project import project_fingerprint

    raw_warehouse_for_dbt(base_events(), tmp_path, monkeypatch)
    stamp = built_with_stamp(tmp_path / "warehouse.duckdb")
    assets = transform.omnistock_dbt_assets
    builds = tmp_path / "dbt_target"
    logs, full_refreshes = [], []
    for build in range(3):
        if build == 2:
            stamp.write_text("a fingerprint of an older project\n")
        before = set(builds.glob("*/dbt.log"))
        result = dg.materialize(
            [assets],
            resources={"dbt": transform.defs.resources["dbt"]},
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"ops": {assets.op.name: {"config": {"unit_tests": False}}}},
        )
        assert result.success
        (log,) = set(builds.glob("*/dbt.log")) - before
        logs.append(log.read_text())
        run_results = json.loads((log.parent / "run_results.json").read_text())
        full_refreshes.append(run_results["args"].get("full_refresh", False))
        assert stamp.read_text().strip() == project_fingerprint()
    assert full_refreshes == [True, False, True]
    assert "PartialParsingEnabled" not in logs[0]  # nothing to start from: a full parse
    assert (builds / "partial_parse.msgpack").is_file()
    assert "PartialParsingEnabled" in logs[1]
    assert "UnableToPartialParse" not in logs[1]


def test_pipeline_job_runs_a_freshness_check_per_regular_feed(transform):
    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB_NAME

    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    freshness = {
        key.name
        for key in job.asset_layer.asset_graph.asset_check_keys
        if key.asset_key == transform.WATERMARKS_KEY and key.name.endswith("_freshness")
    }
    assert freshness == {
        f"{feed}_freshness"
        for feed in ("pos", "ecommerce", "marketplace", "oms", "wms", "erp", "integration_gateway")
    }


def test_freshness_check_warns_on_the_feed_that_lags(transform, tmp_path, monkeypatch):
    # marketplace stops at 03-02 04:00, every other feed runs to 22:00: 18 h behind (> 12)
    raw_warehouse_for_dbt(regular_feed_events({"marketplace": 4}), tmp_path, monkeypatch)
    assets = transform.omnistock_dbt_assets

    result = dg.materialize(
        [assets, transform.source_freshness],
        selection=dg.AssetSelection.assets(
            dg.AssetKey(["staging", "stg_inventory_events"]), transform.WATERMARKS_KEY
        ),
        resources={"dbt": transform.defs.resources["dbt"]},
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {assets.op.name: {"config": {"unit_tests": False}}}},
    )

    assert result.success
    checks = {
        e.check_name: e
        for e in result.get_asset_check_evaluations()
        if e.check_name.endswith("_freshness")
    }
    assert len(checks) == 7
    lagging = checks.pop("marketplace_freshness")
    assert not lagging.passed
    assert lagging.severity == dg.AssetCheckSeverity.WARN
    assert lagging.metadata["lag_behind_leader_h"].value == 18.0
    assert lagging.metadata["watermark_at"].value == "2026-03-02 04:00:00"
    assert all(check.passed for check in checks.values()), checks


def test_weekly_schedule_runs_every_data_test_on_every_row(transform):
    """Pipeline runs test the rows each build wrote; the weekly schedule passes full_tests,
    which dbt reads as the var that widens the sliced data tests (macros/test_slices.sql)."""
    from orchestration.defs.transform.assets import DbtBuildConfig, dbt_build_args
    from orchestration.defs.transform.definitions import defs, full_data_tests

    assert dbt_build_args(DbtBuildConfig()) == ["build"]
    assert dbt_build_args(DbtBuildConfig(full_tests=True), run_unit_tests=False) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        "{full_tests: true}",
    ]
    schedule = defs.get_schedule_def("full_data_tests")
    assert schedule.cron_schedule == "0 3 * * 0"
    request = schedule.evaluate_tick(dg.build_schedule_context()).run_requests[0]
    op_config = request.run_config["ops"][transform.omnistock_dbt_assets.op.name]["config"]
    assert DbtBuildConfig(**op_config).full_tests
    assert full_data_tests.job_name == "omnistock_pipeline"


def test_dbt_runs_through_a_launcher_that_answers_the_version_question_itself(transform):
    """dagster-dbt asks `dbt --version` before every build; the launcher answers it from the
    installed package (no dbt start) and hands every other command to dbt itself."""
    import subprocess
    from importlib.metadata import version

    launcher = transform.defs.resources["dbt"].dbt_executable
    answer = subprocess.run([launcher, "--version"], capture_output=True, text=True, check=True)
    assert answer.stdout == f"Core:\n  - installed: {version('dbt-core')}\n"
    passed_on = subprocess.run([launcher, "--help"], capture_output=True, text=True, check=True)
    assert passed_on.stdout.startswith("Usage: dbt [OPTIONS]")
