"""docs/extending.md, "Add a KPI", followed step by step on a copy of the dbt project.

Each step's snippet is asserted to be in the guide word for word, then applied; a real `dbt
build` (models, data tests, unit tests) on the hand-made events of dbt_fixtures.py must pass and
the new KPI must come out with the values worked out below, in kpi_daily and in the headline
KPIs every view reads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_fixtures import DBT_EXECUTABLE, DBT_PROJECT_DIR, base_events, create_raw_warehouse

from omnistock.kpis import headline_kpis

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "extending.md"

# Step 1: the measures and the KPI, in the area's model.
MEASURES_ANCHOR = "        1 as lines,\n"
MEASURES = """\
        shipped_quantity as units_shipped,
        greatest(shipped_quantity - received_quantity, 0) as units_short,
"""
KPI_ROWS = """\
union all
{{ kpi_ratio('transfer_units_short_rate', 'completed_lines', 'units_short', 'units_shipped', ['origin', 'destination']) }}
"""
# Step 2: one row of the catalog.
CATALOG_ROW = (
    "transfer_units_short_rate,Transfer units received short,ratio,false,true,30,ratio,,,,"
    "origin,units shipped but not received / units shipped (day of shipment)\n"
)
# Step 3: the model's unit test gets the quantities and the KPI's expected rows.
GIVEN_QUANTITIES = {
    "T1": {"shipped_quantity": 10, "received_quantity": 10},
    "T2": {"shipped_quantity": 10, "received_quantity": 7},
    "T3": {"shipped_quantity": 5, "received_quantity": 5},
    "T4": {"shipped_quantity": 4, "received_quantity": None},
}
EXPECTED_ROWS = """\
        - {kpi_name: transfer_units_short_rate, dimension: all, dimension_value: all, value: 0.12, numerator: 3, denominator: 25}
        - {kpi_name: transfer_units_short_rate, dimension: origin, dimension_value: DC1, value: 0.12, numerator: 3, denominator: 25}
        - {kpi_name: transfer_units_short_rate, dimension: destination, dimension_value: S1, value: 0.15, numerator: 3, denominator: 20}
        - {kpi_name: transfer_units_short_rate, dimension: destination, dimension_value: S2, value: 0, numerator: 0, denominator: 5}
"""


def _lines(text: str) -> str:
    """The text's lines without their indentation (the guide indents code inside a list)."""
    return "\n".join(line.strip() for line in text.strip().splitlines())


def in_guide(snippet: str) -> str:
    section = GUIDE.read_text().split("## Add a KPI", 1)[1].split("\n## ", 1)[0]
    assert _lines(snippet) in _lines(section), f"docs/extending.md no longer shows:\n{snippet}"
    return snippet


@pytest.fixture(scope="module")
def project_with_new_kpi(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("extending") / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    kpis = project / "models" / "intermediate" / "kpis"

    model = kpis / "int_kpi__transfers.sql"
    sql = model.read_text()
    assert sql.count(MEASURES_ANCHOR) == 1
    sql = sql.replace(MEASURES_ANCHOR, MEASURES_ANCHOR + in_guide(MEASURES))
    model.write_text(sql.rstrip("\n") + "\n" + in_guide(KPI_ROWS))

    catalog = project / "seeds" / "kpi_catalog.csv"
    catalog.write_text(catalog.read_text() + in_guide(CATALOG_ROW))

    spec_file = kpis / "int_kpi__transfers.yml"
    spec = yaml.safe_load(spec_file.read_text())
    [unit_test] = spec["unit_tests"]
    [given] = unit_test["given"]
    for row in given["rows"]:
        quantities = GIVEN_QUANTITIES[row["transfer_id"]]
        in_guide(
            f"{row['transfer_id']}: shipped_quantity {quantities['shipped_quantity']}, "
            f"received_quantity {quantities['received_quantity'] or 'null'}"
        )
        row.update(quantities)
    unit_test["expect"]["rows"] += yaml.safe_load(in_guide(EXPECTED_ROWS))
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    return project


@pytest.fixture(scope="module")
def built(project_with_new_kpi, tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp("extending_build")
    warehouse = create_raw_warehouse(work_dir / "warehouse.duckdb", base_events())
    result = subprocess.run(
        [
            str(DBT_EXECUTABLE),
            "build",
            "--project-dir",
            str(project_with_new_kpi),
            "--profiles-dir",
            str(project_with_new_kpi),
        ],
        env={
            **os.environ,
            "OMNISTOCK_WAREHOUSE": str(warehouse),
            "DBT_TARGET_PATH": str(work_dir / "target"),
            "DBT_LOG_PATH": str(work_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        cwd=work_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    # every model, data test and unit test passes, the edited unit test included
    assert result.returncode == 0, result.stdout[-6000:]
    assert "transfer_accuracy_counts_only_completed_lines" in result.stdout
    return warehouse


def test_a_new_kpi_reaches_kpi_daily(built):
    # dbt_fixtures: T1 ships 10 and receives 10, T2 ships 6 and receives 4 (both 03-01,
    # DC01 -> S001 / S002); T3 (03-02) is still in transit, so it is in no day's KPI.
    with duckdb.connect(str(built), read_only=True) as con:
        rows = con.execute(
            "select dimension, dimension_value, value, numerator, denominator "
            "from marts.kpi_daily where kpi_name = 'transfer_units_short_rate' "
            "and kpi_date = ? order by dimension, dimension_value",
            [date(2026, 3, 1)],
        ).fetchall()
        later_days = con.execute(
            "select count(*) from marts.kpi_daily "
            "where kpi_name = 'transfer_units_short_rate' and kpi_date > ?",
            [date(2026, 3, 1)],
        ).fetchall()[0][0]
    assert rows == [
        ("all", "all", 2 / 16, 2.0, 16.0),
        ("destination", "S001", 0.0, 0.0, 10.0),
        ("destination", "S002", 2 / 6, 2.0, 6.0),
        ("origin", "DC01", 2 / 16, 2.0, 16.0),
    ]
    assert later_days == 0


def test_a_new_headline_kpi_reaches_every_view(built):
    """The summary, the Dagster metadata of kpi_daily and the report read headline_kpis; the
    dashboards' tiles read the same catalog and kpi_period (tests/test_kpi_catalog.py shows
    the five agree). Nothing in Python had to change."""
    with duckdb.connect(str(built), read_only=True) as con:
        [new_kpi] = [kpi for kpi in headline_kpis(con) if kpi.name == "transfer_units_short_rate"]
    assert new_kpi.label == "Transfer units received short"
    assert new_kpi.unit == "ratio"
    # the current period's days hold only 03-01's two completed lines: 2 of 16 units short
    assert new_kpi.period_start <= date(2026, 3, 1) <= new_kpi.period_end
    assert new_kpi.value == pytest.approx(2 / 16)
