"""Tables as files: a table's cells as CSV (the app's download), and the link a table row
may carry (a markdown cell, which DataTable draws as a link and the CSV writes as its URL)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence

LINK_HEADER = "timeline"  # a row's link opens its case's timeline, unless its column says:
LINK_HEADERS = {"cases_href": "cases"}  # a row that opens a list of cases
LINK_TEXT = "open"
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)]*)\)")


def link_cell(href: str | None) -> str | None:
    """The cell of a row's link (its URL encoded: no parenthesis ends it early)."""
    return f"[{LINK_TEXT}]({href})" if href else None


def csv_text(records: Sequence[Mapping], columns: Sequence[Mapping]) -> str:
    """The rows of a table as CSV: the columns' headers, then each record's cells in column
    order, a link cell (a markdown column) as its URL."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column["name"] for column in columns])
    for record in records:
        cells = [(record.get(column["id"]), column.get("presentation")) for column in columns]
        writer.writerow(
            [
                match[1]
                if shown == "markdown" and (match := MARKDOWN_LINK.fullmatch(cell or ""))
                else cell
                for cell, shown in cells
            ]
        )
    return out.getvalue()
