"""Dagster wiring of the dbt project (raw -> staging -> intermediate -> marts).

``defs`` (a ``dg.Definitions``) and the asset objects load on first access (PEP 562): they
need the dbt manifest, which ``prepare_manifest()`` builds, and ``prepare_manifest`` itself
must stay importable before that manifest exists. Nothing here runs dbt at import time
except ``DbtProject.prepare_if_dev()``, which acts only under ``dagster dev``.
"""

import importlib
from typing import Any

from .project import get_dbt_project, prepare_manifest

_LAZY = {
    "defs": ".definitions",
    "omnistock_dbt_assets": ".assets",
    "DbtBuildConfig": ".assets",
    "KPI_DAILY_KEY": ".assets",
    "KPI_PERIOD_KEY": ".assets",
    "OmnistockDbtTranslator": ".translator",
    "source_freshness": ".checks",
    "WATERMARKS_KEY": ".checks",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["defs", "get_dbt_project", "prepare_manifest", *sorted(_LAZY)]
