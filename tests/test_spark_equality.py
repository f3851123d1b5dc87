"""The dbt project on Apache Spark equals it on DuckDB (issue 14; docs/deployment.md).

One module-scoped run on the simulator's `tiny` scenario: ingest into DuckDB, `dbt build` on
DuckDB, publish the Parquet lake (omnistock.lake), `dbt build` on the `spark` target (a local
Spark session, local[2], 1 GB driver) whose raw sources are views over that lake. The Spark
build runs everything the DuckDB one does: every seed, model, data test and unit test. Then
the marts planners read (and the KPI catalog, observations and periods) are compared row for
row. The module takes 3 to 5 minutes on 2 shared cores, nearly all of it the Spark build.

Spark's tables are Parquet files in its warehouse folder
(`$OMNISTOCK_SPARK_DIR/warehouse/<schema>.db/<table>/`); DuckDB reads them for the comparison,
so no second Spark session has to start. Doubles are compared with a relative tolerance of
1e-9: sums and means of doubles may add up in another order on each engine. Percentiles need
no other allowance: Spark's `percentile` interpolates linearly like DuckDB's `quantile_cont`
(`percentile_approx` would not, and is not used).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from dbt_fixtures import DBT_PROJECT_DIR, DbtRun, run_results

import simulator
from omnistock.config import Settings
from omnistock.ingest import ingest_files, load_reference
from omnistock.lake import publish_lake
from orchestration.defs.transform.spark import serve_spark_tables, spark_table_dirs

pytest.importorskip(
    "pyspark",
    reason="pyspark is not installed: the `spark` extra (pip install -e '.[spark]'; "
    "`make setup` installs it)",
)
pytestmark = [pytest.mark.spark, pytest.mark.slow]

# mart -> its key (the sort order of the comparison); None: no key, every column sorts
COMPARED_MARTS = {
    "kpi_daily": ("kpi_date", "kpi_name", "dimension", "dimension_value"),
    "process_transitions": ("workflow", "from_activity", "to_activity"),
    "stalled_cases": ("workflow", "case_key"),
    "exception_queue": ("exception_id",),
    "kpi_catalog": ("kpi_name",),  # a seed: spark__load_csv_rows
    "kpi_observations": None,
    "kpi_period": ("period", "kpi_name", "dimension", "dimension_value"),
    "alert_thresholds": ("kpi_name",),  # a seed
    "alert_conditions": ("rule", "subject"),
    "case_events": ("workflow", "case_key", "event_index"),
}
# tiny breaches no alert threshold and no feed lags: alert_conditions is empty on both engines
# (its unit tests run on Spark with the rest of the build)
EMPTY_ON_TINY = {"alert_conditions"}
REL_TOLERANCE = 1e-9

# Each spark__ macro of dbt_project/macros and SQL that only it writes: the Spark build's
# compiled SQL must hold every one. register_lake_sources runs as on-run-start instead (its
# log line), load_csv_rows loads the seed (its insert, and kpi_catalog equal to DuckDB's).
SPARK_MACRO_EVIDENCE = {
    "json_text": "get_json_object(",
    "seconds_between": " as double) - cast(",
    "percentile_cont": "percentile(",
    "parse_utc_timestamp": "to_timestamp(get_json_object(",
    "date_series": "explode(case when",
}
LAKE_HOOK_LOG = "raw sources: 3 views over the lake at"
SEED_INSERT_EVIDENCE = "cast('order_exception_rate' as string)"
# SQL only the duckdb__ variants write: none of it may reach Spark.
DUCKDB_ONLY_SQL = ("quantile_cont(", "json_extract_string(", "epoch(", "generate_series(")


@dataclass
class EngineRun(DbtRun):
    """dbt on one engine: OMNISTOCK_ENGINE and the Spark folders, whatever the caller set."""

    engine_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("DBT_TARGET", None)  # the engine's own target unless engine_env names one
        return {**env, "OMNISTOCK_ENGINE": "duckdb", **self.engine_env}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Both builds of the tiny scenario: a dict with the DuckDB warehouse, the Spark
    warehouse folder, each build's work dir and dbt output, and the seconds each step took."""
    home = tmp_path_factory.mktemp("spark_equality")
    landing, warehouse = home / "landing", home / "warehouse.duckdb"
    lake, spark_dir = home / "lake", home / "spark"
    seconds = {}

    started = time.perf_counter()
    simulator.simulate(simulator.get_scenario("tiny", seed=7), landing)
    with duckdb.connect(str(warehouse)) as con:
        load_reference(con, landing)
        ingest_files(con, landing)
    seconds["simulate_and_ingest"] = time.perf_counter() - started

    started = time.perf_counter()
    duckdb_dir = home / "dbt_duckdb"
    duckdb_dir.mkdir()
    EngineRun(warehouse, duckdb_dir)("build")
    seconds["dbt_build_duckdb"] = time.perf_counter() - started

    started = time.perf_counter()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lake_report = publish_lake(con, lake)
    seconds["publish_lake"] = time.perf_counter() - started

    started = time.perf_counter()
    spark_work = home / "dbt_spark"
    spark_work.mkdir()
    spark_run = EngineRun(
        warehouse,
        spark_work,
        engine_env={
            "OMNISTOCK_ENGINE": "spark",
            "OMNISTOCK_HOME": str(home),
            "OMNISTOCK_LAKE_DIR": str(lake),
            "OMNISTOCK_SPARK_DIR": str(spark_dir),
            "OMNISTOCK_SPARK_MASTER": "local[2]",
            "OMNISTOCK_SPARK_DRIVER_MEMORY": "1g",
        },
    )
    spark_output = spark_run("build").stdout
    seconds["dbt_build_spark"] = time.perf_counter() - started
    print("spark equality timings (s):", {step: round(s, 1) for step, s in seconds.items()})
    return {
        "warehouse": warehouse,
        "lake": lake,
        "spark_warehouse": spark_dir / "warehouse",
        "duckdb_dir": duckdb_dir,
        "spark_dir": spark_work,
        "spark_output": spark_output,
        "lake_report": lake_report,
        "seconds": seconds,
    }


