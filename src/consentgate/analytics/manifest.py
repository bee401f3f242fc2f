"""The export's ``manifest.json``: the ledger's origin and verifier key, and each range —
its leaves, file, SHA-256, the checkpoint note that covers it and its range proof. Written
to a temporary file and renamed, so a reader never sees half of one."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consentgate.errors import InvalidInput

__all__ = ["MANIFEST", "Manifest", "RangeEntry", "load_manifest", "save_manifest"]

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class RangeEntry:
    start: int
    end: int
    file: str
    rows: int
    sha256: str
    checkpoint_size: int
    checkpoint_note: str
    proof: tuple[str, ...]  # hex hashes

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "file": self.file,
            "rows": self.rows,
            "sha256": self.sha256,
            "checkpoint": {"size": self.checkpoint_size, "note": self.checkpoint_note},
            "proof": list(self.proof),
        }


@dataclass(frozen=True)
class Manifest:
    origin: str
    key: str  # the ledger's verifier key (``NoteVerifier.encode()``)
    ranges: tuple[RangeEntry, ...] = ()

    @property
    def end(self) -> int:
        """Leaves ``[0, end)`` are exported."""
        return self.ranges[-1].end if self.ranges else 0

    def files(self, directory: Path) -> list[str]:
        return [str(directory / entry.file) for entry in self.ranges]


def load_manifest(directory: Path) -> Manifest:
    """The manifest in ``directory`` (an empty one when there is none yet)."""
    path = directory / MANIFEST
    if not path.exists():
        return Manifest("", "")
    try:
        document = json.loads(path.read_text("utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError("unknown manifest format")
        ranges = tuple(
            RangeEntry(
                start=int(r["start"]),
                end=int(r["end"]),
                file=str(r["file"]),
                rows=int(r["rows"]),
                sha256=str(r["sha256"]),
                checkpoint_size=int(r["checkpoint"]["size"]),
                checkpoint_note=str(r["checkpoint"]["note"]),
                proof=tuple(str(h) for h in r["proof"]),
            )
            for r in document["ranges"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} is not a consentgate export manifest: {exc}") from None
    previous = 0
    for entry in ranges:
        if entry.start != previous or entry.end <= entry.start or "/" in entry.file:
            raise InvalidInput(f"{path}: the ranges are not contiguous from 0")
        previous = entry.end
    return Manifest(str(document["origin"]), str(document["key"]), ranges)


def save_manifest(directory: Path, manifest: Manifest) -> None:
    document = {
        "format": FORMAT,
        "origin": manifest.origin,
        "key": manifest.key,
        "exported_to": manifest.end,
        "ranges": [entry.as_dict() for entry in manifest.ranges],
    }
    temporary = directory / f".{MANIFEST}.partial"
    temporary.write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    os.replace(temporary, directory / MANIFEST)
