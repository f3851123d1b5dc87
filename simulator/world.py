"""The static world: locations, SKUs, assortment, suppliers, planted faults and schedules.

Everything here depends only on the config and its seed, never on the number of days, so a
longer run shares the world (and its faults, outages and promotions) of a shorter one.
"""

from __future__ import annotations

import calendar
import zlib
from dataclasses import dataclass

import numpy as np

from .config import ScenarioConfig

DAY = 86_400
HOUR = 3_600
MINUTE = 60

REGION_NAMES = ("north", "south", "east", "west", "central", "coastal", "alpine", "metro")
# category -> median unit price
CATEGORY_PRICES = {
    "apparel": 35.0,
    "footwear": 70.0,
    "electronics": 180.0,
    "home": 45.0,
    "beauty": 22.0,
    "toys": 30.0,
    "grocery": 6.0,
    "sports": 55.0,
}
CARRY_PROBABILITY = {"A": 0.97, "B": 0.75, "C": 0.45}
STORE_WEEKDAY_FACTOR = np.array([0.9, 0.9, 0.95, 1.0, 1.15, 1.35, 0.75])
ONLINE_WEEKDAY_FACTOR = np.array([1.05, 1.0, 1.0, 1.0, 0.95, 0.9, 1.1])
# Units per online order, used to size DC stock for online demand.
ONLINE_UNITS_PER_ORDER = 1.7


def stream_rng(seed: int, index: int, stream: str) -> np.random.Generator:
    """An independent random stream per (seed, day or week, purpose): prefix-stable draws."""
    return np.random.default_rng([seed, index, zlib.crc32(stream.encode())])


@dataclass(frozen=True)
class Outage:
    integration: str
    start: int  # epoch seconds
    end: int


@dataclass(frozen=True)
class Promotion:
    start: int
    end: int
    skus: np.ndarray  # sku indices
    channels: tuple[str, ...]
    uplift: float


