"""The short summary printed after `omnistock run` / `make demo`."""

from __future__ import annotations

from omnistock.config import Settings
from omnistock.kpis import format_quantity, headline_kpis
from omnistock.warehouse import connect, table_exists


def collect_summary(settings: Settings) -> dict:
    """Facts about the warehouse, read on a read-only connection."""
    summary: dict = {
        "warehouse": str(settings.warehouse),
        "dagster_home": str(settings.dagster_home),
    }
    if not settings.warehouse.exists():
        return summary
    with connect(settings.warehouse, read_only=True) as con:
        if not table_exists(con, "raw", "inventory_events"):
            return summary
        summary["events_stored"] = con.execute(
            "select count(*) from raw.inventory_events"
        ).fetchall()[0][0]
        summary["duplicates"] = con.execute("select count(*) from raw.duplicate_events").fetchall()[
            0
        ][0]
        summary["files_loaded"] = con.execute(
            "select count(*) from raw.ingested_files where status = 'loaded'"
        ).fetchall()[0][0]
        summary["quarantined_by_reason"] = dict(
            con.execute(
                "select reason, count(*) from raw.quarantined_events where replayed_at is null "
                "group by reason order by count(*) desc, reason"
            ).fetchall()
        )
        if table_exists(con, "marts", "kpi_period") and table_exists(con, "marts", "kpi_catalog"):
            summary["headline_kpis"] = headline_kpis(con)
        if table_exists(con, "actions", "cycle_count_requests"):
            summary["cycle_count_requests"] = dict(
                con.execute(
                    "select status, count(*) from actions.cycle_count_requests group by status"
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
            print(f"  {reason:<42}{count:>8,}")
    headline = facts.get("headline_kpis") or []
    if headline:
        print(
            f"headline KPIs, {headline[0].period_start} to {headline[0].period_end} "
            "(complete days up to the data horizon; marts.kpi_period):"
        )
    for kpi in headline:
        previous = format_quantity(kpi.unit, kpi.previous)
        print(f"  {kpi.label:<34}{format_quantity(kpi.unit, kpi.value):>12}   (before: {previous})")
    if "cycle_count_requests" in facts:
        print(f"cycle-count requests: {facts['cycle_count_requests']}")
    print(f"warehouse:    {facts['warehouse']}")
    print(f"dagster home: {facts['dagster_home']}  (browse it with `make ui`)")
