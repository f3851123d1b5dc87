"""The tables Omnistock's Python steps write, declared once.

dbt declares the marts (their `.yml` contracts); this module declares the rest: what risk
scoring writes to `intelligence.*` and what the cycle-count action writes to `actions.*`.
Producers write through `Table.conform` (declared columns, declared order, declared types; a
missing or extra column is an error, not a surprise for a reader), consumers (the
dashboards' snapshot, the test fixtures) read the declaration, and a test runs the producers
on the tiny scenario and compares what they wrote with it.

The module imports polars only: every layer may read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

# The risk features, in the detectors' order. Feed lag is a property of a location's systems,
# not of a category, so the per-category level has one feature less.
LOCATION_FEATURES: tuple[str, ...] = (
    "count_discrepancy_rate",
    "count_shortage_units_per_count",
    "shrink_units_per_throughput",
    "damage_units_per_throughput",
    "inbound_short_receipt_rate",
    "outbound_short_receipt_rate",
    "reservation_failure_rate",
    "oversell_rate",
    "negative_stock_share",
    "phantom_share",
    "feed_lag_p95_min",
    "stalled_return_rate",
)
LOCATION_CATEGORY_FEATURES: tuple[str, ...] = tuple(
    feature for feature in LOCATION_FEATURES if feature != "feed_lag_p95_min"
)
# The evidence a rate rests on (its denominator), kept beside the features.
EVIDENCE_COLUMNS: dict[str, str] = {
    "counts": "UINTEGER",
    "throughput_units": "BIGINT",
    "inbound_receipts": "UINTEGER",
    "outbound_receipts": "UINTEGER",
    "reservation_requests": "BIGINT",
    "reservation_confirmations": "BIGINT",
    "sku_locations": "UINTEGER",
    "usual_sellers": "UINTEGER",
    "returns_received": "UINTEGER",
}

_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DOUBLE": pl.Float64(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "UINTEGER": pl.UInt32(),
    "BOOLEAN": pl.Boolean(),
    "TIMESTAMP": pl.Datetime("us"),
    "VARCHAR[]": pl.List(pl.String()),
}


class TableContractError(ValueError):
    """A frame does not have the columns its table declares."""


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    grain: str
    columns: Mapping[str, str]  # column -> DuckDB type, in table order
    primary_key: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    defaults: Mapping[str, str] | None = None  # column -> SQL default

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def polars_schema(self) -> pl.Schema:
        return pl.Schema({column: _POLARS_TYPES[kind] for column, kind in self.columns.items()})

    def create_sql(self) -> str:
        """`create table if not exists` for this table (its schema too)."""
        defaults = self.defaults or {}
        lines = []
        for column, kind in self.columns.items():
            line = f"{column} {kind}"
            if column in self.not_null:
                line += " not null"
            if column in defaults:
                line += f" default {defaults[column]}"
            lines.append(line)
        if self.primary_key:
            lines.append(f"primary key ({', '.join(self.primary_key)})")
        body = ",\n    ".join(lines)
        return (
            f"create schema if not exists {self.schema};\n"
            f"create table if not exists {self.qualified_name} (\n    {body}\n);"
        )

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema())

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with exactly the declared columns, in order, cast to the declared types."""
        missing = [column for column in self.columns if column not in frame.columns]
        extra = [column for column in frame.columns if column not in self.columns]
        if missing or extra:
            raise TableContractError(
                f"{self.qualified_name}: "
                + "; ".join(
                    part
                    for part in (
                        f"missing columns {missing}" if missing else "",
                        f"undeclared columns {extra}" if extra else "",
                    )
                    if part
                )
            )
        return frame.select(
            pl.col(column).cast(kind) for column, kind in self.polars_schema().items()
        )


def _features(features: tuple[str, ...]) -> dict[str, str]:
    return dict.fromkeys(features, "DOUBLE")


def _scored(keys: dict[str, str], features: tuple[str, ...]) -> dict[str, str]:
    return {
        **keys,
        "location_type": "VARCHAR",
        "region": "VARCHAR",
        "as_of": "TIMESTAMP",
        "risk_score": "DOUBLE",
        "risk_rank": "BIGINT",
        "combined_score": "DOUBLE",
        "isolation_score": "DOUBLE",
        "knn_score": "DOUBLE",
        "top_features": "VARCHAR[]",
        "reason": "VARCHAR",
        **_features(features),
    }


def _feature_table(keys: dict[str, str], features: tuple[str, ...]) -> dict[str, str]:
    return {
        **keys,
        "location_type": "VARCHAR",
        "region": "VARCHAR",
        "as_of": "TIMESTAMP",
        "window_days": "INTEGER",
        **_features(features),
        **EVIDENCE_COLUMNS,
    }


