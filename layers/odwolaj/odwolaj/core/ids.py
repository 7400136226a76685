"""Random identifiers and human-typable visit codes."""
from __future__ import annotations

import secrets

# Crockford-style alphabet without look-alikes (0/O, 1/I/L, U) so a senior can read a code
# over the phone and type it back.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8  # 30**8 ≈ 6.6e11 codes


def new_appointment_id() -> str:
    """64 random bits as 16 hex characters; the link token carries the raw 8 bytes."""
    return secrets.token_hex(8)


def new_visit_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_visit_code(text: str) -> str:
    """Accept what people type: lower case, spaces and dashes are folded away."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def display_visit_code(code: str) -> str:
    """'K7M2QX9A' as 'K7M2-QX9A': two halves are easier to read out and type back."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code
