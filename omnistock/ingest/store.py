"""Writing a batch of judged records to the store: duplicate decisions, then one set-based
INSERT per destination. Shared by ingestion and quarantine replay.

Each record of `ingest_checked` gets exactly one outcome (view `ingest_outcomes`):
`stored`, `duplicate` (same event_id, identical content, already stored or earlier in the batch)
or `quarantined` (with its reason; `duplicate_conflict` when the content differs).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from omnistock.ingest.db import scalar
from omnistock.ingest.readers import strip_sql
from omnistock.ingest.rules import CANONICAL_FIELDS
from omnistock.ingest.validation import CHECKED_TABLE, content_hash_sql
from omnistock.ingest.validation import utc_now as utc_now  # re-exported for the engine

CONTESTED_TABLE = "ingest_contested"
OUTCOMES_VIEW = "ingest_outcomes"
UNSTORED_TABLE = "ingest_unstored"  # the few outcomes other than 'stored', kept at hand

EVENT_COLUMNS = ", ".join(CANONICAL_FIELDS)


def resolve_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Decide the records whose event_id is already stored or repeats within the batch.

    Only those few records go through the window; the event store is probed once per batch
    with a semi-join on the batch's event_ids (no index needed). The reference content of an
    event_id is the stored one, else its first occurrence in batch order (file, line).
    """
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE {CONTESTED_TABLE} AS
WITH candidates AS MATERIALIZED (
    SELECT file_seq, source_line, event_id FROM {CHECKED_TABLE} WHERE reason IS NULL
),
stored AS MATERIALIZED (
    SELECT event_id, any_value({content_hash_sql("e")}) AS stored_hash
    FROM raw.inventory_events e
    WHERE event_id IN (SELECT event_id FROM candidates)
    GROUP BY event_id
),
contested_ids AS (
    SELECT event_id FROM stored
    UNION
    SELECT event_id FROM candidates GROUP BY event_id HAVING count(*) > 1
),
contested AS (
    SELECT *,
        first_value(content_hash) OVER by_position AS first_hash,
        row_number() OVER by_position AS occurrence
    FROM (
        SELECT c.file_seq, c.source_line, c.event_id, s.stored_hash,
            {content_hash_sql("c")} AS content_hash
        FROM {CHECKED_TABLE} c LEFT JOIN stored s USING (event_id)
        WHERE c.reason IS NULL AND c.event_id IN (SELECT event_id FROM contested_ids)
    )
    WINDOW by_position AS (PARTITION BY event_id ORDER BY file_seq, source_line)
)
SELECT file_seq, source_line, content_hash,
    CASE
        WHEN stored_hash IS NULL AND occurrence = 1 THEN 'stored'
        WHEN content_hash = coalesce(stored_hash, first_hash) THEN 'duplicate'
        ELSE 'duplicate_conflict'
    END AS decision
FROM contested""")
    con.execute(f"""
CREATE OR REPLACE TEMP VIEW {OUTCOMES_VIEW} AS
SELECT c.* EXCLUDE (reason), d.content_hash,
    CASE
        WHEN c.reason IS NOT NULL OR d.decision = 'duplicate_conflict' THEN 'quarantined'
        WHEN d.decision = 'duplicate' THEN 'duplicate'
        ELSE 'stored'
    END AS outcome,
    coalesce(c.reason, CASE WHEN d.decision = 'duplicate_conflict' THEN d.decision END) AS reason
FROM {CHECKED_TABLE} c LEFT JOIN {CONTESTED_TABLE} d USING (file_seq, source_line)""")
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE {UNSTORED_TABLE} AS
SELECT * FROM {OUTCOMES_VIEW} WHERE outcome <> 'stored'""")


def insert_events(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    return scalar(
        con,
        f"""
INSERT INTO raw.inventory_events
SELECT {EVENT_COLUMNS}, source_file, source_line, ?::TIMESTAMP
FROM {OUTCOMES_VIEW} WHERE outcome = 'stored'""",
        [now],
    )


def insert_duplicates(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    return scalar(
        con,
        f"""
INSERT INTO raw.duplicate_events
SELECT event_id, source_file, source_line, content_hash, ?::TIMESTAMP
FROM {UNSTORED_TABLE} WHERE outcome = 'duplicate'""",
        [now],
    )


def insert_quarantine(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    return scalar(
        con,
        f"""
INSERT INTO raw.quarantined_events
SELECT (SELECT coalesce(max(quarantine_id), 0) FROM raw.quarantined_events)
        + row_number() OVER (ORDER BY file_seq, source_line),
    source_file, source_line, source_folder, event_id, {strip_sql("raw_record")}, reason,
    ?::TIMESTAMP, NULL
FROM {UNSTORED_TABLE} WHERE outcome = 'quarantined'""",
        [now],
    )


def outcome_counts(con: duckdb.DuckDBPyConnection) -> dict[int, dict]:
    """Per file_seq: records read, stored, duplicate, quarantined and quarantine reasons. Every
    judged record has one outcome, so the stored ones are those neither duplicate nor
    quarantined (`insert_events`' own row count is checked against their sum)."""
    counts = {
        file_seq: {
            "records_read": read,
            "records_stored": read,
            "records_duplicate": 0,
            "records_quarantined": 0,
            "quarantined_by_reason": {},
        }
        for file_seq, read in con.execute(
            f"SELECT file_seq, count(*) FROM {CHECKED_TABLE} GROUP BY file_seq"
        ).fetchall()
    }
    for file_seq, outcome, reason, records in con.execute(f"""
SELECT file_seq, outcome, reason, count(*) FROM {UNSTORED_TABLE}
GROUP BY ALL ORDER BY ALL""").fetchall():
        file_counts = counts[file_seq]
        file_counts[f"records_{outcome}"] += records
        file_counts["records_stored"] -= records
        if outcome == "quarantined":
            file_counts["quarantined_by_reason"][reason] = records
    return counts
