"""Authorization in one place: one table of actions, one keyword-only check."""

from __future__ import annotations

import pytest

from consentgate.authz import ACTIONS, Action, Actor, ActorKind, Role, allowed, require
from consentgate.errors import Forbidden

ADMIN = Actor.operator("op_admin", Role.ADMIN)
DPO = Actor.operator("op_dpo", Role.DPO)
AUDITOR = Actor.operator("op_auditor", Role.AUDITOR)


def test_every_action_is_in_the_table_and_admin_may_take_each() -> None:
    assert set(ACTIONS) == set(Action)
    assert all(allowed(action=action, actor=ADMIN) for action in Action)


@pytest.mark.parametrize(
    ("action", "dpo", "auditor"),
    [
        (Action.APPS_READ, True, True),
        (Action.APPS_REGISTER, True, False),
        (Action.APPS_SUSPEND, True, False),
        (Action.APPS_REINSTATE, True, False),
        (Action.INCIDENTS_READ, True, True),
        (Action.INCIDENT_SUBJECTS_READ, True, False),
        (Action.OPERATORS_CREATE, False, False),
    ],
)
def test_roles(action: Action, dpo: bool, auditor: bool) -> None:
    assert allowed(action=action, actor=DPO) is dpo
    assert allowed(action=action, actor=AUDITOR) is auditor


def test_subjects_apps_and_the_system() -> None:
    subject = Actor.subject("7")
    assert not allowed(action=Action.APPS_READ, actor=subject)
    assert not allowed(action=Action.APPS_SUSPEND, actor=Actor.app("app_1"), resource="app_1")
    assert allowed(action=Action.APPS_SUSPEND, actor=Actor.system("harvest-detection"))
    assert not allowed(action=Action.APPS_REINSTATE, actor=Actor.system("harvest-detection"))
    assert Actor.system("cli").ref == "system:cli"
    assert DPO.ref == "operator:op_dpo"
    assert subject.kind is ActorKind.SUBJECT


def test_unknown_actions_are_refused_and_require_raises() -> None:
    assert not allowed(action="apps.delete_everything", actor=ADMIN)
    with pytest.raises(Forbidden, match="auditor role may not"):
        require(action=Action.APPS_SUSPEND, actor=AUDITOR)
    require(action=Action.APPS_SUSPEND, actor=DPO)