LOCATION = {"location_id": "VARCHAR"}
LOCATION_CATEGORY = {"location_id": "VARCHAR", "category": "VARCHAR"}

LOCATION_FEATURES_TABLE = Table(
    "intelligence",
    "location_features",
    "one row per location: its risk features over the feature window",
    _feature_table(LOCATION, LOCATION_FEATURES),
)
LOCATION_CATEGORY_FEATURES_TABLE = Table(
    "intelligence",
    "location_category_features",
    "one row per location and product category",
    _feature_table(LOCATION_CATEGORY, LOCATION_CATEGORY_FEATURES),
)
LOCATION_RISK = Table(
    "intelligence",
    "location_risk",
    "one row per location: its risk score, rank, drivers and features, per model version",
    {**_scored(LOCATION, LOCATION_FEATURES), "model_version": "VARCHAR"},
)
LOCATION_CATEGORY_RISK = Table(
    "intelligence",
    "location_category_risk",
    "one row per location and product category",
    _scored(LOCATION_CATEGORY, LOCATION_CATEGORY_FEATURES),
)
RISK_MODEL_SCORES = Table(
    "intelligence",
    "risk_model_scores",
    "one row per model version and location: the state the version scored",
    {
        "model_version": "VARCHAR",
        "as_of": "TIMESTAMP",
        "location_id": "VARCHAR",
        "risk_score": "DOUBLE",
        "risk_rank": "BIGINT",
        "risk_threshold": "DOUBLE",
        "count_plan": "VARCHAR[]",
    },
    primary_key=("model_version", "location_id"),
    not_null=("risk_score", "risk_rank", "risk_threshold", "count_plan"),
)
RISK_MODEL_EVALUATIONS = Table(
    "intelligence",
    "risk_model_evaluations",
    "one row per model version: its evaluation against the ground truth",
    {
        "model_version": "VARCHAR",
        "as_of": "TIMESTAMP",
        "evaluated_at": "TIMESTAMP",
        "truth_fingerprint": "VARCHAR",
        "risk_threshold": "DOUBLE",
        "k": "BIGINT",
        "planted": "BIGINT",
        "hits_at_k": "BIGINT",
        "precision_at_k": "DOUBLE",
        "recall_at_k": "DOUBLE",
        "roc_auc": "DOUBLE",
        "count_budget": "BIGINT",
        "yield_risk_ranked": "DOUBLE",
        "yield_abc_frequency": "DOUBLE",
        "yield_random": "DOUBLE",
        "risk_yield_vs_abc": "DOUBLE",
        "targets_met": "BOOLEAN",
        "missed_targets": "VARCHAR",
        "report": "VARCHAR",
    },
    primary_key=("model_version",),
    not_null=("evaluated_at", "targets_met", "report"),
)
CYCLE_COUNT_REQUESTS = Table(
    "actions",
    "cycle_count_requests",
    "one row per cycle-count request: why it was asked, its status and its results",
    {
        "request_id": "VARCHAR",
        "location_id": "VARCHAR",
        "requested_at": "TIMESTAMP",
        "risk_score": "DOUBLE",
        "risk_rank": "BIGINT",
        "reason": "VARCHAR",
        "sku_count": "BIGINT",
        "expected_discrepancy_value": "DOUBLE",
        "status": "VARCHAR",
        "counted_at": "TIMESTAMP",
        "skus_counted": "BIGINT",
        "skus_inaccurate": "BIGINT",
        "units_corrected": "BIGINT",
        "value_corrected": "DOUBLE",
        "outbox_file": "VARCHAR",
    },
    primary_key=("request_id",),
    not_null=("location_id", "requested_at", "status"),
    defaults={"status": "'open'"},
)
CYCLE_COUNT_REQUEST_LINES = Table(
    "actions",
    "cycle_count_request_lines",
    "one row per request and SKU to count, in priority order",
    {
        "request_id": "VARCHAR",
        "priority": "BIGINT",
        "location_id": "VARCHAR",
        "sku": "VARCHAR",
        "category": "VARCHAR",
        "abc_class": "VARCHAR",
        "book_quantity": "DOUBLE",
        "inaccuracy_probability": "DOUBLE",
        "expected_discrepancy_value": "DOUBLE",
        "reason": "VARCHAR",
    },
    primary_key=("request_id", "sku"),
    not_null=("request_id", "priority", "location_id", "sku"),
)

TABLES: dict[str, Table] = {
    table.qualified_name: table
    for table in (
        LOCATION_FEATURES_TABLE,
        LOCATION_CATEGORY_FEATURES_TABLE,
        LOCATION_RISK,
        LOCATION_CATEGORY_RISK,
        RISK_MODEL_SCORES,
        RISK_MODEL_EVALUATIONS,
        CYCLE_COUNT_REQUESTS,
        CYCLE_COUNT_REQUEST_LINES,
    )
}
