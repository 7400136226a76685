"""Signed, short, purpose-scoped link tokens.

A token is base64url(id ‖ mac) where id is the appointment's 8 random bytes and mac is the first
5 bytes of HMAC-SHA256(secret, purpose ‖ id). 13 bytes make 18 characters, so
`https://odw.pl/c/<token>` is 35 characters and fits an SMS. Guessing needs 64 bits of id and
40 bits of MAC; a token for one purpose (cancel page, payment, offer) is refused for another,
and no token can be derived from another visit's. Expiry is checked against the visit itself.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from odwolaj.core.errors import LinkInvalid

ID_BYTES = 8
MAC_BYTES = 5
PURPOSES = frozenset({"c", "p", "o", "r"})  # cancel/visit page, payment, reserve-list offer, campaign member


@dataclass(frozen=True)
class LinkSigner:
    secret: bytes

    def _mac(self, purpose: str, raw_id: bytes) -> bytes:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        return hmac.new(self.secret, purpose.encode() + raw_id, hashlib.sha256).digest()[:MAC_BYTES]

    def issue(self, purpose: str, appointment_id: str) -> str:
        raw_id = bytes.fromhex(appointment_id)
        if len(raw_id) != ID_BYTES:
            raise ValueError("appointment ids are 8 bytes")
        return base64.urlsafe_b64encode(raw_id + self._mac(purpose, raw_id)).decode().rstrip("=")

    def resolve(self, purpose: str, token: str) -> str:
        """The appointment id the token stands for, or LinkInvalid."""
        if not isinstance(token, str) or len(token) != 18:
            raise LinkInvalid("malformed link")
        try:
            raw = base64.urlsafe_b64decode(token + "==")
        except (binascii.Error, ValueError):
            raise LinkInvalid("malformed link") from None
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
            raise LinkInvalid("malformed link")  # one spelling per token: the last character's spare bits
        raw_id, mac = raw[:ID_BYTES], raw[ID_BYTES:]
        if len(mac) != MAC_BYTES or not hmac.compare_digest(mac, self._mac(purpose, raw_id)):
            raise LinkInvalid("link signature does not match")
        return raw_id.hex()

    def form_token(self, scope: str, issued_at: int) -> str:
        """Anti-CSRF value for a form: binds the form to its page and a time (seconds)."""
        mac = hmac.new(self.secret, f"form|{scope}|{issued_at}".encode(), hashlib.sha256).hexdigest()[:24]
        return f"{issued_at}.{mac}"

    def check_form_token(self, scope: str, value: str, now: int, max_age: int = 4 * 3600) -> bool:
        issued, _, _mac = (value or "").partition(".")
        if not (issued.isascii() and issued.isdigit()):
            return False
        issued_at = int(issued)
        if not 0 <= now - issued_at <= max_age:
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a forged value may have them).
        return hmac.compare_digest(self.form_token(scope, issued_at).encode(), value.encode("utf-8", "replace"))
