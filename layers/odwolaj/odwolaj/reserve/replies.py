"""SMS replies to offers: TAK takes the slot, NIE declines it and keeps the place, anything else
gets one helpful answer per offer (what to reply, by when, the link).

A reply answers an offer when the number's last message asking for TAK/NIE was an offer, or when
the number has no visit to come. Of several offers, the newest is answered. A no does not bind: the
offer a NIE declined stays the number's to reconsider, so a later TAK takes it while its slot is
free (as the page's "Jednak biorę ten termin"). STOP to an offer stops offers to the entries that
number was offered from (they keep their place) and notes them on the conversation; START resumes
them, with or without an offer outstanding.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import iso, now
from odwolaj.core.transactions import Write
from odwolaj.data.models import Conversation, Offer, WaitingEntry
from odwolaj.data.outbox import queue_entry_sms
from odwolaj.language.replies import Intent
from odwolaj.reserve import claims, offers
from odwolaj.reserve.entries import ACTIVE


def asked_last(conversation: Conversation) -> bool:
    """An offer awaits a reply (or may be reconsidered) and no visit message asked for one since."""
    return pending(conversation) and (conversation.last_offer_sent_at or "") >= (conversation.last_sent_at or "")


def pending(conversation: Conversation) -> bool:
    return bool(conversation.awaiting_offers) or _reconsidering(conversation) is not None


def _reconsidering(conversation: Conversation) -> str | None:
    """The offer a NIE declined, while its visit is to come (a yes may still take it)."""
    if conversation.declined_offer and (conversation.declined_offer_until or "") > iso(now()):
        return conversation.declined_offer
    return None


def _offers(conversation: Conversation, *, declined: bool) -> list[Offer]:
    """The offers awaiting the number's reply; with `declined`, the one a NIE declined too."""
    ids = set(conversation.awaiting_offers or ())
    if declined and (reconsidered := _reconsidering(conversation)):
        ids.add(reconsidered)
    return list(Offer.batch_get(sorted(ids))) if ids else []


def newest(conversation: Conversation, *, declined: bool = False) -> Offer | None:
    """The newest offer awaiting a reply; with `declined`, the one a NIE declined counts too."""
    found = _offers(conversation, declined=declined)
    return max(found, key=lambda o: o.offered_at) if found else None


def explain(conversation: Conversation) -> bool:
    """An unclear reply to an offer still open: one answer per offer saying what to reply and by
    when; True when it was queued now."""
    offer = newest(conversation)
    if offer is None or offer.status not in offers.ANSWERABLE:  # a late yes still counts
        return False
    told = queue_entry_sms(WaitingEntry(offer.entry_id), "offer_help", now(), f"help:{offer.offer_id}", offer.offer_id)
    return told.save_once()


def answer(conversation: Conversation, intent: Intent) -> tuple[claims.Result, list[Action]] | None:
    """Apply a TAK/NIE to an offer; None for a reply that is neither, or no offer to answer. A TAK
    goes to the newest offer awaiting it or declined by the last NIE (the NIE answered the newest,
    so a TAK right after it reconsiders that one), a NIE to the newest awaiting one.

    Returns the result and the conversation's changes, which the caller writes with the reply's
    record: until then the offer still awaits the reply, so a failure in between leaves it for the
    retry (a repeated answer is the same result)."""
    if intent not in (Intent.CONFIRM, Intent.CANCEL, Intent.DECLINE):
        return None
    yes = intent is Intent.CONFIRM
    offer = newest(conversation, declined=yes) or newest(conversation, declined=True)
    if offer is None:
        return None
    actions: list[Action] = [Conversation.awaiting_offers.delete({offer.offer_id})]
    if yes:  # whichever it took: a later TAK no longer reconsiders an older no
        if conversation.declined_offer:
            actions += [Conversation.declined_offer.remove(), Conversation.declined_offer_until.remove()]
        return claims.accept(offer, channel="sms"), actions
    result = claims.decline(offer, channel="sms")
    until = offers.get_slot(offer.slot_id).starts_at
    return result, [*actions, Conversation.declined_offer.set(offer.offer_id),
                    Conversation.declined_offer_until.set(until)]


def entries_offered(conversation: Conversation) -> list[WaitingEntry]:
    """The number's entries still on a list whose offers await its reply (or the one it declined)."""
    return _active({o.entry_id for o in _offers(conversation, declined=True)})


def _active(entry_ids: set[str]) -> list[WaitingEntry]:
    return [e for e in WaitingEntry.batch_get(sorted(entry_ids)) if e.status == ACTIVE] if entry_ids else []


def to_switch(conversation: Conversation, *, stop: bool) -> tuple[list[WaitingEntry], list[Action]]:
    """The entries a STOP (START) changes, and the conversation's record of them: STOP notes every
    entry it leaves stopped, so a START finds them when no offer is outstanding; START reads that
    record (a few ids: a number's entries) with the entries offered, and clears it."""
    offered = entries_offered(conversation)
    if stop:
        ids = {e.entry_id for e in offered}
        noted: list[Action] = [Conversation.offers_stopped_entries.add(ids)] if ids else []
        return [e for e in offered if not e.offers_stopped_at], noted
    recorded = set(conversation.offers_stopped_entries or ())
    found = {e.entry_id: e for e in [*offered, *_active(recorded - {e.entry_id for e in offered})]}
    cleared: list[Action] = [Conversation.offers_stopped_entries.remove()] if recorded else []
    return [e for e in found.values() if e.offers_stopped_at], cleared


def switch_offers(entries: list[WaitingEntry], stop: bool, at: datetime) -> Write:
    """The write that stops (or resumes) offers to `entries`, each on the condition that it is as
    read: a STOP or START racing the console's resume (or another reply) is decided again."""
    stopped = WaitingEntry.offers_stopped_at
    change, was = (stopped.set(iso(at)), stopped.does_not_exist()) if stop else (stopped.remove(), stopped.exists())

    def write(transaction: TransactWrite) -> None:
        for entry in entries:
            transaction.update(WaitingEntry(entry.entry_id), actions=[change, WaitingEntry.updated_at.set(iso(at))],
                               condition=WaitingEntry.entry_id.exists() & was)

    return write
