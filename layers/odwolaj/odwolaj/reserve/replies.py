"""SMS replies to offers: TAK takes the slot, NIE declines it and keeps the place, anything else
gets one helpful answer per offer (what to reply, by when, the link).

A reply answers an offer when the number's last message asking for TAK/NIE was an offer, or when
the number has no visit to come. Of several offers, the newest is answered. STOP to an offer stops
offers to the entries that number was offered from (they keep their place); START resumes them.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import iso, now
from odwolaj.core.transactions import Write
from odwolaj.data.models import Conversation, Offer, WaitingEntry
from odwolaj.data.outbox import queue_entry_sms
from odwolaj.language.replies import Intent
from odwolaj.reserve import claims, offers
from odwolaj.reserve.entries import ACTIVE


def asked_last(conversation: Conversation) -> bool:
    """An offer awaits a reply and no visit message asked for one since."""
    return bool(conversation.awaiting_offers) and (conversation.last_offer_sent_at or "") >= (
        conversation.last_sent_at or "")


def pending(conversation: Conversation) -> bool:
    return bool(conversation.awaiting_offers)


def newest(conversation: Conversation) -> Offer | None:
    found = list(Offer.batch_get(sorted(conversation.awaiting_offers or ())))
    return max(found, key=lambda o: o.offered_at) if found else None


def explain(conversation: Conversation) -> bool:
    """An unclear reply to an offer still open: one answer per offer saying what to reply and by
    when; True when it was queued now."""
    offer = newest(conversation)
    if offer is None or offer.status not in offers.ANSWERABLE:  # a late yes still counts
        return False
    told = queue_entry_sms(WaitingEntry(offer.entry_id), "offer_help", now(), f"help:{offer.offer_id}", offer.offer_id)
    return told.save_once()


def answer(conversation: Conversation, intent: Intent) -> tuple[Offer, claims.Result] | None:
    """Apply a TAK/NIE to the newest offer awaiting it; None for a reply that is neither. The offer
    still awaits a reply in the conversation: the caller ends the wait when it records the reply,
    so a failure in between leaves it for the retry (a repeated answer is the same result)."""
    if intent not in (Intent.CONFIRM, Intent.CANCEL, Intent.DECLINE):
        return None
    offer = newest(conversation)
    if offer is None:
        return None
    if intent is Intent.CONFIRM:
        return offer, claims.accept(offer, channel="sms")
    return offer, claims.decline(offer, channel="sms")


def entries_offered(conversation: Conversation) -> list[WaitingEntry]:
    """The number's entries still on a list whose offers await its reply."""
    ids = sorted({o.entry_id for o in Offer.batch_get(sorted(conversation.awaiting_offers or ()))})
    return [e for e in WaitingEntry.batch_get(ids) if e.status == ACTIVE] if ids else []


def switch_offers(entries: list[WaitingEntry], stop: bool, at: datetime) -> Write:
    """The write that stops (or resumes) offers to `entries`, in the reply's transaction."""
    def write(transaction: TransactWrite) -> None:
        for entry in entries:
            change = WaitingEntry.offers_stopped_at.set(iso(at)) if stop else WaitingEntry.offers_stopped_at.remove()
            transaction.update(WaitingEntry(entry.entry_id), actions=[change, WaitingEntry.updated_at.set(iso(at))],
                               condition=WaitingEntry.entry_id.exists())

    return write
