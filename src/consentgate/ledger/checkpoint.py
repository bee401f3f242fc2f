"""C2SP tlog-checkpoints (https://c2sp.org/tlog-checkpoint): the signed statement of a log's
size and root hash. Body: ``<origin>\\n<size>\\n<base64 root>\\n`` and optional extension
lines, signed as a C2SP note by a key whose name equals the origin."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from consentgate.errors import CheckpointError, NoteError
from consentgate.ledger.note import NoteSigner, NoteVerifier, open_note

__all__ = ["Checkpoint", "CheckpointError", "open_checkpoint", "sign_checkpoint"]

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "".join(f"{line}\n" for line in [*lines, *self.extensions])

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise CheckpointError("a checkpoint body is at least origin, size and root lines")
        origin, size, root_b64, *extensions = lines[:-1]
        if not origin or not _SIZE.match(size):
            raise CheckpointError("the checkpoint's origin or size line is malformed")
        try:
            root = base64.b64decode(root_b64, validate=True)
        except binascii.Error:
            raise CheckpointError("the checkpoint's root is not base64") from None
        if len(root) != 32:
            raise CheckpointError("the checkpoint's root is not a SHA-256 hash")
        if any(not line for line in extensions):
            raise CheckpointError("empty extension line")
        return cls(origin, int(size), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    if signer.name != checkpoint.origin:
        raise CheckpointError("the key name must equal the checkpoint's origin")
    return signer.sign(checkpoint.body())


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    """The checkpoint in ``note`` if signed by ``verifier`` for its own origin."""
    try:
        body = open_note(note, verifier)
    except NoteError as exc:
        raise CheckpointError(str(exc)) from None
    checkpoint = Checkpoint.parse(body)
    if checkpoint.origin != verifier.name:
        raise CheckpointError("the checkpoint's origin is not the verifier key's name")
    return checkpoint
