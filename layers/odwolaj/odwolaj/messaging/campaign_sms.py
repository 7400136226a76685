"""Campaign SMS: the send of one released message (the campaign send queue's consumer), and the
answers to campaign replies queued in the outbox. What is checked and recorded around the send, and
its send-once rule: odwolaj.campaigns.sending."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from odwolaj.adapters.sms import OutboundSms, ProviderError, SmsGateway
from odwolaj.campaigns import sending
from odwolaj.campaigns.settings import CampaignSettings
from odwolaj.core.clock import now
from odwolaj.data.models import CampaignMember, Conversation, Facility, OutboxItem, Patient
from odwolaj.language.campaign_texts import render
from odwolaj.language.gsm import segments
from odwolaj.messaging.deliveries import record_sent
from odwolaj.security.links import reactivation_link


def ref(member_id: str, touch: int) -> str:
    """The message's reference with the provider (delivery reports come back with it)."""
    return f"campaign:{member_id}:{touch}"


class BatchReads(sending.Reads):
    """What one batch of sends reads together: its members, their patients and their numbers'
    conversations in one BatchGetItem each (`prefetch`), and each campaign and facility once (a
    stopped campaign or a changed text is seen by the next batch). A send the prefetch did not
    cover reads its own items; the claim before each SMS keeps a member that comes twice in one
    batch to one message."""

    def __init__(self) -> None:
        super().__init__()
        self.facilities: dict[str, Facility] = {}
        self.members: dict[str, CampaignMember] = {}
        self.patients: dict[tuple[str, str], Patient | None] = {}
        self.conversations: dict[str, Conversation | None] = {}

    def prefetch(self, member_ids: Iterable[str]) -> None:
        members = list(CampaignMember.batch_get(set(member_ids), consistent_read=True))
        keys = {(m.facility_id, m.patient_id) for m in members}
        patients = list(Patient.batch_get(keys)) if keys else []
        phones = {p.phone for p in patients if p.phone}
        conversations = list(Conversation.batch_get(phones)) if phones else []
        self.members = {m.member_id: m for m in members}
        self.patients = {**dict.fromkeys(keys), **{(p.facility_id, p.patient_id): p for p in patients}}
        self.conversations = {**dict.fromkeys(phones), **{c.phone: c for c in conversations}}

    # Each prefetched item is taken, not kept: a second send in the batch for the same member,
    # patient or number reads it anew, and so sees what the first send wrote (its touch, the
    # patient's last campaign contact).
    def member(self, member_id: str) -> CampaignMember:
        return self.members.pop(member_id, None) or super().member(member_id)

    def patient(self, facility_id: str, patient_id: str) -> Patient | None:
        key = (facility_id, patient_id)
        return self.patients.pop(key) if key in self.patients else super().patient(facility_id, patient_id)

    def conversation(self, phone: str) -> Conversation | None:
        return self.conversations.pop(phone) if phone in self.conversations else super().conversation(phone)

    def facility(self, facility_id: str) -> Facility:
        if facility_id not in self.facilities:
            self.facilities[facility_id] = Facility.get(facility_id)
        return self.facilities[facility_id]


def deliver(member_id: str, touch: int, gateway: SmsGateway, *, reads: BatchReads | None = None,
            at: datetime | None = None) -> str:
    """Send one touch if it may go now; returns what happened: sent, or the verdict and reason."""
    at = at or now()
    reads = reads or BatchReads()
    decision = sending.decide(member_id, touch, at, reads=reads)
    if decision.verdict is sending.Verdict.SKIP:
        sending.skip(decision)
    if decision.verdict is sending.Verdict.DEFER:
        sending.defer(decision)
    if decision.verdict is not sending.Verdict.SEND:
        return f"{decision.verdict.value}:{decision.reason or ''}"
    if not sending.claim(decision.member, touch, at):
        return f"{sending.Verdict.DONE.value}:{sending.DUPLICATE}"
    facility = reads.facility(decision.member.facility_id)
    text = render(decision.text_kind, facility=facility.short_name, link=reactivation_link(member_id),
                  two_way=bool(facility.sms_two_way), overrides=CampaignSettings.of(facility).messages)
    message = OutboundSms(to=str(decision.phone), text=text, sender=facility.sms_sender, ref=ref(member_id, touch))
    try:
        provider_id = gateway.send(message)
    except ProviderError as error:
        if error.retryable:
            sending.give_back(decision.member, touch, at)
            raise
        sending.failed(decision.member, touch, at, f"provider:{error}")
        return "failed"
    record_sent(gateway.name, provider_id, message.ref)
    sending.sent(decision, at, segments(text))
    return "sent"


def compose_reply(item: OutboxItem) -> OutboundSms | None:
    """An answer to a campaign reply (its kind: campaign_callback, _declined, _stopped, _help)."""
    member = CampaignMember.get(item.member_id)
    facility = Facility.get(member.facility_id)
    patient = Patient.get(member.facility_id, member.patient_id)
    if not patient.phone:
        return None
    text = render(item.message_kind, facility=facility.short_name, link=reactivation_link(member.member_id))
    return OutboundSms(to=patient.phone, text=text, sender=facility.sms_sender, ref=item.outbox_id)
