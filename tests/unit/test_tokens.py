"""Link tokens and form tokens: what a holder can and cannot do with them."""
import base64
import string

import pytest
from hypothesis import given, strategies as st

from odwolaj.core.errors import LinkInvalid
from odwolaj.security.tokens import PURPOSES, LinkSigner

SIGNER = LinkSigner(b"s" * 32)
ids = st.binary(min_size=8, max_size=8).map(bytes.hex)
purposes = st.sampled_from(sorted(PURPOSES))
URL_SAFE = set(string.ascii_letters + string.digits + "-_")


@given(ids, purposes)
def test_a_token_resolves_to_its_visit_and_fits_an_sms(appointment_id, purpose):
    token = SIGNER.issue(purpose, appointment_id)

    assert len(token) == 18 and set(token) <= URL_SAFE
    assert len(f"https://odw.pl/{purpose}/{token}") == 35
    assert SIGNER.resolve(purpose, token) == appointment_id


@given(ids, purposes, purposes)
def test_a_token_for_one_purpose_is_refused_for_another(appointment_id, issued_for, used_for):
    token = SIGNER.issue(issued_for, appointment_id)

    if issued_for == used_for:
        assert SIGNER.resolve(used_for, token) == appointment_id
    else:
        with pytest.raises(LinkInvalid):
            SIGNER.resolve(used_for, token)


@given(ids, purposes, st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=255))
def test_changing_any_byte_of_a_token_breaks_it(appointment_id, purpose, position, flip):
    raw = bytearray(base64.urlsafe_b64decode(SIGNER.issue(purpose, appointment_id) + "=="))
    raw[position] ^= flip
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")

    with pytest.raises(LinkInvalid):
        SIGNER.resolve(purpose, tampered)


@given(ids, purposes)
def test_a_token_from_another_secret_is_refused(appointment_id, purpose):
    token = LinkSigner(b"t" * 32).issue(purpose, appointment_id)

    with pytest.raises(LinkInvalid):
        SIGNER.resolve(purpose, token)


@given(st.text(max_size=40).filter(lambda text: len(text) != 18))
def test_a_token_of_the_wrong_length_is_refused(text):
    with pytest.raises(LinkInvalid):
        SIGNER.resolve("c", text)


@given(st.text(min_size=18, max_size=18))
def test_random_text_of_the_right_length_is_refused(text):
    # A forgery would need the 40-bit MAC right: 1 in 10^12.
    with pytest.raises(LinkInvalid):
        SIGNER.resolve("c", text)


@pytest.mark.parametrize("token", [None, 12345, b"A" * 18])
def test_a_token_that_is_not_text_is_refused(token):
    with pytest.raises(LinkInvalid):
        SIGNER.resolve("c", token)


def test_issuing_checks_its_input():
    with pytest.raises(ValueError):
        SIGNER.issue("x", "00" * 8)
    with pytest.raises(ValueError):
        SIGNER.issue("c", "00" * 9)


# --- form tokens (CSRF) ------------------------------------------------------------------------

scopes = st.text(min_size=1, max_size=60)
moments = st.integers(min_value=1_600_000_000, max_value=2_500_000_000)


@given(scopes, moments, st.integers(min_value=0, max_value=3600))
def test_a_form_token_is_accepted_for_its_scope_while_fresh(scope, issued_at, age):
    value = SIGNER.form_token(scope, issued_at)

    assert SIGNER.check_form_token(scope, value, issued_at + age, max_age=3600)


@given(scopes, moments, st.integers(min_value=1, max_value=10**6))
def test_a_form_token_expires(scope, issued_at, late_by):
    value = SIGNER.form_token(scope, issued_at)

    assert not SIGNER.check_form_token(scope, value, issued_at + 3600 + late_by, max_age=3600)


@given(scopes, moments, st.integers(min_value=1, max_value=10**6))
def test_a_form_token_from_the_future_is_refused(scope, issued_at, early_by):
    value = SIGNER.form_token(scope, issued_at)

    assert not SIGNER.check_form_token(scope, value, issued_at - early_by)


@given(scopes, scopes, moments)
def test_a_form_token_is_bound_to_its_scope(scope, other, issued_at):
    value = SIGNER.form_token(scope, issued_at)

    assert SIGNER.check_form_token(other, value, issued_at) == (scope == other)


@given(scopes, moments)
def test_a_form_token_with_a_moved_issue_time_is_refused(scope, issued_at):
    # Renewing a stale token by editing its time would need a new MAC.
    _, _, mac = SIGNER.form_token(scope, issued_at).partition(".")

    assert not SIGNER.check_form_token(scope, f"{issued_at + 60}.{mac}", issued_at + 60)


@pytest.mark.parametrize("value", ["", ".", "abc", "12.", ".deadbeef", "-5.abc", None,
                                   "1700000000.ż", "١٧٠٠٠٠٠٠٠٠.abc"])  # raised TypeError (found by test_fuzz)
def test_a_malformed_form_token_is_refused(value):
    assert not SIGNER.check_form_token("visit|x|cancel", value, 1_700_000_000)


def test_each_token_has_exactly_one_spelling():
    """The last base64 character carries spare bits: other spellings of it must not resolve."""
    token = SIGNER.issue("c", "0123456789abcdef")
    alphabet = string.ascii_letters + string.digits + "-_"
    variants = [token[:-1] + ch for ch in alphabet if ch != token[-1]]
    for variant in variants:
        with pytest.raises(LinkInvalid):
            SIGNER.resolve("c", variant)
