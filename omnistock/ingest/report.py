"""What an ingestion run did, per file and in total (the Dagster asset turns it into metadata)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from omnistock.ingest.landing import LandingEntry


@dataclass
class FileReport:
    path: str
    source_system: str
    file_format: str
    # loaded | refused | skipped (this content was loaded, or refused, before) | missing (gone
    # since it was found: nothing to record)
    status: str
    records_read: int = 0
    records_stored: int = 0
    records_duplicate: int = 0
    records_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    reason: str | None = None  # refused: unreadable_file:<kind>


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)  # the event files
    entries: list[LandingEntry] = field(default_factory=list)  # ignored and unknown entries

    def _count(self, status: str) -> int:
        return sum(1 for report in self.files if report.status == status)

    def _total(self, name: str) -> int:
        return sum(getattr(report, name) for report in self.files)

    @property
    def files_loaded(self) -> int:
        return self._count("loaded")

    @property
    def files_skipped(self) -> int:
        return self._count("skipped")

    @property
    def files_refused(self) -> int:
        return self._count("refused")

    @property
    def refused(self) -> list[FileReport]:
        return [report for report in self.files if report.status == "refused"]

    def entries_with(self, status: str) -> list[LandingEntry]:
        """The ignored or unknown entries of the landing folder."""
        return [entry for entry in self.entries if entry.status == status]

    @property
    def records_read(self) -> int:
        return self._total("records_read")

    @property
    def records_stored(self) -> int:
        return self._total("records_stored")

    @property
    def records_duplicate(self) -> int:
        return self._total("records_duplicate")

    @property
    def records_quarantined(self) -> int:
        return self._total("records_quarantined")

    @property
    def quarantined_by_reason(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for report in self.files:
            totals.update(report.quarantined_by_reason)
        return dict(totals.most_common())

    @property
    def quarantined_by_source(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for report in self.files:
            totals[report.source_system] += report.records_quarantined
        return {source: n for source, n in totals.most_common() if n}


class IngestFailed(Exception):
    """Some files were refused (opt-in, `ingest_files(raise_on_failure=True)`); they are
    recorded as 'refused', everything else was loaded and recorded."""

    def __init__(self, report: IngestReport):
        self.report = report
        lines = [f"{refused.path}: {refused.error}" for refused in report.refused]
        super().__init__(f"{len(lines)} file(s) refused:\n" + "\n".join(lines))


class AccountingError(Exception):
    """Records read ≠ stored + duplicates + quarantined: the batch is rolled back."""
