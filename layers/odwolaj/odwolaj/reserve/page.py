"""The offer page (/o/{token}) as use cases: open an offer's link, answer it with a genuine form.

The link works while the offer's slot is in the future. Each form carries a token bound to the
offer and the one answer it gives, as the visit page does, so another site cannot answer for the
patient.
"""
from __future__ import annotations

from dataclasses import dataclass

from odwolaj.core.clock import now, parse_iso
from odwolaj.core.errors import InvalidInput, LinkExpired
from odwolaj.data.models import Facility, FreedSlot, Offer
from odwolaj.reserve import claims, offers
from odwolaj.reserve.settings import strategy_of
from odwolaj.security.facilities import get_facility
from odwolaj.security.links import link_signer

ACTIONS = ("accept", "decline")
FORM_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class OfferView:
    """What the page shows: the slot and the clinic, never the patient's data."""

    offer: Offer
    slot: FreedSlot
    facility: Facility

    @property
    def stage(self) -> str:
        """open (a yes still counts: the slot is free and before its cut-off), waiting (said yes
        within a grace window), accepted, declined, or gone (taken by someone else, or too late)."""
        if self.offer.status in offers.ANSWERABLE:
            free = self.slot.status == offers.OFFERING and now() < offers.slot_cutoff(self.slot,
                                                                                     strategy_of(self.facility))
            return "open" if free else "gone"
        if self.offer.status in (offers.WAITING, offers.ACCEPTED, offers.DECLINED):
            return self.offer.status
        return "gone"


def open_link(token: str) -> OfferView:
    offer = offers.get_offer(link_signer().resolve("o", token))
    slot = FreedSlot.get(offer.slot_id, consistent_read=True)
    if parse_iso(slot.starts_at) <= now():
        raise LinkExpired("the offered visit has started")
    return OfferView(offer, slot, get_facility(offer.facility_id))


def _scope(offer_id: str, action: str) -> str:
    return f"offer|{offer_id}|{action}"


def form_tokens(offer_id: str) -> dict[str, str]:
    signer, issued_at = link_signer(), int(now().timestamp())
    return {action: signer.form_token(_scope(offer_id, action), issued_at) for action in ACTIONS}


def form_is_genuine(offer_id: str, action: str, value: str | None) -> bool:
    return action in ACTIONS and link_signer().check_form_token(
        _scope(offer_id, action), value or "", int(now().timestamp()), max_age=FORM_MAX_AGE)


def act(view: OfferView, action: str) -> claims.Result:
    if action == "accept":
        return claims.accept(view.offer, channel="web")
    if action == "decline":
        return claims.decline(view.offer, channel="web")
    raise InvalidInput("unknown action", field="action")
