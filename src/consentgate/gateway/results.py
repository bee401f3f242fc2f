"""What a read returns once its disclosures are committed — the only bodies the gateway
hands out (``Gateway.read_subject`` → ``SubjectRead``, ``read_friends`` → ``FriendsRead``).
Each says so (``committed``); the public API test holds the gateway to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["FriendRead", "FriendsRead", "SubjectRead"]


@dataclass(frozen=True)
class SubjectRead:
    """A single-subject read whose disclosure is durably committed: safe to send."""

    committed: ClassVar[bool] = True
    id: str
    data: dict[str, Any]
    withheld: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "data": self.data, "withheld": self.withheld}


@dataclass(frozen=True)
class FriendRead:
    id: str
    data: dict[str, Any]
    withheld: dict[str, str]


@dataclass(frozen=True)
class FriendsRead:
    """A page of friends whose disclosures are durably committed: safe to send."""

    committed: ClassVar[bool] = True
    id: str
    friends: tuple[FriendRead, ...]
    next_cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "data": [{"id": f.id, "data": f.data, "withheld": f.withheld} for f in self.friends],
            "paging": {"next": self.next_cursor},
        }
