"""Settings per capability, composed into one: every default written once, placeholder and
short secrets refused outside demo mode, and a bad variable one line from every command."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from consentgate.cli import app as cli
from consentgate.detect.rules import Thresholds
from consentgate.errors import InvalidInput
from consentgate.settings import (
    ConsentPolicy,
    ConsentSettings,
    DetectSettings,
    LedgerSettings,
    Settings,
    TokenSettings,
    WebhookSettings,
    load_settings,
)

STRONG = "q8Vt2mZr5Lw9Xc4Nb7Hs1Kd6Jf3Gp0Ya"  # 32 random-looking characters


def test_the_composed_settings_hold_every_capability() -> None:
    for capability in (ConsentSettings, TokenSettings, LedgerSettings, DetectSettings):
        assert set(capability.model_fields) <= set(Settings.model_fields), capability
    assert load_settings(LedgerSettings, ledger_integrate_ms=20).ledger_integrate_ms == 20


def test_the_detect_and_consent_defaults_are_the_thresholds_and_policy() -> None:
    assert DetectSettings().thresholds() == Thresholds()
    assert ConsentSettings().consent_policy() == ConsentPolicy()
    custom = DetectSettings(detect_short_window_seconds=600, detect_enumeration_ids=5)
    assert custom.thresholds() == dataclasses.replace(
        Thresholds(), short_window=(10, 60), enumeration_ids=5
    )


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("subject_token_secret", "changeme", "placeholder"),
        ("subject_token_secret", "Secret", "placeholder"),
        ("subject_token_secret", "please-CHANGEME-now-0123456789abcdef", "placeholder"),
        ("subject_token_secret", "x" * 64, "repeats"),
        ("subject_token_secret", "ab" * 32, "repeats"),
        ("subject_token_secret", STRONG[:31], "shorter than 32"),
        ("webhook_secret", "whsec_short", "shorter than 32"),
        ("admin_key", "cgop_" + "k" * 30, None),
        ("admin_key", STRONG[:23], "shorter than 24"),
    ],
)
def test_placeholder_and_short_secrets_are_refused_outside_demo_mode(
    name: str, value: str, problem: str | None
) -> None:
    if problem is None:  # a repeated tail after a prefix is still not a repeat of a few chars
        assert load_settings(**{name: value}) is not None
        return
    with pytest.raises(InvalidInput, match=problem) as caught:
        load_settings(**{name: value})
    assert caught.value.message.startswith(f"setting CONSENTGATE_{name.upper()}: ")
    assert value not in caught.value.message  # never the secret itself
    assert load_settings(demo=True, **{name: value}) is not None


def test_good_secrets_pass() -> None:
    settings = load_settings(subject_token_secret=STRONG, admin_key=STRONG[:24])
    assert settings.subject_token_secret is not None
    assert settings.subject_token_secret.get_secret_value() == STRONG


def test_a_webhook_url_needs_its_secret() -> None:
    with pytest.raises(InvalidInput, match="CONSENTGATE_WEBHOOK_URL needs"):
        load_settings(WebhookSettings, webhook_url="https://hooks.example/cg")


def test_a_bad_variable_is_one_line_from_the_ledger_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CONSENTGATE_LEDGER_ORIGIN", "has spaces/in it")
    result = CliRunner().invoke(
        cli, ["ledger", "verify", "--database", f"sqlite:///{tmp_path / 'l.db'}"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: BAD_REQUEST: setting CONSENTGATE_LEDGER_ORIGIN: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["demo", "--subjects", "10", "--installs", "1"],
        ["simulate", "benign", "--apps", "1", "--subjects", "10"],
        ["subjects", "token", "1"],
        ["incidents", "list"],
    ],
)
def test_a_bad_variable_is_one_line_from_every_kind_of_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path, command: list[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CONSENTGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    monkeypatch.setenv("CONSENTGATE_CONSENT_TTL_DAYS", "soon")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: BAD_REQUEST: setting CONSENTGATE_CONSENT_TTL_DAYS")
    assert len(result.stderr.strip().splitlines()) == 1
