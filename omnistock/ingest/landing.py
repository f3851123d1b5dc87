"""The landing folder: what every entry under it is, and the event files to load.

Layout (SPEC 3-4): `<landing>/<source_system>/<batch file>` holds events and
`<landing>/reference/{locations,skus}.csv` the reference data. `scan_landing` accounts for every
entry it meets: an event file to load, or a `LandingEntry` that is

- `ignored` by a rule (`IGNORED_RULES`): hidden names, names starting with `_` (the simulator's
  `_truth/`, `_simulator/`), `*.tmp` files still being written, the two reference CSVs;
- `unknown`, with why (`UNKNOWN_REASONS`): something the contract does not describe;
- `refused` without being opened: an event file name that is a symlink leaving the landing
  folder, or a broken one.

Entries are inspected with lstat (`os.scandir`): special files (FIFOs, sockets, devices) are
never opened and symlinks are never followed blindly. A symlink to a regular file inside the
landing folder is read as that file, under the link's own path. Only the source folders and
`reference/` are listed; any other folder is one entry, not descended into, so `_truth/` or a
stray backup folder cannot flood the manifest.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omnistock.ingest.adapters import source_systems
from omnistock.ingest.reference import REFERENCE_TABLES

FILE_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
REFERENCE_FOLDER = "reference"
REFERENCE_FILES = frozenset(file_name for file_name, _ in REFERENCE_TABLES.values())

IGNORED_RULES = {
    "hidden_name": "the name starts with '.'",
    "underscore_name": "the name starts with '_' (the simulator's _truth/ and _simulator/)",
    "temporary_file": "a *.tmp file is still being written; it is renamed when complete",
    "reference_data": "reference/locations.csv and reference/skus.csv (load_reference reads them)",
}
UNKNOWN_REASONS = {
    "uppercase_source_folder": "a folder named like a source system in another case (POS/)",
    "not_a_source_folder": "a top-level folder that is neither a source system nor reference/",
    "top_level_file": "a file directly in the landing folder",
    "nested_folder": "a folder inside a source folder or reference/ (not descended into)",
    "folder_named_like_an_event_file": "a folder named *.jsonl, *.csv or *.parquet",
    "unsupported_file_type": "not .jsonl, .csv or .parquet (.ndjson, .json, .txt, .jsonl.gz…)",
    "event_file_in_reference": "an event file in reference/, which holds reference data only",
    "not_reference_data": "a file in reference/ other than locations.csv and skus.csv",
    "symlinked_folder": "a symlink to a folder (never followed)",
    "symlink_outside_landing": "a symlink whose target is outside the landing folder",
    "broken_symlink": "a symlink whose target does not exist",
    "special_file": "a FIFO, socket or device (never opened)",
    "unreadable_folder": "a source folder or reference/ that cannot be listed (permissions)",
}
# Refused by the scan itself (quarantine reasons, like the refusals found while reading).
REFUSED_SYMLINK_OUTSIDE = "unreadable_file:symlink_outside_landing"
REFUSED_BROKEN_SYMLINK = "unreadable_file:broken_symlink"

_SPECIAL_TYPES = (
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISBLK, "block_device"),
    (stat.S_ISCHR, "char_device"),
)


@dataclass(frozen=True)
class EventFile:
    """An event file found in a source folder, not read yet."""

    path: Path  # absolute; for a symlink, its target (inside the landing folder)
    relative_path: str  # POSIX path of the entry itself, e.g. "pos/2026-03-01T00.jsonl"
    source_system: str
    file_format: str  # jsonl | csv | parquet
    entry_type: str = "file"  # file | symlink


@dataclass(frozen=True)
class LandingFile:
    path: Path  # absolute
    relative_path: str  # POSIX path relative to the landing folder, e.g. "pos/2026-03-01T00.jsonl"
    source_system: str  # the folder it landed in
    file_format: str  # jsonl | csv | parquet
    size: int
    sha256: str
    mtime_ns: int
    entry_type: str = "file"  # file | symlink


@dataclass(frozen=True)
class LandingEntry:
    """An entry that is not loaded as an event file: its manifest row."""

    relative_path: str
    status: str  # ignored | unknown | refused
    reason: str  # the rule, why it is unknown, or the refusal (a quarantine reason)
    entry_type: str  # file | folder | symlink | fifo | socket | block_device | char_device | other
    source_system: str | None = None  # the source folder it is in, if any
    file_format: str | None = None  # refused event files only
    size: int | None = None  # regular files only
    detail: str | None = None  # refused: why, in words


@dataclass
class LandingScan:
    event_files: list[EventFile] = field(default_factory=list)  # by folder, then name
    entries: list[LandingEntry] = field(default_factory=list)


# --- reading landed files safely ----------------------------------------------------------------


def open_regular(path: Path) -> int:
    """A file descriptor for `path`, refusing anything but a regular file: opened non-blocking
    and without following a symlink, so a FIFO swapped in after the scan cannot hang the run."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


def read_landed(path: Path) -> bytes:
    with os.fdopen(open_regular(path), "rb") as stream:
        return stream.read()


