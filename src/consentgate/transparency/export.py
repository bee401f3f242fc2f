"""The register as CSV (``?format=csv``): one row per app and country reached, plus one row
per app with ``country`` ``ALL`` for its total; a suppressed count is an empty cell. Every
row names the checkpoint it was counted up to, so a downloaded file says what it is.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) are written with a leading apostrophe (OWASP, "CSV
injection")."""

from __future__ import annotations

import csv
import io

from consentgate.transparency.register import RegisterPage

__all__ = ["CSV_COLUMNS", "TOTAL", "register_csv"]

TOTAL = "ALL"
CSV_COLUMNS = (
    "checkpoint_size",
    "checkpoint_root",
    "min_cell_size",
    "app_id",
    "name",
    "developer_name",
    "developer_country",
    "sponsor_name",
    "sponsor_country",
    "purposes",
    "fields",
    "country",
    "people",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def register_csv(page: RegisterPage) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    root = page.checkpoint.root.hex()
    for entry in page.entries:
        sponsor = entry.sponsor or {}
        common = [
            page.checkpoint.size,
            root,
            page.min_cell_size,
            entry.app_id,
            _text(entry.name),
            _text(entry.developer.get("name", "")),
            entry.developer.get("country", ""),
            _text(sponsor.get("name", "")),
            sponsor.get("country", ""),
            ";".join(entry.purposes),
            ";".join(entry.fields),
        ]
        writer.writerow([*common, TOTAL, _count(entry.people)])
        for country, people in entry.countries.items():
            writer.writerow([*common, country, _count(people)])
    return out.getvalue()


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value
