"""The short summary printed after `omnistock run` / `make demo`."""

from __future__ import annotations

import duckdb

from omnistock.config import Settings
from omnistock.warehouse import table_exists

HEADLINE_KPIS = (
    "reservation_latency_p95_s",
    "order_exception_rate",
    "transfer_accuracy",
    "inventory_record_accuracy",
    "api_failure_rate",
    "supplier_on_time_rate",
)


def headline_kpis(con: duckdb.DuckDBPyConnection) -> list[tuple[str, float | None]]:
    """Ratios over the whole period of complete days (up to the data horizon's day; sum of
    numerators ÷ sum of denominators); percentiles are the median of the daily values (they
    cannot be re-aggregated exactly)."""
    return con.execute(
        """
        select kpi_name,
               case when kpi_name like '%rate' or kpi_name like '%accuracy'
                    then sum(numerator) / nullif(sum(denominator), 0)
                    else median(value) end as value
        from marts.kpi_daily
        where dimension = 'all' and is_complete and list_contains(?, kpi_name)
        group by kpi_name
        order by kpi_name
        """,
        [list(HEADLINE_KPIS)],
    ).fetchall()


def collect_summary(settings: Settings) -> dict:
    """Facts about the warehouse, read on a read-only connection."""
    summary: dict = {
        "warehouse": str(settings.warehouse),
        "dagster_home": str(settings.dagster_home),
    }
    if not settings.warehouse.exists():
        return summary
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
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
        if table_exists(con, "marts", "kpi_daily"):
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
    if facts.get("headline_kpis"):
        print("headline KPIs (complete days up to the data horizon; percentiles: median day):")
    for name, value in facts.get("headline_kpis", []):
        print(f"  {name:<36}{value if value is None else round(value, 4)}")
    if "cycle_count_requests" in facts:
        print(f"cycle-count requests: {facts['cycle_count_requests']}")
    print(f"warehouse:    {facts['warehouse']}")
    print(f"dagster home: {facts['dagster_home']}  (browse it with `make ui`)")