def _results(work_dir: Path) -> dict[str, str]:
    return {result["unique_id"]: result["status"] for result in run_results(work_dir)["results"]}


def test_spark_builds_and_tests_everything_duckdb_does(builds):
    duckdb_results = _results(builds["duckdb_dir"])
    spark_results = _results(builds["spark_dir"])
    assert set(spark_results) == set(duckdb_results)
    failed = {
        node: status for node, status in spark_results.items() if status not in ("success", "pass")
    }
    assert not failed
    kinds = {}
    for node in spark_results:
        kind = node.split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    # every seed, model, data test and unit test of the project, and the lake hook
    assert kinds["model"] >= 40 and kinds["test"] >= 150 and kinds["unit_test"] >= 35
    assert kinds["seed"] == len(list((DBT_PROJECT_DIR / "seeds").glob("*.csv")))
    assert kinds["operation"] == 1


def test_spark_reads_the_published_lake(builds):
    report = builds["lake_report"]
    assert report.rewritten
    assert LAKE_HOOK_LOG in builds["spark_output"]
    # every stored event reached Spark's staging table through the lake
    with duckdb.connect() as con:
        [(staged,)] = con.execute(
            "select count(*) from read_parquet(?)",
            [str(builds["spark_warehouse"] / "staging.db" / "stg_inventory_events" / "*.parquet")],
        ).fetchall()
    assert staged == report.rows["inventory_events"] > 10_000


