"""Compare two warehouses table by table: row counts and content checksums.

For tests that assert "this warehouse equals that one" (a rerun after a kill equals a clean run,
a rerun changes nothing…). A table's checksum covers every column except the ones that record
*when* the platform did something (wall-clock bookkeeping), which two runs of the same data
cannot share:

- ``ingested_at`` (raw events and staging), ``loaded_at`` (manifest), ``quarantined_at``,
  ``detected_at`` (duplicate log): the load time;
- ``ingested_through`` (stock ledger): the latest ``ingested_at`` a row was built from;
- ``model_version`` (risk scores and evaluations): named after the time the model was trained,
  ``evaluated_at``: when a version was evaluated, and the evaluation's ``report`` (its JSON
  names the version; every figure in it is a column of its own, compared);

and the one column that says *where* the Omnistock home is: ``outbox_file`` (cycle-count
requests), an absolute path under the home, so two homes never share it.

Everything else is compared, including ``quarantine_id``: it is ``max(id) + row_number()`` over
(file, line) and files commit in name order, so the same files get the same ids however the
loading was split across runs. Business timestamps (``as_of``, ``requested_at``…) come from the
data, not the clock, and are compared too.

Floating-point columns are compared at 9 significant digits: DuckDB's parallel aggregation may
sum doubles in another order from one run to the next.

``assert_same_warehouse(a, b)`` fails with the tables that differ and a few differing rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

# Columns that record when the platform loaded something, or where its home is; see above.
RUN_SPECIFIC_COLUMNS = frozenset(
    {
        "ingested_at",
        "loaded_at",
        "quarantined_at",
        "detected_at",
        "ingested_through",
        "model_version",
        "evaluated_at",
        "report",
        "outbox_file",
    }
)
FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL"})
SAMPLE_ROWS = 5


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: Iterable[str] | None):
    """(schema, table) of every base table, optionally only in `schemas`."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_type = 'BASE TABLE' order by 1, 2",
        [catalog],
    ).fetchall()
    wanted = set(schemas) if schemas is not None else None
    return [(s, t) for s, t in rows if wanted is None or s in wanted]


def _compared_columns(
    con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str, ignore: frozenset
) -> list[str]:
    """SQL expressions for the compared columns, in name order (so column order may differ)."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by column_name",
        [catalog, schema, table],
    ).fetchall()
    return [
        f"printf('%.9g', {_quote(name)})" if data_type in FLOAT_TYPES else _quote(name)
        for name, data_type in columns
        if name not in ignore
    ]


def _attached(path: Path | str, alias: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"attach ? as {alias} (read_only)", [str(path)])
    return con


def warehouse_fingerprint(
    path: Path | str,
    schemas: Iterable[str] | None = None,
    ignore_columns: Iterable[str] = RUN_SPECIFIC_COLUMNS,
) -> dict[str, tuple[int, int]]:
    """`{"schema.table": (rows, checksum)}` for every base table (of `schemas`, if given).

    The checksum is the sum of the rows' hashes: independent of row order, sensitive to a
    repeated row."""
    ignore = frozenset(ignore_columns)
    con = _attached(path, "w")
    try:
        fingerprint = {}
        for schema, table in _tables(con, "w", schemas):
            columns = _compared_columns(con, "w", schema, table, ignore)
            row_hash = f"hash({', '.join(columns)})" if columns else "0"
            rows, checksum = con.execute(
                f"select count(*), coalesce(sum({row_hash}::hugeint), 0) "
                f"from w.{_quote(schema)}.{_quote(table)}"
            ).fetchall()[0]
            fingerprint[f"{schema}.{table}"] = (rows, int(checksum))
        return fingerprint
    finally:
        con.close()


def warehouse_differences(
    expected: Path | str,
    actual: Path | str,
    schemas: Iterable[str] | None = None,
    ignore_columns: Iterable[str] = RUN_SPECIFIC_COLUMNS,
) -> dict[str, str]:
    """What differs between two warehouses, per table: missing tables, row counts, and a few
    rows only one side has. Empty when they are equal."""
    schemas = list(schemas) if schemas is not None else None
    want = warehouse_fingerprint(expected, schemas, ignore_columns)
    got = warehouse_fingerprint(actual, schemas, ignore_columns)
    differences = {name: "missing" for name in want.keys() - got.keys()}
    differences |= {name: "unexpected" for name in got.keys() - want.keys()}
    changed = sorted(name for name in want.keys() & got.keys() if want[name] != got[name])
    if not changed:
        return differences
    ignore = frozenset(ignore_columns)
    con = _attached(expected, "expected")
    con.execute("attach ? as actual (read_only)", [str(actual)])
    try:
        for name in changed:
            schema, table = name.split(".", 1)
            columns = ", ".join(_compared_columns(con, "expected", schema, table, ignore))
            relation = f"{_quote(schema)}.{_quote(table)}"
            only = {}
            for side, other in (("expected", "actual"), ("actual", "expected")):
                only[side] = con.execute(
                    f"select {columns} from {side}.{relation} except all "
                    f"select {columns} from {other}.{relation} limit {SAMPLE_ROWS}"
                ).fetchall()
            differences[name] = (
                f"rows {want[name][0]} expected, {got[name][0]} actual; "
                f"only expected: {only['expected']}; only actual: {only['actual']}"
            )
    finally:
        con.close()
    return differences


def assert_same_warehouse(
    expected: Path | str,
    actual: Path | str,
    schemas: Iterable[str] | None = None,
    ignore_columns: Iterable[str] = RUN_SPECIFIC_COLUMNS,
) -> dict[str, tuple[int, int]]:
    """Fail with the differing tables unless the warehouses hold the same content; returns the
    expected fingerprint (for further checks, e.g. that a table is not empty)."""
    differences = warehouse_differences(expected, actual, schemas, ignore_columns)
    assert not differences, "warehouses differ:\n" + "\n".join(
        f"  {name}: {what}" for name, what in sorted(differences.items())
    )
    return warehouse_fingerprint(expected, schemas, ignore_columns)


def partly_loaded_files(path: Path | str) -> list[tuple]:
    """Files whose rows in the store disagree with their manifest row, and rows of files the
    manifest does not know: `(path, manifest counts, rows found)`. Empty when every file is in
    the warehouse whole or not at all (a file is loaded in one transaction with its manifest
    row, so a kill at any point must leave this empty)."""
    con = _attached(path, "w")
    try:
        return con.execute("""
            with placed as (
                select source_file as path, 1 as stored, 0 as duplicate, 0 as quarantined
                from w.raw.inventory_events
                union all select source_file, 0, 1, 0 from w.raw.duplicate_events
                union all select source_file, 0, 0, 1 from w.raw.quarantined_events
            ),
            found as (
                select path, sum(stored) as stored, sum(duplicate) as duplicate,
                    sum(quarantined) as quarantined
                from placed group by path
            ),
            manifest as (
                select path, sum(coalesce(records_stored, 0)) as stored,
                    sum(coalesce(records_duplicate, 0)) as duplicate,
                    sum(coalesce(records_quarantined, 0)) as quarantined
                from w.raw.ingested_files group by path
            )
            select coalesce(m.path, f.path),
                (m.stored, m.duplicate, m.quarantined),
                (f.stored, f.duplicate, f.quarantined)
            from manifest m full join found f on m.path = f.path
            where m.path is null
                or (m.stored, m.duplicate, m.quarantined)
                    is distinct from (coalesce(f.stored, 0), coalesce(f.duplicate, 0),
                        coalesce(f.quarantined, 0))
            order by 1
        """).fetchall()
    finally:
        con.close()
