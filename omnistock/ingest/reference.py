"""Reference data: `<landing>/reference/locations.csv` and `skus.csv` into raw.locations/raw.skus."""

from __future__ import annotations

from pathlib import Path

import duckdb

from omnistock.ingest.db import row, scalar, transaction
from omnistock.ingest.schema import ensure_schema

# table -> (file name, {column: type}); the CSV must have exactly these columns (any order)
REFERENCE_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "locations": (
        "locations.csv",
        {
            "location_id": "VARCHAR",
            "location_type": "VARCHAR",
            "region": "VARCHAR",
            "name": "VARCHAR",
        },
    ),
    "skus": (
        "skus.csv",
        {
            "sku": "VARCHAR",
            "category": "VARCHAR",
            "unit_cost": "DOUBLE",
            "unit_price": "DOUBLE",
            "abc_class": "VARCHAR",
        },
    ),
}
KEY_COLUMNS = {"locations": "location_id", "skus": "sku"}


class ReferenceDataError(Exception):
    """A reference file is missing, has the wrong columns or unusable values."""


def _read_sql(columns: dict[str, str]) -> str:
    casts = ", ".join(
        f"CAST({name} AS {column_type}) AS {name}" for name, column_type in columns.items()
    )
    return f"SELECT {casts} FROM read_csv(?, header = true, all_varchar = true)"


def _check_file(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    file_name, columns = REFERENCE_TABLES[table]
    if not path.is_file():
        raise ReferenceDataError(f"reference file missing: {path}")
    try:
        found = [
            row[0]
            for row in con.execute(
                "DESCRIBE SELECT * FROM read_csv(?, header = true, all_varchar = true)", [str(path)]
            ).fetchall()
        ]
    except duckdb.Error as error:
        raise ReferenceDataError(f"{file_name} cannot be read: {error}") from error
    if sorted(found) != sorted(columns):
        raise ReferenceDataError(
            f"{file_name} has columns {found}, expected exactly {list(columns)}"
        )
    key = KEY_COLUMNS[table]
    missing, repeated = row(
        con,
        f"""
SELECT count(*) FILTER (WHERE {key} IS NULL), count({key}) - count(DISTINCT {key})
FROM read_csv(?, header = true, all_varchar = true)""",
        [str(path)],
    )
    if missing or repeated:
        raise ReferenceDataError(
            f"{file_name}: {missing} row(s) without {key}, {repeated} repeated {key}(s)"
        )


def load_reference(con: duckdb.DuckDBPyConnection, landing_dir: Path | str) -> dict[str, int]:
    """Replace raw.locations and raw.skus with the reference CSVs (typed), both in one
    transaction; returns the row count per table. Raises ReferenceDataError (and changes
    nothing) if a file is missing, has other columns, or a value does not cast."""
    ensure_schema(con)
    folder = Path(landing_dir) / "reference"
    paths = {table: folder / file_name for table, (file_name, _) in REFERENCE_TABLES.items()}
    for table, path in paths.items():
        _check_file(con, table, path)
    counts = {}
    try:
        with transaction(con):
            for table, path in paths.items():
                con.execute(f"DELETE FROM raw.{table}")
                columns = REFERENCE_TABLES[table][1]
                counts[table] = scalar(
                    con, f"INSERT INTO raw.{table} {_read_sql(columns)}", [str(path)]
                )
    except duckdb.Error as error:
        raise ReferenceDataError(f"reference data could not be loaded: {error}") from error
    return counts
