"""What a leaf's contents must satisfy, checked in index order by both verifiers — the one
over a database (``fsck``) and the one over a server with an operator key (``verify``):
every leaf decodes, is canonical JSON (its bytes are exactly what ``encode`` gives back),
and every subject chain links — a leaf's ``prev`` is the index of the latest earlier leaf of
the same pseudonym (-1 for the first)."""

from __future__ import annotations

from consentgate.ledger.leaves import Leaf

__all__ = ["ChainCheck"]


class ChainCheck:
    """Feed leaves in index order; ``check`` answers the decoded leaf, or the problem."""

    def __init__(self) -> None:
        self.heads: dict[str, int] = {}  # pseudonym -> index of its latest leaf so far

    def check(self, index: int, raw: bytes) -> Leaf | str:
        try:
            leaf = Leaf.decode(raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            return "leaf does not decode"
        if leaf.encode() != raw:
            return "leaf is not canonical JSON"
        if leaf.prev != self.heads.get(leaf.subj, -1):
            return "subject chain broken (prev)"
        self.heads[leaf.subj] = index
        return leaf
