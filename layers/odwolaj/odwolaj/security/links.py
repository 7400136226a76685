"""Patient links: the public base URL, a one-letter route and a signed token, signed with the
secret from the parameter store."""
from __future__ import annotations

from odwolaj.adapters.parameters import secret
from odwolaj.core.config import settings
from odwolaj.security.tokens import LinkSigner


def link_signer() -> LinkSigner:
    value = secret(settings().link_secret_param)
    if len(value) < 32:
        # Fail closed: a missing or weak secret must stop the function, not weaken the links.
        raise RuntimeError("the link secret parameter is missing or shorter than 32 characters")
    return LinkSigner(value.encode())


def visit_link(appointment_id: str) -> str:
    return f"{settings().public_base_url}/c/{link_signer().issue('c', appointment_id)}"


def offer_link(offer_id: str) -> str:
    return f"{settings().public_base_url}/o/{link_signer().issue('o', offer_id)}"


def payment_link(appointment_id: str) -> str:
    """The prepayment page (it opens the Stripe Checkout Session)."""
    return f"{settings().public_base_url}/p/{link_signer().issue('p', appointment_id)}"


def reactivation_link(member_id: str) -> str:
    """A campaign member's way back (odwolaj.campaigns.page): what they need, a call back, a slot."""
    return f"{settings().public_base_url}/r/{link_signer().issue('r', member_id)}"
