"""SMS to waiting patients, composed at send time from the entry (contact), the facility and,
for offers, the offered slot, so the outbox carries no contact data."""
from __future__ import annotations

from odwolaj.adapters.sms import OutboundSms
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.data.models import Conversation, Facility, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.language.polish import MONTHS
from odwolaj.language.texts import MessageContext, render
from odwolaj.reserve import notices, offers
from odwolaj.reserve.planned_dates import is_week, planned_day
from odwolaj.security.links import offer_link


def forecast_text(planned: str) -> str:
    """'3 marca 2027', or 'tydzień od 1 marca 2027' for a planned week."""
    day = planned_day(planned)
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"tydzień od {text}" if is_week(planned) else text


def compose(item: OutboxItem) -> OutboundSms | None:
    """The message, or None when it no longer applies."""
    entry = WaitingEntry.get(item.entry_id)
    facility = Facility.get(entry.facility_id)
    kind = item.message_kind
    starts_at, link, amount = parse_iso(entry.entered_at), "", None
    if item.offer_id:
        offer = Offer.get(item.offer_id)
        slot = FreedSlot.get(offer.slot_id)
        starts_at = parse_iso(slot.starts_at)
        if kind in ("offer", "offer_help"):
            if offer.status != "open" or offer.hold_until <= iso(now()):
                return None  # answered, lost or expired before it could be sent
            if kind == "offer":
                kind = "offer_two_way" if facility.sms_two_way else "offer_one_way"
                prepayment = offers.prepayment_for(entry, slot, now())
                if prepayment is not None:  # the offer says what taking it costs at once
                    kind, amount = f"{kind}_prepaid", prepayment.amount
            link = offer_link(offer.offer_id)
    context = MessageContext(
        facility=facility.short_name, starts_at=starts_at, timezone=facility.timezone or "Europe/Warsaw", link=link,
        service=entry.service, phone=facility.phone or "", position=int(entry.position_at_entry),
        forecast=forecast_text(entry.planned_date), amount=amount,
    )
    overrides = facility.message_templates.as_dict() if facility.message_templates else None
    text = render(kind, context, overrides=overrides)
    return OutboundSms(to=entry.phone, text=text, sender=facility.sms_sender, ref=item.outbox_id)


def sent(item: OutboxItem, provider_message_id: str | None) -> None:
    """After sending: an offer from a two-way number now awaits TAK/NIE; an exact date's message
    is remembered, so its delivery report can be checked before the 14-day line."""
    if item.message_kind == "offer" and Facility.get(WaitingEntry.get(item.entry_id).facility_id).sms_two_way:
        await_answer(item)
    elif item.message_kind == "exact_date" and provider_message_id:
        notices.remember_message(item.entry_id, provider_message_id)


def await_answer(item: OutboxItem) -> None:
    """Replies from this number may now answer this offer (odwolaj.reserve.replies). A new version,
    as for a visit's message: a reply decided from the state before it is decided again."""
    entry = WaitingEntry.get(item.entry_id)
    at = iso(now())
    Conversation(entry.phone).update(actions=[
        Conversation.awaiting_offers.add({item.offer_id}),
        Conversation.last_offer_sent_at.set(at),
        Conversation.updated_at.set(at),
        Conversation.version.add(1),
    ])

