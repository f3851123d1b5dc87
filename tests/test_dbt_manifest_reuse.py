"""The dbt manifest is parsed once per version of the project, not once per run."""

from __future__ import annotations

import hashlib
import json
import shutil

from orchestration.defs.transform.project import (
    DBT_PROJECT_DIR,
    get_dbt_project,
    prepare_manifest,
    project_fingerprint,
)


def test_fingerprint_follows_the_project_files_and_the_engine(tmp_path, monkeypatch):
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.delenv("OMNISTOCK_ENGINE", raising=False)
    first = project_fingerprint(copy)
    assert project_fingerprint(copy) == first
    # target/ and logs/ are outputs, not inputs
    (copy / "target").mkdir()
    (copy / "target" / "run_results.json").write_text("{}")
    assert project_fingerprint(copy) == first

    model = next((copy / "models" / "marts").glob("*.sql"))
    model.write_text(model.read_text() + "\n-- a comment changes the parse input\n")
    edited = project_fingerprint(copy)
    assert edited != first

    monkeypatch.setenv("OMNISTOCK_ENGINE", "spark")
    assert project_fingerprint(copy) != edited


def test_prepare_manifest_reuses_an_unchanged_parse_and_redoes_a_rewritten_one():
    manifest = prepare_manifest()  # the session already prepared it: reused or parsed once
    stamp_before = manifest.with_name("manifest.fingerprint").read_text()
    mtime = manifest.stat().st_mtime_ns
    assert prepare_manifest() == manifest
    assert manifest.stat().st_mtime_ns == mtime  # not parsed again

    # someone else writes the same path (e.g. a dbt build with other --vars)
    manifest.write_text(json.dumps(json.loads(manifest.read_text())))
    prepare_manifest()
    assert (
        manifest.with_name("manifest.fingerprint").read_text().split()[0]
        == (stamp_before.split()[0])
    )
    assert get_dbt_project().manifest_path.stat().st_mtime_ns != mtime
    recorded_hash = manifest.with_name("manifest.fingerprint").read_text().split()[1]
    assert recorded_hash == hashlib.sha256(manifest.read_bytes()).hexdigest()


def test_unit_tests_run_when_the_project_changed_since_they_last_passed(tmp_path):
    from orchestration.defs.transform.assets import (
        UNIT_TESTS_STAMP,
        DbtBuildConfig,
        dbt_build_args,
        unit_tests_due,
    )

    default = DbtBuildConfig()
    assert unit_tests_due(default, "v1", tmp_path)  # never passed here
    (tmp_path / UNIT_TESTS_STAMP).write_text("v1\n")
    assert not unit_tests_due(default, "v1", tmp_path)  # passed on this very project
    assert unit_tests_due(default, "v2", tmp_path)  # a model changed since
    assert unit_tests_due(DbtBuildConfig(unit_tests=True), "v1", tmp_path)
    assert not unit_tests_due(DbtBuildConfig(unit_tests=False), "v2", tmp_path)
    assert dbt_build_args(default, run_unit_tests=False) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
    ]
    assert dbt_build_args(default, full_refresh=True) == ["build", "--full-refresh"]


def test_a_full_refresh_is_due_when_the_warehouse_was_built_by_another_project(tmp_path):
    from orchestration.defs.transform.assets import (
        DbtBuildConfig,
        built_with_stamp,
        every_model_built,
        full_refresh_due,
    )

    warehouse = tmp_path / "warehouse.duckdb"
    default = DbtBuildConfig()
    assert full_refresh_due(default, "v1", warehouse)  # never built here
    built_with_stamp(warehouse).write_text("v1\n")
    assert not full_refresh_due(default, "v1", warehouse)
    assert full_refresh_due(default, "v2", warehouse)  # a model changed since
    assert full_refresh_due(DbtBuildConfig(full_refresh=True), "v1", warehouse)
    assert not full_refresh_due(DbtBuildConfig(full_refresh=False), "v2", warehouse)
    # a failed data test leaves the models built; a failed or skipped model does not
    model = {"unique_id": "model.omnistock.kpi_daily", "status": "success"}
    failed_test = {"unique_id": "test.omnistock.not_null_kpi_daily_value", "status": "fail"}
    assert every_model_built({"results": [model, failed_test]})
    assert not every_model_built({"results": [model, {**model, "status": "skipped"}]})
    assert not every_model_built({"results": [{**model, "status": "error"}]})
    assert not every_model_built({})


def _load_under_dagster_dev(extra_env: dict[str, str]) -> None:
    """A fresh process importing the dbt project as `dagster dev`'s code server and each of
    its run workers do."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DAGSTER_IS_DEV_CLI": "1", **extra_env}
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.defs.transform import get_dbt_project as g; g()",
        ],
        env=env,
        check=True,
        capture_output=True,
    )


def test_dagster_dev_processes_reuse_the_manifest_until_the_project_changes():
    manifest = prepare_manifest()
    stamp = manifest.with_name("manifest.fingerprint")
    kept = {path: path.read_bytes() for path in (manifest, stamp)}
    mtime = manifest.stat().st_mtime_ns
    try:
        _load_under_dagster_dev({})
        assert manifest.stat().st_mtime_ns == mtime  # no `dbt parse` in a new process

        # what a parse depends on changed (here the target's variable, named but the same
        # target, so the parse is the real one): the next process parses once
        _load_under_dagster_dev({"DBT_TARGET": "duckdb"})
        assert manifest.stat().st_mtime_ns != mtime
        changed = stamp.read_text().split()
        assert changed[0] != kept[stamp].decode().split()[0]
        assert changed[1] == hashlib.sha256(manifest.read_bytes()).hexdigest()
        reparsed = manifest.stat().st_mtime_ns
        _load_under_dagster_dev({"DBT_TARGET": "duckdb"})
        assert manifest.stat().st_mtime_ns == reparsed
    finally:
        for path, data in kept.items():
            path.write_bytes(data)
