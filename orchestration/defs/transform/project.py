"""The Omnistock dbt project as Dagster sees it, and how its manifest gets prepared.

The manifest (dbt_project/target/manifest.json) is built by ``dbt parse``, and only when the
project changed since the last parse (``project_fingerprint``: a parse costs 10-25 s). Nothing
here runs dbt at import time except under ``dagster dev``, which loads the code location in its
code server and again in every run worker: there ``get_dbt_project()`` prepares the manifest
the same way (dagster-dbt's own ``prepare_if_dev`` would parse in every one of them).
Everywhere else (CI, tests, deployments) call ``prepare_manifest()`` first, e.g.::

    python -m orchestration.defs.transform              # or call it from a CLI / fixture
    dagster-dbt project prepare-and-package --file orchestration/defs/transform/project.py
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from omnistock.config import export_duckdb_settings, get_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


def ensure_warehouse_env() -> str:
    """profiles.yml reads OMNISTOCK_WAREHOUSE; default it to the settings' warehouse path. The
    DuckDB settings are exported too: a profile rendered differently for the parse and for the
    build would make dbt re-parse the whole project in the build.

    dbt parse renders the profile but never opens the file, so no folder is created here.
    """
    export_duckdb_settings()
    return os.environ.setdefault("OMNISTOCK_WAREHOUSE", str(get_settings().warehouse))


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH; in an unactivated virtualenv it sits beside python."""
    if shutil.which("dbt") is None:
        bin_dir = str(Path(sys.executable).parent)
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


@functools.cache
def get_dbt_project() -> DbtProject:
    """The cached DbtProject (profiles.yml lives in the project folder). Its target is the one
    runs build on: dbt keeps a parse for a later one to reuse (partial parsing) only if both
    name the same --target."""
    from .spark import dbt_target

    ensure_dbt_on_path()
    project = DbtProject(
        project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=dbt_target()
    )
    if os.getenv("DAGSTER_IS_DEV_CLI"):
        _prepare(project)
    return project


# What a parse depends on besides the project's files: the engine and target it renders for.
PARSE_ENVIRONMENT = ("OMNISTOCK_ENGINE", "DBT_TARGET")
PROJECT_SOURCE_DIRS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
FINGERPRINT_FILE = "manifest.fingerprint"


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A hash of everything `dbt parse` reads: the project's source files (path and bytes),
    its yml files, the dbt version and the environment that picks the target."""
    from dbt.version import __version__ as dbt_version

    digest = hashlib.sha256(f"dbt {dbt_version}\n".encode())
    files = [path for path in project_dir.glob("*.yml") if path.is_file()]
    for folder in PROJECT_SOURCE_DIRS:
        files.extend(path for path in (project_dir / folder).rglob("*") if path.is_file())
    for path in sorted(files):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in PARSE_ENVIRONMENT:
        digest.update(f"{name}={os.environ.get(name, '')}\n".encode())
    return digest.hexdigest()


def prepare_manifest() -> Path:
    """Run ``dbt parse`` into the project's target folder and return the manifest path.

    A manifest parsed from the same project (same fingerprint) is reused, so a run does not
    pay a parse it does not need. The stamp also holds the manifest's own hash: a manifest
    rewritten since (a `dbt build` with other --vars writes the same path) is parsed again."""
    return _prepare(get_dbt_project())


def _prepare(project: DbtProject) -> Path:
    ensure_warehouse_env()
    fingerprint = project_fingerprint(project.project_dir)
    stamp = project.manifest_path.with_name(FINGERPRINT_FILE)
    if stamp.exists() and project.manifest_path.exists():
        recorded = stamp.read_text().split()
        if recorded == [fingerprint, _file_sha256(project.manifest_path)]:
            return project.manifest_path
    stamp.unlink(missing_ok=True)
    project.preparer.prepare(project)
    if not project.manifest_path.exists():
        raise FileNotFoundError(f"dbt parse did not write {project.manifest_path}")
    stamp.write_text(f"{fingerprint} {_file_sha256(project.manifest_path)}\n")
    return project.manifest_path


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def keep_partial_parse(build_target: Path, project: DbtProject | None = None) -> bool:
    """Make a build's parse state the one the next build starts from.

    dbt reuses a saved parse only for the same profile: its warehouse path and settings
    included. The one `dbt parse` left is for the environment that prepared the manifest,
    which may be another home (the manifest itself is shared: it does not depend on the
    path); a build that could not reuse it parsed everything again (seconds) and saved its
    own. Copied (atomically) into the project's target folder, the next build in the same
    home reuses it."""
    project = project or get_dbt_project()
    source = build_target / PARTIAL_PARSE_FILE
    if not source.is_file():
        return False
    # where dagster-dbt copies it from into each build's target folder
    target = project.project_dir / os.environ.get("DBT_TARGET_PATH", "target") / PARTIAL_PARSE_FILE
    temporary = target.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
    return True


def _file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


# Module-level handle for `dagster-dbt project prepare-and-package --file <this file>`.
omnistock_dbt_project = get_dbt_project()
