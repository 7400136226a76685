"""Patient links: the public base URL, a one-letter route and a signed token."""
from __future__ import annotations

from odwolaj.config import settings
from odwolaj.signing import link_signer


def visit_link(appointment_id: str) -> str:
    return f"{settings().public_base_url}/c/{link_signer().issue('c', appointment_id)}"


def offer_link(offer_id: str) -> str:
    return f"{settings().public_base_url}/o/{link_signer().issue('o', offer_id)}"


def payment_link(appointment_id: str) -> str:
    """The prepayment page (it opens the Stripe Checkout Session)."""
    return f"{settings().public_base_url}/p/{link_signer().issue('p', appointment_id)}"
