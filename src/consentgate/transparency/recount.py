"""``consentgate transparency recount``: recount the political transparency register from
the ledger and compare, trusting the server for nothing the signature and the hashes do not
bind.

1. Read the register (every page): the apps, their published counts, and the checkpoint
   ``{size, root}`` they were counted up to.
2. Check that checkpoint belongs to the signed log: open the latest signed checkpoint with
   the log's key (``--key`` pins it) and verify a consistency proof from the named size and
   root to it (equal sizes: equal roots).
3. Fetch every leaf below the named size — leaf bytes, which an operator key gets (and, until
   the public ledger shows hashes only, everyone) — and recompute the root: every leaf
   counted, and none left out, is then bound to the named checkpoint.
4. Count with the register's own rule (``counting``) and compare each app's published
   ``people`` and ``countries``; also that the minimum cell size is 10, that no app with a
   political disclosure in the leaves is missing from the register, and that no app
   received a field it was not approved for.

The result is ``ok`` only when every one of those holds.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from consentgate.errors import CheckpointError, NoteError
from consentgate.ledger.checkpoint import open_checkpoint
from consentgate.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    leaf_hash,
    verify_consistency,
)
from consentgate.ledger.note import NoteVerifier
from consentgate.transparency.counting import MIN_CELL_SIZE, Published, count_reach, publish

__all__ = ["AppRecount", "Recount", "recount_register"]

REGISTER = "/v1/transparency/political"
PAGE = 1000


@dataclass(frozen=True)
class AppRecount:
    app_id: str
    published: Published
    recounted: Published

    @property
    def agrees(self) -> bool:
        return self.published == self.recounted

    def as_dict(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "agrees": self.agrees,
            "published": {"people": self.published.people, "countries": self.published.countries},
            "recounted": {"people": self.recounted.people, "countries": self.recounted.countries},
        }


@dataclass(frozen=True)
class Recount:
    ok: bool
    size: int | None  # the named checkpoint's size (None: the register was not read)
    root: str | None
    leaves: int = 0  # leaves checked against it
    apps: tuple[AppRecount, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def line(self) -> str:
        if self.ok:
            return f"OK size={self.size} apps={len(self.apps)} all counts agree"
        return f"FAIL {self.problems[0]}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checkpoint": {"size": self.size, "root": self.root},
            "leaves_checked": self.leaves,
            "apps": [a.as_dict() for a in self.apps],
            "problems": list(self.problems),
        }


class _Failed(Exception):
    """The recount cannot go on (what the server gave cannot be checked)."""


def recount_register(
    client: httpx.Client, *, operator_key: str | None = None, key: str | None = None
) -> Recount:
    """Recount the register served at ``client``'s base URL. ``operator_key`` fetches leaf
    bytes as an operator; ``key`` pins the ledger's verifier key (else it is fetched)."""
    try:
        entries, size, root, cell = _register(client)
    except _Failed as exc:
        return Recount(False, None, None, problems=(str(exc),))
    problems: list[str] = []
    if cell != MIN_CELL_SIZE:
        problems.append(f"the register's min_cell_size is {cell}, not {MIN_CELL_SIZE}")
    try:
        _named_checkpoint_is_signed(client, size, root, key)
        leaves = _leaves(client, size, root, operator_key)
    except _Failed as exc:
        return Recount(False, size, root.hex(), problems=(*problems, str(exc)))
    try:
        reach = count_reach(leaves)
    except (ValueError, KeyError, TypeError):
        return Recount(False, size, root.hex(), len(leaves), problems=("a leaf does not decode",))
    apps: list[AppRecount] = []
    listed: set[str] = set()
    for entry in entries:
        app_id = str(entry["app_id"])
        listed.add(app_id)
        published = Published(people=entry["people"], countries=dict(entry["countries"]))
        found = reach.get(app_id)
        result = AppRecount(app_id, published, publish(found, min_cell_size=MIN_CELL_SIZE))
        apps.append(result)
        if not result.agrees:
            problems.append(
                f"app={app_id}: published people={published.people} "
                f"countries={published.countries}, recounted people={result.recounted.people} "
                f"countries={result.recounted.countries}"
            )
        unapproved = sorted(found.fields - set(entry["fields"])) if found else []
        if unapproved:
            problems.append(f"app={app_id}: received fields it is not listed for: {unapproved}")
    for app_id in sorted(set(reach) - listed):
        problems.append(f"app={app_id}: has political disclosures but is not in the register")
    return Recount(not problems, size, root.hex(), len(leaves), tuple(apps), tuple(problems))


