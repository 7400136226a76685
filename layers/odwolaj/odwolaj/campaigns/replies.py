"""SMS replies to campaign messages: the narrow hook inbound SMS calls first.

A reply answers a campaign when the number's last message that invites one was a campaign's (newer
than its last visit message and its last reserve-list offer) and came in the last 30 days. Then:
STOP opts the number out of campaigns only (visit reminders still come) and is acknowledged; TAK
or a call asked for in other words means "call me back" (the words kept for reception); NIE or "not
interested" means "no, thank you" (this campaign's messages end); anything else gets one short help
a day (odwolaj.language.campaign_replies). Every other reply is left to the rest of inbound SMS (None).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from odwolaj.campaigns import responses
from odwolaj.core.clock import iso, now
from odwolaj.core.transactions import Write
from odwolaj.data.models import CampaignMember, Conversation, Patient
from odwolaj.language.campaign_replies import read_campaign_reply
from odwolaj.language.replies import Intent

REPLY_WINDOW = timedelta(days=30)
SAID_MAX = 320  # two SMS segments: "proszę o telefon po 16, najlepiej w czwartek" kept for reception
ANSWERS = {Intent.CONFIRM: (responses.CALLBACK, "campaign_callback"),
           Intent.CANCEL: (responses.DECLINED, "campaign_declined"),
           Intent.DECLINE: (responses.DECLINED, "campaign_declined"),  # a bare "nie" (odwolaj.language.replies)
           Intent.STOP: (responses.OPTED_OUT, "campaign_stopped")}


def asked_last(conversation: Conversation, at: datetime) -> bool:
    sent = conversation.last_campaign_sent_at
    if not conversation.last_campaign_member or not sent or sent < iso(at - REPLY_WINDOW):
        return False
    return sent > (conversation.last_sent_at or "") and sent > (conversation.last_offer_sent_at or "")


def answer(conversation: Conversation, text: str, message_id: str) -> str | None:
    """Apply a reply to the campaign that asked last; what it meant, or None when no campaign did."""
    at = now()
    if not asked_last(conversation, at):
        return None
    try:
        member = CampaignMember.get(str(conversation.last_campaign_member), consistent_read=True)
    except DoesNotExist:
        return None
    intent = read_campaign_reply(text)
    if intent is Intent.START:
        return None  # START is the number's, not the campaign's: inbound SMS handles it
    if intent not in ANSWERS:
        help_once_a_day(member, at)
        return "help"
    response, kind = ANSWERS[intent]
    also = _opt_out(member, conversation.phone) if intent is Intent.STOP else None
    responses.respond(member, response, channel="sms", at=at, answer=kind, also=also,
                      detail=_said(text) if response == responses.CALLBACK else None)
    return response


def _said(text: str) -> dict[str, str] | None:
    """The patient's words when they say more than a yes ("zadzwońcie po 16"): whoever calls back
    reads them."""
    words = " ".join(text.split())
    return {"said": words[:SAID_MAX]} if len(words.split()) > 1 else None


def _opt_out(member: CampaignMember, phone: str) -> Write:
    def write(transaction: TransactWrite) -> None:
        transaction.update(Conversation(phone), actions=[Conversation.campaigns_opted_out.set(True),
                                                         Conversation.updated_at.set(iso(now()))])
        transaction.update(Patient(member.facility_id, member.patient_id),
                           actions=[Patient.campaigns_opted_out.set(True)])
    return write


def help_once_a_day(member: CampaignMember, at: datetime) -> bool:
    return responses.answer_item(member, "campaign_help", at, f"help:{at:%Y-%m-%d}").save_once()
