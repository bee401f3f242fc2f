"""C2SP signed notes and tlog-checkpoints: the Go sumdb/note known answer, round trips, and
every tampering rejected."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consentgate.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    sign_checkpoint,
)
from consentgate.ledger.merkle import EMPTY_ROOT, MemoryTree
from consentgate.ledger.note import NoteError, NoteSigner, NoteVerifier, open_note

# golang.org/x/mod/sumdb/note's documented example (an independent implementation)
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_signer() -> NoteSigner:
    material = base64.b64decode(GO_SIGNER.split("+", 4)[4])  # base64 may hold a "+"
    assert material[0] == 1
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(material[1:]))


def test_the_go_known_answer() -> None:
    signer = go_signer()
    assert signer.verifier.encode() == GO_VERIFIER
    assert signer.sign(GO_TEXT) == GO_NOTE
    assert open_note(GO_NOTE, NoteVerifier.parse(GO_VERIFIER)) == GO_TEXT


@pytest.mark.parametrize(
    "note",
    [
        GO_NOTE.replace("problem,", "problem;"),  # the text changed
        GO_NOTE.replace("x08go", "x09go"),  # the key hash changed
        GO_NOTE.replace("JnAM=", "JnAA="),  # the signature changed
        GO_NOTE.replace("\u2014", "-"),  # not an em dash
        GO_NOTE.replace("\n\n", "\n"),  # no blank line
        GO_NOTE[:-1],  # no final newline
        GO_TEXT,  # no signature at all
    ],
)
def test_tampered_notes_are_rejected(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, NoteVerifier.parse(GO_VERIFIER))


def test_a_note_signed_by_another_key_is_rejected() -> None:
    other = NoteSigner("PeterNeumann", Ed25519PrivateKey.generate())
    with pytest.raises(NoteError):
        open_note(other.sign(GO_TEXT), NoteVerifier.parse(GO_VERIFIER))


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VERIFIER.replace("c74f20a3", "c74f20a4"),
        GO_VERIFIER.replace("PeterNeumann", "Peter Neumann"),
        GO_VERIFIER.replace("+ARpc", "+Apc"),
        "PeterNeumann",
        GO_VERIFIER + "A",
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.parse(vkey)


def test_checkpoints_round_trip_and_bind_origin_size_and_root() -> None:
    origin = "gateway.example/consentgate/ledger/v1"
    signer = NoteSigner(origin, Ed25519PrivateKey.generate())
    tree = MemoryTree([bytes([i]) * 32 for i in range(5)])
    checkpoint = Checkpoint(origin, 5, tree.root(), ("extension line",))
    note = sign_checkpoint(checkpoint, signer)
    assert note.startswith(f"{origin}\n5\n{base64.b64encode(tree.root()).decode()}\n")
    verifier = NoteVerifier.parse(signer.verifier.encode())
    assert open_checkpoint(note, verifier) == checkpoint
    empty = sign_checkpoint(Checkpoint(origin, 0, EMPTY_ROOT), signer)
    assert open_checkpoint(empty, verifier).root == EMPTY_ROOT
    for tampered in (note.replace("\n5\n", "\n6\n"), note.replace(origin, origin + "x", 1)):
        with pytest.raises(CheckpointError):
            open_checkpoint(tampered, verifier)
    stranger = NoteSigner("someone.else/log", Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError):
        sign_checkpoint(checkpoint, stranger)


@pytest.mark.parametrize(
    "body",
    ["o\n5\n", "o\n05\nAA==\n", "o\n-1\n" + "A" * 44 + "\n", "o\n5\nnot base64\n", "o\n5\nAAAA\n"],
)
def test_malformed_checkpoint_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(body)
