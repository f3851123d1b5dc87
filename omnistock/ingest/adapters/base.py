"""What a source adapter declares: which records it maps, the keys it reads, the SQL giving
each canonical field, and its own quarantine reasons.

Every piece is SQL over `doc`, the record parsed once by DuckDB's `json_transform` into a
struct (canonical keys plus the keys the registered adapters declare in `shape`), and over
`source_folder`, the landing folder the record came from. The mapping therefore runs for a
whole batch at once, in the one statement that reads the JSON records (`readers.json_records_sql`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from omnistock.ingest.rules import CANONICAL_FIELDS

# json_transform types for `shape`: TEXT reads a scalar as text; JSON keeps the value's JSON
# spelling, so a quantity sent as the string "5" stays '"5"' and is refused like in a
# canonical record, while 5 stays 5.
TEXT = "VARCHAR"
JSON = "JSON"

_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class SourceAdapter:
    """One source's record shape mapped to the canonical event (contract §2).

    - `name`: the registry key, lowercase (`wms_v2`); every reason of the adapter starts with
      it and a colon.
    - `selects`: SQL condition over `doc` and `source_folder`: the records this adapter maps
      (the first registered adapter that selects a record maps it; a record none selects is
      read as a canonical event).
    - `fields`: canonical field → SQL over `doc` giving its value as text (JSON for `quantity`
      and `attributes`). A field it does not list is read under its canonical name.
    - `shape`: the keys it reads beyond the canonical ones, with their `json_transform` types
      (TEXT, JSON, or a dict for a nested object).
    - `reasons`: its own quarantine reasons, (reason, SQL condition over `doc`) pairs, the first
      that holds. They are judged right after `malformed_record`, before every canonical rule.
    - `source_system`: the landing folder it brings, when it is a new source system: the
      folder is then read, and the name is a valid `source_system` value.
    """

    name: str
    selects: str
    fields: Mapping[str, str]
    shape: Mapping[str, object] = field(default_factory=dict)
    reasons: tuple[tuple[str, str], ...] = ()
    source_system: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"adapter name must be lowercase letters, digits, _: {self.name!r}")
        unknown = sorted(set(self.fields) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"adapter {self.name}: not canonical fields: {', '.join(unknown)}")
        for reason, _condition in self.reasons:
            if not reason.startswith(f"{self.name}:") or len(reason) == len(self.name) + 1:
                raise ValueError(f"adapter {self.name}: reason {reason!r} must be '{self.name}:…'")
        if self.source_system is not None and not _NAME.fullmatch(self.source_system):
            raise ValueError(
                f"adapter {self.name}: a source folder is lowercase: {self.source_system!r}"
            )

    @property
    def reason_names(self) -> tuple[str, ...]:
        return tuple(reason for reason, _condition in self.reasons)
