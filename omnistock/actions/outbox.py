"""The cycle-count outbox: one JSON file per request, the hand-off a store system picks up
(`<home>/outbox/cycle_counts/<request_id>.json`, as docs/architecture.md fixes it)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import polars as pl

from ml.input_frames import to_naive_utc


def _iso_utc(moment: datetime) -> str:
    return f"{to_naive_utc(moment):%Y-%m-%dT%H:%M:%S}Z"


def outbox_payloads(requests: pl.DataFrame, request_lines: pl.DataFrame) -> list[dict]:
    """One payload per request, as docs/architecture.md ("Cycle-count outbox") fixes it."""
    skus_by_request = {
        request: group.sort("priority")
        for (request,), group in request_lines.group_by("request_id")
    }
    return [
        {
            "request_id": request["request_id"],
            "location_id": request["location_id"],
            "requested_at": _iso_utc(request["requested_at"]),
            "reason": request["reason"],
            "skus": [
                {
                    "sku": line["sku"],
                    "expected_discrepancy_value": round(line["expected_discrepancy_value"], 2),
                }
                for line in skus_by_request[request["request_id"]].iter_rows(named=True)
            ],
        }
        for request in requests.iter_rows(named=True)
    ]


def write_outbox(payloads: list[dict], outbox_dir: str | Path) -> dict[str, Path]:
    """`<outbox_dir>/<request_id>.json`, written whole (tmp + rename) so a store system
    never reads half a request. The name is percent-encoded: a location_id comes from the
    retailer's reference data and may hold `/` or `..`, which must not leave the outbox.
    Returns the file written for each request_id."""
    folder = Path(outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for payload in payloads:
        path = folder / f"{quote(payload['request_id'], safe='')}.json"
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(temporary, path)
        written[payload["request_id"]] = path
    return written
