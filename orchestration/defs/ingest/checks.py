"""Asset checks on the event store: the ingestion guarantees of SPEC 4.2, verified after every load."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock import ingest
from omnistock.config import quarantine_threshold
from orchestration.defs.ingest.assets import EVENTS, MANIFEST, QUARANTINE


@dg.asset_check(
    asset=MANIFEST, description="Per file: records read = stored + duplicates + quarantined."
)
def accounting_identity(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        violations = ingest.accounting_violations(con)
    return dg.AssetCheckResult(
        passed=not violations,
        metadata={
            "violating_files": len(violations),
            "files": [v["path"] for v in violations][:20],
        },
    )


@dg.asset_check(asset=EVENTS, description="No event_id is stored twice.")
def unique_event_ids(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        repeated = ingest.duplicate_event_ids(con)
    return dg.AssetCheckResult(passed=repeated == 0, metadata={"repeated_event_ids": repeated})


@dg.asset_check(
    asset=QUARANTINE,
    description="The quarantined share of each source stays under the configured threshold.",
)
def quarantine_rate_by_source(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    threshold = quarantine_threshold()
    with duckdb.get_connection() as con:
        rates = ingest.quarantine_rate_by_source(con)
    over = {source: rate for source, rate in rates.items() if rate > threshold}
    return dg.AssetCheckResult(
        passed=not over,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "threshold": threshold,
            "worst_rate": max(rates.values(), default=0.0),
            "sources_over_threshold": ", ".join(sorted(over)) or "none",
            "rates": dg.MetadataValue.json({k: round(v, 5) for k, v in sorted(rates.items())}),
        },
    )


def _no_entries_with_status(
    duckdb: DuckDBResource, status: str, detail: str, count_key: str, list_key: str
) -> dg.AssetCheckResult:
    """WARN while the manifest holds entries with `status`, listing them with `detail`."""
    with duckdb.get_connection() as con:
        entries = ingest.manifest_entries(con, status)
    return dg.AssetCheckResult(
        passed=not entries,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={count_key: len(entries), list_key: _entries_table(entries, detail)},
    )


LISTED_ENTRIES = 50  # entries named in a check's metadata; the count covers them all


def _entries_table(entries: list[dict], detail: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(
        "\n".join(
            ["| path | reason | " + detail + " |", "|---|---|---|"]
            + [
                f"| `{e['path']}` | {e['reason']} | {(e[detail] or '').replace('|', '/')[:200]} |"
                for e in entries[:LISTED_ENTRIES]
            ]
        )
    )


@dg.asset_check(
    asset=MANIFEST,
    description="No landed event file is refused (unreadable, unparseable or changed after "
    "load). A refused file is in the manifest and the quarantine with the error; fix or "
    "replace it and it is retried.",
)
def refused_files(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return _no_entries_with_status(duckdb, "refused", "error", "refused_files", "files")


@dg.asset_check(
    asset=MANIFEST,
    description="Every entry of the landing folder is described by the contract: no unknown "
    "folders, file types or special files (entries ignored by rule, like _truth/ or *.tmp, "
    "are fine).",
)
def unknown_landing_entries(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return _no_entries_with_status(duckdb, "unknown", "entry_type", "unknown_entries", "entries")


ALL_CHECKS = [
    accounting_identity,
    unique_event_ids,
    quarantine_rate_by_source,
    refused_files,
    unknown_landing_entries,
]
