"""Building events: one frame per event type and call, with ids, delivery times and stock moves.

Inside the simulator an event is a row of a polars frame with integer times (epoch seconds) and
integer location/SKU indices; `delivery.py` turns rows into the landed records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np
import polars as pl

from .ledger import StockLedger
from .vocab import BOOK_ONLY_ADJUSTMENTS, STOCK_EFFECT_SIGN, STOCK_MOVING
from .world import DAY, HOUR, MINUTE, World, stream_rng

EVENT_SCHEMA = {
    "event_id": pl.String,
    "event_type": pl.String,
    "source_system": pl.String,
    "occurred": pl.Int64,
    "emitted": pl.Int64,
    "case_id": pl.String,
    "location": pl.Int32,
    "to_location": pl.Int32,
    "sku": pl.Int32,
    "quantity": pl.Int64,
    "channel": pl.String,
    "reason_code": pl.String,
    "attributes": pl.String,
}

# Publication delay (seconds, uniform) of sources that publish near real time.
NEAR_REAL_TIME_DELAY = {
    "ecommerce": (0, 8),
    "oms": (0, 5),
    "erp": (1, 90),
    "wms": (5, 180),
    "supplier_portal": (MINUTE, 30 * MINUTE),
    "customer_service": (0, 15 * MINUTE),
    "integration_gateway": (0, 3),
}
POS_BATCH_SECONDS = 30 * MINUTE
MARKETPLACE_BATCH_SECONDS = 3 * HOUR


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def iso_utc(seconds) -> pl.Series:
    """Epoch seconds -> ISO-8601 `Z` strings."""
    epoch = pl.Series(np.asarray(seconds, dtype=np.int64))
    return pl.from_epoch(epoch, time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def json_objects(n: int, **fields) -> pl.Series:
    """JSON object text per row from columns (numpy/polars arrays or scalars).

    Integer and boolean columns are written bare, everything else quoted; a null value drops
    its key. Keys never need escaping and values are identifiers, codes or timestamps.
    """
    columns, parts = {}, []
    for position, (key, value) in enumerate(fields.items()):
        name = f"v{position}"
        series = value if isinstance(value, pl.Series) else None
        if series is None:
            array = np.asarray(value)
            series = _series(np.broadcast_to(array, (n,)) if array.ndim == 0 else array)
        columns[name] = series
        if series.dtype == pl.Boolean:
            text = pl.when(pl.col(name)).then(pl.lit("true")).otherwise(pl.lit("false"))
        elif series.dtype.is_integer():
            text = pl.col(name).cast(pl.String)
        else:
            text = pl.concat_str([pl.lit('"'), pl.col(name).cast(pl.String), pl.lit('"')])
        parts.append(pl.concat_str([pl.lit(f'"{key}":'), text]))
    body = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return pl.DataFrame(columns).select(
        pl.when(body != "").then(pl.concat_str([pl.lit("{"), body, pl.lit("}")])).alias("a")
    )["a"]


def _series(array: np.ndarray) -> pl.Series:
    """numpy -> polars; object arrays (strings with None) go through a list."""
    return pl.Series(array.tolist()) if array.dtype.kind == "O" else pl.Series(array)


def _mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A deterministic pseudo-random non-negative integer per (a, b): the same batch of the
    same store always gets the same publication jitter, without drawing from an RNG."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return (a * 2_654_435_761 + (b // 60) * 40_503 + 12_345) % 1_000_003


class DayContext:
    """Collects the events generated on one simulated day (or one outbox response)."""

    def __init__(
        self,
        world: World,
        ledger: StockLedger,
        day: int,
        *,
        id_tag: str | None = None,
        stream: str = "",
    ):
        self.world = world
        self.config = world.config
        self.ledger = ledger
        self.day = day
        self.start = world.day_start(day)
        self.end = self.start + DAY
        calendar_day = self.config.start_date + timedelta(days=day)
        self.weekday = calendar_day.weekday()
        self.stamp = calendar_day.strftime("%Y%m%d")
        self.id_tag = id_tag or self.stamp
        self._stream = stream
        self._next_seq = 0
        self._case_counters: dict[str, int] = defaultdict(int)
        self._frames: list[pl.DataFrame] = []
        self.shelves_emptied: list[tuple[np.ndarray, np.ndarray]] = []  # phantom (cells, times)
        self._emission_rng = self.rng("emission")

    def rng(self, purpose: str) -> np.random.Generator:
        return stream_rng(self.config.seed, self.day, purpose + self._stream)

    def new_cases(self, prefix: str, n: int) -> np.ndarray:
        """Numbers for n new cases of a kind; format them with `case_ids`."""
        first = self._case_counters[prefix]
        self._case_counters[prefix] += n
        return np.arange(first, first + n)

    def case_ids(self, prefix: str, numbers) -> pl.Series:
        digits = pl.Series(np.asarray(numbers, dtype=np.int64)).cast(pl.String).str.zfill(6)
        return f"{prefix}-{self.id_tag}-" + digits

    def events(self) -> pl.DataFrame:
        return pl.concat(self._frames) if self._frames else empty_events()

    def stock_moves(self) -> pl.DataFrame:
        """Today's stock-moving events (what the ERP has to post)."""
        return self.events().filter(pl.col("event_type").is_in(list(STOCK_MOVING)))

    def add(
        self,
        event_type: str,
        source,
        occurred,
        case_id,
        *,
        location=None,
        to_location=None,
        sku=None,
        quantity=None,
        channel=None,
        reason_code=None,
        attributes: pl.Series | None = None,
    ) -> pl.DataFrame:
        occurred = np.asarray(occurred, dtype=np.int64)
        n = len(occurred)
        if n == 0:
            return empty_events()
        if event_type != "stock_snapshot":
            # Midnight belongs to the snapshot that anchors the day's ledger.
            occurred = occurred + (occurred % DAY == 0)
        sources = np.broadcast_to(np.asarray(source), (n,))
        locations = None if location is None else np.broadcast_to(np.asarray(location), (n,))
        emitted = self._emission_times(sources, event_type, occurred, locations)
        seq = np.arange(self._next_seq, self._next_seq + n)
        self._next_seq += n
        values = {
            "event_type": event_type,
            "source_system": sources,
            "occurred": occurred,
            "emitted": emitted,
            "case_id": case_id,
            "location": locations,
            "to_location": to_location,
            "sku": sku,
            "quantity": quantity,
            "channel": channel,
            "reason_code": reason_code,
            "attributes": attributes,
        }
        columns = {"seq": seq}
        selected = [
            pl.concat_str(
                [
                    pl.col("source_system"),
                    pl.lit(f"-{self.id_tag}-"),
                    pl.col("seq").cast(pl.String).str.zfill(7),
                ]
            ).alias("event_id")
        ]
        for name, value in values.items():
            dtype = EVENT_SCHEMA[name]
            if isinstance(value, pl.Series) or np.ndim(value) > 0:
                columns[name] = (
                    value if isinstance(value, pl.Series) else _series(np.asarray(value))
                )
                selected.append(pl.col(name).cast(dtype))
            else:  # one value (or None) for every row
                scalar = value.item() if isinstance(value, np.generic) else value
                selected.append(pl.lit(scalar, dtype=dtype).alias(name))
        frame = pl.DataFrame(columns).select(selected)
        self._frames.append(frame)
        if event_type in STOCK_EFFECT_SIGN:
            self._schedule_stock_moves(frame)
        return frame

    def _schedule_stock_moves(self, frame: pl.DataFrame) -> None:
        location = frame["location"].to_numpy().astype(np.int64)
        sku = frame["sku"].to_numpy().astype(np.int64)
        event_type = frame["event_type"][0]
        d_book = STOCK_EFFECT_SIGN[event_type] * frame["quantity"].to_numpy()
        d_true = d_book
        if event_type == "inventory_adjusted":
            book_only = frame["reason_code"].is_in(list(BOOK_ONLY_ADJUSTMENTS)).to_numpy()
            d_true = np.where(book_only, 0, d_book)
        self.ledger.schedule(
            location * self.world.n_skus + sku, frame["occurred"].to_numpy(), d_book, d_true
        )

    def _emission_times(self, sources, event_type, occurred, locations) -> np.ndarray:
        if (sources == sources[0]).all():
            return self._emit(sources[0], event_type, occurred, locations)
        emitted = np.empty_like(occurred)
        for source in np.unique(sources):
            rows = sources == source
            emitted[rows] = self._emit(
                source, event_type, occurred[rows], None if locations is None else locations[rows]
            )
        return emitted

    def _emit(self, source: str, event_type: str, occurred, locations) -> np.ndarray:
        """When a source publishes events: POS batches close every 30 minutes, marketplace
        batches every 3 hours, the ERP's nightly snapshot at about 02:00, the rest within
        seconds or minutes. Outages of an integration hold back the feed behind it."""
        world, rng = self.world, self._emission_rng
        n = len(occurred)
        if source == "pos":
            close = (occurred // POS_BATCH_SECONDS + 1) * POS_BATCH_SECONDS
            emitted = close + 5 + _mix(locations, close) % 120
            late = np.isin(locations, world.late_feed_stores)
            return emitted + late * (2 * HOUR + _mix(locations + 7, close) % (4 * HOUR))
        if source == "marketplace":
            close = (occurred // MARKETPLACE_BATCH_SECONDS + 1) * MARKETPLACE_BATCH_SECONDS
            held, outage_end = world.outage_state("marketplace_orders", close)
            emitted = close + 60 + _mix(0, close) % 240
            return np.where(held, outage_end + 2 * MINUTE + _mix(1, close) % 480, emitted)
        if source == "erp" and event_type == "stock_snapshot":
            return occurred + 2 * HOUR + rng.integers(0, 30 * MINUTE, n)
        low, high = NEAR_REAL_TIME_DELAY[source]
        emitted = occurred + rng.integers(low, high + 1, n)
        if source == "wms":
            held, outage_end = world.outage_state("wms_sync", occurred)
            emitted = np.where(held, outage_end + rng.integers(MINUTE, 15 * MINUTE, n), emitted)
        return emitted
