"""The Cambridge Analytica replay (``consentgate demo``) end to end: a real ``consentgate
serve`` child process, the quiz app crawling installers' friends under Graph API v1.0
semantics and through the gateway over HTTP — one person exposed per installer, no special
category value, and every read in the ledger."""

from __future__ import annotations

import pytest

from consentgate.sim.replay import run_replay


@pytest.mark.slow
def test_the_cambridge_analytica_replay() -> None:
    result = run_replay(subjects=3000, installs=20, seed=2).as_dict()
    assert result["installers"] == 20
    assert result["gateway_amplification"] == 1.0
    assert result["gateway_special_category_values"] == 0
    assert result["legacy_amplification"] > 50
    assert result["legacy_special_category_values"] > 1000
    assert result["ledger_entries"] >= 2 * result["installers"]