@dataclass
class World:
    config: ScenarioConfig
    start: int  # epoch seconds of start_date 00:00 UTC
    region_names: tuple[str, ...]
    location_ids: np.ndarray  # stores first, then DCs
    location_names: np.ndarray
    location_region: np.ndarray
    n_stores: int
    n_dcs: int
    serving_dc: np.ndarray  # per location: index of the DC that supplies it
    region_dc: np.ndarray  # per region: index of its DC
    store_size: np.ndarray  # per store, mean 1
    sku_ids: np.ndarray
    sku_category: np.ndarray
    sku_cost: np.ndarray
    sku_price: np.ndarray
    sku_abc: np.ndarray
    sku_popularity: np.ndarray  # sums to 1
    sku_supplier: np.ndarray
    supplier_ids: np.ndarray
    supplier_lead_days: np.ndarray
    carried: np.ndarray  # (locations, skus) bool
    velocity: np.ndarray  # (locations, skus) expected units out per day
    reorder_point: np.ndarray  # (locations, skus)
    order_up_to: np.ndarray
    initial_stock: np.ndarray
    shrink_stores: np.ndarray
    phantom_stores: np.ndarray
    late_feed_stores: np.ndarray
    phantom_candidates: np.ndarray  # (locations, skus) bool
    short_ship_dc: int
    slow_returns_dc: int
    late_supplier: int
    outages: tuple[Outage, ...]
    promotions: tuple[Promotion, ...]

    @property
    def n_locations(self) -> int:
        return len(self.location_ids)

    @property
    def n_skus(self) -> int:
        return len(self.sku_ids)

    @property
    def n_regions(self) -> int:
        return len(self.region_names)

    @property
    def end(self) -> int:
        """The end of the simulated horizon (exclusive)."""
        return self.day_start(self.config.days)

    def day_start(self, day: int) -> int:
        return self.start + day * DAY

    def is_dc(self, location: np.ndarray) -> np.ndarray:
        return np.asarray(location) >= self.n_stores

    def dc_indices(self) -> np.ndarray:
        return np.arange(self.n_stores, self.n_locations)

    def region_stores(self, region: int) -> np.ndarray:
        return np.flatnonzero(self.location_region[: self.n_stores] == region)

    def outage_state(self, integration: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each time falls in an outage of the integration, and that outage's end."""
        times = np.asarray(times)
        active = np.zeros(times.shape, dtype=bool)
        ends = np.zeros(times.shape, dtype=np.int64)
        for outage in self.outages:
            if outage.integration != integration:
                continue
            inside = (times >= outage.start) & (times < outage.end)
            active |= inside
            ends[inside] = outage.end
        return active, ends

    def promo_uplift(self, day: int, channel: str) -> np.ndarray:
        """Demand multiplier per SKU for a channel on a day."""
        uplift = np.ones(self.n_skus)
        moment = self.day_start(day)
        for promo in self.promotions:
            if promo.start <= moment < promo.end and channel in promo.channels:
                uplift[promo.skus] = promo.uplift
        return uplift


def build_world(config: ScenarioConfig) -> World:
    rng = stream_rng(config.seed, 0, "world")
    start = calendar.timegm(config.start_date.timetuple())
    n_regions = min(config.regions, len(REGION_NAMES))
    region_names = REGION_NAMES[:n_regions]

    # Locations: stores in contiguous region blocks, DCs round-robin over regions.
    n_stores, n_dcs = config.stores, config.dcs
    width = max(3, len(str(n_stores)))
    store_region = np.arange(n_stores) * n_regions // n_stores
    dc_region = np.arange(n_dcs) % n_regions
    store_ids = [f"S{i + 1:0{width}d}" for i in range(n_stores)]
    dc_ids = [f"DC{k + 1:02d}" for k in range(n_dcs)]
    store_names = [f"{region_names[r].title()} store {i + 1}" for i, r in enumerate(store_region)]
    dc_names = [f"{region_names[r].title()} distribution centre" for r in dc_region]
    location_region = np.concatenate([store_region, dc_region])
    region_dc = np.array(
        [
            n_stores + (np.flatnonzero(dc_region == r)[0] if (dc_region == r).any() else r % n_dcs)
            for r in range(n_regions)
        ]
    )
    serving_dc = region_dc[location_region]
    serving_dc[n_stores:] = np.arange(n_stores, n_stores + n_dcs)
    store_size = rng.lognormal(0.0, 0.35, n_stores)
    store_size /= store_size.mean()

    # SKUs: popularity follows a Zipf-like curve over a random ranking; ABC by rank.
    n_skus = config.skus
    categories = np.array(list(CATEGORY_PRICES))
    sku_category = categories[rng.permutation(n_skus) % len(categories)]  # every category used
    median_price = np.array([CATEGORY_PRICES[c] for c in sku_category])
    sku_price = np.maximum(1.99, np.round(median_price * rng.lognormal(0, 0.45, n_skus)) - 0.01)
    sku_cost = np.round(sku_price * rng.uniform(0.35, 0.6, n_skus), 2)
    rank = rng.permutation(n_skus)
    sku_abc = np.where(rank < 0.2 * n_skus, "A", np.where(rank < 0.5 * n_skus, "B", "C"))
    popularity = 1.0 / (rank + 4.0) ** 0.95
    popularity /= popularity.sum()

    n_suppliers = int(np.clip(n_skus // 35, 3, 12))
    supplier_ids = np.array([f"SUP{k + 1:02d}" for k in range(n_suppliers)])
    sku_supplier = rng.permutation(n_skus) % n_suppliers
    supplier_lead_days = rng.integers(2, 5, n_suppliers)
    late_supplier = int(rng.integers(0, n_suppliers))
    # Its lead time is short: the problem is not the promise but keeping it.
    supplier_lead_days[late_supplier] = 2

    # Assortment and demand per store.
    carry_p = np.array([CARRY_PROBABILITY[c] for c in sku_abc])
    store_carried = rng.random((n_stores, n_skus)) < np.clip(
        carry_p[None, :] * (0.85 + 0.15 * store_size[:, None]), 0, 1
    )
    raw_velocity = store_carried * popularity[None, :] * store_size[:, None]
    store_velocity = raw_velocity * (
        config.store_sales_units_per_day * n_stores / raw_velocity.sum()
    )

    # DCs supply their stores and a share of online demand.
    dc_velocity = np.zeros((n_dcs, n_skus))
    np.add.at(dc_velocity, serving_dc[:n_stores] - n_stores, store_velocity)
    dc_velocity += (config.online_orders_per_day * ONLINE_UNITS_PER_ORDER / n_dcs) * popularity
    velocity = np.vstack([store_velocity, dc_velocity])
    carried = np.vstack([store_carried, np.ones((n_dcs, n_skus), dtype=bool)])

    lead = supplier_lead_days[sku_supplier][None, :]
    store_rop = np.maximum(1, np.ceil(store_velocity * 5))
    store_out = np.maximum(store_rop + 4, np.ceil(store_velocity * 21))
    dc_rop = np.ceil(dc_velocity * (lead + 5)) + 2
    dc_out = dc_rop + np.ceil(dc_velocity * 14) + 4
    reorder_point = (np.vstack([store_rop, dc_rop]) * carried).astype(np.int64)
    order_up_to = (np.vstack([store_out, dc_out]) * carried).astype(np.int64)
    fill = np.vstack([rng.uniform(0.35, 1.0, store_rop.shape), rng.uniform(0.3, 1.0, dc_rop.shape)])
    initial_stock = np.where(carried, np.maximum(1, np.round(fill * order_up_to)), 0).astype(
        np.int64
    )

    # Faulty entities: disjoint groups of stores, two different DCs where possible.
    store_order = rng.permutation(n_stores)

    def take_stores(first: int, share: float) -> tuple[np.ndarray, int]:
        count = max(1, round(share * n_stores))
        chosen = store_order[np.arange(first, first + count) % n_stores]
        return np.sort(chosen), first + count

    shrink_stores, nxt = take_stores(0, config.shrink_store_share)
    phantom_stores, nxt = take_stores(nxt, config.phantom_store_share)
    late_feed_stores, _ = take_stores(nxt, config.late_feed_store_share)
    dc_order = n_stores + rng.permutation(n_dcs)
    short_ship_dc, slow_returns_dc = int(dc_order[0]), int(dc_order[1 % n_dcs])

    phantom_candidates = np.zeros_like(carried)
    for store in phantom_stores:
        v = velocity[store]
        fast = carried[store] & (v >= np.median(v[carried[store]]))
        phantom_candidates[store] = fast & (rng.random(n_skus) < config.phantom_sku_share)

    n_weeks = config.days // 7 + 2
    return World(
        config=config,
        start=start,
        region_names=region_names,
        location_ids=np.array(store_ids + dc_ids),
        location_names=np.array(store_names + dc_names),
        location_region=location_region,
        n_stores=n_stores,
        n_dcs=n_dcs,
        serving_dc=serving_dc,
        region_dc=region_dc,
        store_size=store_size,
        sku_ids=np.array([f"SKU{i + 1:05d}" for i in range(n_skus)]),
        sku_category=sku_category,
        sku_cost=sku_cost,
        sku_price=sku_price,
        sku_abc=sku_abc,
        sku_popularity=popularity,
        sku_supplier=sku_supplier,
        supplier_ids=supplier_ids,
        supplier_lead_days=supplier_lead_days,
        carried=carried,
        velocity=velocity,
        reorder_point=reorder_point,
        order_up_to=order_up_to,
        initial_stock=initial_stock,
        shrink_stores=shrink_stores,
        phantom_stores=phantom_stores,
        late_feed_stores=late_feed_stores,
        phantom_candidates=phantom_candidates,
        short_ship_dc=short_ship_dc,
        slow_returns_dc=slow_returns_dc,
        late_supplier=late_supplier,
        outages=tuple(o for w in range(n_weeks) for o in _weekly_outages(config, start, w)),
        promotions=tuple(_weekly_promotion(config, start, w, sku_abc) for w in range(n_weeks)),
    )


def _weekly_outages(config: ScenarioConfig, start: int, week: int) -> list[Outage]:
    """Three outages a week; the last one starts late on the 7th day and runs past midnight,
    so a run of whole weeks ends in the middle of an outage."""
    rng = stream_rng(config.seed, week, "outages")
    week_start = start + week * 7 * DAY
    plan = (  # integration, day of week, earliest start hour, start spread h, duration range min
        ("oms_erp_availability", 2, 11, 3, (90, 180)),
        ("marketplace_orders", 4, 8, 4, (120, 240)),
        ("wms_sync", 6, 21, 1, (180, 300)),
    )
    outages = []
    for integration, weekday, hour, spread, (shortest, longest) in plan:
        begin = week_start + weekday * DAY + hour * HOUR + int(rng.integers(0, spread * HOUR))
        minutes = int(rng.integers(shortest, longest + 1))
        outages.append(Outage(integration, begin, begin + minutes * MINUTE))
    return outages


def _weekly_promotion(
    config: ScenarioConfig, start: int, week: int, sku_abc: np.ndarray
) -> Promotion:
    """A three-day promotion (days 3-5 of each week) on a few A/B items."""
    rng = stream_rng(config.seed, week, "promotions")
    eligible = np.flatnonzero(sku_abc != "C")
    count = max(2, round(0.06 * len(sku_abc)))
    skus = np.sort(rng.choice(eligible, size=min(count, len(eligible)), replace=False))
    channels = ("web", "marketplace", "bopis") if week % 2 == 0 else ("store", "web")
    begin = start + (week * 7 + 3) * DAY
    return Promotion(begin, begin + 3 * DAY, skus, channels, config.promo_uplift)
