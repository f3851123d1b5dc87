"""Finding landed event files: `<landing>/<source_system>/<batch file>`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omnistock.config import SOURCE_SYSTEMS

FILE_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class LandingFile:
    path: Path  # absolute
    relative_path: str  # POSIX path relative to the landing folder, e.g. "pos/2026-03-01T00.jsonl"
    source_system: str  # the folder it landed in
    file_format: str  # jsonl | csv | parquet
    size: int
    sha256: str
    mtime_ns: int


def sha256_of(path: Path) -> str:
    """Hash a file in chunks, so a large file never sits in memory just to be hashed."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _is_ignored(name: str) -> bool:
    return name.startswith((".", "_")) or name.endswith(".tmp")


def _place(landing: Path, path: Path | str) -> tuple[Path, Path, str]:
    """Absolute path, path relative to the landing folder and format of a landed file; raises
    ValueError when it is not an event file in a source-system folder."""
    absolute = (landing / path).resolve()
    relative = absolute.relative_to(landing)  # ValueError when outside the landing folder
    if len(relative.parts) != 2 or relative.parts[0] not in SOURCE_SYSTEMS:
        raise ValueError(f"{relative} is not in a source-system folder of {landing}")
    file_format = FILE_FORMATS.get(absolute.suffix.lower())
    if file_format is None:
        raise ValueError(f"{relative}: unsupported file type (expected {sorted(FILE_FORMATS)})")
    return absolute, relative, file_format


def relative_landing_path(landing_dir: Path | str, path: Path | str) -> str:
    """The POSIX path of a landed file relative to the landing folder (checked as
    `landing_file` checks it, without reading the file)."""
    return _place(Path(landing_dir).resolve(), path)[1].as_posix()


def landing_file(
    landing_dir: Path | str, path: Path | str, known: Mapping[str, Sequence] | None = None
) -> LandingFile:
    """Describe one landed file. `path` is absolute or relative to the landing folder.

    `known` maps relative paths to `(sha256, size, mtime_ns)` seen before: an unchanged file
    (same size and mtime) reuses its hash instead of being read again.
    """
    landing = Path(landing_dir).resolve()
    absolute, relative, file_format = _place(landing, path)
    stat = absolute.stat()
    relative_path = relative.as_posix()
    previous = (known or {}).get(relative_path)
    if previous and previous[0] and tuple(previous[1:3]) == (stat.st_size, stat.st_mtime_ns):
        sha256 = str(previous[0])
    else:
        sha256 = sha256_of(absolute)
    return LandingFile(
        path=absolute,
        relative_path=relative_path,
        source_system=relative.parts[0],
        file_format=file_format,
        size=stat.st_size,
        sha256=sha256,
        mtime_ns=stat.st_mtime_ns,
    )


def landed_paths(landing_dir: Path | str) -> list[Path]:
    """Every event file in the source-system folders, sorted by folder then file name.

    Ignored: folders that are not a source system (`reference/`, `_truth/`, `_simulator/`, …),
    files being written (`*.tmp`), dot-files, names starting with `_`, nested folders and files
    that are not .jsonl/.csv/.parquet.
    """
    landing = Path(landing_dir).resolve()
    found = []
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()) if landing.is_dir() else []:
        if folder.name not in SOURCE_SYSTEMS:
            continue
        with os.scandir(folder) as entries:
            found.extend(
                folder / name
                for name in sorted(
                    entry.name
                    for entry in entries
                    if entry.is_file()
                    and not _is_ignored(entry.name)
                    and Path(entry.name).suffix.lower() in FILE_FORMATS
                )
            )
    return found


def discover_files(
    landing_dir: Path | str, known: Mapping[str, Sequence] | None = None
) -> list[LandingFile]:
    """`landed_paths`, described (and hashed, unless `known` vouches for an unchanged file)."""
    return [landing_file(landing_dir, path, known) for path in landed_paths(landing_dir)]
