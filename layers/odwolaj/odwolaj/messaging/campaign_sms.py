"""Campaign SMS: the send of one released message (the campaign send queue's consumer), and the
answers to campaign replies queued in the outbox. What is checked and recorded around the send, and
its send-once rule: odwolaj.campaigns.sending."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from odwolaj.adapters.sms import OutboundSms, ProviderError, SmsGateway
from odwolaj.campaigns import sending
from odwolaj.campaigns.settings import CampaignSettings
from odwolaj.core.clock import now
from odwolaj.data.models import Campaign, CampaignMember, Facility, OutboxItem, Patient
from odwolaj.language.campaign_texts import render
from odwolaj.language.gsm import segments
from odwolaj.messaging.deliveries import record_sent
from odwolaj.security.links import reactivation_link


def ref(member_id: str, touch: int) -> str:
    """The message's reference with the provider (delivery reports come back with it)."""
    return f"campaign:{member_id}:{touch}"


@dataclass
class BatchCache:
    """What one batch of sends reads once: its campaigns and facilities (a stopped campaign or a
    changed text is seen by the next batch)."""

    campaigns: dict[str, Campaign] = field(default_factory=dict)
    facilities: dict[str, Facility] = field(default_factory=dict)

    def facility(self, facility_id: str) -> Facility:
        if facility_id not in self.facilities:
            self.facilities[facility_id] = Facility.get(facility_id)
        return self.facilities[facility_id]


def deliver(member_id: str, touch: int, gateway: SmsGateway, *, cache: BatchCache | None = None,
            at: datetime | None = None) -> str:
    """Send one touch if it may go now; returns what happened: sent, or the verdict and reason."""
    at = at or now()
    cache = cache or BatchCache()
    decision = sending.decide(member_id, touch, at, cache=cache.campaigns)
    if decision.verdict is sending.Verdict.SKIP:
        sending.skip(decision)
    if decision.verdict is sending.Verdict.DEFER:
        sending.defer(decision)
    if decision.verdict is not sending.Verdict.SEND:
        return f"{decision.verdict.value}:{decision.reason or ''}"
    if not sending.claim(decision.member, touch, at):
        return f"{sending.Verdict.DONE.value}:{sending.DUPLICATE}"
    facility = cache.facility(decision.member.facility_id)
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
