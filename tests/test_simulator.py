"""The simulator's contract: the tiny scenario, read back the way docs/architecture.md says
ingestion reads it (an independent reference reader lives at the top of this file)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from simulator import SCENARIOS, get_scenario, respond_to_outbox, simulate
from simulator.cli import main as cli_main
from simulator.vocab import (
    CHANNELS,
    EVENT_TYPES,
    REASON_CODES,
    REQUIRED_ATTRIBUTES,
    REQUIRED_FIELDS,
    SOURCE_SYSTEMS,
    STOCK_EFFECT_SIGN,
)

SPEC = Path(__file__).resolve().parents[2] / "shared" / "SPEC.md"
CANONICAL = (
    "event_id",
    "schema_version",
    "event_type",
    "source_system",
    "occurred_at",
    "emitted_at",
    "case_id",
    "location_id",
    "to_location_id",
    "sku",
    "quantity",
    "channel",
    "reason_code",
    "attributes",
)
EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# --- a reference reader: validation order of docs/architecture.md -------------------------


def _raw_records(root: Path):
    """(relative file, record dict or None when unparseable) for every landed record."""
    for path in sorted(root.glob("*/*")):
        if path.parent.name not in SOURCE_SYSTEMS:
            continue
        name = str(path.relative_to(root))
        if path.suffix == ".jsonl":
            for line in path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                yield name, record if isinstance(record, dict) else None
        elif path.suffix == ".csv":
            header, *rows = csv.reader(io.StringIO(path.read_text()))
            for row in rows:
                cells = [cell if cell != "" else None for cell in row]
                yield (
                    name,
                    dict(zip(header, cells, strict=True)) if len(row) == len(header) else None,
                )
        else:
            for record in pl.read_parquet(path).to_dicts():
                yield name, record


def _json_lines(path: Path) -> list[dict]:
    """The parseable lines of a JSONL file (bad records aside)."""
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _validate(record, locations, skus):
    """(quarantine reason or None, the record upcast to version 1 and normalized)."""
    if record is None:
        return "malformed_record", None
    record = dict(record)
    attributes = record.get("attributes")
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            return "malformed_record", None
    attributes = {} if attributes is None else attributes
    if not isinstance(attributes, dict):
        return "malformed_record", None
    record["attributes"] = attributes
    for field in CANONICAL[:7]:
        if record.get(field) is None:
            return f"missing_field:{field}", None
    if record["schema_version"] not in ("1", "2"):
        return "unsupported_schema_version", None
    if record["schema_version"] == "2":
        record["location_id"] = record.pop("site_id", None)
        item = record.pop("item", None) or {}
        record["sku"], record["quantity"] = item.get("sku"), item.get("qty")
    if not EVENT_ID.match(record["event_id"]):
        return "invalid_value:event_id", None
    event_type = record["event_type"]
    if event_type not in REQUIRED_FIELDS:
        return "unknown_event_type", None
    if record["source_system"] not in SOURCE_SYSTEMS:
        return "invalid_value:source_system", None
    for field in REQUIRED_FIELDS[event_type]:
        if record.get(field) is None:
            return f"missing_field:{field}", None
    for key in REQUIRED_ATTRIBUTES.get(event_type, ()):
        if key not in attributes:
            return f"missing_field:attributes.{key}", None
    if not (TIMESTAMP.match(record["occurred_at"]) and TIMESTAMP.match(record["emitted_at"])):
        return "invalid_timestamp", None
    quantity = record.get("quantity")
    if quantity is not None:
        if isinstance(quantity, bool) or not re.fullmatch(r"-?\d+", str(quantity)):
            return "invalid_quantity", None
        quantity = int(quantity)
        if event_type == "inventory_adjusted":
            broken = quantity == 0
        elif event_type in ("stock_snapshot", "cycle_count_completed"):
            broken = quantity < 0
        else:
            broken = quantity <= 0
        if broken:
            return "invalid_quantity", None
        record["quantity"] = quantity
    if record.get("channel") is not None and record["channel"] not in CHANNELS:
        return "invalid_value:channel", None
    allowed = REASON_CODES.get(event_type)
    if allowed and record.get("reason_code") not in allowed:
        return "invalid_value:reason_code", None
    occurred, emitted = _seconds(record["occurred_at"]), _seconds(record["emitted_at"])
    if emitted < occurred - 300:
        return "emitted_before_occurred", None
    for field in ("location_id", "to_location_id"):
        if record.get(field) is not None and record[field] not in locations:
            return "unknown_location", None
    if record.get("sku") is not None and record["sku"] not in skus:
        return "unknown_sku", None
    record["occurred_at"], record["emitted_at"] = occurred, emitted
    return None, {field: record.get(field) for field in CANONICAL}


def read_landing(root: Path):
    """Stored events (one row each, `occurred`/`emitted` as epoch seconds), the quarantine
    reasons counted, and the number of exact duplicates."""
    locations = set(pl.read_csv(root / "reference" / "locations.csv")["location_id"])
    skus = set(pl.read_csv(root / "reference" / "skus.csv")["sku"])
    stored: dict[str, dict] = {}
    files: dict[str, str] = {}
    reasons: Counter[str] = Counter()
    duplicates = 0
    for name, raw in _raw_records(root):
        reason, record = _validate(raw, locations, skus)
        if reason is None and record["event_id"] in stored:
            if stored[record["event_id"]] == record:
                duplicates += 1
                continue
            reason = "duplicate_conflict"
        if reason is not None:
            reasons[reason] += 1
            continue
        stored[record["event_id"]] = record
        files[record["event_id"]] = name
    rows = [
        {**r, "attributes": json.dumps(r["attributes"]), "file": files[r["event_id"]]}
        for r in stored.values()
    ]
    schema = {field: pl.String for field in CANONICAL} | {
        "occurred_at": pl.Float64,
        "emitted_at": pl.Float64,
        "quantity": pl.Int64,
        "file": pl.String,
    }
    events = pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        occurred=pl.col("occurred_at").cast(pl.Int64), emitted=pl.col("emitted_at").cast(pl.Int64)
    )
    return events, reasons, duplicates


def attribute(name: str, dtype=pl.String) -> pl.Expr:
    return pl.col("attributes").str.json_path_match(f"$.{name}").cast(dtype)


def epoch(text: str) -> int:
    return int(_seconds(text))


def epoch_of(column: pl.Expr) -> pl.Expr:
    """ISO-8601 `Z` strings (as the ground truth writes them) -> epoch seconds."""
    return column.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC").dt.epoch("s")


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    simulate(get_scenario("tiny"), root)
    return root


@pytest.fixture(scope="module")
def truth(landing) -> dict:
    return json.loads((landing / "_truth" / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def read(landing):
    return read_landing(landing)


@pytest.fixture(scope="module")
def events(read) -> pl.DataFrame:
    return read[0]


def of_type(events: pl.DataFrame, event_type: str) -> pl.DataFrame:
    return events.filter(pl.col("event_type") == event_type)


# --- scenarios, determinism, prefix stability ---------------------------------------------


def test_scenarios_and_overrides():
    assert {"tiny", "reference", "large"} <= set(SCENARIOS)
    ref = get_scenario("reference")
    assert (ref.stores, ref.dcs, ref.marketplaces, ref.regions, ref.days) == (300, 4, 2, 4, 28)
    custom = get_scenario("tiny", seed=9, days=3, start_date="2026-01-05", stores=None)
    assert (custom.seed, custom.days, custom.start_date.isoformat()) == (9, 3, "2026-01-05")
    assert custom.stores == SCENARIOS["tiny"].stores
    with pytest.raises(ValueError):
        get_scenario("huge")


def test_same_seed_is_byte_identical_and_another_seed_is_not(landing, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    simulate(get_scenario("tiny"), again)
    simulate(get_scenario("tiny", seed=SCENARIOS["tiny"].seed + 1), other)
    original = file_hashes(landing)
    assert file_hashes(again) == original
    different = file_hashes(other)
    assert different["pos/2026-03-02.csv"] != original["pos/2026-03-02.csv"]


def test_one_more_day_keeps_every_earlier_day_file(landing, tmp_path):
    shorter = tmp_path / "six_days"
    simulate(get_scenario("tiny", days=6), shorter)
    longer = file_hashes(landing)
    day_files = {k: v for k, v in file_hashes(shorter).items() if k.split("/")[0] in SOURCE_SYSTEMS}
    assert len(day_files) >= 6 * 8
    assert all(longer[name] == digest for name, digest in day_files.items())
    new_files = {k for k in longer if k.split("/")[0] in SOURCE_SYSTEMS} - day_files.keys()
    assert new_files and all(Path(name).stem == "2026-03-08" for name in new_files)


# --- reference data and file formats --------------------------------------------------------


def test_reference_data(landing):
    locations = pl.read_csv(landing / "reference" / "locations.csv")
    skus = pl.read_csv(landing / "reference" / "skus.csv")
    assert locations.columns == ["location_id", "location_type", "region", "name"]
    assert skus.columns == ["sku", "category", "unit_cost", "unit_price", "abc_class"]
    assert locations.filter(pl.col("location_type") == "store")["location_id"].to_list() == [
        f"S{i:03d}" for i in range(1, 7)
    ]
    dcs = locations.filter(pl.col("location_type") == "dc")["location_id"]
    assert dcs.to_list() == ["DC01", "DC02"]
    assert skus.height == 40 and skus["category"].n_unique() == 8
    assert set(skus["abc_class"]) == {"A", "B", "C"}
    assert (skus["unit_cost"] < skus["unit_price"]).all()


def test_every_source_writes_its_format_with_day_files(landing):
    expected = {
        "pos": "csv",
        "customer_service": "csv",
        "erp": "parquet",
        "integration_gateway": "parquet",
        "ecommerce": "jsonl",
        "marketplace": "jsonl",
        "oms": "jsonl",
        "wms": "jsonl",
        "supplier_portal": "jsonl",
    }
    for source, extension in expected.items():
        names = sorted(path.name for path in (landing / source).iterdir())
        assert names and all(name.endswith("." + extension) for name in names), source
        assert all(re.fullmatch(r"2026-03-0[2-8]\.\w+", name) for name in names)
    assert not list(landing.rglob("*.tmp"))
    header = (landing / "pos" / "2026-03-02.csv").read_text().splitlines()[0]
    assert header.split(",") == list(CANONICAL)


def test_events_land_in_the_file_of_their_emission_day(events):
    emitted_day = pl.from_epoch("emitted", time_unit="s").dt.strftime("%Y-%m-%d")
    file_day = pl.col("file").str.extract(r"/(\d{4}-\d{2}-\d{2})\.")
    assert events.filter(file_day != emitted_day).height == 0


def test_wms_switches_to_schema_version_2(landing, truth):
    assert truth["schema_version_2"]["source_system"] == "wms"
    early = _json_lines(landing / "wms" / "2026-03-02.jsonl")
    late = _json_lines(landing / "wms" / "2026-03-06.jsonl")
    version_1 = [r for r in early if r.get("schema_version") == "1" and "location_id" in r]
    assert len(version_1) > 0.9 * len(early) and all("item" not in r for r in early)
    version_2 = [r for r in late if r.get("schema_version") == "2" and "item" in r]
    assert len(version_2) > 0.9 * len(late)
    sample = version_2[0]
    assert "site_id" in sample and "location_id" not in sample and "sku" not in sample
    assert set(sample["item"]) == {"sku", "qty"} and isinstance(sample["item"]["qty"], int)


def test_timestamps_use_z_or_a_source_offset(landing, events):
    customer_service = (landing / "customer_service" / "2026-03-03.csv").read_text()
    supplier_portal = "".join(p.read_text() for p in (landing / "supplier_portal").iterdir())
    assert "+01:00" in customer_service and "+02:00" in supplier_portal
    pos = (landing / "pos" / "2026-03-03.csv").read_text()
    assert re.search(r",2026-03-03T\d\d:\d\d:\d\dZ,", pos)


# --- events and workflows -------------------------------------------------------------------


def test_spec_event_table_matches_the_simulator_vocabulary():
    if not SPEC.exists():
        pytest.skip("shared/SPEC.md not beside the repository")
    rows = re.findall(r"^\| (\w+) \| (\w+) \| ([^|]*) \|", SPEC.read_text(), flags=re.M)
    table = {event_type: required for _, event_type, required in rows if event_type in EVENT_TYPES}
    assert set(table) == set(EVENT_TYPES)
    for event_type, required in table.items():
        fields = tuple(
            re.findall(
                r"\b(location_id|to_location_id|sku|quantity|channel|reason_code)\b", required
            )
        )
        assert set(fields) == set(REQUIRED_FIELDS[event_type]), event_type
        keys = tuple(re.findall(r"attributes\.(\w+)", required))
        assert keys == REQUIRED_ATTRIBUTES.get(event_type, ()), event_type


def test_every_event_type_appears_with_its_required_fields(events):
    counts = dict(events["event_type"].value_counts().iter_rows())
    assert set(counts) == set(EVENT_TYPES)
    assert all(counts[t] >= 5 for t in EVENT_TYPES), counts
    for event_type, required in REQUIRED_FIELDS.items():
        rows = of_type(events, event_type)
        for field in required:
            assert rows[field].null_count() == 0, (event_type, field)
        for key in REQUIRED_ATTRIBUTES.get(event_type, ()):
            assert rows.select(attribute(key).is_null().sum()).item() == 0, (event_type, key)
    assert set(of_type(events, "sale")["channel"]) == {"store"}
    assert set(of_type(events, "order_placed")["channel"]) == set(CHANNELS) - {"store"}
    assert set(of_type(events, "order_placed")["source_system"]) == {
        "ecommerce",
        "marketplace",
        "pos",
    }
    failed = of_type(events, "reservation_failed")
    assert set(failed["reason_code"]) == {"insufficient_stock", "timeout", "api_error"}
    assert {"out_of_stock", "customer_request", "payment_failed"} <= set(
        of_type(events, "order_cancelled")["reason_code"]
    )
    dispositions = set(of_type(events, "return_inspected")["reason_code"])
    assert {"restock", "scrap"} <= dispositions <= set(REASON_CODES["return_inspected"])
    assert {"shrink", "damage", "correction"} <= set(
        of_type(events, "inventory_adjusted")["reason_code"]
    )
    transfers = of_type(events, "transfer_requested")
    assert transfers["to_location_id"].null_count() == 0
    assert transfers["location_id"].str.starts_with("S").any()  # store-to-store too


def test_emission_follows_each_source_rhythm(events, truth):
    lag = events.with_columns(lag=pl.col("emitted") - pl.col("occurred"))
    assert lag["lag"].min() >= 0
    pos = lag.filter(pl.col("source_system") == "pos")
    on_time = pos.filter(~pl.col("location_id").is_in(truth["faults"]["late_feed_stores"]))
    # POS batches close every 30 minutes and are published then (plus up to two minutes).
    assert (on_time["emitted"] % 1800 <= 125).all() and (on_time["lag"] <= 1800 + 125).all()
    late_feed = pos.filter(pl.col("location_id").is_in(truth["faults"]["late_feed_stores"]))
    assert late_feed.height and late_feed["lag"].min() >= 2 * 3600
    marketplace = lag.filter(pl.col("source_system") == "marketplace")
    assert (
        marketplace["lag"].median() > 3600 and (marketplace["emitted"] % 10800 <= 300).mean() > 0.8
    )
    assert lag.filter(pl.col("source_system").is_in(["oms", "ecommerce"]))["lag"].max() <= 10


def test_stock_ledger_rebuilds_each_snapshot_from_the_previous_one(events):
    snapshots = of_type(events, "stock_snapshot").select(
        "location_id", "sku", "quantity", day=pl.col("occurred") // 86400
    )
    moves = events.filter(pl.col("event_type").is_in(list(STOCK_EFFECT_SIGN))).with_columns(
        delta=pl.col("quantity")
        * pl.col("event_type").replace_strict(STOCK_EFFECT_SIGN, return_dtype=pl.Int64),
        day=pl.col("occurred") // 86400,
    )
    days = sorted(snapshots["day"].unique())
    assert len(days) == 7  # the tiny scenario snapshots daily
    for day in days[:4]:  # later days may still have moves in flight at the end
        expected = (
            snapshots.filter(pl.col("day") == day)
            .join(
                moves.filter(pl.col("day") == day)
                .group_by("location_id", "sku")
                .agg(pl.col("delta").sum()),
                on=["location_id", "sku"],
                how="left",
            )
            .select(
                "location_id", "sku", expected=pl.col("quantity") + pl.col("delta").fill_null(0)
            )
        )
        actual = snapshots.filter(pl.col("day") == day + 1)
        compared = expected.join(actual, on=["location_id", "sku"])
        assert compared.height > 200
        assert (compared["expected"] == compared["quantity"]).all()


def test_every_stock_move_is_posted_once_with_a_lag(events):
    moves = events.filter(pl.col("event_type").is_in(list(STOCK_EFFECT_SIGN)))
    posted = of_type(events, "erp_posted").select(
        posted_id=attribute("posted_event_id"), posted_at="occurred"
    )
    assert posted["posted_id"].is_duplicated().sum() == 0
    joined = moves.join(posted, left_on="event_id", right_on="posted_id", how="left")
    assert joined["posted_at"].null_count() < 0.05 * joined.height
    lag_minutes = ((joined["posted_at"] - joined["occurred"]) / 60).drop_nulls()
    assert lag_minutes.min() > 0 and 10 < lag_minutes.median() < 180
    assert (lag_minutes > 24 * 60).sum() >= 1


def test_oversells_happen_more_during_promotions(events, truth):
    placed = of_type(events, "order_placed").select("case_id", "sku", "channel", placed="occurred")
    keys = ["case_id", "sku", "location_id"]
    confirmed = of_type(events, "reservation_confirmed").select(*keys, confirmed="occurred")
    out_of_stock = of_type(events, "order_cancelled").filter(
        pl.col("reason_code") == "out_of_stock"
    )
    oversold = (
        confirmed.join(out_of_stock.select(*keys, cancelled="occurred"), on=keys)
        .filter(pl.col("cancelled") > pl.col("confirmed"))
        .select("case_id", "sku", oversold=pl.lit(True))
        .unique()
    )
    promoted = pl.concat(
        placed.filter(
            pl.col("placed").is_between(epoch(promo["start"]), epoch(promo["end"]) - 1),
            pl.col("sku").is_in(promo["skus"]),
            pl.col("channel").is_in(promo["channels"]),
        ).select("case_id", "sku", promo=pl.lit(True))
        for promo in truth["faults"]["promotions"]
    )
    lines = (
        confirmed.select("case_id", "sku")
        .unique()
        .join(promoted, on=["case_id", "sku"], how="left")
        .join(oversold, on=["case_id", "sku"], how="left")
        .fill_null(False)
    )
    rate = dict(lines.group_by("promo").agg(pl.col("oversold").mean()).iter_rows())
    assert lines["oversold"].sum() >= 2 and rate[True] > 3 * rate[False]


def test_orders_fulfilled_late_split_or_left_open(events, truth):
    placed = of_type(events, "order_placed").select("case_id", "sku", placed="occurred")
    fulfilled = of_type(events, "order_fulfilled").select(
        "case_id", "sku", "location_id", fulfilled="occurred"
    )
    late = fulfilled.join(placed, on=["case_id", "sku"]).filter(
        pl.col("fulfilled") - pl.col("placed") > 48 * 3600
    )
    split = (
        fulfilled.group_by("case_id", "sku")
        .agg(pl.col("location_id").n_unique())
        .filter(pl.col("location_id") > 1)
    )
    end = epoch(truth["horizon"]["end"])
    closed = pl.concat(
        [
            fulfilled.select("case_id", "sku"),
            of_type(events, "order_cancelled").select("case_id", "sku"),
        ]
    )
    open_lines = placed.filter(pl.col("placed") < end - 72 * 3600).join(
        closed, on=["case_id", "sku"], how="anti"
    )
    assert late.height >= 1 and split.height >= 1 and open_lines.height >= 1


def test_reservation_failures_spike_in_the_oms_erp_outage(events, truth):
    outage = next(
        o for o in truth["faults"]["api_outages"] if o["integration"] == "oms_erp_availability"
    )
    start, end = epoch(outage["start"]), epoch(outage["end"])
    requested = of_type(events, "reservation_requested")
    failed = of_type(events, "reservation_failed").filter(
        pl.col("reason_code") != "insufficient_stock"
    )
    inside = pl.col("occurred").is_between(start, end + 120)
    during = requested.filter(pl.col("occurred").is_between(start, end - 30)).height
    assert during >= 1 and failed.filter(inside).height >= during
    assert failed.filter(~inside).height <= 0.02 * requested.height


def _failure_runs(events: pl.DataFrame) -> pl.DataFrame:
    calls = (
        of_type(events, "api_call")
        .select(
            "occurred",
            "event_id",
            integration=attribute("integration"),
            status=attribute("status_code", pl.Int64),
        )
        .sort("integration", "occurred", "event_id")
    )
    failed = (pl.col("status") == 0) | (pl.col("status") >= 500)
    calls = calls.with_columns(failed=failed).with_columns(
        run=(pl.col("failed") != pl.col("failed").shift(1))
        .fill_null(True)
        .cum_sum()
        .over("integration")
    )
    return (
        calls.filter("failed")
        .group_by("integration", "run")
        .agg(calls=pl.len(), start=pl.col("occurred").min(), end=pl.col("occurred").max())
    )


def test_api_outages_are_runs_of_failures_and_the_last_one_is_still_on(events, truth):
    outages = truth["faults"]["api_outages"]
    assert {o["integration"] for o in outages} == {
        "oms_erp_availability",
        "marketplace_orders",
        "wms_sync",
    }
    assert [o["ongoing_at_end"] for o in outages] == [False, False, True]
    runs = _failure_runs(events).filter(pl.col("calls") >= 5)
    assert runs.height == len(outages)  # nothing else looks like a disruption
    for outage in outages:
        start, end = epoch(outage["start"]), epoch(outage["end"])
        # A random failure just before the outage may open the run a few minutes early.
        match = runs.filter(
            pl.col("integration") == outage["integration"],
            pl.col("start").is_between(start - 600, start + 600),
            pl.col("end") <= end,
        )
        assert match.height == 1 and match["calls"][0] >= 10


def test_short_shipping_dc_delivers_short(events, truth):
    shipped = of_type(events, "transfer_shipped").select(
        "case_id", "sku", origin="location_id", shipped="quantity"
    )
    received = of_type(events, "transfer_received").select("case_id", "sku", received="quantity")
    lines = shipped.join(received, on=["case_id", "sku"]).with_columns(
        short=pl.col("received") < pl.col("shipped")
    )
    share = dict(lines.group_by("origin").agg(pl.col("short").mean()).iter_rows())
    short_dc = truth["faults"]["short_shipping_dc"]
    assert share[short_dc] > 0.15
    assert all(value < 0.05 for origin, value in share.items() if origin != short_dc)


def test_late_supplier_delivers_after_the_latest_expected_date(events, truth):
    promised = events.filter(pl.col("event_type").is_in(["po_created", "po_acknowledged"])).select(
        "case_id", "occurred", expected=attribute("expected_at"), supplier=attribute("supplier_id")
    )
    latest = (
        promised.sort("occurred")
        .group_by("case_id")
        .agg(pl.col("expected").last(), pl.col("supplier").first())
    )
    receipts = (
        of_type(events, "po_received")
        .join(latest, on="case_id")
        .with_columns(late=pl.col("occurred") > epoch_of(pl.col("expected")))
    )
    late_share = dict(receipts.group_by("supplier").agg(pl.col("late").mean()).iter_rows())
    late_supplier = truth["faults"]["late_supplier"]
    assert late_share[late_supplier] >= 0.3
    assert all(
        share < late_share[late_supplier] for s, share in late_share.items() if s != late_supplier
    )


def test_slow_returns_location_inspects_late_or_never(events, truth):
    received = of_type(events, "return_received").select(
        "case_id", "location_id", received="occurred"
    )
    inspected = of_type(events, "return_inspected").select("case_id", inspected="occurred")
    gaps = received.join(inspected, on="case_id", how="left").with_columns(
        hours=(pl.col("inspected") - pl.col("received")) / 3600
    )
    by_location = gaps.group_by("location_id").agg(
        pl.col("hours").median(), never=pl.col("inspected").is_null().sum(), returns=pl.len()
    )
    slow_location = truth["faults"]["slow_returns_location"]
    slow = by_location.filter(pl.col("location_id") == slow_location)
    assert slow["never"][0] > 0.3 * slow["returns"][0]
    slow_gaps = gaps.filter(pl.col("location_id") == slow_location)["hours"].drop_nulls()
    assert (slow_gaps > 48).all()
    others = by_location.filter(pl.col("location_id") != truth["faults"]["slow_returns_location"])
    assert others["hours"].max() < 30


def test_shrink_and_phantom_stores_in_true_stock(landing, truth, events):
    stock = pl.read_parquet(landing / "_truth" / "true_stock.parquet")
    assert stock.columns == ["location_id", "sku", "book_quantity", "true_quantity"]
    assert (stock["true_quantity"] >= 0).all()
    faults = truth["faults"]
    shrink = stock.filter(pl.col("location_id").is_in(faults["shrink_stores"]))
    assert (shrink["true_quantity"] < shrink["book_quantity"]).sum() >= 3
    assert (shrink["true_quantity"] < shrink["book_quantity"]).mean() > 0.1
    phantom = faults["phantom_inventory_positions"]
    assert phantom and {p["location_id"] for p in phantom} <= set(
        faults["phantom_inventory_stores"]
    )
    positions = pl.DataFrame(phantom).with_columns(since=epoch_of(pl.col("since")))
    at_end = positions.join(stock, on=["location_id", "sku"])
    assert (at_end["true_quantity"] == 0).all() and (at_end["book_quantity"] > 0).all()
    # These are items that sold, until the shelf emptied while the book kept its stock.
    start, end = epoch(truth["horizon"]["start"]), epoch(truth["horizon"]["end"])
    sales = of_type(events, "sale").join(positions, on=["location_id", "sku"])
    before = sales.filter(pl.col("occurred") < pl.col("since"))["quantity"].sum()
    after = sales.filter(pl.col("occurred") > pl.col("since"))["quantity"].sum()
    days_before = ((positions["since"] - start) / 86400).sum()
    days_after = ((end - positions["since"]) / 86400).sum()
    assert before > 0 and after / days_after < 0.25 * before / days_before
    anomalous = {a["location_id"]: a["faults"] for a in truth["anomalous_locations"]}
    assert anomalous[faults["short_shipping_dc"]] == ["short_shipping"]
    assert all(anomalous[s] == ["shrink"] for s in faults["shrink_stores"])


def test_cycle_counts_observe_true_stock_and_the_erp_corrects_the_book(events):
    counts = of_type(events, "cycle_count_completed").with_columns(
        system=attribute("system_quantity", pl.Int64)
    )
    corrections = of_type(events, "inventory_adjusted").filter(
        pl.col("reason_code") == "correction"
    )
    assert counts.height >= 50
    wrong = counts.filter(pl.col("quantity") != pl.col("system"))
    joined = wrong.join(corrections, on="case_id", suffix="_fix")
    assert wrong.height >= 1 and joined.height == wrong.height == corrections.height
    assert (joined["quantity_fix"] == joined["quantity"] - joined["system"]).all()
    assert (joined["occurred_fix"] > joined["occurred"]).all()


# --- bad records ----------------------------------------------------------------------------


def test_bad_records_match_the_ground_truth_under_the_validation_order(read, truth):
    events, reasons, duplicates = read
    assert dict(reasons) == truth["bad_records"]
    assert duplicates == truth["exact_duplicates"] >= 1
    assert events.height == truth["events_total"]
    assert truth["records_total"] == events.height + sum(reasons.values()) + duplicates
    kinds = {
        reason.split(":")[0] if reason.startswith("missing_field") else reason for reason in reasons
    }
    assert kinds == {
        "malformed_record",
        "missing_field",
        "invalid_timestamp",
        "unknown_event_type",
        "unsupported_schema_version",
        "invalid_quantity",
        "invalid_value:channel",
        "invalid_value:reason_code",
        "invalid_value:event_id",
        "invalid_value:source_system",
        "emitted_before_occurred",
        "unknown_location",
        "unknown_sku",
        "duplicate_conflict",
    }
    assert any(r.startswith("missing_field:attributes.") for r in reasons)
    assert 0.003 < truth["bad_records_total"] / truth["records_total"] < 0.01


def test_malformed_records_exist_in_jsonl_and_csv(landing):
    jsonl_broken = csv_broken = 0
    for path in landing.glob("*/*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                json.loads(line)
            except ValueError:
                jsonl_broken += 1
    for path in landing.glob("*/*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text())))
        csv_broken += sum(len(row) != len(rows[0]) for row in rows)
    assert jsonl_broken >= 1 and csv_broken >= 1


# --- cycle-count requests from the platform -------------------------------------------------


def test_respond_to_outbox_counts_corrects_and_answers_once(landing, tmp_path):
    world = tmp_path / "landing"
    simulate(get_scenario("tiny", days=3), world)
    stock = pl.read_parquet(world / "_truth" / "true_stock.parquet")
    wrong = stock.filter(pl.col("true_quantity") != pl.col("book_quantity"))
    location = wrong["location_id"][0]
    skus = stock.filter(pl.col("location_id") == location)["sku"].to_list()[:6]
    skus = list(dict.fromkeys([wrong["sku"][0], *skus]))
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    request = {
        "request_id": "req-1",
        "location_id": location,
        "requested_at": "2026-03-05T01:00:00Z",
        "reason": "risk",
        "skus": [{"sku": s, "expected_discrepancy_value": 3.5} for s in skus],
    }
    (outbox / "req-1.json").write_text(json.dumps(request))
    before = sorted(p.name for p in (world / "pos").iterdir())

    assert respond_to_outbox(world, outbox) == ["req-1"]
    assert respond_to_outbox(world, outbox) == []

    new_files = sorted(p.name for p in (world / "pos").iterdir() if p.name not in before)
    assert len(new_files) == 1 and new_files[0] > before[-1]
    events, reasons, _ = read_landing(world)
    answered = (
        of_type(events, "cycle_count_completed")
        .filter(attribute("request_id") == "req-1")
        .with_columns(system=attribute("system_quantity", pl.Int64))
    )
    assert sorted(answered["sku"]) == sorted(skus)
    truth_rows = answered.join(stock, on=["location_id", "sku"])
    assert (truth_rows["quantity"] == truth_rows["true_quantity"]).all()
    assert (truth_rows["system"] == truth_rows["book_quantity"]).all()
    fixes = of_type(events, "inventory_adjusted").join(answered.select("case_id"), on="case_id")
    assert fixes.height == (truth_rows["quantity"] != truth_rows["system"]).sum() >= 1
    posted = of_type(events, "erp_posted").filter(
        attribute("posted_event_id").is_in(fixes["event_id"])
    )
    assert posted.height == fixes.height
    state = pl.read_parquet(world / "_simulator" / "stock.parquet").join(
        answered.select("location_id", "sku"), on=["location_id", "sku"]
    )
    assert (state["book"] == state["true"]).all()
    assert json.loads((world / "_simulator" / "state.json").read_text())["answered"] == ["req-1"]


def test_summary_counts_and_describes_the_run(tmp_path):
    summary = simulate(get_scenario("tiny", days=1), tmp_path)
    assert summary.events_total == sum(summary.events_by_type.values())
    assert summary.events_total == sum(summary.events_by_source.values())
    assert summary.files_written == len(summary.files) == 9
    assert summary.ground_truth_path.exists() and summary.true_stock_path.exists()
    text = summary.describe()
    assert f"{summary.events_total:,} events" in text and "ground truth" in text


def test_cli_writes_a_scenario(tmp_path, capsys):
    assert cli_main(["--scenario", "tiny", "--days", "1", "--out", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"] > 1000 and (tmp_path / "_truth" / "ground_truth.json").exists()
