"""Secrets at rest (issue 11), on real files: the database, its -wal and -shm and the master
key file are mode 0600; no private key is in the database's bytes as PEM, nor any server
secret in the clear; a database an earlier version left (plain PEM, world-readable files)
is sealed and made private on open, keeping the same keys; a wrong or exposed master key is
one clear error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from consentgate.errors import MasterKeyInvalid
from consentgate.ledger import open_ledger
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import Settings
from consentgate.storage import Database, make_engine, migrate
from consentgate.storage.tables import server_secrets, signing_keys

PEM_MARK = b"PRIVATE KEY"


def _settings(path: Path, **extra: object) -> Settings:
    return Settings(database_url=f"sqlite:///{path}", demo=True, **extra)


def _files(db_file: Path) -> list[Path]:
    names = [db_file.name + suffix for suffix in ("", "-wal", "-shm")]
    return [db_file.with_name(name) for name in names if db_file.with_name(name).exists()]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _all_bytes(db_file: Path) -> bytes:
    return b"".join(path.read_bytes() for path in _files(db_file))


def _use(runtime: Runtime) -> dict[str, bytes]:
    """Touch every kind of secret (receipt key, checkpoint key, token and scoped-id keys);
    the raw secrets, to look for in the files."""
    runtime.stores.ledger.integrate()
    runtime.signer.sign({"probe": 1})
    with runtime.engine.connect() as connection:
        rows = connection.execute(select(server_secrets.c.name, server_secrets.c.secret)).all()
        sealed = {name: bytes(value) for name, value in rows}
    assert set(sealed) >= {"scoped-ids", "app-tokens"}
    return {
        name: runtime.db.master.open(bytes(v), name=f"server secret {name}")
        for name, v in sealed.items()
    }


def test_a_new_database_is_private_and_holds_no_key_in_the_clear(tmp_path: Path) -> None:
    db_file = tmp_path / "cg.db"
    old = os.umask(0o022)  # the usual umask, which made the files rw-r--r--
    try:
        runtime = open_runtime(_settings(db_file))
    finally:
        os.umask(old)
    try:
        raw = _use(runtime)
        key_file = tmp_path / "cg.db.key"
        assert _mode(key_file) == 0o600
        files = _files(db_file)
        assert {p.name for p in files} >= {"cg.db", "cg.db-wal", "cg.db-shm"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        data = _all_bytes(db_file)
        assert PEM_MARK not in data
        for value in raw.values():
            assert value not in data
        with runtime.engine.connect() as connection:
            stored = [pem for (pem,) in connection.execute(select(signing_keys.c.private_pem))]
        assert len(stored) == 2  # receipts and checkpoints
        assert all(pem.startswith("cgk1:") for pem in stored)
    finally:
        runtime.close()


def _an_old_database(db_file: Path) -> tuple[str, bytes]:
    """What an earlier version left: world-readable files, a plain PEM receipt key and a
    plain scoped-id key. Returns the key's PEM and the secret."""
    engine = make_engine(f"sqlite:///{db_file}")
    migrate(engine)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    secret = os.urandom(64)
    with engine.begin() as connection:
        connection.execute(
            insert(signing_keys),
            [
                {
                    "kid": "rk_old",
                    "use": "consent-receipt",
                    "private_pem": pem,
                    "public_pem": public,
                    "created_us": 1,
                }
            ],
        )
        connection.execute(
            insert(server_secrets), [{"name": "scoped-ids", "secret": secret, "created_us": 1}]
        )
    engine.dispose()
    for path in _files(db_file):
        path.chmod(0o644)
    assert pem.encode() in _all_bytes(db_file)
    return pem, secret


