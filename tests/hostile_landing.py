"""Hostile landing folders for the ingestion fuzz suite (issue 9, item 6).

`build_hostile_landing(out, seed)` writes the simulator's `tiny` scenario, leaves its files
untouched, and plants beside them, in six families:

- encodings: latin-1 bytes, UTF-16 with a BOM, a multibyte character cut in half;
- damaged: truncated JSONL, CSV and Parquet copies, zero-byte files, random bytes named
  .parquet, bare quotes in a CSV;
- poison, the entries that stop a whole batch today: an unterminated quote, CR-only line
  ends, a symlink out of the landing folder (all three from issue 9), a symlink loop;
- filesystem: a FIFO named x.jsonl, a folder named x.jsonl, an upper-case source folder, a
  nested folder, a folder that is no source system, an event file in reference/, a stray
  top-level file, .ndjson/.json/.txt/.jsonl.gz files, hidden and *.tmp files;
- extremes: timestamps in years 0001/9999/10000 and just outside 2000-01-01 .. now+7 days,
  offsets of ±24:00 and +14:30, quantities beyond int64, NaN/Infinity, attributes nested 5,000 deep, a
  1 MB line;
- duplicates: one event_id 1,000 times with identical and with differing content, a tiny
  event re-sent with another case_id, attributes in another key order, a byte-identical copy
  of a tiny file under another name.

Everything is deterministic for a seed (which tiny files are copied or cut, where, which values);
sizes stay small. Each mutation returns `Planted` entries: the landing entry, what it is, and
what the contract (SPEC 4.2 and issue 9) says must become of it where that is known. Files that
re-use tiny event_ids with other content sort after the tiny files ("zz-" names), so the first
delivery, the tiny one, is the one stored.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import simulator

TINY_SEED = 7
FAMILIES = ("encodings", "damaged", "poison", "filesystem", "extremes", "duplicates")
# manifest statuses of issue 9, item 1
LOADED, REFUSED, IGNORED, UNKNOWN = "loaded", "refused", "ignored", "unknown"
STORM = 1000


@dataclass(frozen=True)
class Planted:
    """One planted landing entry and what must become of it (None: not fixed by the contract)."""

    path: str  # relative to the landing folder, POSIX, as the manifest names it
    family: str
    what: str
    outcome: str | None = None  # manifest status; None: any status, but a manifest row
    records: int | None = None  # records in the file, where countable
    stored: frozenset[str] = frozenset()  # event_ids that must end in the event store
    duplicates: int | None = None  # records that must be logged as duplicates
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> records, where known
    quarantined_any: int | None = None  # records to quarantine, the reason not fixed
    bounds: dict[str, str] = field(default_factory=dict)  # event_id -> reason after item 2
    key_order: bool = False  # holds re-deliveries that differ only in attribute key order


@dataclass
class HostileLanding:
    landing: Path
    seed: int
    planted: list[Planted]
    tiny_files: list[str]  # the scenario's own event files, untouched

    def of(self, family: str) -> list[Planted]:
        return [p for p in self.planted if p.family == family]


def write_tiny(out: Path) -> list[str]:
    """The `tiny` scenario (fixed seed) into `out`; returns its event files, relative."""
    summary = simulator.simulate(simulator.get_scenario("tiny", seed=TINY_SEED), out)
    return sorted(summary.files)


def build_hostile_landing(
    out: Path, seed: int, families: tuple[str, ...] = FAMILIES, tiny: Path | None = None
) -> HostileLanding:
    """A hostile landing folder at `out/landing` (`out/outside` is the symlink target).
    `tiny`: an already simulated tiny folder to copy instead of simulating again."""
    landing = out / "landing"
    if tiny is not None:
        shutil.copytree(tiny, landing, symlinks=True)
        tiny_files = sorted(
            p.relative_to(landing).as_posix()
            for p in landing.glob("*/*")
            if p.parent.name not in ("reference", "_truth", "_simulator")
        )
    else:
        tiny_files = write_tiny(landing)
    planter = _Planter(landing, out / "outside", random.Random(seed), seed, tiny_files)
    planted = []
    for family in families:
        planted.extend(MUTATIONS[family](planter))
    return HostileLanding(landing, seed, planted, tiny_files)


class _Planter:
    """Writes files into the landing folder for one seed."""

    def __init__(self, landing: Path, outside: Path, rng: random.Random, seed: int, tiny: list):
        self.landing, self.outside, self.rng, self.seed = landing, outside, rng, seed
        self.tiny = tiny
        self.now = datetime.now(UTC)

    def tiny_file(self, suffix: str) -> str:
        return self.rng.choice([name for name in self.tiny if name.endswith(suffix)])

    def read(self, relative: str) -> bytes:
        return (self.landing / relative).read_bytes()

    def csv_header(self) -> str:
        return self.read(self.tiny_file(".csv")).split(b"\n", 1)[0].decode()

    def write(self, relative: str, data: bytes | str) -> Path:
        path = self.landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def event_id(self, tag: str, number: int = 0) -> str:
        return f"fz{self.seed}-{tag}-{number:04d}"

    def record(self, tag: str, number: int = 0, **overrides) -> dict:
        """A valid stock_snapshot of the tiny world (S001/SKU00001) with a fresh event_id."""
        day = datetime(2026, 3, 3, tzinfo=UTC) + timedelta(minutes=self.rng.randrange(6 * 1440))
        stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ")
        record = {
            "event_id": self.event_id(tag, number),
            "schema_version": "1",
            "event_type": "stock_snapshot",
            "source_system": "erp",
            "occurred_at": stamp,
            "emitted_at": stamp,
            "case_id": f"case-{tag}-{number}",
            "location_id": "S001",
            "sku": "SKU00001",
            "quantity": self.rng.randrange(1, 50),
            "attributes": {"note": tag},
        }
        return record | overrides


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# -- families -------------------------------------------------------------------------------


def encodings(p: _Planter) -> list[Planted]:
    planted = []
    # latin-1: a JSONL file whose case_ids carry é as the single byte 0xE9
    records = [p.record("latin1", n, case_id="café-crème") for n in range(3)]
    path = f"ecommerce/zz-{p.seed}-latin1.jsonl"
    p.write(path, _jsonl(records).encode("latin-1"))
    planted.append(Planted(path, "encodings", "JSONL in latin-1 (0xE9 bytes)", LOADED, 3))
    # UTF-16 with a BOM: every other byte NUL to a UTF-8 reader
    records = [p.record("utf16", n) for n in range(2)]
    path = f"wms/zz-{p.seed}-utf16.jsonl"
    p.write(path, _jsonl(records).encode("utf-16"))
    planted.append(Planted(path, "encodings", "JSONL in UTF-16 with BOM", None))
    # a valid record, then one whose case_id ends in half of a 4-byte emoji, then a valid one
    good = [p.record("cut", 0), p.record("cut", 2)]
    cut = _jsonl([p.record("cut", 1, case_id="box 📦")]).encode()
    cut = cut.replace("📦".encode(), "📦".encode()[:2])
    data = _jsonl(good[:1]).encode() + cut + _jsonl(good[1:]).encode()
    path = f"oms/zz-{p.seed}-cut-multibyte.jsonl"
    p.write(path, data)
    planted.append(
        Planted(
            path,
            "encodings",
            "JSONL with a multibyte character cut in half on line 2",
            LOADED,
            3,
            stored=frozenset(r["event_id"] for r in good),
            quarantined={"malformed_record": 1},
        )
    )
    return planted


def damaged(p: _Planter) -> list[Planted]:
    planted = []
    for suffix in (".jsonl", ".csv"):
        source = p.tiny_file(suffix)
        data = p.read(source)
        cut = p.rng.randrange(len(data) // 4, 3 * len(data) // 4)
        while data[cut - 1 : cut] == b"\n":  # cut inside a line, not at its end
            cut += 1
        path = f"{source.split('/')[0]}/zz-{p.seed}-truncated{suffix}"
        p.write(path, data[:cut])
        planted.append(
            Planted(path, "damaged", f"{source} cut at byte {cut} (mid-line)", LOADED, None)
        )
    source = p.tiny_file(".parquet")
    data = p.read(source)
    path = f"{source.split('/')[0]}/zz-{p.seed}-truncated.parquet"
    p.write(path, data[: len(data) // 2])
    planted.append(Planted(path, "damaged", f"{source} cut in half", REFUSED))
    path = f"integration_gateway/zz-{p.seed}-random.parquet"
    p.write(path, p.rng.randbytes(4096))
    planted.append(Planted(path, "damaged", "4 kB of random bytes named .parquet", REFUSED))
    for suffix in (".jsonl", ".csv", ".parquet"):
        path = f"marketplace/zz-{p.seed}-empty{suffix}"
        p.write(path, b"")
        planted.append(Planted(path, "damaged", f"zero-byte {suffix}", None, 0))
    # bare quotes inside unquoted CSV values: the rows are readable, the values odd
    header = p.csv_header()
    records = [p.record("barequote", n, case_id=f'12" box {n}') for n in range(3)]
    path = f"pos/zz-{p.seed}-bare-quotes.csv"
    p.write(path, "\n".join([header, *(_csv_row(header, r) for r in records)]) + "\n")
    planted.append(
        Planted(
            path,
            "damaged",
            'CSV with bare quotes in unquoted values (12" box)',
            LOADED,
            3,
            stored=frozenset(r["event_id"] for r in records),
        )
    )
    return planted


def poison(p: _Planter) -> list[Planted]:
    """The entries that stop a whole batch (issue 9, and the symlink loop found here). They
    sort before the tiny files."""
    planted = []
    # a quote that never ends, on the second of three fresh rows
    header = p.csv_header()
    fresh = [p.record("unterminated", n) for n in range(3)]
    broken = _csv_row(header, fresh[1]).rsplit(",", 1)[0] + ',"{""note"": ""open'
    path = f"pos/{p.seed}-a-unterminated-quote.csv"
    rows = [_csv_row(header, fresh[0]), broken, _csv_row(header, fresh[2])]
    p.write(path, "\n".join([header, *rows]) + "\n")
    planted.append(Planted(path, "poison", "CSV with a quote that never ends", LOADED, None))
    # CR-only line ends (old Mac) on valid fresh rows
    rows = [_csv_row(header, p.record("cr", n)) for n in range(3)]
    path = f"pos/{p.seed}-b-cr-only.csv"
    p.write(path, "\r".join([header, *rows]) + "\r")
    planted.append(Planted(path, "poison", "CSV with CR-only line ends", None))
    # a symlink in a source folder to a valid file outside the landing folder
    p.outside.mkdir(parents=True, exist_ok=True)
    target = p.outside / "outside.jsonl"
    target.write_text(_jsonl([p.record("outside", 0)]))
    path = f"wms/{p.seed}-c-outside.jsonl"
    os.symlink(target, p.landing / path)
    planted.append(Planted(path, "poison", f"symlink to {target}", REFUSED))
    loop = p.landing / "pos" / f"{p.seed}-d-loop.jsonl"
    os.symlink(loop.name, loop)  # points at itself
    planted.append(Planted(f"pos/{loop.name}", "poison", "symlink loop", REFUSED))
    return planted


def _csv_row(header: str, record: dict) -> str:
    """A record as a CSV row under `header`; only attributes (JSON) is quoted."""
    values = []
    for column in header.split(","):
        value = record.get(column, "")
        if column == "attributes":
            value = '"' + json.dumps(value).replace('"', '""') + '"'
        values.append(str(value))
    return ",".join(values)


def filesystem(p: _Planter) -> list[Planted]:
    planted = []
    valid = _jsonl([p.record("fs", n) for n in range(2)])

    def plant(path: str, what: str, outcome: str | None = UNKNOWN) -> None:
        p.write(path, valid)
        planted.append(Planted(path, "filesystem", what, outcome))

    fifo = p.landing / "oms" / f"zz-{p.seed}-fifo.jsonl"
    os.mkfifo(fifo)  # opening it for reading would block forever
    planted.append(Planted(f"oms/{fifo.name}", "filesystem", "FIFO named *.jsonl", None))
    plant(f"ecommerce/zz-{p.seed}-folder.jsonl/inner.jsonl", "a folder named *.jsonl")
    plant("POS/2026-03-02.jsonl", "upper-case source folder")
    plant(f"wms/nested-{p.seed}/2026-03-02.jsonl", "nested folder in a source folder")
    plant("not_a_source/2026-03-02.jsonl", "folder that is no source system")
    plant("reference/events.jsonl", "event file in reference/")
    plant(f"stray-{p.seed}.jsonl", "stray top-level file")
    for suffix in (".ndjson", ".json", ".txt"):
        plant(f"erp/zz-{p.seed}-events{suffix}", f"{suffix} file")
    path = f"erp/zz-{p.seed}-events.jsonl.gz"
    p.write(path, gzip.compress(valid.encode(), mtime=0))
    planted.append(Planted(path, "filesystem", "gzipped JSONL", UNKNOWN))
    plant(f"pos/.hidden-{p.seed}.jsonl", "hidden file", IGNORED)
    plant(f"pos/zz-{p.seed}-partial.jsonl.tmp", "*.tmp file being written", IGNORED)
    return planted


def extremes(p: _Planter) -> list[Planted]:
    def at(text: str) -> dict:
        return {"occurred_at": text, "emitted_at": text}

    beyond_week = (p.now + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out_of_bounds = {
        "year-0001": at("0001-01-01T03:00:00+05:00"),  # stored in year 0 (1 BC) until bounded
        "year-9999": at("9999-12-31T12:00:00Z"),
        "year-10000": at("10000-01-01T00:00:00Z"),
        "before-2000": at("1999-12-31T23:59:59Z"),
        "beyond-a-week": at(beyond_week),
        "offset-plus-24": at("2026-03-04T10:00:00+24:00"),
        "offset-minus-24": at("2026-03-04T10:00:00-24:00"),
        "offset-plus-14-30": at("2026-03-04T10:00:00+14:30"),
    }
    records, bounds = [], {}
    for n, (tag, stamps) in enumerate(out_of_bounds.items()):
        record = p.record(f"ts-{tag}", n, **stamps)
        records.append(record)
        bounds[record["event_id"]] = "invalid_timestamp"
    # the edges of the window are stored
    edge_stamps = (at("2000-01-01T00:00:00Z"), at("2026-03-04T10:00:00+14:00"))
    edges = [p.record("ts-edge", n, **stamps) for n, stamps in enumerate(edge_stamps)]
    path = f"erp/zz-{p.seed}-timestamps.jsonl"
    p.write(path, _jsonl(records + edges))
    planted = [
        Planted(
            path,
            "extremes",
            "timestamps outside 2000-01-01 .. now+7 days and offsets beyond ±14:00",
            LOADED,
            len(records) + len(edges),
            stored=frozenset(r["event_id"] for r in edges),
            bounds=bounds,
        )
    ]
    # values JSON or int64 cannot hold: written by hand, json.dumps would refuse them
    huge = json.dumps(p.record("huge", 0))
    huge = huge.replace('"quantity": ', '"quantity": 99999999999999999999, "x": ')
    depth = 5000
    deep = p.record("deep", 0, attributes="@@DEEP@@")
    deep_line = json.dumps(deep).replace('"@@DEEP@@"', '{"a": ' * depth + "1" + "}" * depth)
    big = p.record("megabyte", 0, attributes={"note": "x" * 1_000_000})
    path = f"erp/zz-{p.seed}-values.jsonl"
    p.write(path, "\n".join([huge, deep_line, json.dumps(big)]) + "\n")
    planted.append(
        Planted(
            path,
            "extremes",
            "a quantity beyond int64, attributes nested 5,000 deep, a 1 MB line",
            LOADED,
            3,
            stored=frozenset({deep["event_id"], big["event_id"]}),
            quarantined={"invalid_quantity": 1},
        )
    )
    not_json = [
        json.dumps(p.record(tag, 0)).replace('"quantity": ', f'"quantity": {tag}, "x": ')
        for tag in ("NaN", "Infinity")
    ]
    path = f"erp/zz-{p.seed}-nan.jsonl"
    p.write(path, "\n".join(not_json) + "\n")
    planted.append(
        Planted(
            path, "extremes", "quantity NaN and Infinity (not JSON)", LOADED, 2, quarantined_any=2
        )
    )
    return planted


def duplicates(p: _Planter) -> list[Planted]:
    planted = []
    same = p.record("storm-same", 0)
    path = f"oms/zz-{p.seed}-storm-same.jsonl"
    p.write(path, _jsonl([same] * STORM))
    planted.append(
        Planted(
            path,
            "duplicates",
            f"one event {STORM} times, identical",
            LOADED,
            STORM,
            stored=frozenset({same["event_id"]}),
            duplicates=STORM - 1,
        )
    )
    differ = [p.record("storm-differ", 0, quantity=n + 1) for n in range(STORM)]
    path = f"oms/zz-{p.seed}-storm-differ.jsonl"
    p.write(path, _jsonl(differ))
    planted.append(
        Planted(
            path,
            "duplicates",
            f"one event_id {STORM} times, each with another quantity",
            LOADED,
            STORM,
            stored=frozenset({differ[0]["event_id"]}),
            quarantined={"duplicate_conflict": STORM - 1},
        )
    )
    # a tiny event re-sent later with another case_id: the tiny content stays stored (a
    # duplicate_conflict, unless the simulator planted that record bad in the first place)
    source = p.tiny_file(".jsonl")
    first = json.loads(p.read(source).split(b"\n", 1)[0])
    changed = first | {"case_id": f"{first.get('case_id')}-changed"}
    path = f"{source.split('/')[0]}/zz-{p.seed}-resent-changed.jsonl"
    p.write(path, _jsonl([changed]))
    planted.append(
        Planted(path, "duplicates", f"line 1 of {source} re-sent, case_id changed", LOADED, 1)
    )
    # the same record with its attributes' keys in another order (a re-delivery, item 3)
    ordered = p.record("key-order", 0, attributes={"a": 1, "b": [1, 2], "c": {"x": 1, "y": 2}})
    reordered = ordered | {"attributes": {"c": {"y": 2, "x": 1}, "b": [1, 2], "a": 1}}
    first_path = f"wms/zz-{p.seed}-key-order-1.jsonl"
    second_path = f"wms/zz-{p.seed}-key-order-2.jsonl"
    p.write(first_path, _jsonl([ordered]))
    p.write(second_path, json.dumps(reordered, indent=None, separators=(", ", ": ")) + "\n")
    planted.append(
        Planted(
            first_path,
            "duplicates",
            "a record with attributes a, b, c",
            LOADED,
            1,
            stored=frozenset({ordered["event_id"]}),
        )
    )
    planted.append(
        Planted(
            second_path,
            "duplicates",
            "the same record, attributes c, b, a and other spacing",
            LOADED,
            1,
            key_order=True,
        )
    )
    # a byte-identical copy of a tiny file under another name (sorts first)
    source = p.tiny_file(".jsonl")
    path = f"{source.split('/')[0]}/0000-{p.seed}-copy-of-{source.split('/')[1]}"
    p.write(path, p.read(source))
    planted.append(Planted(path, "duplicates", f"byte-identical copy of {source}", None))
    return planted


MUTATIONS: dict[str, Callable[[_Planter], list[Planted]]] = {
    "encodings": encodings,
    "damaged": damaged,
    "poison": poison,
    "filesystem": filesystem,
    "extremes": extremes,
    "duplicates": duplicates,
}
