"""``consentgate ledger export --parquet DIR``: the ledger's sealed, immutable ranges as
Parquet, incrementally.

A range is leaves ``[start, end)`` covered by a signed checkpoint (``end`` is at most its
size): those bytes never change, so a written range is never rewritten. Each run exports
from where the manifest ends to the latest checkpoint, one file per range of at most
``range_leaves`` leaves (``leaves-<start>-<end>.parquet``), rows sorted by app and index
(so a filter on one app skips most row groups), and appends each range to ``manifest.json``
with the checkpoint that covers it and its range proof (``merkle.range_proof``).

Columns: ``idx``, ``at_us``, ``app``, ``subj`` (the ``ps1:`` pseudonym), ``kind``,
``purpose``, ``basis``, ``fields``, ``prev``, ``cc`` (the subject's country at disclosure
time, from leaf format v2; "" when unknown and in v1 leaves), ``leaf`` (the exact bytes) and
``leaf_hash``. Pseudonyms
only: no platform id is ever exported, and the pseudonym → person mapping stays in the
server (``LedgerStore.link``). A shredded person's rows stay unlinkable with no rewrite.

``verify_export`` checks a range against its checkpoint from the files alone: every row's
``leaf_hash`` is the hash of its ``leaf`` and its columns are the leaf's, the indices are
the whole range, the file is the one the manifest names (SHA-256), and the range's leaf
hashes with its proof give the root of the checkpoint, whose signature verifies.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consentgate.analytics.manifest import Manifest, RangeEntry, load_manifest, save_manifest
from consentgate.errors import InvalidInput, ProofError
from consentgate.ledger import (
    Leaf,
    LedgerStore,
    NoteVerifier,
    StoredLeaf,
    leaf_hash,
    open_checkpoint,
    root_from_range,
)

__all__ = [
    "DEFAULT_RANGE_LEAVES",
    "ROW_GROUP_ROWS",
    "ExportResult",
    "RangeCheck",
    "export_ledger",
    "leaf_table",
    "verify_export",
]

DEFAULT_RANGE_LEAVES = 1_000_000
ROW_GROUP_ROWS = 100_000


def _arrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise InvalidInput(
            "Parquet export needs the analytics extra: pip install 'consentgate[analytics]'"
        ) from exc
    return pyarrow


def _schema(pa: Any) -> Any:
    return pa.schema(
        [
            ("idx", pa.int64()),
            ("at_us", pa.int64()),
            ("app", pa.string()),
            ("subj", pa.string()),
            ("kind", pa.string()),
            ("purpose", pa.string()),
            ("basis", pa.string()),
            ("fields", pa.list_(pa.string())),
            ("prev", pa.int64()),
            ("cc", pa.string()),
            ("leaf", pa.binary()),
            ("leaf_hash", pa.binary(32)),
        ]
    )


def leaf_table(rows: Iterable[StoredLeaf]) -> Any:
    """Stored leaves as an Arrow table of the export's columns (also the DuckDB tail)."""
    pa = _arrow()
    columns: dict[str, list[Any]] = {name: [] for name in _schema(pa).names}
    for row in rows:
        leaf = Leaf.decode(row.data)
        columns["idx"].append(row.index)
        columns["at_us"].append(row.at_us)
        columns["app"].append(leaf.app)
        columns["subj"].append(leaf.subj)
        columns["kind"].append(leaf.kind)
        columns["purpose"].append(leaf.purpose)
        columns["basis"].append(leaf.basis)
        columns["fields"].append(list(leaf.fields))
        columns["prev"].append(leaf.prev)
        columns["cc"].append(leaf.cc)
        columns["leaf"].append(row.data)
        columns["leaf_hash"].append(leaf_hash(row.data))
    return pa.table(columns, schema=_schema(pa))


