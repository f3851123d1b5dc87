"""`simulate`: run the world day by day and land its files, ground truth and state.

Day files are closed at midnight UTC of `emitted_at`: the file of day N holds every event
published that day, whenever it occurred. Events still in flight at the end of the horizon
(published after its last midnight) are not delivered. Because each day draws its randomness
from (seed, day) and the world does not depend on the number of days, a run of N+1 days
writes the same first N days of files as a run of N days, plus one more day.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from .config import ScenarioConfig, config_to_dict
from .delivery import (
    BadRecordPlanter,
    to_records,
    write_atomically,
    write_parquet_atomically,
    write_source_files,
)
from .events import DayContext, empty_events
from .finance import post_to_erp
from .ledger import StockLedger
from .orders import simulate_online_orders
from .outbox import save_state, stock_table
from .returns import simulate_returns
from .sales import simulate_store_sales
from .stock_control import count_cycles, lose_stock_unrecorded, record_adjustments, take_snapshot
from .supply import purchase_for_dcs, rebalance_stores, replenish_stores
from .telemetry import emit_heartbeats
from .vocab import SOURCE_FORMATS, SOURCE_SYSTEMS, SOURCE_UTC_OFFSET_MINUTES
from .world import World, build_world

DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass
class SimulationSummary:
    scenario: str
    seed: int
    out_dir: Path
    start: str
    end: str
    events_total: int  # distinct good events landed
    events_by_type: dict[str, int]
    events_by_source: dict[str, int]
    records_total: int  # every landed record: good events, bad records, exact duplicates
    files_written: int
    bad_records_by_reason: dict[str, int]
    exact_duplicates: int
    ground_truth_path: Path
    true_stock_path: Path
    seconds: float
    files: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A few human-readable lines for a terminal."""
        sources = ", ".join(f"{name} {count:,}" for name, count in self.events_by_source.items())
        bad = sum(self.bad_records_by_reason.values())
        return "\n".join(
            [
                f"{self.events_total:,} events from {self.start} to {self.end} in "
                f"{self.files_written} files ({self.records_total:,} records), {self.seconds:.1f} s",
                f"by source: {sources}",
                f"bad records: {bad:,} over {len(self.bad_records_by_reason)} expected reasons; "
                f"exact duplicates: {self.exact_duplicates:,}",
                f"ground truth: {self.ground_truth_path}",
            ]
        )


def simulate_day(ctx: DayContext) -> pl.DataFrame:
    """Generate one day's workflows; the order matters, each step sees the stock the earlier
    steps promised away."""
    take_snapshot(ctx)
    lose_stock_unrecorded(ctx)
    replenish_stores(ctx)
    rebalance_stores(ctx)
    purchase_for_dcs(ctx)
    simulate_online_orders(ctx)
    simulate_store_sales(ctx)
    simulate_returns(ctx)
    record_adjustments(ctx)
    count_cycles(ctx)
    emit_heartbeats(ctx)
    post_to_erp(ctx)
    ctx.ledger.close_day(ctx.end)
    return ctx.events()


