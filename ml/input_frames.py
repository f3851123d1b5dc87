"""The frames ml reads, one per concern, and its time conventions.

`RiskInputs` holds one frame per concern, columns and types in `INPUT_SCHEMAS` (`ml.inputs`
loads them from the marts; tests build them by hand with `RiskInputs.from_frames`).
Timestamps are event times: counted_at, adjusted_at, received_at (transfer line's first
receipt; return line's receipt), first_requested_at (reservation), oversold_at (the
out_of_stock cancellation after a confirmation), occurred_at/emitted_at. stock_positions has
one row per sku-location and day, as fct_stock_positions.

Time rules: timestamps are naive UTC (as the warehouse stores them; an aware `as_of` is
converted); events count when `window.start < timestamp <= as_of`; daily rows count for the
`days` calendar days ending on as_of's date (`Window`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl

_TEXT, _COUNT, _TIME = pl.String, pl.Int64, pl.Datetime("us")
INPUT_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "locations": {"location_id": _TEXT, "location_type": _TEXT, "region": _TEXT},
    "skus": {"sku": _TEXT, "category": _TEXT, "abc_class": _TEXT, "unit_cost": pl.Float64},
    "cycle_counts": {
        "location_id": _TEXT,
        "sku": _TEXT,
        "counted_at": _TIME,
        "is_accurate": pl.Boolean,
        "variance_quantity": _COUNT,  # counted - system; null when the book is unknown
    },
    "adjustments": {
        "location_id": _TEXT,
        "sku": _TEXT,
        "adjusted_at": _TIME,
        "reason_code": _TEXT,
        "quantity": _COUNT,
    },
    "transfers": {
        "origin_location_id": _TEXT,
        "destination_location_id": _TEXT,
        "sku": _TEXT,
        "received_at": _TIME,
        "is_received_short": pl.Boolean,
    },
    "reservations": {
        "location_id": _TEXT,
        "sku": _TEXT,
        "first_requested_at": _TIME,
        "requests": _COUNT,
        "confirmations": _COUNT,
        "failures": _COUNT,
    },
    "oversells": {"location_id": _TEXT, "sku": _TEXT, "oversold_at": _TIME},
    "stock_positions": {
        "location_id": _TEXT,
        "sku": _TEXT,
        "position_date": pl.Date,
        "closing_quantity": _COUNT,
        "is_negative": pl.Boolean,
        "sales_quantity": _COUNT,
        "transfer_out_quantity": _COUNT,
    },
    "event_lags": {
        "location_id": _TEXT,
        "event_type": _TEXT,
        "occurred_at": _TIME,
        "emitted_at": _TIME,
    },
    "returns": {
        "location_id": _TEXT,
        "sku": _TEXT,
        "received_at": _TIME,
        "is_stalled": pl.Boolean,
    },
}


@dataclass(frozen=True)
class RiskInputs:
    """The frames the features read (columns and types: `INPUT_SCHEMAS`)."""

    locations: pl.DataFrame
    skus: pl.DataFrame
    cycle_counts: pl.DataFrame
    adjustments: pl.DataFrame
    transfers: pl.DataFrame
    reservations: pl.DataFrame
    oversells: pl.DataFrame
    stock_positions: pl.DataFrame
    event_lags: pl.DataFrame
    returns: pl.DataFrame

    @classmethod
    def from_frames(cls, **frames: pl.DataFrame | list[dict] | None) -> RiskInputs:
        """Frames (or lists of row dicts) cast to `INPUT_SCHEMAS`; missing ones are empty.
        Extra columns are dropped, a missing column fails loudly."""
        typed = {}
        for name, schema in INPUT_SCHEMAS.items():
            frame = frames.pop(name, None)
            if frame is None:
                frame = pl.DataFrame(schema=schema)
            elif not isinstance(frame, pl.DataFrame):
                frame = pl.DataFrame(frame, schema_overrides=schema)
            typed[name] = frame.select(pl.col(c).cast(t) for c, t in schema.items())
        if frames:
            raise TypeError(f"unknown input frames: {sorted(frames)}")
        return cls(**typed)


def to_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class Window:
    """A trailing window ending at `end` (as_of)."""

    end: datetime
    days: int

    @classmethod
    def ending(cls, as_of: datetime, days: int) -> Window:
        return cls(to_naive_utc(as_of), days)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def first_day(self) -> date:
        return self.end.date() - timedelta(days=self.days - 1)

    def contains(self, column: str) -> pl.Expr:
        return (pl.col(column) > self.start) & (pl.col(column) <= self.end)

    def contains_day(self, column: str) -> pl.Expr:
        return pl.col(column).is_between(self.first_day, self.end.date())
