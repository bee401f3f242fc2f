"""The supervisory authorities of the EU/EEA countries (``authorities.toml`` beside this
module, from the EDPB's list of its members; see the file for the source and review date):
the lead authority a breach is reported to and the concerned ones whose residents it
affects."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from consentgate.catalog import EEA_COUNTRIES

__all__ = ["Authority", "authorities", "authority_of"]


@dataclass(frozen=True)
class Authority:
    country: str
    name: str
    url: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        body = {"country": self.country, "name": self.name, "url": self.url}
        return body | ({"note": self.note} if self.note else {})


@functools.cache
def authorities() -> Mapping[str, Authority]:
    """Every EU/EEA country's authority, by ISO code (the table covers exactly the EEA)."""
    text = resources.files("consentgate.breach").joinpath("authorities.toml").read_text("utf-8")
    table = tomllib.loads(text)["authorities"]
    found = {
        code: Authority(code, row["name"], row["url"], row.get("note", ""))
        for code, row in table.items()
    }
    if set(found) != EEA_COUNTRIES:
        raise RuntimeError("authorities.toml must list exactly the EU/EEA countries")
    return found


def authority_of(country: str | None) -> Authority | None:
    """The authority of ``country``; None outside the EU/EEA (or unknown)."""
    return authorities().get((country or "").upper())
