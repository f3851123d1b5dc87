"""What an ingestion run did, per file and in total (the Dagster asset turns it into metadata)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FileReport:
    path: str
    source_system: str
    file_format: str
    status: str  # loaded | skipped | failed
    records_read: int = 0
    records_stored: int = 0
    records_duplicate: int = 0
    records_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)

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
    def files_failed(self) -> int:
        return self._count("failed")

    @property
    def failures(self) -> list[FileReport]:
        return [report for report in self.files if report.status == "failed"]

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
    """Some files could not be read; they are recorded as 'failed', the others were loaded."""

    def __init__(self, report: IngestReport):
        self.report = report
        lines = [f"{failure.path}: {failure.error}" for failure in report.failures]
        super().__init__(f"{len(lines)} file(s) failed to load:\n" + "\n".join(lines))


class AccountingError(Exception):
    """Records read ≠ stored + duplicates + quarantined: the batch is rolled back."""
