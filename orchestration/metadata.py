"""Metadata helpers: small tables rendered for the Dagster UI."""

import dagster as dg
import polars as pl


def markdown_table(frame: pl.DataFrame, limit: int | None = None) -> dg.MetadataValue:
    """A polars frame as a Markdown table (floats rounded for reading)."""
    rows = frame.head(limit) if limit else frame
    header = "| " + " | ".join(rows.columns) + " |"
    rule = "| " + " | ".join("---" for _ in rows.columns) + " |"

    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value).replace("|", "/")

    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows.iter_rows()]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))
