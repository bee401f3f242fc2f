"""The package's public names: each one listed in ``__all__`` exists, the list is sorted,
and the decision can be used from the top-level package alone."""

from __future__ import annotations

from datetime import UTC, datetime

import consentgate
from consentgate.policy import AppStatus


def test_every_public_name_exists_and_the_list_is_sorted() -> None:
    names = [n for n in consentgate.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in consentgate.__all__:
        assert hasattr(consentgate, name), name
    assert consentgate.__version__.count(".") >= 1 or consentgate.__version__ == "0+unknown"


def test_a_decision_from_the_top_level_package() -> None:
    catalog = consentgate.default_catalog()
    app = consentgate.AppView(
        id="app_quiz",
        status=AppStatus.APPROVED,
        purposes=frozenset({"academic_research"}),
        approved_mask=catalog.mask(["name"]),
    )
    decision = consentgate.decide(
        app=app,
        subject=None,
        consents=[],
        purpose="academic_research",
        fields=["name"],
        catalog=catalog,
        now=datetime(2026, 11, 27, tzinfo=UTC),
    )
    assert decision.allowed == ()
    assert decision.withheld == {"name": consentgate.Reason.NO_CONSENT}
