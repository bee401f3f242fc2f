"""App-scoped ids (I7): one fixed length whatever the platform id (issue 11), opened only
by the app they were sealed for, and ids sealed before that still open."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from hypothesis import given
from hypothesis import strategies as st

from consentgate.errors import InvalidInput
from consentgate.gateway.scoped_ids import ID_BYTES, SCOPED_ID_LENGTH, IdSealer

KEY = os.urandom(64)
SEALER = IdSealer(KEY)
platform_ids = st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode("utf-8")) < ID_BYTES)
app_ids = st.from_regex(r"app_[A-Za-z0-9]{1,16}", fullmatch=True)


@given(platform_ids, platform_ids, app_ids, app_ids)
def test_every_scoped_id_has_one_length_and_opens_for_its_app_only(
    first: str, second: str, app: str, other: str
) -> None:
    a, b = SEALER.scoped_id(app, first), SEALER.scoped_id(app, second)
    assert len(a) == len(b) == SCOPED_ID_LENGTH
    assert SEALER.subject_for(app, a) == first
    assert SEALER.scoped_id(app, first) == a  # stable
    if other != app:
        assert SEALER.subject_for(other, a) is None


def test_the_length_of_a_platform_id_does_not_show() -> None:
    lengths = {len(SEALER.scoped_id("app_x", "7" * n)) for n in range(1, ID_BYTES)}
    assert lengths == {SCOPED_ID_LENGTH}
    with pytest.raises(InvalidInput):
        SEALER.scoped_id("app_x", "7" * ID_BYTES)


def test_an_id_sealed_before_ids_had_one_length_still_opens() -> None:
    sealed = AESSIV(KEY).encrypt(b"42", [b"subject", b"app_x"])
    old = "u" + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
    assert len(old) != SCOPED_ID_LENGTH
    assert SEALER.subject_for("app_x", old) == "42"
    assert SEALER.subject_for("app_y", old) is None


@given(st.text(max_size=300))
def test_anything_else_opens_to_nothing(text: str) -> None:
    assert SEALER.subject_for("app_x", text) is None
