"""The disclosure ledger (in progress): RFC 9162 Merkle tree and proofs, C2SP checkpoints."""
