"""Phone numbers: any common Polish way of writing one becomes E.164."""
from __future__ import annotations

import hashlib

from odwolaj.core.errors import InvalidInput


def normalize_phone(text: object, *, field: str = "phone") -> str:
    import phonenumbers  # loaded only by the code paths that take phone numbers

    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("phone number is required", field=field)
    try:
        number = phonenumbers.parse(text, "PL")
    except phonenumbers.NumberParseException:
        raise InvalidInput("phone number could not be parsed", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone number is not a valid number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_fingerprint(e164: str) -> str:
    """A stable, non-reversible-at-a-glance reference for logs and metrics (never the number)."""
    return hashlib.sha256(e164.encode()).hexdigest()[:12]
