"""The Parquet export: sealed ranges only, incremental (a second run writes only what is
new), pseudonyms only, each range verified against the checkpoint that covers it — and any
change to a file, a row, the manifest's proof or its checkpoint fails verification; the
command line does the same and exits 3 on a failure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from consentgate.analytics import export_ledger, load_manifest, verify_export
from consentgate.cli import app as cli
from consentgate.clock import to_micros
from consentgate.ledger import Entry
from consentgate.stores import MemoryStores, Stores

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _append(stores: Stores, count: int, *, offset: int = 0) -> None:
    stores.ledger.append(
        [
            Entry(
                subject_id=f"platform-person-{(i + offset) % 9}",
                app_id=f"app_{(i + offset) % 4}",
                fields=("name", "page_likes"),
                purpose="analytics",
                basis="consent",
                consent_id="cns_x",
                request_id="req_x",
                at_us=to_micros(T0 + timedelta(seconds=i + offset)),
            )
            for i in range(count)
        ]
    )


def test_ranges_are_sealed_incremental_and_pseudonymous(tmp_path: Path) -> None:
    stores = MemoryStores()
    _append(stores, 25)
    stores.ledger.integrate()
    _append(stores, 5, offset=25)  # appended, not yet covered by a checkpoint
    first = export_ledger(stores.ledger, tmp_path, range_leaves=10)
    assert [e.file for e in first.written] == [
        "leaves-000000000000-000000000010.parquet",
        "leaves-000000000010-000000000020.parquet",
        "leaves-000000000020-000000000025.parquet",
    ]
    assert first.exported_to == 25  # nothing past the checkpoint
    assert export_ledger(stores.ledger, tmp_path, range_leaves=10).written == ()
    stores.ledger.integrate()
    again = export_ledger(stores.ledger, tmp_path, range_leaves=10)
    assert [(e.start, e.end) for e in again.written] == [(25, 30)]
    manifest = load_manifest(tmp_path)
    assert [e.checkpoint_size for e in manifest.ranges] == [25, 25, 25, 30]
    assert all(check.ok for check in verify_export(tmp_path, stores.ledger.verifier))

    table = pa.concat_tables(pq.read_table(tmp_path / e.file) for e in manifest.ranges)
    assert sorted(table.column("idx").to_pylist()) == list(range(30))
    text = json.dumps(table.drop_columns(["leaf", "leaf_hash"]).to_pylist(), default=str)
    text += b"".join(table.column("leaf").to_pylist()).decode()
    assert "platform-person" not in text  # no platform id, anywhere
    assert all(s.startswith("ps1:") for s in table.column("subj").to_pylist())
    within = pq.read_table(tmp_path / manifest.ranges[0].file).column("app").to_pylist()
    assert within == sorted(within)  # rows sorted by app: one app's rows are together


def _exported(tmp_path: Path) -> MemoryStores:
    stores = MemoryStores()
    _append(stores, 12)
    stores.ledger.integrate()
    export_ledger(stores.ledger, tmp_path, range_leaves=6)
    return stores


def test_a_changed_file_fails_verification(tmp_path: Path) -> None:
    stores = _exported(tmp_path)
    entry = load_manifest(tmp_path).ranges[1]
    table = pq.read_table(tmp_path / entry.file)
    apps = table.column("app").to_pylist()
    apps[0] = "app_other"
    pq.write_table(table.set_column(2, "app", pa.array(apps)), tmp_path / entry.file)
    checks = verify_export(tmp_path, stores.ledger.verifier)
    assert [c.ok for c in checks] == [True, False]
    assert "SHA-256" in (checks[1].problem or "")


def test_a_forged_manifest_fails_verification(tmp_path: Path) -> None:
    stores = _exported(tmp_path)
    path = tmp_path / "manifest.json"
    document = json.loads(path.read_text())
    document["ranges"][0]["proof"][0] = "00" * 32
    path.write_text(json.dumps(document))
    checks = verify_export(tmp_path, stores.ledger.verifier)
    assert [c.ok for c in checks] == [False, True]
    assert "root" in (checks[0].problem or "")
    other = MemoryStores()  # another ledger's key: the checkpoint does not open
    assert not any(c.ok for c in verify_export(tmp_path, other.ledger.verifier))


def test_a_garbled_file_is_a_failed_check_not_a_crash(tmp_path: Path) -> None:
    stores = _exported(tmp_path)
    entry = load_manifest(tmp_path).ranges[0]
    (tmp_path / entry.file).write_bytes(b"not parquet")
    path = tmp_path / "manifest.json"
    document = json.loads(path.read_text())
    document["ranges"][0]["sha256"] = __import__("hashlib").sha256(b"not parquet").hexdigest()
    path.write_text(json.dumps(document))
    checks = verify_export(tmp_path, stores.ledger.verifier)
    assert not checks[0].ok


@pytest.mark.slow
def test_the_cli_exports_and_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONSENTGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'cg.db'}")
    from consentgate.runtime import open_runtime

    runtime = open_runtime()
    _append(runtime.stores, 7)
    runtime.stores.ledger.integrate()
    runtime.close()
    runner = CliRunner()
    out = tmp_path / "export"
    done = runner.invoke(cli, ["ledger", "export", "--parquet", str(out), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["exported_to"] == 7
    checked = runner.invoke(cli, ["ledger", "export", "--parquet", str(out), "--verify"])
    assert checked.exit_code == 0, checked.output
    assert "1 of 1 ranges verified" in checked.output
    (out / load_manifest(out).ranges[0].file).write_bytes(b"x")
    failed = runner.invoke(cli, ["ledger", "export", "--parquet", str(out), "--verify"])
    assert failed.exit_code == 3
    assert "FAIL" in failed.output
