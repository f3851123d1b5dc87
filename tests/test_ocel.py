"""OCEL 2.0 interop: the export read back by pm4py equals dbt's process_transitions; the shared
public logs import completely and their process maps equal pm4py's (the oracle, an AGPL
test-only extra: tests that need it skip when it is not installed).

One tiny warehouse per module: the simulator's `tiny` scenario, ingested and built by dbt.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import warnings
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest
from dbt_fixtures import DbtRun, create_raw_warehouse, event_rows, ts

import simulator
from omnistock.ingest import ingest_files, load_reference
from omnistock.ocel import (
    case_timeline,
    configure,
    export_ocel,
    import_ocel,
    ocdfg_event_couples,
    process_map,
    stalled_cases,
)
from omnistock.ocel.mapping import EVENT_CATALOG, case_types

DATA = Path(__file__).parent / "data" / "ocel"
SHARED_LOGS = {
    "order-management": ("order-management.sqlite", "orders"),
    "logistics": ("logistics.sqlite", "Container"),
}
TOLERANCE = {"rel": 1e-9, "abs": 1e-6}
PROCESS_TRANSITIONS_COLUMNS = (
    "workflow", "from_activity", "to_activity", "transition_count", "case_count",
    "mean_duration_s", "p50_duration_s", "p95_duration_s", "min_duration_s", "max_duration_s",
)  # fmt: skip


@pytest.fixture(scope="module")
def pm4py():
    module = pytest.importorskip(
        "pm4py", reason="pm4py (the test-only `oracle` extra: pip install -e '.[oracle]') "
        "is not installed"
    )  # fmt: skip
    warnings.filterwarnings("ignore", module="pm4py")
    return module


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(warehouse, dbt work dir): the tiny scenario ingested and built up to
    process_transitions by dbt (models, data tests and unit tests of that lineage)."""
    work_dir = tmp_path_factory.mktemp("ocel_tiny")
    landing = work_dir / "landing"
    simulator.simulate(simulator.get_scenario("tiny", seed=7), landing)
    warehouse = work_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        load_reference(con, landing)
        ingest_files(con, landing)
    DbtRun(warehouse, work_dir)("build", "--select", "+process_transitions")
    return warehouse, work_dir


