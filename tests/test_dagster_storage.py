"""The Dagster home stores its run history in Dagster's own SQLite layout, without an fsync
per event (omnistock.app.dagster_storage)."""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

from omnistock.app.dagster_storage import LocalSqliteEventLogStorage, LocalSqliteStorage
from omnistock.app.runtime import DAGSTER_YAML

SQLITE_SYNCHRONOUS_OFF = 0


@dg.asset
def numbers() -> int:
    return 3


@dg.asset_check(asset=numbers)
def numbers_are_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_a_prepared_home_records_runs_without_fsync_in_dagsters_layout(omnistock_home):
    assert (omnistock_home.dagster_home / "dagster.yaml").read_text() == DAGSTER_YAML
    job = dg.Definitions(
        assets=[numbers], asset_checks=[numbers_are_positive], jobs=[dg.define_asset_job("j")]
    ).resolve_job_def("j")
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, LocalSqliteEventLogStorage)
        result = job.execute_in_process(instance=instance)
        assert result.success
        for connection in (
            storage.run_connection(result.run_id),
            storage.index_connection(),
            instance.run_storage.connect(),
            instance.schedule_storage.connect(),
        ):
            with connection as conn:
                assert conn.exec_driver_sql("pragma synchronous").scalar() == (
                    SQLITE_SYNCHRONOUS_OFF
                )
                assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
        # one engine per database file, kept
        assert storage._engine(result.run_id) is storage._engine(result.run_id)
        written = [
            e.dagster_event.event_type_value
            for e in instance.all_logs(result.run_id)
            if e.dagster_event
        ]
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [numbers_are_positive.check_key]
        )[numbers_are_positive.check_key]

    # Dagster's own storage on the same folder reads the same run, events and check
    plain = DagsterSqliteStorage.from_local(str(omnistock_home.dagster_home))
    assert not isinstance(plain, LocalSqliteStorage)
    read_back = plain.event_log_storage.get_logs_for_run(result.run_id)
    assert [e.dagster_event.event_type_value for e in read_back if e.dagster_event] == written
    assert "ASSET_CHECK_EVALUATION_PLANNED" in written and "PIPELINE_SUCCESS" in written
    (run,) = plain.run_storage.get_runs(dg.RunsFilter(run_ids=[result.run_id]))
    assert run.is_success
    assert check.status.value == "SUCCEEDED"
