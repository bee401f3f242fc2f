"""The processing-state store on SQLite, PostgreSQL and in memory: restriction as a
compare-and-set, objections per purpose with their request, a row only while something is
in effect, and erasure."""

from __future__ import annotations

from consentgate.policy import SubjectState
from consentgate.stores import Stores


def test_restriction_is_one_at_a_time_and_lifting_names_its_request(bundle: Stores) -> None:
    store = bundle.subjects
    person = f"restricted-{id(bundle)}"
    assert store.decision_state(person) is SubjectState.NONE
    assert store.restrict(person, ground="unlawful", request_id="dsr_a", at_us=1)
    assert not store.restrict(person, ground="legal_claims", request_id="dsr_b", at_us=2)
    state = store.get(person)
    assert (state.restriction_ground, state.restriction_request) == ("unlawful", "dsr_a")
    assert store.decision_state(person) == SubjectState(restricted=True)
    assert store.lift(person, at_us=3) == "dsr_a"
    assert store.lift(person, at_us=4) is None
    assert store.get(person).empty


def test_objections_are_per_purpose_and_keep_the_request_that_made_them(bundle: Stores) -> None:
    store = bundle.subjects
    person = f"objecting-{id(bundle)}"
    assert store.object(person, ["analytics", "analytics"], request_id="dsr_1", at_us=1) == [
        "analytics"
    ]
    assert store.object(
        person, ["analytics", "academic_research"], request_id="dsr_2", at_us=2
    ) == ["academic_research"]
    assert dict(store.get(person).objections) == {
        "analytics": "dsr_1",
        "academic_research": "dsr_2",
    }
    assert store.decision_states([person, "nobody"]) == {
        person: SubjectState(objections=frozenset({"analytics", "academic_research"}))
    }
    assert store.withdraw_objection(person, "analytics", at_us=3) == "dsr_1"
    assert store.withdraw_objection(person, "analytics", at_us=4) is None
    store.restrict(person, ground="unlawful", request_id="dsr_3", at_us=5)
    store.forget(person)
    assert store.get(person).empty


def test_a_failed_transaction_leaves_the_state_as_it_was(bundle: Stores) -> None:
    person = f"rolled-back-{id(bundle)}"
    try:
        with bundle.transaction() as tx:
            tx.subjects.restrict(person, ground="unlawful", request_id="dsr_x", at_us=1)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert bundle.subjects.get(person).empty
