"""The short summary printed after `omnistock run` / `make demo`."""

from __future__ import annotations

import duckdb

from omnistock.config import Settings


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def collect_summary(settings: Settings) -> dict:
    """Facts about the warehouse, read on a read-only connection."""
    summary: dict = {"warehouse": str(settings.warehouse), "dagster_home": str(settings.dagster_home)}
    if not settings.warehouse.exists():
        return summary
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        if not _table_exists(con, "raw", "inventory_events"):
            return summary
        summary["events_stored"] = con.execute("select count(*) from raw.inventory_events").fetchone()[0]
        summary["duplicates"] = con.execute("select count(*) from raw.duplicate_events").fetchone()[0]
        summary["files_loaded"] = con.execute(
            "select count(*) from raw.ingested_files where status = 'loaded'"
        ).fetchone()[0]
        summary["quarantined_by_reason"] = dict(
            con.execute(
                "select reason, count(*) from raw.quarantined_events where replayed_at is null "
                "group by reason order by count(*) desc, reason"
            ).fetchall()
        )
        if _table_exists(con, "main", "kpi_daily"):
            summary["headline_kpis"] = con.execute(
                """
                select kpi_name, value from main.kpi_daily
                where dimension = 'all' and kpi_date = (select max(kpi_date) from main.kpi_daily)
                order by kpi_name
                """
            ).fetchall()
        if _table_exists(con, "main", "cycle_count_requests"):
            summary["cycle_count_requests"] = dict(
                con.execute(
                    "select status, count(*) from main.cycle_count_requests group by status"
                ).fetchall()
            )
    return summary


def print_summary(settings: Settings) -> None:
    facts = collect_summary(settings)
    print("\n== Omnistock summary ==")
    if "events_stored" in facts:
        quarantined = facts["quarantined_by_reason"]
        print(f"files loaded:        {facts['files_loaded']:>12,}")
        print(f"events stored:       {facts['events_stored']:>12,}")
        print(f"duplicates skipped:  {facts['duplicates']:>12,}")
        print(f"quarantined:         {sum(quarantined.values()):>12,}")
        for reason, count in quarantined.items():
            print(f"  {reason:<30}{count:>8,}")
    for name, value in facts.get("headline_kpis", []):
        print(f"  {name:<36}{value if value is None else round(value, 4)}")
    if "cycle_count_requests" in facts:
        print(f"cycle-count requests: {facts['cycle_count_requests']}")
    print(f"warehouse:    {facts['warehouse']}")
    print(f"dagster home: {facts['dagster_home']}  (browse it with `make ui`)")
