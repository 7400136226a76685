"""SMS replies to offers: TAK takes the slot, NIE declines it and keeps the place.

A reply answers an offer when the number's last message asking for TAK/NIE was an offer, or when
no visit of that number awaits a reply. Of several offers, the newest is answered.
"""
from __future__ import annotations

from odwolaj.core.clock import iso, now
from odwolaj.data.models import Conversation, Offer
from odwolaj.language.replies import Intent
from odwolaj.reserve import claims


def asked_last(conversation: Conversation) -> bool:
    """An offer awaits a reply and no visit message asked for one since."""
    return bool(conversation.awaiting_offers) and (conversation.last_offer_sent_at or "") >= (
        conversation.last_sent_at or "")


def pending(conversation: Conversation) -> bool:
    return bool(conversation.awaiting_offers)


def answer(conversation: Conversation, intent: Intent) -> claims.Result | None:
    """Apply a TAK/NIE to the newest offer awaiting it; None for a reply that is neither."""
    if intent not in (Intent.CONFIRM, Intent.CANCEL):
        return None
    found = list(Offer.batch_get(sorted(conversation.awaiting_offers or ())))
    if not found:
        return None
    offer = max(found, key=lambda o: o.offered_at)
    if intent is Intent.CONFIRM:
        result = claims.accept(offer, channel="sms")
    else:
        result = claims.decline(offer, channel="sms")
    conversation.update(actions=[Conversation.awaiting_offers.delete({offer.offer_id}),
                                 Conversation.updated_at.set(iso(now()))])
    return result