def simulate(config: ScenarioConfig, out_dir: str | Path) -> SimulationSummary:
    """Write the landing folder for `config` into `out_dir` (see docs/architecture.md)."""
    began = time.perf_counter()
    out = Path(out_dir)
    world = build_world(config)
    write_reference_data(world, out)
    ledger = StockLedger(world.initial_stock.ravel(), world.initial_stock.ravel())
    planter = BadRecordPlanter(world)
    by_type: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    records_total = 0
    written: list[Path] = []
    in_flight = empty_events()
    emptied_at = np.full(world.n_locations * world.n_skus, -1, dtype=np.int64)
    for day in range(config.days):
        ctx = DayContext(world, ledger, day)
        in_flight = pl.concat([in_flight, simulate_day(ctx)])
        for cells, times in ctx.shelves_emptied:
            emptied_at[cells] = times
        due = in_flight["emitted"] < ctx.end
        delivered, in_flight = in_flight.filter(due), in_flight.filter(~due)
        by_type.update(dict(delivered["event_type"].value_counts().iter_rows()))
        by_source.update(dict(delivered["source_system"].value_counts().iter_rows()))
        records = planter.plant(to_records(world, delivered, day), day)
        records_total += records.height
        day_label = (config.start_date + timedelta(days=day)).isoformat()
        written += write_source_files(out, records, day_label)
    _remove_stale_day_files(out, written)

    truth_dir = out / "_truth"
    true_stock_path = truth_dir / "true_stock.parquet"
    true_stock = stock_table(world, ledger).rename(
        {"book": "book_quantity", "true": "true_quantity"}
    )
    write_parquet_atomically(true_stock_path, true_stock)
    files = sorted(str(path.relative_to(out)) for path in written)
    summary = SimulationSummary(
        scenario=config.name,
        seed=config.seed,
        out_dir=out,
        start=_iso(world.start),
        end=_iso(world.end),
        events_total=sum(by_type.values()),
        events_by_type=dict(sorted(by_type.items())),
        events_by_source=dict(sorted(by_source.items())),
        records_total=records_total,
        files_written=len(written),
        bad_records_by_reason=dict(sorted(planter.by_reason.items())),
        exact_duplicates=planter.exact_duplicates,
        ground_truth_path=truth_dir / "ground_truth.json",
        true_stock_path=true_stock_path,
        seconds=0.0,
        files=files,
    )
    truth = ground_truth(world, ledger, summary, emptied_at)
    write_atomically(summary.ground_truth_path, (json.dumps(truth, indent=2) + "\n").encode())
    save_state(out, world, ledger, clock=world.end)
    summary.seconds = round(time.perf_counter() - began, 3)
    return summary


def write_reference_data(world: World, out: Path) -> None:
    locations = pl.DataFrame(
        {
            "location_id": world.location_ids,
            "location_type": np.where(world.is_dc(np.arange(world.n_locations)), "dc", "store"),
            "region": np.array(world.region_names)[world.location_region],
            "name": world.location_names,
        }
    )
    skus = pl.DataFrame(
        {
            "sku": world.sku_ids,
            "category": world.sku_category,
            "unit_cost": world.sku_cost,
            "unit_price": world.sku_price,
            "abc_class": world.sku_abc,
        }
    )
    for name, frame in (("locations", locations), ("skus", skus)):
        write_atomically(out / "reference" / f"{name}.csv", frame.write_csv().encode())


def _remove_stale_day_files(out: Path, written: list[Path]) -> None:
    """Drop day and response files of an earlier, longer run into the same folder."""
    keep = set(written)
    for source in SOURCE_SYSTEMS:
        folder = out / source
        if folder.is_dir():
            for path in folder.iterdir():
                if DAY_FILE.match(path.name) and path not in keep:
                    path.unlink()


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def anomalous_locations(world: World) -> list[dict]:
    faults: dict[int, list[str]] = {}
    groups = (
        ("shrink", world.shrink_stores),
        ("phantom_inventory", world.phantom_stores),
        ("late_feed", world.late_feed_stores),
        ("short_shipping", [world.short_ship_dc]),
        ("slow_returns", [world.slow_returns_dc]),
    )
    for fault, locations in groups:
        for location in locations:
            faults.setdefault(int(location), []).append(fault)
    return [
        {"location_id": str(world.location_ids[location]), "faults": names}
        for location, names in sorted(faults.items())
    ]


def _phantom_positions(world: World, ledger: StockLedger, emptied_at: np.ndarray) -> list[dict]:
    """Sku-locations whose shelf emptied unrecorded and still show book stock at the end."""
    phantom = (emptied_at >= 0) & (ledger.true == 0) & (ledger.book > 0)
    cells = np.flatnonzero(phantom)
    location, sku = np.divmod(cells, world.n_skus)
    return [
        {
            "location_id": str(world.location_ids[loc]),
            "sku": str(world.sku_ids[item]),
            "book_quantity": int(ledger.book[cell]),
            "since": _iso(emptied_at[cell]),
        }
        for cell, loc, item in zip(cells, location, sku, strict=True)
    ]