def _register(client: httpx.Client) -> tuple[list[dict[str, Any]], int, bytes, int]:
    """Every entry of every page, the one checkpoint and cell size they all name."""
    entries: list[dict[str, Any]] = []
    named: tuple[int, str, int] | None = None
    params: dict[str, Any] = {"limit": PAGE}
    for _ in range(100_000):
        try:
            response = client.get(REGISTER, params=params)
            response.raise_for_status()
            body = response.json()
            page = (
                int(body["checkpoint"]["size"]),
                str(body["checkpoint"]["root"]),
                int(body["min_cell_size"]),
            )
            data = [_entry(item) for item in body["data"]]
            following = body["paging"]["next"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise _Failed(f"the register could not be read: {exc}") from None
        if named is not None and page != named:
            raise _Failed("the register's pages name different checkpoints")
        named = page
        entries += data
        if following is None:
            break
        params = {"limit": PAGE, "cursor": following}
    assert named is not None
    size, root_hex, cell = named
    try:
        root = bytes.fromhex(root_hex)
    except ValueError:
        raise _Failed("the register's checkpoint root is not hex") from None
    if len(root) != 32 or size < 0:
        raise _Failed("the register's checkpoint is not a size and a SHA-256 root")
    return entries, size, root, cell


def _entry(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise TypeError("a register entry is an object")
    countries = item["countries"]
    people = item["people"]
    if not isinstance(countries, dict) or not (people is None or isinstance(people, int)):
        raise TypeError("a register entry has countries and people")
    return {
        "app_id": str(item["app_id"]),
        "people": people,
        "countries": {str(k): v for k, v in countries.items()},
        "fields": [str(f) for f in item["fields"]],
    }


def _named_checkpoint_is_signed(
    client: httpx.Client, size: int, root: bytes, key: str | None
) -> None:
    try:
        verifier = NoteVerifier.parse(key or client.get("/v1/ledger/key").text.strip())
        latest = open_checkpoint(client.get("/v1/ledger/checkpoint").text, verifier)
    except (NoteError, CheckpointError, httpx.HTTPError) as exc:
        raise _Failed(f"the log's signed checkpoint does not verify: {exc}") from None
    if size > latest.size:
        raise _Failed(f"the register names size {size}, beyond the signed log ({latest.size})")
    if size == 0:
        if root != EMPTY_ROOT:
            raise _Failed("the register names the empty tree with a root that is not empty")
        return
    try:
        proof: list[bytes] = []
        if size < latest.size:
            response = client.get(
                "/v1/ledger/proof/consistency", params={"first": size, "second": latest.size}
            )
            response.raise_for_status()
            proof = [bytes.fromhex(h) for h in response.json()["hashes"]]
        verify_consistency(size, latest.size, root, latest.root, proof)
    except (httpx.HTTPError, ValueError, KeyError, TypeError, ProofError) as exc:
        raise _Failed(
            f"the register's checkpoint (size {size}) is not part of the signed log: {exc}"
        ) from None


def _leaves(client: httpx.Client, size: int, root: bytes, operator_key: str | None) -> list[bytes]:
    """Every leaf's bytes below ``size``, checked to hash to ``root``."""
    headers = {"Authorization": f"Bearer {operator_key}"} if operator_key else {}
    leaves: list[bytes] = []
    tree = MemoryTree()
    for item in _leaf_items(client, size, headers):
        index = len(leaves)
        if item.get("index") != index:
            raise _Failed(f"index={index}: leaf missing or out of order")
        if "leaf" not in item:
            raise _Failed(
                "the ledger shows leaf hashes only: give --operator-key (an operator key of "
                "any role) to fetch the leaf bytes"
            )
        try:
            data = base64.b64decode(item["leaf"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise _Failed(f"index={index}: the leaf is not base64") from None
        if "hash" in item and item["hash"] != leaf_hash(data).hex():
            raise _Failed(f"index={index}: the leaf does not have the hash listed with it")
        leaves.append(data)
        tree.append(data)
    if len(leaves) != size:
        raise _Failed(f"index={len(leaves)}: leaf missing")
    if tree.root(size) != root:
        raise _Failed(
            f"the {size} leaves do not hash to the register's checkpoint root: a leaf was "
            "changed, left out or added"
        )
    return leaves


def _leaf_items(
    client: httpx.Client, size: int, headers: dict[str, str]
) -> Iterator[dict[str, Any]]:
    start = 0
    while start < size:
        end = min(size, start + PAGE)
        try:
            response = client.get(
                "/v1/ledger/leaves", params={"start": start, "end": end}, headers=headers
            )
            response.raise_for_status()
            items = response.json()["leaves"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise _Failed(f"index={start}: the leaves could not be read: {exc}") from None
        if not items:
            raise _Failed(f"index={start}: leaf missing")
        for item in items:
            if not isinstance(item, dict):
                raise _Failed(f"index={start}: a leaf item is not an object")
            yield item
        start += len(items)