@dataclass(frozen=True)
class ExportResult:
    directory: str
    checkpoint_size: int
    written: tuple[RangeEntry, ...]
    ranges: int  # in the manifest after this run
    exported_to: int  # leaves [0, exported_to) are exported

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "checkpoint_size": self.checkpoint_size,
            "written": [entry.file for entry in self.written],
            "rows_written": sum(entry.rows for entry in self.written),
            "ranges": self.ranges,
            "exported_to": self.exported_to,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_ledger(
    ledger: LedgerStore,
    directory: Path,
    *,
    range_leaves: int = DEFAULT_RANGE_LEAVES,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> ExportResult:
    """Export the sealed leaves not yet in ``directory`` (see the module)."""
    pa = _arrow()
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if range_leaves < 1:
        raise InvalidInput("range_leaves must be at least 1")
    directory.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(directory)
    note = ledger.latest_note()
    if note is None:
        return ExportResult(str(directory), 0, (), len(manifest.ranges), manifest.end)
    checkpoint = open_checkpoint(note, ledger.verifier)
    if manifest.ranges and manifest.origin != checkpoint.origin:
        raise InvalidInput(f"{directory} holds the export of another ledger ({manifest.origin})")
    manifest = Manifest(checkpoint.origin, ledger.verifier.encode(), manifest.ranges)
    written = []
    for start in range(manifest.end, checkpoint.size, range_leaves):
        end = min(start + range_leaves, checkpoint.size)
        rows = ledger.rows(start, end)
        if [r.index for r in rows] != list(range(start, end)):
            raise InvalidInput(f"the ledger's leaves {start}..{end} are not all stored")
        table = leaf_table(rows)
        order = pc.sort_indices(table, sort_keys=[("app", "ascending"), ("idx", "ascending")])
        name = f"leaves-{start:012d}-{end:012d}.parquet"
        temporary = directory / f".{name}.partial"
        pq.write_table(
            table.take(order), temporary, row_group_size=row_group_rows, compression="zstd"
        )
        os.replace(temporary, directory / name)
        entry = RangeEntry(
            start=start,
            end=end,
            file=name,
            rows=end - start,
            sha256=_sha256(directory / name),
            checkpoint_size=checkpoint.size,
            checkpoint_note=note,
            proof=tuple(h.hex() for h in ledger.range_proof(start, end, checkpoint.size)),
        )
        manifest = Manifest(manifest.origin, manifest.key, (*manifest.ranges, entry))
        save_manifest(directory, manifest)  # after each file: a crash loses no finished range
        written.append(entry)
    del pa
    return ExportResult(
        str(directory), checkpoint.size, tuple(written), len(manifest.ranges), manifest.end
    )


@dataclass(frozen=True)
class RangeCheck:
    file: str
    start: int
    end: int
    ok: bool
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "start": self.start,
            "end": self.end,
            "ok": self.ok,
            "problem": self.problem,
        }


def _check_range(directory: Path, entry: RangeEntry, verifier: NoteVerifier) -> str | None:
    """Why the range does not check out, or None."""
    import pyarrow.parquet as pq

    path = directory / entry.file
    if not path.is_file():
        return "the file is missing"
    if _sha256(path) != entry.sha256:
        return "the file is not the one the manifest names (SHA-256 differs)"
    table = pq.read_table(path).sort_by("idx")
    data = table.column("leaf").to_pylist()
    indices = table.column("idx").to_pylist()
    if indices != list(range(entry.start, entry.end)):
        return "the rows are not exactly the range's leaves"
    hashes = [leaf_hash(d) for d in data]
    if hashes != table.column("leaf_hash").to_pylist():
        return "a leaf_hash is not the hash of its leaf"
    for row in table.select(["idx", "at_us", "app", "subj", "kind", "fields"]).to_pylist():
        leaf = Leaf.decode(data[row["idx"] - entry.start])
        if (row["app"], row["subj"], row["kind"], tuple(row["fields"])) != (
            leaf.app,
            leaf.subj,
            leaf.kind,
            leaf.fields,
        ) or row["at_us"] // 1000 != leaf.ts_ms:
            return f"the columns of leaf {row['idx']} are not its leaf's"
    try:
        checkpoint = open_checkpoint(entry.checkpoint_note, verifier)
        proof = [bytes.fromhex(h) for h in entry.proof]
        root = root_from_range(hashes, entry.start, checkpoint.size, proof)
    except (ProofError, ValueError) as exc:
        return f"the range proof does not verify: {exc}"
    if checkpoint.size != entry.checkpoint_size or root != checkpoint.root:
        return f"the leaves do not give the root of checkpoint {checkpoint.size}"
    return None


def verify_export(directory: Path, verifier: NoteVerifier | None = None) -> list[RangeCheck]:
    """Check every range of the export against its checkpoint (``verifier``: the ledger's
    key; the manifest's own when None — pin it to trust nothing in the directory)."""
    _arrow()
    manifest = load_manifest(directory)
    key = verifier or NoteVerifier.parse(manifest.key)
    checks = []
    for entry in manifest.ranges:
        try:
            problem = _check_range(directory, entry, key)
        except Exception as exc:  # noqa: BLE001 — a damaged file is a failed check, never a crash
            problem = f"the file cannot be read: {type(exc).__name__}"
        checks.append(RangeCheck(entry.file, entry.start, entry.end, problem is None, problem))
    return checks
