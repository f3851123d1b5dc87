"""Source freshness as Dagster asset checks: one per regular feed, on the watermark model.

The rule lives in dbt (``int_source_watermarks``: each source's watermark, its lag behind the
leading regular feed and ``is_lagging`` against the ``source_freshness_max_lag_hours`` var);
these checks only read its rows, so Dagster shows a warning per feed that falls behind (the
feed holding the data horizon back). The feeds are the ``regular_feeds`` var of
dbt_project.yml, read when the code location loads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import dagster as dg
import yaml

from omnistock.config import get_settings
from omnistock.warehouse import connect
from orchestration.resources import WAREHOUSE_POOL

from .project import DBT_PROJECT_DIR

WATERMARKS_KEY = dg.AssetKey(["intermediate", "int_source_watermarks"])
WATERMARK_COLUMNS = (
    "source_system",
    "watermark_at",
    "leader_watermark_at",
    "lag_behind_leader_h",
    "max_lag_hours",
    "is_lagging",
    "events_outside_regular_days",
)


@functools.cache
def regular_feeds() -> tuple[str, ...]:
    """The regular feeds as dbt_project.yml lists them (the var the horizon is built from)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return tuple(project["vars"]["regular_feeds"])


def freshness_check_name(source_system: str) -> str:
    return f"{source_system}_freshness"


def freshness_results(
    rows: dict[str, dict], feeds: tuple[str, ...]
) -> Iterator[dg.AssetCheckResult]:
    """One result per feed: passed unless dbt flagged it lagging or it has no events at all."""
    for source in feeds:
        row = rows.get(source)
        if row is None:
            yield dg.AssetCheckResult(
                asset_key=WATERMARKS_KEY,
                check_name=freshness_check_name(source),
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{source} is a regular feed but has delivered no events.",
            )
            continue
        lag = row["lag_behind_leader_h"]
        yield dg.AssetCheckResult(
            asset_key=WATERMARKS_KEY,
            check_name=freshness_check_name(source),
            passed=not row["is_lagging"],
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{source} is complete through {row['watermark_at']}, {lag:.1f} h behind the "
                f"leading feed (threshold {row['max_lag_hours']:g} h)."
            ),
            metadata={
                "watermark_at": str(row["watermark_at"]),
                "leader_watermark_at": str(row["leader_watermark_at"]),
                "lag_behind_leader_h": float(lag),
                "max_lag_hours": float(row["max_lag_hours"]),
                "events_outside_regular_days": int(row["events_outside_regular_days"]),
            },
        )


@dg.multi_asset_check(
    name="source_freshness",
    specs=[
        dg.AssetCheckSpec(
            freshness_check_name(source),
            asset=WATERMARKS_KEY,
            description=f"The {source} feed's watermark is within source_freshness_max_lag_hours "
            "of the leading regular feed's.",
        )
        for source in regular_feeds()
    ],
    pool=WAREHOUSE_POOL,
)
def source_freshness() -> Iterator[dg.AssetCheckResult]:
    # the warehouse the dbt profile writes (like the headline KPIs), opened read-only
    warehouse = get_settings().warehouse
    with connect(warehouse, read_only=True) as con:
        cursor = con.execute(
            f"select {', '.join(WATERMARK_COLUMNS)} from intermediate.int_source_watermarks"
        )
        rows = {row[0]: dict(zip(WATERMARK_COLUMNS, row, strict=True)) for row in cursor.fetchall()}
    yield from freshness_results(rows, regular_feeds())