@pytest.fixture(scope="module")
def exports(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("ocel_exports")
    return {
        file_format: export_ocel(tiny[0], out / f"tiny.{file_format}")
        for file_format in ("sqlite", "json")
    }


@pytest.fixture(scope="module")
def imported(tiny, tmp_path_factory):
    """A copy of the tiny warehouse with both shared logs imported beside the event store."""
    warehouse = tmp_path_factory.mktemp("ocel_imports") / "warehouse.duckdb"
    shutil.copy(tiny[0], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for name, (file_name, case_type) in SHARED_LOGS.items():
            import_ocel(con, DATA / file_name, case_type, name)
    return warehouse


@pytest.fixture(scope="module")
def pm4py_logs(pm4py):
    cache = {}

    def read(path: Path):
        if path not in cache:
            reader = pm4py.read_ocel2_json if path.suffix == ".json" else pm4py.read_ocel2_sqlite
            cache[path] = reader(str(path))
        return cache[path]

    return read


def query(path: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def dbt_transitions(warehouse: Path, workflow: str) -> dict:
    rows = query(
        warehouse,
        "select from_activity, to_activity, transition_count, mean_duration_s, p50_duration_s, "
        "p95_duration_s from marts.process_transitions where workflow = ?",
        [workflow],
    )
    return {(a, b): tuple(values) for a, b, *values in rows}


def pm4py_transitions(pm4py, ocel, object_type: str) -> dict:
    """pm4py's performance DFG of the log flattened on `object_type`: count, mean, and the
    linear-interpolation median and 95th percentile of its raw durations."""
    flat = pm4py.ocel_flattening(ocel, object_type)
    if flat.empty:
        return {}
    durations = pm4py.discover_performance_dfg(flat, perf_aggregation_key="raw_values")[0]
    return {
        edge: (len(values), np.mean(values), np.percentile(values, 50), np.percentile(values, 95))
        for edge, values in durations.items()
    }


def assert_same_edges(ours: dict, theirs: dict) -> None:
    assert set(ours) == set(theirs)
    for edge, (count, *durations) in theirs.items():
        assert ours[edge][0] == count, edge
        assert ours[edge][1:] == pytest.approx(durations, **TOLERANCE), edge


def package_transitions(rows: list[dict]) -> dict:
    return {
        (r["from_activity"], r["to_activity"]): (
            r["transition_count"],
            r["mean_duration_s"],
            r["p50_duration_s"],
            r["p95_duration_s"],
        )
        for r in rows
    }


# --- export ----------------------------------------------------------------------------------


def test_mapping_mirrors_dbt_event_catalog(tiny):
    warehouse, _ = tiny
    workflows = dict(
        query(warehouse, "select distinct event_type, workflow from staging.stg_inventory_events")
    )
    ranks = dict(
        query(warehouse, "select distinct activity, activity_rank from intermediate.int_event_log")
    )
    assert len(workflows) == 24  # tiny has every event type
    assert workflows == {name: workflow for name, (workflow, _) in EVENT_CATALOG.items()}
    assert ranks == {name: EVENT_CATALOG[name][1] for name in ranks}


@pytest.mark.parametrize("file_format", ["sqlite", "json"])
def test_pm4py_reads_the_export_completely(tiny, exports, pm4py_logs, file_format):
    warehouse, _ = tiny
    report = exports[file_format]
    ocel = pm4py_logs(report.path)
    (events,) = query(warehouse, "select count(*) from raw.inventory_events")[0]
    assert len(ocel.events) == report.events == events
    assert len(ocel.objects) == report.objects
    assert len(ocel.relations) == report.event_objects
    assert len(ocel.o2o) == report.object_objects
    assert ocel.objects["ocel:type"].value_counts().to_dict() == report.objects_by_type
    # a PO whose acknowledgement revises expected_at gets an attribute change at that time
    revisions = query(
        warehouse,
        """select count(*) from (
            select json_extract_string(attributes, '$.expected_at') as expected_at,
                lag(json_extract_string(attributes, '$.expected_at'))
                    over (partition by case_id order by occurred_at, event_type desc) as before
            from raw.inventory_events where event_type in ('po_created', 'po_acknowledged')
        ) where before <> expected_at""",
    )[0][0]
    assert revisions > 0
    assert len(ocel.object_changes) == revisions
    assert set(ocel.object_changes["ocel:field"]) == {"expected_at"}


@pytest.mark.parametrize("file_format", ["sqlite", "json"])
def test_flattened_export_is_process_transitions(tiny, exports, pm4py, pm4py_logs, file_format):
    warehouse, _ = tiny
    ocel = pm4py_logs(exports[file_format].path)
    for workflow, case_type in case_types().items():
        ours = dbt_transitions(warehouse, workflow)
        assert ours, workflow
        assert_same_edges(ours, pm4py_transitions(pm4py, ocel, case_type))


def test_export_relations_and_attributes_by_hand(tiny, exports):
    warehouse, _ = tiny
    path = exports["sqlite"].path
    db = sqlite3.connect(path)

    def relations(event_id: str) -> set[tuple[str, str]]:
        rows = db.execute(
            "SELECT ocel_object_id, ocel_qualifier FROM event_object WHERE ocel_event_id = ?",
            [event_id],
        )
        return set(rows.fetchall())

    # a refund names no sku: it concerns every line of its return
    refund, case_id, location, source = query(
        warehouse,
        "select event_id, case_id, location_id, source_system from raw.inventory_events "
        "where event_type = 'refund_issued' order by event_id limit 1",
    )[0]
    skus = [s for (s,) in query(warehouse, "select distinct sku from raw.inventory_events "
                                "where case_id = ? and sku is not null", [case_id])]  # fmt: skip
    assert relations(refund) == {
        (f"return:{case_id}", "return"),
        *((f"return_line:{case_id}|{sku}", "line") for sku in skus),
        (f"location:{location}", "location"),
        (f"source_system:{source}", "source"),
    }
    # a transfer request goes from its location to to_location_id
    event_id, case_id, sku, origin, destination = query(
        warehouse,
        "select event_id, case_id, sku, location_id, to_location_id from raw.inventory_events "
        "where event_type = 'transfer_requested' order by event_id limit 1",
    )[0]
    assert relations(event_id) == {
        (f"transfer:{case_id}", "transfer"),
        (f"transfer_line:{case_id}|{sku}", "line"),
        (f"sku:{sku}", "sku"),
        (f"location:{origin}", "from"),
        (f"location:{destination}", "to"),
        ("source_system:erp", "source"),
    }
    # an ERP posting concerns the stock position of the event it posts
    posting, sku, location = query(
        warehouse,
        """select postings.event_id, posted.sku, posted.location_id
        from raw.inventory_events as postings join raw.inventory_events as posted
            on posted.event_id = json_extract_string(postings.attributes, '$.posted_event_id')
        order by postings.event_id limit 1""",
    )[0]
    assert relations(posting) == {
        (f"sku:{sku}", "sku"),
        (f"location:{location}", "location"),
        ("source_system:erp", "source"),
    }
    # attributes: typed columns per event type; SKUs carry the reference data
    columns = {row[1]: row[2] for row in db.execute("PRAGMA table_info(event_api_call)")}
    assert columns["status_code"] == "INTEGER" and columns["emitted_at"] == "TIMESTAMP"
    sku, category, unit_cost = query(
        warehouse, "select sku, category, unit_cost from raw.skus order by sku limit 1"
    )[0]
    assert db.execute(
        "SELECT category, unit_cost, ocel_changed_field FROM object_sku WHERE ocel_id = ?",
        [f"sku:{sku}"],
    ).fetchall() == [(category, unit_cost, None)]
    db.close()


@pytest.mark.parametrize("file_format", ["sqlite", "json"])
def test_export_imports_back_to_process_transitions(tiny, exports, tmp_path, file_format):
    warehouse, work_dir = tiny
    with duckdb.connect(str(tmp_path / "roundtrip.duckdb")) as con:
        report = import_ocel(con, exports[file_format].path, "order_line", "tiny")
        assert report.events == exports[file_format].events
        assert report.objects == exports[file_format].objects
        for workflow, case_type in case_types().items():
            ours = package_transitions(process_map(con, "tiny", case_type))
            assert_same_edges(ours, dbt_transitions(warehouse, workflow))
        # one definition: dbt's compiled int_case_transitions and process_transitions, run on
        # the imported event_log (the edges' watermark left out), give the package's view row
        # for row
        compiled = work_dir / "target" / "compiled"
        edges = re.sub(
            r'"[^"]+"\."intermediate"\."int_event_log"',
            "ocel_tiny.event_log",
            next(compiled.rglob("int_case_transitions.sql")).read_text(),
        )
        edges = re.sub(
            r'\(select max\(ingested_at\) from "[^"]+"\."staging"\."stg_inventory_events"\)',
            "null",
            edges,
        )
        sql = re.sub(
            r'"[^"]+"\."intermediate"\."int_case_transitions"',
            f"({edges})",
            next(compiled.rglob("process_transitions.sql")).read_text(),
        )
        assert "ocel_tiny.event_log" in sql and "stg_inventory_events" not in sql
        columns = ", ".join(PROCESS_TRANSITIONS_COLUMNS)
        from_dbt = con.execute(f"select {columns} from ({sql}) order by all").fetchall()
        from_package = con.execute(
            f"select {columns} from ocel_tiny.process_transitions order by all"
        ).fetchall()
        assert len(from_dbt) > 20 and from_dbt == from_package


def test_json_keeps_the_workflow_order_of_same_second_events(tmp_path, pm4py):
    """A POS order placed and fulfilled in the same second: JSON keeps the log's order
    (placed first, as int_event_log ranks them) for pm4py and for our import. SQLite has no
    order across its per-type tables: pm4py, and our import like it, break the tie by the
    row's position in its table, then by type name (order_fulfilled < order_placed)."""
    same_second = {"source_system": "pos", "case_id": "O4", "occurred_at": "2026-03-01T11:00:00"}
    events = [
        {"event_id": "e001", "event_type": "order_fulfilled", **same_second,
         "location_id": "S002", "sku": "SKU1", "quantity": 1},
        {"event_id": "e002", "event_type": "order_placed", **same_second,
         "sku": "SKU1", "quantity": 1, "channel": "store"},
    ]  # fmt: skip
    warehouse = create_raw_warehouse(
        tmp_path / "warehouse.duckdb", event_rows(events, ingested_at=ts(1, 12))
    )
    expected = {"json": ("order_placed", "order_fulfilled"),
                "sqlite": ("order_fulfilled", "order_placed")}  # fmt: skip
    for file_format, edge in expected.items():
        path = export_ocel(warehouse, tmp_path / f"tie.{file_format}").path
        reader = pm4py.read_ocel2_json if file_format == "json" else pm4py.read_ocel2_sqlite
        assert set(pm4py_transitions(pm4py, reader(str(path)), "order_line")) == {edge}
        with duckdb.connect(str(tmp_path / f"{file_format}.duckdb")) as con:
            import_ocel(con, path, "order_line", "tie")
            rows = process_map(con, "tie", "order_line")
        assert [(r["from_activity"], r["to_activity"], r["p50_duration_s"]) for r in rows] == [
            (*edge, 0.0)
        ]


# --- import ----------------------------------------------------------------------------------


def source_counts(path: Path) -> dict[str, int]:
    """Counted straight from the SQLite file."""
    db = sqlite3.connect(path)
    count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    type_tables = [m for (m,) in db.execute("SELECT ocel_type_map FROM event_map_type")]
    object_tables = [m for (m,) in db.execute("SELECT ocel_type_map FROM object_map_type")]
    counts = {
        "events": count("SELECT count(*) FROM event"),
        "event_rows": sum(count(f'SELECT count(*) FROM "event_{m}"') for m in type_tables),
        "objects": count("SELECT count(*) FROM object"),
        "event_objects": count("SELECT count(*) FROM event_object"),
        "object_objects": count("SELECT count(*) FROM object_object"),
        "object_changes": sum(
            count(f'SELECT count(*) FROM "object_{m}" WHERE ocel_changed_field IS NOT NULL')
            for m in object_tables
        ),
        "event_types": len(type_tables),
    }
    db.close()
    return counts


@pytest.mark.parametrize("name", SHARED_LOGS)
def test_shared_log_imports_completely(imported, tiny, name):
    counts = source_counts(DATA / SHARED_LOGS[name][0])
    schema = f"ocel_{name.replace('-', '_')}"
    got = {
        table: query(imported, f"select count(*) from {schema}.{table}")[0][0]
        for table in ("events", "objects", "event_objects", "object_objects", "object_changes",
                      "event_types")
    }  # fmt: skip
    assert counts["events"] == counts["event_rows"] == got["events"]
    assert {k: counts[k] for k in got if k != "events"} == {
        k: v for k, v in got.items() if k != "events"
    }
    # every event has its time; every attribute column is kept (as JSON)
    assert query(imported, f"select count(*) from {schema}.events where occurred_at is null") == [
        (0,)
    ]
    # the retail event store is untouched
    assert query(imported, "select count(*) from raw.inventory_events") == query(
        tiny[0], "select count(*) from raw.inventory_events"
    )


def test_import_keeps_every_attribute_and_the_per_type_tables():
    """order-management's `event` table lists 8 types, its event_* tables 11 (3 empty);
    products change price over time; items keep INTEGER ids that relations name as text."""
    with duckdb.connect() as con:
        report = import_ocel(con, DATA / "order-management.sqlite", "orders", "om")
        declared = con.execute("select count(*) from ocel_om.event_types").fetchone()[0]
        assert declared == 11 and len(report.events_by_type) == 8
        assert con.execute(
            "select attributes::varchar from ocel_om.objects where object_id = '880001'"
        ).fetchone() == ('{"weight":0.98,"price":129.99}',)
        assert con.execute(
            """select changed_at, changed_field, attributes::varchar from ocel_om.object_changes
            where object_id = 'Kindle Paperwhite' order by changed_at limit 1"""
        ).fetchone() == (datetime(2023, 6, 2, 11, 39, 36), "price", '{"price":130.7}')
        # the relations of pick item events name items by text id: they join
        assert report.dangling_relations == 0


@pytest.mark.parametrize("name", SHARED_LOGS)
def test_shared_log_process_maps_equal_pm4py(imported, pm4py, pm4py_logs, name):
    ocel = pm4py_logs(DATA / SHARED_LOGS[name][0])
    with duckdb.connect(str(imported), read_only=True) as con:
        ours = process_map(con, name)
        couples = ocdfg_event_couples(con, name)
    # flattened performance DFG per object type
    object_types = sorted(set(ocel.objects["ocel:type"]))
    compared = 0
    for object_type in object_types:
        theirs = pm4py_transitions(pm4py, ocel, object_type)
        assert_same_edges(
            package_transitions([r for r in ours if r["workflow"] == object_type]), theirs
        )
        compared += len(theirs)
    assert compared == len(ours) > 10
    # OC-DFG: objects per edge, (event, event, object) triples, distinct event pairs
    ocdfg = pm4py.discover_ocdfg(ocel)
    by_edge = {(r["workflow"], r["from_activity"], r["to_activity"]): r for r in ours}
    by_couple = {(r["workflow"], r["from_activity"], r["to_activity"]): r for r in couples}
    assert set(by_couple) == set(by_edge)
    for object_type, edges in ocdfg["edges"]["event_couples"].items():
        durations = ocdfg["edges_performance"]["event_couples"][object_type]
        for edge, pairs in edges.items():
            key = (object_type, *edge)
            assert by_edge[key]["case_count"] == len(
                ocdfg["edges"]["unique_objects"][object_type][edge]
            )
            assert by_edge[key]["transition_count"] == len(
                ocdfg["edges"]["total_objects"][object_type][edge]
            )
            assert by_couple[key]["event_couple_count"] == len(pairs)
            assert [
                by_couple[key]["p50_duration_s"],
                by_couple[key]["p95_duration_s"],
            ] == pytest.approx(
                [np.percentile(durations[edge], 50), np.percentile(durations[edge], 95)],
                **TOLERANCE,
            )


def test_stalled_containers(imported):
    """Containers that were never loaded to a vehicle, idle for more than the SLA at the
    horizon (the log's last event, 2023-11-21 10:00:00 Depart). cr44 was last weighed
    2023-06-16 15:43:32: 158 days less 5:43:32 = 3786.2744 h; cr42 at 15:56:16 = 3786.0622 h."""
    with duckdb.connect(str(imported)) as con:
        configure(con, "logistics", case_type="Container", sla_hours=72,
                  terminal_activities=["Load to Vehicle"])  # fmt: skip
        stalled = stalled_cases(con, "logistics")
        assert [(c["case_key"], c["stage"], round(c["age_h"], 4)) for c in stalled[:2]] == [
            ("cr44", "Weigh", 3786.2744),
            ("cr42", "Weigh", 3786.0622),
        ]
        assert stalled[0]["as_of"] == datetime(2023, 11, 21, 10, 0)
        assert {c["case_key"] for c in stalled} == recomputed_stalled_containers(72)
        # a longer SLA for the stage: cr42 is within it, cr44 still over
        configure(con, "logistics", stage_sla_hours={"Weigh": 3786.1})
        keys = [c["case_key"] for c in stalled_cases(con, "logistics")]
        assert "cr44" in keys and "cr42" not in keys
        configure(con, "logistics", stage_sla_hours={})


def recomputed_stalled_containers(sla_hours: float) -> set[str]:
    """The same question answered in plain Python over the source file."""
    db = sqlite3.connect(DATA / "logistics.sqlite")
    times = {}
    for (table,) in db.execute("SELECT ocel_type_map FROM event_map_type").fetchall():
        for event_id, time in db.execute(f'SELECT ocel_id, ocel_time FROM "event_{table}"'):
            times[event_id] = datetime.fromisoformat(time)
    kinds = dict(db.execute("SELECT ocel_id, ocel_type FROM event").fetchall())
    containers = {
        o for (o,) in db.execute("SELECT ocel_id FROM object WHERE ocel_type = 'Container'")
    }
    events: dict[str, list[str]] = {}
    for event_id, object_id in db.execute("SELECT ocel_event_id, ocel_object_id FROM event_object"):
        if object_id in containers:
            events.setdefault(object_id, []).append(event_id)
    db.close()
    horizon = max(times.values())
    return {
        container
        for container, ids in events.items()
        if "Load to Vehicle" not in {kinds[i] for i in ids}
        and (horizon - max(times[i] for i in ids)).total_seconds() / 3600 > sla_hours
    }


def test_case_timelines(imported):
    with duckdb.connect(str(imported), read_only=True) as con:
        container = case_timeline(con, "logistics", "cr44")
        order = case_timeline(con, "order-management", "990001")
    # three events share 15:43:32: in source-table position, then type order (as pm4py)
    assert [e["activity"] for e in container] == [
        "Pick Up Empty Container", *["Load Truck"] * 6, "Place in Stock", "Drive to Terminal",
        "Weigh",
    ]  # fmt: skip
    # 18:32:44 -> 18:57:26 is 1482 s; 18:57:26 -> 07:59:03 next day 46897 s; ...
    assert [e["wait_s"] for e in container] == [
        None, 0, 1482, 46897, 4285, 164, 22481, 939, 0, 0,
    ]  # fmt: skip
    assert container[-1]["elapsed_s"] == 76248
    assert {o["object_id"] for o in container[1]["objects"]} == {"hu200", "cr44", "tr3"}
    # order 990001: placed 2023-04-03 12:08:18, confirmed 2023-04-04 16:34:29 (102371 s),
    # reminded 2023-04-12 14:57:41 (685392 s later)
    assert [(e["activity"], e["wait_s"]) for e in order] == [
        ("place order", None),
        ("confirm order", 102371),
        ("payment reminder", 685392),
    ]


def test_import_errors_leave_earlier_imports_intact(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        first = import_ocel(con, DATA / "logistics.sqlite", "Container", "logistics")
        with pytest.raises(ValueError, match="no object type 'Containers'.*Container"):
            import_ocel(con, DATA / "logistics.sqlite", "Containers", "logistics")
        not_ocel = tmp_path / "not-ocel.sqlite"
        sqlite3.connect(not_ocel).execute("CREATE TABLE t (x)").connection.close()
        with pytest.raises(ValueError, match="not an OCEL 2.0 SQLite log: no table event"):
            import_ocel(con, not_ocel, "Container", "logistics")
        with pytest.raises(ValueError, match="not an OCEL 2.0 JSON log"):
            (tmp_path / "x.json").write_text("[1, 2")
            import_ocel(con, tmp_path / "x.json", "Container", "logistics")
        again = con.execute("select count(*) from ocel_logistics.events").fetchone()[0]
        assert again == first.events
        # importing again replaces the log, nothing doubles
        assert import_ocel(con, DATA / "logistics.sqlite", "Container", "logistics").events == again


def test_cli_exports_and_imports(tiny, tmp_path, monkeypatch, capsys):
    from omnistock.app.cli import main

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny[0], warehouse)
    monkeypatch.setenv("OMNISTOCK_WAREHOUSE", str(warehouse))
    assert main(["export-ocel", "--out", str(tmp_path / "out.json")]) == 0
    assert "OCEL 2.0 json written" in capsys.readouterr().out
    assert (tmp_path / "out.json").stat().st_size > 0
    code = main(["import-ocel", str(DATA / "logistics.sqlite"), "--case-type", "Container",
                 "--terminal", "Load to Vehicle"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "Stalled cases at 2023-11-21 10:00:00: 65" in printed
    assert "Pick Up Empty Container -> Load Truck: 510x" in printed
    assert query(warehouse, "select count(*) from ocel_logistics.events") == [(8727,)]


def test_dagster_asset_writes_the_export(tiny, tmp_path):
    import dagster as dg

    from omnistock.config import Settings
    from orchestration.defs.interop.assets import ocel_export
    from orchestration.resources import resources_for

    settings = Settings(home=tmp_path, landing_dir=tmp_path / "landing", warehouse=tiny[0])
    result = dg.materialize(
        [ocel_export],
        resources=resources_for(settings),
        run_config={"ops": {"ocel_export": {"config": {"formats": ["sqlite"]}}}},
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("ocel_export")
    metadata = materialization.metadata
    (events,) = query(tiny[0], "select count(*) from raw.inventory_events")[0]
    assert metadata["events"].value == events
    path = tmp_path / "exports" / "ocel" / "omnistock.sqlite"
    assert metadata["path_sqlite"].value == str(path)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM event").fetchone() == (events,)
