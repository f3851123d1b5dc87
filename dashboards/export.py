"""Tables as files: a table's cells as CSV (the app's download), and the link cells a table
shows (markdown, which DataTable draws as a link and the CSV writes as its text)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence

MARKDOWN_LINK = re.compile(r"\[(.*)\]\((.*)\)", re.DOTALL)


def link_cell(text, href) -> str | None:
    """A cell showing `text` that links to `href` (plain text without one)."""
    return None if text is None else f"[{text}]({href})" if href else str(text)


def csv_text(records: Sequence[Mapping], columns: Sequence[Mapping]) -> str:
    """The rows of a table as CSV: the columns' headers, then each record's cells in column
    order, a link cell as its text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column["name"] for column in columns])
    for record in records:
        cells = [record.get(column["id"]) for column in columns]
        writer.writerow(
            [
                match[1]
                if isinstance(cell, str) and (match := MARKDOWN_LINK.fullmatch(cell))
                else cell
                for cell in cells
            ]
        )
    return out.getvalue()