def test_every_spark_macro_is_exercised(builds):
    macros_text = "".join(path.read_text() for path in (DBT_PROJECT_DIR / "macros").glob("*.sql"))
    defined = set(re.findall(r"macro spark__(\w+)\(", macros_text))
    assert defined == {*SPARK_MACRO_EVIDENCE, "register_lake_sources", "load_csv_rows"}
    compiled = "\n".join(
        path.read_text() for path in (builds["spark_dir"] / "target" / "compiled").rglob("*.sql")
    )
    missing = [macro for macro, sql in SPARK_MACRO_EVIDENCE.items() if sql not in compiled]
    assert not missing
    seed_sql = "\n".join(
        path.read_text() for path in (builds["spark_dir"] / "target" / "run").rglob("*.csv")
    )
    assert SEED_INSERT_EVIDENCE in seed_sql
    leaked = [sql for sql in DUCKDB_ONLY_SQL if sql in compiled]
    assert not leaked


def _normalized(value):
    """Spark writes timestamps as instants (DuckDB reads them with a time zone): UTC, naive."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _mart(con, relation: str, columns: list[str], key: tuple[str, ...]) -> list[tuple]:
    rows = con.execute(f"select {', '.join(columns)} from {relation} order by {', '.join(key)}")
    return [tuple(_normalized(value) for value in row) for row in rows.fetchall()]


def _column_types(con, relation: str) -> list[tuple[str, str]]:
    described = con.execute(f"describe select * from {relation}").fetchall()
    return [
        (name, kind.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMP"))
        for name, kind, *_ in described
    ]


def _differences(expected, actual, columns, key) -> list[tuple]:
    """(key, column, DuckDB's value, Spark's) of every cell that differs, doubles within
    REL_TOLERANCE (sums of doubles may add up in another order on each engine)."""
    differences = []
    for duckdb_row, spark_row in zip(expected, actual, strict=True):
        for column, want, got in zip(columns, duckdb_row, spark_row, strict=True):
            if isinstance(want, float) and isinstance(got, float):
                same = math.isclose(want, got, rel_tol=REL_TOLERANCE, abs_tol=REL_TOLERANCE)
            else:
                same = want == got
            if not same:
                differences.append((duckdb_row[: len(key)], column, want, got))
    return differences


@pytest.mark.parametrize("mart", COMPARED_MARTS)
def test_mart_equals_duckdb_row_for_row(builds, mart):
    spark_files = builds["spark_warehouse"] / "marts.db" / mart / "*.parquet"
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        duckdb_relation = f"marts.{mart}"
        spark_relation = f"read_parquet('{spark_files}')"
        assert _column_types(con, spark_relation) == _column_types(con, duckdb_relation)
        columns = [name for name, _ in _column_types(con, duckdb_relation)]
        key = COMPARED_MARTS[mart] or tuple(columns)
        expected = _mart(con, duckdb_relation, columns, key)
        actual = _mart(con, spark_relation, columns, key)

    assert len(expected) > 0 or mart in EMPTY_ON_TINY
    assert len(actual) == len(expected)
    assert not _differences(expected, actual, columns, key)[:20]


def test_every_mart_has_duckdbs_columns_and_types(builds):
    """The contracts hold on both engines: every mart Spark built has DuckDB's columns, in
    order, with DuckDB's types (intermediate tables only share the column names: DuckDB sums
    bigints into hugeints where Spark keeps bigints)."""
    tables = spark_table_dirs(builds["spark_warehouse"].parent)
    assert {table for schema, table in tables if schema == "marts"} >= set(COMPARED_MARTS)
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        for (schema, table), folder in tables.items():
            spark_columns = _column_types(con, f"read_parquet('{folder}/*.parquet')")
            duckdb_columns = _column_types(con, f"{schema}.{table}")
            if schema == "marts":
                assert spark_columns == duckdb_columns, table
            else:
                assert [name for name, _ in spark_columns] == [
                    name for name, _ in duckdb_columns
                ], table


def test_spark_tables_are_served_back_into_duckdb(builds, tmp_path, monkeypatch):
    """What the Dagster asset does after a Spark build: the platform reads DuckDB, so Spark's
    tables replace the models' tables there (a copy of the DuckDB-built warehouse here)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(builds["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.kpi_daily")  # proves the copy replaced it
    monkeypatch.setenv("OMNISTOCK_SPARK_DIR", str(builds["spark_warehouse"].parent))
    settings = Settings(home=tmp_path, landing_dir=tmp_path / "landing", warehouse=warehouse)

    served = serve_spark_tables(settings)

    assert served["staging.stg_inventory_events"] == builds["lake_report"].rows["inventory_events"]
    for mart in ("kpi_daily", "stalled_cases"):
        key = COMPARED_MARTS[mart]
        with duckdb.connect(str(warehouse), read_only=True) as con:
            columns = [name for name, _ in _column_types(con, f"marts.{mart}")]
            served_rows = _mart(con, f"marts.{mart}", columns, key)
            # timestamps come back naive UTC, the type the DuckDB build has
            types = {
                name: kind for name, kind, *_ in con.execute(f"describe marts.{mart}").fetchall()
            }
        with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
            built_rows = _mart(con, f"marts.{mart}", columns, key)
        assert len(served_rows) == len(built_rows) == served[f"marts.{mart}"]
        assert not _differences(built_rows, served_rows, columns, key)[:20]
        assert "TIMESTAMP WITH TIME ZONE" not in types.values()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def connect_server(tmp_path):
    """A local Spark Connect server (the pyspark package's own jars) on a free loopback port:
    what the `spark_cluster` target talks to. Yields its URL and its warehouse folder."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    folder, port = tmp_path / "connect", _free_port()
    folder.mkdir()
    settings = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    command = [
        str(spark_home / "bin" / "spark-submit"),
        *("--class", "org.apache.spark.sql.connect.service.SparkConnectServer"),
        *("--master", "local[2]", "--driver-memory", "1g"),
        *(
            argument
            for name, value in settings.items()
            for argument in ("--conf", f"{name}={value}")
        ),
        "spark-internal",
    ]
    with (folder / "server.log").open("w") as log:
        server = subprocess.Popen(
            command,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SPARK_HOME": str(spark_home)},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (folder / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Spark Connect server did not start"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(1)
        yield f"sc://127.0.0.1:{port}", folder / "warehouse"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# a small slice of the project: the lake hook, the seed, a source-reading staging model and a
# contracted mart, with their data and unit tests
CONNECT_SELECTION = ("kpi_catalog", "stg_skus", "dim_skus")


def test_spark_cluster_target_builds_through_spark_connect(builds, connect_server, tmp_path):
    url, server_warehouse = connect_server
    work = tmp_path / "dbt_connect"
    work.mkdir()
    run = EngineRun(
        builds["warehouse"],
        work,
        engine_env={
            "OMNISTOCK_ENGINE": "spark",
            "DBT_TARGET": "spark_cluster",
            "OMNISTOCK_SPARK_REMOTE": url,
            "OMNISTOCK_LAKE_DIR": str(builds["lake"]),  # the server runs on this machine
        },
    )
    # cautious: only the tests whose every parent is in the slice
    output = run("build", "--select", *CONNECT_SELECTION, "--indirect-selection", "cautious").stdout

    assert LAKE_HOOK_LOG in output
    statuses = _results(work)
    assert statuses and set(statuses.values()) <= {"success", "pass"}
    assert {node.split(".")[-1] for node in statuses} >= set(CONNECT_SELECTION)
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        for mart in ("kpi_catalog", "dim_skus"):
            relation = f"read_parquet('{server_warehouse / 'marts.db' / mart / '*.parquet'}')"
            assert _column_types(con, relation) == _column_types(con, f"marts.{mart}")
            columns = [name for name, _ in _column_types(con, f"marts.{mart}")]
            expected = _mart(con, f"marts.{mart}", columns, (columns[0],))
            actual = _mart(con, relation, columns, (columns[0],))
            assert len(actual) == len(expected) > 0
            assert not _differences(expected, actual, columns, (columns[0],))