def sha256_of(path: Path) -> str:
    """Hash a file in chunks, so a large file never sits in memory just to be hashed."""
    with os.fdopen(open_regular(path), "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


# --- what an entry is ------------------------------------------------------------------------------


def _ignore_rule(name: str) -> str | None:
    if name.startswith("."):
        return "hidden_name"
    if name.startswith("_"):
        return "underscore_name"
    if name.endswith(".tmp"):
        return "temporary_file"
    return None


def _entry_type(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISLNK(mode):
        return "symlink"
    return next((name for test, name in _SPECIAL_TYPES if test(mode)), "other")


def _link_target(landing: Path, link: Path) -> tuple[str, Path]:
    """Where a symlink leads: `outside` (the landing folder), `broken`, or the target's type."""
    target = Path(os.path.realpath(link))
    if not target.is_relative_to(landing):
        return "outside", target
    try:
        kind = _entry_type(target.lstat().st_mode)
    except OSError:
        return "broken", target
    return ("broken" if kind == "symlink" else kind), target  # a loop does not resolve


def display_name(name: str) -> str:
    """A file name as valid UTF-8 text for the manifest: bytes that are not UTF-8 (which
    `os.scandir` hands over as surrogates) are written as `\\xNN`."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    """(name, lstat mode, size) of a folder's entries, in name order."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # gone since listed
                continue
            found.append((entry.name, info.st_mode, info.st_size))
    return sorted(found, key=lambda item: display_name(item[0]))


def _classify_top(landing: Path, name: str, mode: int, size: int) -> LandingEntry | None:
    """A top-level entry; None for the source folders and reference/, which are listed."""
    kind, shown = _entry_type(mode), display_name(name)
    rule = _ignore_rule(name)
    if rule:
        return LandingEntry(shown, "ignored", rule, kind)
    if kind == "folder":
        if name in source_systems() or name == REFERENCE_FOLDER:
            return None
        reason = (
            "uppercase_source_folder" if name.lower() in source_systems() else "not_a_source_folder"
        )
        return LandingEntry(shown, "unknown", reason, kind)
    if kind == "file":
        return LandingEntry(shown, "unknown", "top_level_file", kind, size=size)
    if kind == "symlink":
        target, _ = _link_target(landing, landing / name)
        reason = {
            "outside": "symlink_outside_landing",
            "broken": "broken_symlink",
            "folder": "symlinked_folder",
            "file": "top_level_file",
        }.get(target, "special_file")
        return LandingEntry(shown, "unknown", reason, kind)
    return LandingEntry(shown, "unknown", "special_file", kind)


def _classify_reference(landing: Path, name: str, mode: int, size: int) -> LandingEntry:
    relative_path, kind = f"{REFERENCE_FOLDER}/{display_name(name)}", _entry_type(mode)
    rule = _ignore_rule(name)
    if rule:
        return LandingEntry(relative_path, "ignored", rule, kind)
    file_size = size if kind == "file" else None
    if kind == "symlink":
        target, _ = _link_target(landing, landing / REFERENCE_FOLDER / name)
        if target != "file":
            reason = {
                "outside": "symlink_outside_landing",
                "broken": "broken_symlink",
                "folder": "symlinked_folder",
            }.get(target, "special_file")
            return LandingEntry(relative_path, "unknown", reason, kind)
    elif kind == "folder":
        return LandingEntry(relative_path, "unknown", "nested_folder", kind)
    elif kind != "file":
        return LandingEntry(relative_path, "unknown", "special_file", kind)
    if name in REFERENCE_FILES:
        return LandingEntry(relative_path, "ignored", "reference_data", kind, size=file_size)
    reason = (
        "event_file_in_reference"
        if Path(name).suffix.lower() in FILE_FORMATS
        else "not_reference_data"
    )
    return LandingEntry(relative_path, "unknown", reason, kind, size=file_size)


def _classify_in_source(
    landing: Path, folder: str, name: str, mode: int, size: int
) -> EventFile | LandingEntry:
    relative_path, kind = f"{folder}/{display_name(name)}", _entry_type(mode)

    def entry(status: str, reason: str, **details) -> LandingEntry:
        return LandingEntry(relative_path, status, reason, kind, source_system=folder, **details)

    rule = _ignore_rule(name)
    if rule:
        return entry("ignored", rule)
    file_format = FILE_FORMATS.get(Path(name).suffix.lower())
    if kind == "folder":
        return entry(
            "unknown", "folder_named_like_an_event_file" if file_format else "nested_folder"
        )
    if kind not in ("file", "symlink"):
        return entry("unknown", "special_file")
    if file_format is None:
        return entry("unknown", "unsupported_file_type", size=size if kind == "file" else None)
    if kind == "file":
        return EventFile(landing / folder / name, relative_path, folder, file_format)
    target, resolved = _link_target(landing, landing / folder / name)
    if target == "file":
        return EventFile(resolved, relative_path, folder, file_format, entry_type="symlink")
    if target == "outside":
        return entry(
            "refused",
            REFUSED_SYMLINK_OUTSIDE,
            file_format=file_format,
            detail="symlink leaving the landing folder; not followed",
        )
    if target == "broken":
        return entry(
            "refused", REFUSED_BROKEN_SYMLINK, file_format=file_format, detail="broken symlink"
        )
    return entry("unknown", "symlinked_folder" if target == "folder" else "special_file")


def scan_landing(landing_dir: Path | str) -> LandingScan:
    """Every entry of the landing folder: the event files (sorted by folder, then name) and
    the entries that are ignored, unknown or refused (see the module docstring)."""
    landing = Path(landing_dir).resolve()
    scan = LandingScan()
    if not landing.is_dir():
        return scan
    for name, mode, size in _listing(landing):
        top = _classify_top(landing, name, mode, size)
        if top is not None:
            scan.entries.append(top)
            continue
        try:
            listing = _listing(landing / name)
        except OSError as error:
            scan.entries.append(
                LandingEntry(name, "unknown", "unreadable_folder", "folder", detail=str(error))
            )
            continue
        for inner, inner_mode, inner_size in listing:
            if name == REFERENCE_FOLDER:
                scan.entries.append(_classify_reference(landing, inner, inner_mode, inner_size))
                continue
            found = _classify_in_source(landing, name, inner, inner_mode, inner_size)
            (scan.event_files if isinstance(found, EventFile) else scan.entries).append(found)
    return scan


def _relative(landing_dir: Path | str, path: Path | str) -> Path:
    """`path` (absolute or relative to the landing folder) relative to it, without resolving
    the entry itself (it may be a symlink); ValueError when it is outside."""
    given = Path(os.path.abspath(landing_dir))
    absolute = Path(os.path.abspath(given / path))
    for root in (given, given.resolve()):
        if absolute.is_relative_to(root) and absolute != root:
            return absolute.relative_to(root)
    parent = absolute.parent.resolve()  # reached through a symlink to the landing folder
    if parent.is_relative_to(given.resolve()):
        return parent.relative_to(given.resolve()) / absolute.name
    raise ValueError(f"{path} is not in the landing folder {given}")


def classify(landing_dir: Path | str, path: Path | str) -> EventFile | LandingEntry | None:
    """What one path under the landing folder is, as `scan_landing` would tell (None when it
    does not exist or lies in a folder the scan records as one entry, such as `_truth/`).
    ValueError when the path is outside the landing folder."""
    landing = Path(landing_dir).resolve()
    relative = _relative(landing_dir, path)
    try:
        info = (landing / relative).lstat()
    except FileNotFoundError:
        return None
    parts, mode, size = relative.parts, info.st_mode, info.st_size
    if len(parts) == 1:
        return _classify_top(landing, parts[0], mode, size)
    if len(parts) != 2 or _classify_top(landing, parts[0], (landing / parts[0]).lstat().st_mode, 0):
        return None
    if parts[0] == REFERENCE_FOLDER:
        return _classify_reference(landing, parts[1], mode, size)
    return _classify_in_source(landing, parts[0], parts[1], mode, size)


def event_file(landing_dir: Path | str, path: Path | str) -> EventFile:
    """The event file at `path`; ValueError (saying why) when it is not one."""
    found = classify(landing_dir, path)
    if isinstance(found, EventFile):
        return found
    why = "it does not exist" if found is None else f"{found.status}: {found.reason}"
    raise ValueError(f"{path} is not an event file in a source-system folder ({why})")


def describe(found: EventFile, known: Mapping[str, Sequence] | None = None) -> LandingFile:
    """Size, mtime and sha256 of an event file. `known` maps relative paths to
    `(sha256, size, mtime_ns)` seen before: an unchanged file (same size and mtime) reuses its
    hash instead of being read again."""
    info = found.path.stat()
    previous = (known or {}).get(found.relative_path)
    if previous and previous[0] and tuple(previous[1:3]) == (info.st_size, info.st_mtime_ns):
        sha256 = str(previous[0])
    else:
        sha256 = sha256_of(found.path)
    return LandingFile(
        path=found.path,
        relative_path=found.relative_path,
        source_system=found.source_system,
        file_format=found.file_format,
        size=info.st_size,
        sha256=sha256,
        mtime_ns=info.st_mtime_ns,
        entry_type=found.entry_type,
    )


def landing_file(
    landing_dir: Path | str, path: Path | str, known: Mapping[str, Sequence] | None = None
) -> LandingFile:
    """Describe one landed event file. `path` is absolute or relative to the landing folder."""
    return describe(event_file(landing_dir, path), known)


def _described(
    event_files: list[EventFile], known: Mapping[str, Sequence] | None
) -> Iterator[LandingFile]:
    for found in event_files:
        try:
            yield describe(found, known)
        except OSError:  # unreadable or gone: the ingest run records what it is
            continue


def discover_files(
    landing_dir: Path | str, known: Mapping[str, Sequence] | None = None
) -> list[LandingFile]:
    """The event files, described (and hashed, unless `known` vouches for an unchanged file).
    A file that cannot be read is left out here; ingestion refuses it visibly."""
    return list(_described(scan_landing(landing_dir).event_files, known))
