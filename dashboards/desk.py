"""The files beside the snapshots that change between publishes: the planners' work log
(written from the exceptions page, `worklog`) and the active alerts (kept by the alert
sensors in `<home>/notifications/`, omnistock/alerts.py). Neither is the warehouse: the
dashboards still read the warehouse's data only through a published snapshot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from omnistock.config import Settings

from .worklog import Worklog

log = logging.getLogger(__name__)

# omnistock/alerts.py keeps the alerts raised and not resolved here (AlertLog.active); the
# dashboards may not import it (a sibling of the domain layer), so they read its file.
ACTIVE_ALERTS_FILE = "active.json"
SEVERITY_ORDER = {"critical": 0, "warning": 1}


@dataclass(frozen=True)
class Desk:
    worklog: Worklog
    notifications_dir: Path
    # The work log is written only by dashboards served on the loopback interface: without
    # logins, anyone who reaches the server could act in the planners' names.
    writable: bool = True

    @classmethod
    def at_home(cls, home: Path | str, writable: bool = True) -> Desk:
        """The desk of an Omnistock home (its worklog/ and notifications/ folders)."""
        settings = Settings.at_home(Path(home).resolve())
        return cls(Worklog(settings.worklog_file), settings.notifications_dir, writable)

    @classmethod
    def beside(cls, snapshots_dir: Path | str, writable: bool = True) -> Desk:
        """The desk of the home that holds `snapshots_dir` (omnistock.config lays snapshots
        out as `<home>/snapshots`)."""
        return cls.at_home(Path(snapshots_dir).resolve().parent, writable)

    def active_alerts(self) -> list[dict]:
        """The alerts raised and not resolved, most severe first (empty when none were
        raised yet, or when the file cannot be read: a page must still draw)."""
        path = self.notifications_dir / ACTIVE_ALERTS_FILE
        try:
            active = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            log.warning("active alerts unreadable at %s: %s", path, error)
            return []
        records = (
            [r for r in active.values() if isinstance(r, dict)] if isinstance(active, dict) else []
        )
        return sorted(
            records,
            key=lambda r: (SEVERITY_ORDER.get(r.get("severity"), 2), str(r.get("key", ""))),
        )