def test_an_old_database_is_sealed_and_made_private_keeping_its_keys(tmp_path: Path) -> None:
    db_file = tmp_path / "old.db"
    pem, secret = _an_old_database(db_file)
    runtime = open_runtime(_settings(db_file))
    try:
        assert runtime.signer.kid == "rk_old"  # the same receipt key, now sealed
        token = runtime.signer.sign({"probe": 1})
        assert runtime.signer.verify(token) == {"probe": 1}
        assert runtime.sealer.scoped_id("app_x", "1") == _sealer_of(secret).scoped_id("app_x", "1")
        data = _all_bytes(db_file)
        assert PEM_MARK not in data
        assert pem.encode() not in data
        assert secret not in data
        assert {_mode(p) for p in _files(db_file)} == {0o600}
    finally:
        runtime.close()
    again = open_runtime(_settings(db_file))  # a second open finds nothing to seal
    try:
        assert again.signer.kid == "rk_old"
    finally:
        again.close()


def _sealer_of(secret: bytes):  # type: ignore[no-untyped-def]
    from consentgate.gateway import IdSealer

    return IdSealer(secret)


def test_the_master_key_from_the_environment_and_a_wrong_one(tmp_path: Path) -> None:
    db_file = tmp_path / "env.db"
    key = "k" * 8 + os.urandom(24).hex()
    runtime = open_runtime(_settings(db_file, master_key=key))
    runtime.close()
    assert not (tmp_path / "env.db.key").exists()  # no key file when the key is given
    with pytest.raises(MasterKeyInvalid, match="does not open under this master key"):
        open_runtime(_settings(db_file, master_key="w" * 8 + os.urandom(24).hex()))
    # the key file the database was not made with does not open it either
    with pytest.raises(MasterKeyInvalid, match="does not open"):
        open_runtime(_settings(db_file))
    runtime = open_runtime(_settings(db_file, master_key=key))
    runtime.close()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    db_file = tmp_path / "k.db"
    open_runtime(_settings(db_file)).close()
    key_file = tmp_path / "k.db.key"
    key_file.chmod(0o644)
    with pytest.raises(MasterKeyInvalid, match="chmod 600"):
        open_runtime(_settings(db_file))
    own = tmp_path / "own.key"
    own.write_text("short")
    own.chmod(0o600)
    with pytest.raises(MasterKeyInvalid, match="shorter than 32"):
        open_runtime(_settings(tmp_path / "o.db", master_key_file=own))


def test_a_database_opened_without_the_runtime_uses_the_configured_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``ledger verify`` and the library do (``Database(engine)``): the key comes from
    the environment, here the key file beside the database."""
    db_file = tmp_path / "lib.db"
    runtime = open_runtime(_settings(db_file))
    runtime.stores.ledger.integrate()
    runtime.close()
    monkeypatch.delenv("CONSENTGATE_MASTER_KEY", raising=False)
    db = Database.open(f"sqlite:///{db_file}")
    try:
        ledger = open_ledger(db, origin="localhost/consentgate/ledger/v1")
        assert ledger.integrate().size == 0
    finally:
        db.dispose()


def test_rotating_the_master_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from consentgate.cli import app as cli

    db_file = tmp_path / "rot.db"
    runtime = open_runtime(_settings(db_file))
    kid = runtime.signer.kid
    scoped = runtime.sealer.scoped_id("app_x", "7")
    runtime.close()
    monkeypatch.setenv("CONSENTGATE_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.delenv("CONSENTGATE_MASTER_KEY", raising=False)
    monkeypatch.delenv("CONSENTGATE_MASTER_KEY_FILE", raising=False)
    new_key = tmp_path / "new.key"
    run = CliRunner().invoke(cli, ["master-key", "rotate", "--to-file", str(new_key), "--json"])
    assert run.exit_code == 0, run.output
    assert _mode(new_key) == 0o600
    with pytest.raises(MasterKeyInvalid, match="does not open"):
        open_runtime(_settings(db_file))  # the old key opens nothing any more
    rotated = open_runtime(_settings(db_file, master_key_file=new_key))
    try:
        assert rotated.signer.kid == kid
        assert rotated.sealer.scoped_id("app_x", "7") == scoped
    finally:
        rotated.close()
    monkeypatch.setenv("CONSENTGATE_MASTER_KEY_FILE", str(new_key))
    again = CliRunner().invoke(cli, ["master-key", "rotate", "--to-file", str(new_key)])
    assert again.exit_code == 1
    assert "exists" in again.stderr