def ground_truth(
    world: World, ledger: StockLedger, summary: SimulationSummary, emptied_at: np.ndarray
) -> dict:
    config = world.config
    ids = world.location_ids
    inaccurate = (ledger.book != ledger.true).reshape(world.n_locations, world.n_skus)
    carried = world.carried

    def accuracy(locations) -> dict:
        locations = np.asarray(locations, dtype=np.int64)
        positions = int(carried[locations].sum())
        wrong = int((inaccurate[locations] & carried[locations]).sum())
        return {"sku_locations": positions, "inaccurate": wrong}

    faulty_stores = np.concatenate([world.shrink_stores, world.phantom_stores])
    healthy_stores = np.setdiff1d(np.arange(world.n_stores), faulty_stores)
    return {
        "generator": "omnistock simulator",
        "scenario": config_to_dict(config),
        "horizon": {
            "start": summary.start,
            "end": summary.end,
            "days": config.days,
            "day_files": "one file per source and UTC day of emitted_at; events emitted after "
            "the end are in flight and not delivered",
        },
        "source_formats": dict(SOURCE_FORMATS),
        "timestamp_offsets": {
            source: f"{minutes // 60:+03d}:{minutes % 60:02d}"
            for source, minutes in SOURCE_UTC_OFFSET_MINUTES.items()
        },
        "schema_version_2": {
            "source_system": config.schema_v2_source,
            "from": _iso(world.day_start(config.schema_v2_from_day)),
            "renamed": {"location_id": "site_id", "sku": "item.sku", "quantity": "item.qty"},
        },
        "faults": {
            "shrink_stores": ids[world.shrink_stores].tolist(),
            "phantom_inventory_stores": ids[world.phantom_stores].tolist(),
            "phantom_inventory_positions": _phantom_positions(world, ledger, emptied_at),
            "late_feed_stores": ids[world.late_feed_stores].tolist(),
            "short_shipping_dc": str(ids[world.short_ship_dc]),
            "late_supplier": str(world.supplier_ids[world.late_supplier]),
            "late_supplier_skus": world.sku_ids[world.sku_supplier == world.late_supplier].tolist(),
            "slow_returns_location": str(ids[world.slow_returns_dc]),
            "api_outages": [
                {
                    "integration": outage.integration,
                    "start": _iso(outage.start),
                    "end": _iso(outage.end),
                    "ongoing_at_end": outage.end > world.end,
                }
                for outage in sorted(world.outages, key=lambda o: o.start)
                if outage.start < world.end
            ],
            "promotions": [
                {
                    "start": _iso(promo.start),
                    "end": _iso(promo.end),
                    "skus": world.sku_ids[promo.skus].tolist(),
                    "channels": list(promo.channels),
                    "demand_uplift": promo.uplift,
                }
                for promo in world.promotions
                if promo.start < world.end
            ],
        },
        "anomalous_locations": anomalous_locations(world),
        "stock_accuracy_at_end": {
            "shrink_stores": accuracy(world.shrink_stores),
            "phantom_inventory_stores": accuracy(world.phantom_stores),
            "other_stores": accuracy(healthy_stores),
            "dcs": accuracy(world.dc_indices()),
        },
        "records_total": summary.records_total,
        "events_total": summary.events_total,
        "events_by_type": summary.events_by_type,
        "events_by_source": summary.events_by_source,
        "bad_records": summary.bad_records_by_reason,
        "bad_records_total": sum(summary.bad_records_by_reason.values()),
        "exact_duplicates": summary.exact_duplicates,
        "files": summary.files,
        "true_stock_path": "_truth/true_stock.parquet",
    }
