"""The layers of docs/architecture.md hold (import-linter, pyproject.toml), and breaking one
fails the check: each case copies the packages, plants one forbidden import and runs the same
command `make test` runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("omnistock", "orchestration", "ml", "dashboards", "simulator")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_hold():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "planted_import", "broken_contract"),
    [
        # a domain package reaching into the code location
        ("ml/__init__.py", "import orchestration.jobs", "never import the code location"),
        # Dagster in the dashboards
        ("dashboards/__init__.py", "import dagster", "never import the code location or Dagster"),
        # dashboards computing with the model instead of showing its results
        ("dashboards/__init__.py", "import ml.detectors", "Dashboards never import ml"),
        # the simulator reading the platform's settings
        ("simulator/__init__.py", "import omnistock.config", "The simulator imports no platform"),
        # the code location importing the application layer
        ("orchestration/jobs.py", "import omnistock.app.summary", "Application on top"),
        # the foundation importing a domain package
        ("omnistock/tables.py", "import omnistock.ingest", "Application on top"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, planted_import, broken_contract):
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    planted = tmp_path / module
    planted.write_text(planted.read_text() + f"\n{planted_import}  # planted by the test\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(broken_contract in line for line in broken), result.stdout
    assert module.removesuffix(".py").removesuffix("/__init__").replace("/", ".") in result.stdout
