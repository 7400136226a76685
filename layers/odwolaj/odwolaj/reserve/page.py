"""The offer page (/o/{token}) as use cases: open an offer's link, answer it with a genuine form.

The link works while the offer's slot is in the future. Each form carries a token bound to the
offer and the one answer it gives, as the visit page does, so another site cannot answer for the
patient.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pynamodb.exceptions import DoesNotExist

from odwolaj.core.clock import now, parse_iso
from odwolaj.core.errors import InvalidInput, LinkExpired
from odwolaj.data.models import Appointment, Facility, FreedSlot, Offer, WaitingEntry
from odwolaj.payments import checkout
from odwolaj.reserve import claims, offers
from odwolaj.reserve.entries import ACTIVE
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
    booking: Appointment | None = None  # the visit a yes booked

    @cached_property
    def stage(self) -> str:
        """open (a yes still counts: the slot is free and before its cut-off), reconsider (said no,
        but a yes still takes the free slot: offers.YES_COUNTS), waiting (said yes within a grace
        window), accepted, declined, or gone (taken by someone else, or too late)."""
        if self.offer.status in offers.YES_COUNTS and self._slot_free():
            if self.offer.status != offers.DECLINED:
                return "open"
            if WaitingEntry.get(self.offer.entry_id).status == ACTIVE:
                return "reconsider"
        if self.offer.status in (offers.WAITING, offers.ACCEPTED, offers.DECLINED):
            return self.offer.status
        return "gone"

    def _slot_free(self) -> bool:
        return self.slot.status == offers.OFFERING and now() < offers.slot_cutoff(self.slot,
                                                                                 strategy_of(self.facility))

    @cached_property
    def payment_state(self) -> str | None:
        """For a yes that must be paid (pay-to-claim): checkout.payment_state of its booking."""
        if self.booking is None or not checkout.requires_payment(self.booking):
            return None
        return checkout.payment_state(self.booking)

    def pay_href(self) -> str | None:
        """The payment page of a held slot, while it can be paid."""
        if self.booking is None or self.payment_state != "payable":
            return None
        return f"/p/{link_signer().issue('p', self.booking.appointment_id)}"

    def prepayment(self) -> int | None:
        """What a yes would cost at once (grosze), for an open offer; None when nothing."""
        entry = WaitingEntry.get(self.offer.entry_id)
        requirement = offers.prepayment_for(entry, self.slot, now())
        return requirement.amount if requirement is not None else None

    def claim_minutes(self) -> int:
        return offers.claim_minutes(self.facility.facility_id)


def open_link(token: str) -> OfferView:
    offer = offers.get_offer(link_signer().resolve("o", token))
    slot = FreedSlot.get(offer.slot_id, consistent_read=True)
    if parse_iso(slot.starts_at) <= now():
        raise LinkExpired("the offered visit has started")
    return OfferView(offer, slot, get_facility(offer.facility_id), _booking(offer))


def _booking(offer: Offer) -> Appointment | None:
    if offer.status != offers.ACCEPTED or not offer.appointment_id:
        return None
    try:
        return Appointment.get(offer.appointment_id, consistent_read=True)
    except DoesNotExist:
        return None


def _scope(offer_id: str, action: str) -> str:
    return f"offer|{offer_id}|{action}"


def form_tokens(offer_id: str) -> dict[str, str]:
    signer, issued_at = link_signer(), int(now().timestamp())
    return {action: signer.form_token(_scope(offer_id, action), issued_at) for action in ACTIONS}


def form_is_genuine(offer_id: str, action: str, value: str | None) -> bool:
    return action in ACTIONS and link_signer().check_form_token(
        _scope(offer_id, action), value or "", int(now().timestamp()), max_age=FORM_MAX_AGE)


def came_too_late(result: claims.Result) -> bool:
    """A yes that found the slot gone (taken, or past its cut-off); on the page the patient is told
    there and then, not by SMS (claims._too_late)."""
    return result.answer in (claims.Answer.TAKEN, claims.Answer.EXPIRED)


def act(view: OfferView, action: str) -> claims.Result:
    if action == "accept":
        return claims.accept(view.offer, channel="web")
    if action == "decline":
        return claims.decline(view.offer, channel="web")
    raise InvalidInput("unknown action", field="action")
