"""Who acts, and what they may do: the one place authorization is decided.

An ``Actor`` is an operator (with a role), a data subject, an app, or the system itself
(harvest containment, the command line). Library calls that change state on someone's
behalf take the actor and record it with the event (``actor.ref``, e.g. ``operator:op_…``).

``allowed(*, action, resource=None, actor)`` answers from one table, ``ACTIONS``: each action
names the roles and actor kinds that may take it; ``admin`` may take every action. A subject
or an app listed for an action may take it only on its own ``resource`` (its id).
``require(...)`` is the same check raising ``Forbidden``. Routes name the action; they never
list roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from consentgate.errors import Forbidden

__all__ = ["ACTIONS", "Action", "Actor", "ActorKind", "Role", "allowed", "require"]


class Role(StrEnum):
    """An operator key's role: ``admin`` (everything), ``dpo`` (apps, review, suspension,
    incidents, rights requests) or ``auditor`` (read only)."""

    ADMIN = "admin"
    DPO = "dpo"
    AUDITOR = "auditor"


class ActorKind(StrEnum):
    OPERATOR = "operator"
    SUBJECT = "subject"
    APP = "app"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str
    role: Role | None = None  # operators only

    @classmethod
    def operator(cls, operator_id: str, role: Role) -> Actor:
        return cls(ActorKind.OPERATOR, operator_id, role)

    @classmethod
    def subject(cls, subject_id: str) -> Actor:
        return cls(ActorKind.SUBJECT, subject_id)

    @classmethod
    def app(cls, app_id: str) -> Actor:
        return cls(ActorKind.APP, app_id)

    @classmethod
    def system(cls, name: str) -> Actor:
        """consentgate itself: ``harvest-detection``, ``cli`` ..."""
        return cls(ActorKind.SYSTEM, name)

    @property
    def ref(self) -> str:
        """How the actor is recorded with an event: ``<kind>:<id>``."""
        return f"{self.kind.value}:{self.id}"


class Action(StrEnum):
    APPS_READ = "apps.read"
    APPS_REGISTER = "apps.register"
    APPS_APPROVE = "apps.approve"
    APPS_REJECT = "apps.reject"
    APPS_SUSPEND = "apps.suspend"
    APPS_REINSTATE = "apps.reinstate"
    INCIDENTS_READ = "incidents.read"
    INCIDENT_SUBJECTS_READ = "incidents.subjects.read"
    LEDGER_LEAVES_READ = "ledger.leaves.read"
    APPS_SECRET_ROTATE = "apps.secret.rotate"  # noqa: S105 — an action, not a secret
    OPERATORS_CREATE = "operators.create"
    OPERATORS_READ = "operators.read"
    OPERATORS_REVOKE = "operators.revoke"
    BREACHES_READ = "breaches.read"
    BREACHES_OPEN = "breaches.open"
    BREACHES_ASSESS = "breaches.assess"
    BREACHES_NOTIFY = "breaches.notify"
    BREACHES_CLOSE = "breaches.close"
    BREACH_SUBJECTS_READ = "breaches.subjects.read"
    RECORDS_READ = "records.read"
    REQUESTS_READ = "requests.read"
    REQUESTS_CREATE = "requests.create"
    REQUESTS_EXTEND = "requests.extend"
    REQUESTS_REJECT = "requests.reject"
    REQUESTS_LIFT = "requests.lift"


# who may take each action besides ``admin``
ACTIONS: Mapping[Action, frozenset[Role | ActorKind]] = {
    Action.APPS_READ: frozenset({Role.DPO, Role.AUDITOR}),
    Action.APPS_REGISTER: frozenset({Role.DPO}),
    Action.APPS_APPROVE: frozenset({Role.DPO}),
    Action.APPS_REJECT: frozenset({Role.DPO}),
    Action.APPS_SUSPEND: frozenset({Role.DPO, ActorKind.SYSTEM}),
    Action.APPS_REINSTATE: frozenset({Role.DPO}),
    Action.INCIDENTS_READ: frozenset({Role.DPO, Role.AUDITOR}),
    Action.INCIDENT_SUBJECTS_READ: frozenset({Role.DPO}),
    # the leaf bytes (DESIGN.md, Hardening): the public may see hashes only
    Action.LEDGER_LEAVES_READ: frozenset({Role.DPO, Role.AUDITOR}),
    Action.APPS_SECRET_ROTATE: frozenset({Role.DPO}),
    # operator keys: admin only
    Action.OPERATORS_CREATE: frozenset(),
    Action.OPERATORS_READ: frozenset(),
    Action.OPERATORS_REVOKE: frozenset(),
    Action.BREACHES_READ: frozenset({Role.DPO, Role.AUDITOR}),
    Action.BREACHES_OPEN: frozenset({Role.DPO, ActorKind.SYSTEM}),
    Action.BREACHES_ASSESS: frozenset({Role.DPO}),
    Action.BREACHES_NOTIFY: frozenset({Role.DPO}),
    Action.BREACHES_CLOSE: frozenset({Role.DPO}),
    # the affected people by platform id and their notices: DPO and admin only
    Action.BREACH_SUBJECTS_READ: frozenset({Role.DPO}),
    Action.RECORDS_READ: frozenset({Role.DPO, Role.AUDITOR}),
    Action.REQUESTS_READ: frozenset({Role.DPO, Role.AUDITOR}),
    Action.REQUESTS_CREATE: frozenset({Role.DPO}),
    Action.REQUESTS_EXTEND: frozenset({Role.DPO}),
    Action.REQUESTS_REJECT: frozenset({Role.DPO}),
    Action.REQUESTS_LIFT: frozenset({Role.DPO}),
}


def allowed(*, action: Action | str, resource: str | None = None, actor: Actor) -> bool:
    """Whether ``actor`` may take ``action`` (on ``resource``). An unknown action is never
    allowed (fail closed)."""
    try:
        who = ACTIONS[Action(action)]
    except (KeyError, ValueError):
        return False
    if actor.kind is ActorKind.OPERATOR:
        return actor.role is Role.ADMIN or (actor.role is not None and actor.role in who)
    if actor.kind in (ActorKind.SUBJECT, ActorKind.APP):
        return actor.kind in who and (resource is None or resource == actor.id)
    return actor.kind in who


def require(*, action: Action | str, resource: str | None = None, actor: Actor) -> None:
    """``allowed``, raising ``Forbidden`` when not."""
    if not allowed(action=action, resource=resource, actor=actor):
        who = actor.role.value if actor.role is not None else actor.kind.value
        raise Forbidden(f"the {who} role may not do this ({action})")
