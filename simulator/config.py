"""Scenario parameters: the shape of the simulated retailer, its volumes and its fault rates."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ScenarioConfig:
    """Everything that determines a simulated world; same config and seed, same files."""

    name: str = "reference"
    seed: int = 42
    stores: int = 300
    dcs: int = 4
    skus: int = 400
    days: int = 28
    start_date: date = date(2026, 3, 2)
    marketplaces: int = 2
    regions: int = 4

    # Volumes.
    store_sales_units_per_day: float = 40.0  # units an average-sized store sells per day
    online_orders_per_day: float = 1100.0
    store_return_rate: float = 0.02  # store returns per sale line
    online_returns_per_day: float = 80.0
    store_transfers_per_store_day: float = 0.02  # store-to-store rebalancing requests
    cycle_count_share_per_day: float = 0.006  # share of a location's carried SKUs counted daily
    snapshot_every_days: int = 7  # ERP stock snapshot cadence (day 0 always has one)

    # Planted faults (SPEC 2).
    shrink_store_share: float = 0.05
    shrink_daily_loss_rate: float = 0.03  # per carried sku and day, one unit leaves unrecorded
    shrink_write_off_rate: float = 0.01  # daily share of too-high book positions written off
    phantom_store_share: float = 0.03
    phantom_sku_share: float = 0.2  # of a phantom store's fast movers
    phantom_daily_hazard: float = 0.12  # chance per day that such an item's shelf empties
    late_feed_store_share: float = 0.01  # stores whose POS batches arrive hours late
    short_ship_line_share: float = 0.4  # transfer lines of the short-shipping DC arriving short
    late_supplier_late_share: float = 0.8
    slow_returns_never_inspected_share: float = 0.2
    unscanned_receipt_rate: float = 0.02  # store receipts shelved without a transfer_received
    base_oversell_rate: float = 0.004
    promo_oversell_rate: float = 0.12
    late_posting_share: float = 0.01  # stock moves the ERP posts more than 24 h later
    promo_uplift: float = 3.0

    # Delivery quality.
    bad_record_rate: float = 0.005
    duplicate_rate: float = 0.002
    schema_v2_source: str = "wms"
    schema_v2_from_day: int = 3  # day index from which that source publishes version "2"


_TINY = ScenarioConfig(
    name="tiny",
    stores=6,
    dcs=2,
    skus=40,
    days=7,
    regions=2,
    store_sales_units_per_day=30.0,
    online_orders_per_day=45.0,
    online_returns_per_day=16.0,
    store_transfers_per_store_day=0.2,
    cycle_count_share_per_day=0.1,
    snapshot_every_days=1,
    shrink_daily_loss_rate=0.15,
    shrink_write_off_rate=0.1,
    phantom_sku_share=0.5,
    phantom_daily_hazard=0.25,
    schema_v2_from_day=2,
)

_REFERENCE = ScenarioConfig()

_LARGE = ScenarioConfig(
    name="large",
    stores=1000,
    dcs=8,
    skus=600,
    days=56,
    online_orders_per_day=3600.0,
    online_returns_per_day=260.0,
    snapshot_every_days=14,
)

SCENARIOS: dict[str, ScenarioConfig] = {s.name: s for s in (_TINY, _REFERENCE, _LARGE)}


def get_scenario(name: str = "reference", **overrides) -> ScenarioConfig:
    """A named scenario with some fields replaced; `None` overrides are ignored.

    `start_date` may be given as an ISO date string.
    """
    try:
        base = SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}") from None
    changes = {key: value for key, value in overrides.items() if value is not None}
    if isinstance(changes.get("start_date"), str):
        changes["start_date"] = date.fromisoformat(changes["start_date"])
    config = dataclasses.replace(base, **changes)
    if min(config.stores, config.dcs, config.skus, config.days, config.regions) < 1:
        raise ValueError("stores, dcs, skus, days and regions must all be at least 1")
    return config


def config_to_dict(config: ScenarioConfig) -> dict:
    data = dataclasses.asdict(config)
    data["start_date"] = config.start_date.isoformat()
    return data


def config_from_dict(data: dict) -> ScenarioConfig:
    fields = {f.name for f in dataclasses.fields(ScenarioConfig)}
    values = {key: value for key, value in data.items() if key in fields}
    values["start_date"] = date.fromisoformat(values["start_date"])
    return ScenarioConfig(**values)
