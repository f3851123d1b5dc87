"""The benchmark's synthetic landing folder is valid data, and the benchmark runs end to end."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from omnistock import ingest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ingest.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_ingest", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_landing_is_all_valid_in_every_format(tmp_path):
    landing = tmp_path / "landing"
    load_benchmark().generate_landing(landing, events=3_000, events_per_file=500)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest.load_reference(con, landing)
    report = ingest.ingest_files(con, landing)

    assert {f.file_format for f in report.files} == {"jsonl", "csv", "parquet"}
    assert (report.records_read, report.records_stored) == (3_000, 3_000)
    assert con.execute(
        "SELECT count(*) FROM raw.inventory_events WHERE schema_version = '2'"
    ).fetchall() != [(0,)]


@pytest.mark.slow
def test_benchmark_prints_a_ratio_table(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARK),
            str(tmp_path / "landing"),
            "--synthetic",
            "1500",
            "--events-per-file",
            "500",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| files |")
    assert any(line.startswith("| all, one run | 3 | 1,500 |") for line in lines)
