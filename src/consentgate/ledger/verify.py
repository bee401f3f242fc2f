"""Verification from published material only (``consentgate ledger verify --url``): check
the checkpoint's signature, recompute the root from every leaf, and prove consistency with
an earlier checkpoint the caller kept. Nothing from the operator is trusted but what the
signature and the hashes bind. The public ledger lists each leaf by its hash alone, which is
enough to check the tree. With an operator key the leaf bytes are fetched too: each is
hashed (and must match the hash listed with it) and its contents checked (it decodes, is
canonical, and every subject chain links: ``contents.ChainCheck``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import httpx

from consentgate.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from consentgate.ledger.contents import ChainCheck
from consentgate.ledger.merkle import MemoryTree, ProofError, leaf_hash, verify_consistency
from consentgate.ledger.note import NoteError, NoteVerifier

__all__ = ["Verification", "verify_published"]

PAGE = 1000


@dataclass(frozen=True)
class Verification:
    ok: bool
    size: int
    note: str | None
    failed_index: int | None = None
    problem: str | None = None

    def line(self) -> str:
        if self.ok:
            return f"OK size={self.size}"
        index = "-" if self.failed_index is None else str(self.failed_index)
        return f"FAIL index={index}: {self.problem}"


def _fail(size: int, index: int | None, problem: str) -> Verification:
    return Verification(False, size, None, index, problem)


def verify_published(
    client: httpx.Client,
    *,
    key: str | None = None,
    since: str | None = None,
    operator_key: str | None = None,
) -> Verification:
    """Verify the log served at ``client``'s base URL; ``key`` pins the verifier key (else it
    is fetched), ``since`` is an earlier signed checkpoint note to prove consistency with,
    ``operator_key`` (any role) fetches the leaf bytes and checks their contents too."""
    headers = {"Authorization": f"Bearer {operator_key}"} if operator_key else {}
    contents = ChainCheck() if operator_key else None
    try:
        verifier = NoteVerifier.parse(key or client.get("/v1/ledger/key").text.strip())
        note = client.get("/v1/ledger/checkpoint").text
        checkpoint = open_checkpoint(note, verifier)
    except (NoteError, CheckpointError, httpx.HTTPError) as exc:
        return _fail(0, None, f"checkpoint: {exc}")
    leaves: list[bytes] = []  # leaf hashes
    while len(leaves) < checkpoint.size:
        start = len(leaves)
        end = min(checkpoint.size, start + PAGE)
        try:
            response = client.get(
                "/v1/ledger/leaves", params={"start": start, "end": end}, headers=headers
            )
            if response.status_code in (401, 403):
                return _fail(checkpoint.size, start, "the operator key was refused")
            items = response.json()["leaves"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return _fail(checkpoint.size, start, "the leaves could not be read")
        if not items:
            return _fail(checkpoint.size, start, "leaf missing")
        for item in items:
            if item.get("index") != len(leaves):
                return _fail(checkpoint.size, len(leaves), "leaf missing or out of order")
            digest = _leaf_hash_of(item)
            if digest is None:
                return _fail(checkpoint.size, len(leaves), "leaf is not base64, or no hash")
            if contents is not None:
                problem = _contents_problem(contents, len(leaves), item)
                if problem is not None:
                    return _fail(checkpoint.size, len(leaves), problem)
            leaves.append(digest)
    tree = MemoryTree.from_leaf_hashes(leaves[: checkpoint.size])
    if tree.root(checkpoint.size) != checkpoint.root:
        return _fail(checkpoint.size, None, "the leaves do not hash to the checkpoint's root")
    if since is not None:
        problem = _consistent(client, verifier, since, checkpoint, tree)
        if problem is not None:
            return _fail(checkpoint.size, None, problem)
    return Verification(True, checkpoint.size, note)


def _leaf_hash_of(item: dict[str, object]) -> bytes | None:
    """The leaf hash of a listed leaf: of its bytes when given (and equal to the hash listed
    with them, if one is), else the listed hash; None when neither is well formed."""
    listed = item.get("hash")
    try:
        given = None if listed is None else bytes.fromhex(str(listed))
    except ValueError:
        return None
    if given is not None and len(given) != 32:
        return None
    if "leaf" not in item:
        return given
    try:
        digest = leaf_hash(base64.b64decode(str(item["leaf"]), validate=True))
    except (binascii.Error, ValueError):
        return None
    return digest if given is None or given == digest else None


def _contents_problem(contents: ChainCheck, index: int, item: dict[str, object]) -> str | None:
    """What is wrong with an operator-view leaf's contents (its hash already agrees)."""
    if "leaf" not in item:
        return "no leaf bytes for the operator key"
    checked = contents.check(index, base64.b64decode(str(item["leaf"])))
    return checked if isinstance(checked, str) else None


def _consistent(
    client: httpx.Client,
    verifier: NoteVerifier,
    since: str,
    checkpoint: Checkpoint,
    tree: MemoryTree,
) -> str | None:
    try:
        earlier = open_checkpoint(since, verifier)
    except CheckpointError as exc:
        return f"the saved checkpoint does not verify: {exc}"
    if earlier.size > checkpoint.size:
        return f"the log shrank from {earlier.size} to {checkpoint.size} leaves (rolled back)"
    if tree.root(earlier.size) != earlier.root:
        return f"the first {earlier.size} leaves no longer hash to the saved checkpoint's root"
    try:
        proof = client.get(
            "/v1/ledger/proof/consistency",
            params={"first": earlier.size, "second": checkpoint.size},
        ).json()["hashes"]
        verify_consistency(
            earlier.size,
            checkpoint.size,
            earlier.root,
            checkpoint.root,
            [bytes.fromhex(h) for h in proof],
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError, ProofError) as exc:
        return f"no valid consistency proof from the saved checkpoint: {exc}"
    return None
