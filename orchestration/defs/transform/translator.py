"""How dbt nodes become Dagster assets: keys, groups, owners, kinds and descriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from omnistock.lake import get_engine
from orchestration.defs.lake import RAW_LAKE

LAYERS = ("staging", "intermediate", "marts")


def _layer(dbt_resource_props: Mapping[str, Any]) -> str | None:
    schema = (dbt_resource_props.get("config") or {}).get("schema") or dbt_resource_props.get(
        "schema"
    )
    return schema if schema in LAYERS else None


class OmnistockDbtTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed like the tables they build, ``[<layer>, <name>]`` (e.g.
    ``["marts", "kpi_daily"]``, ``["marts", "kpi_catalog"]``), mirroring the raw tables'
    ``["raw", <table>]`` keys; sources keep the keys their ``meta.dagster.asset_key`` names. On Spark
    (``OMNISTOCK_ENGINE=spark``) the models that read sources read them from the Parquet lake,
    so they also depend on ``raw_lake``."""

    def __init__(self, engine: str | None = None) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.engine = engine or get_engine()

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        layer = _layer(dbt_resource_props)
        if dbt_resource_props.get("resource_type") in ("model", "seed") and layer:
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props) or super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        meta = (dbt_resource_props.get("config") or {}).get("meta") or dbt_resource_props.get(
            "meta", {}
        )
        return meta.get("owners") or super().get_owners(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # the yml description carries the grain ("One row per ..."); never the raw SQL
        description = (dbt_resource_props.get("description") or "").strip()
        return (
            description or f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']}"
        )

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        # the engine, whatever adapter the manifest was parsed with
        spec = spec.replace_attributes(kinds={"dbt", self.engine})
        upstream = self.get_resource_props(manifest, unique_id).get("depends_on", {})
        reads_sources = any(node.startswith("source.") for node in upstream.get("nodes", []))
        if self.engine == "spark" and reads_sources:
            spec = spec.merge_attributes(deps=[RAW_LAKE])
        return spec
