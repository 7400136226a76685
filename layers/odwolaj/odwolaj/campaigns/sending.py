"""What happens to one released campaign message when it is about to go out: checked again, claimed,
then recorded as sent (the SMS itself: odwolaj.messaging.campaign_sms).

The checks at send time are the launch's, on the records as they are now: the campaign's purpose
needs the patient's consent (art. 398: marketing by SMS needs prior consent; a withdrawal counts
from the moment it is recorded), nobody deceased, struck off, opted out (a campaign STOP, or STOP to
visit messages), with a visit booked ahead, back already (no longer lapsed) or contacted by another
campaign in the last 90 days. A follow-up goes only to whom the first touch reached and who has not
answered; nobody gets more than two touches. The control group is never sent anything.

Send-once: a touch is claimed (`touch1` = "sending|…", on the condition that it is unset) before the
provider is called, so a message delivered twice by the queue, or a batch retried, sends at most
one SMS per touch. A provider that refuses the message for a passing reason gives the claim back
(the queue retries); a failure that leaves unknown whether it was sent keeps the claim: at most
once, never twice.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.campaigns import segments
from odwolaj.campaigns.drafts import REBOOK, SENDING
from odwolaj.campaigns.history import booked_ahead, withdrawn
from odwolaj.campaigns.launch import MESSAGE, order_key
from odwolaj.campaigns.settings import get as facility_settings
from odwolaj.core.clock import WARSAW, iso, parse_iso
from odwolaj.core.transactions import conditionally, transact
from odwolaj.core.workdays import in_window, next_window_start
from odwolaj.data.models import Campaign, CampaignMember, Conversation, Patient
from odwolaj.language.campaign_texts import FOLLOW_UP

FOLLOW_UP_AFTER = timedelta(days=14)
MAX_TOUCHES = 2
SENDING_STATE, SENT, FAILED = "sending", "sent", "failed"
# Why a message was not sent, besides segments.REASONS.
CONTROL_GROUP, DUPLICATE, ANSWERED, NOT_REACHED = "control_group", "duplicate", "answered", "first_touch_not_sent"
BACK_ALREADY, REBOOKED, NO_PHONE, CAMPAIGN_STOPPED = "back_already", "rebooked", "no_phone", "campaign_stopped"
NUDGE_OFF = "nudge_off"


class Verdict(enum.Enum):
    SEND = "send"
    SKIP = "skip"  # not now and not later: the member leaves the queue with the reason
    DEFER = "defer"  # outside the sending window: back in the queue at the next window
    DONE = "done"  # nothing to do (a repeat, or never to be messaged)


@dataclass
class Decision:
    verdict: Verdict
    member: CampaignMember
    touch: int
    reason: str | None = None
    campaign: Campaign | None = None
    patient: Patient | None = None
    phone: str | None = None
    until: datetime | None = None
    text_kind: str = ""  # which text: the band, the follow-up or the rebook nudge


def state(member: CampaignMember, touch: int) -> str | None:
    value = getattr(member, f"touch{touch}")
    return str(value).split("|", 1)[0] if value else None


class Reads:
    """What a send decides from, read one item at a time: the member (consistently: its touches),
    the campaign, the patient and the number's conversation. A batch of sends reads them together
    instead (odwolaj.messaging.campaign_sms.BatchReads) and keeps each campaign for the batch."""

    def __init__(self) -> None:
        self.campaigns: dict[str, Campaign] = {}

    def member(self, member_id: str) -> CampaignMember:
        return CampaignMember.get(member_id, consistent_read=True)

    def campaign(self, campaign_id: str) -> Campaign:
        if campaign_id not in self.campaigns:
            self.campaigns[campaign_id] = Campaign.get(campaign_id)
        return self.campaigns[campaign_id]

    def patient(self, facility_id: str, patient_id: str) -> Patient | None:
        try:
            return Patient.get(facility_id, patient_id)
        except DoesNotExist:
            return None

    def conversation(self, phone: str) -> Conversation | None:
        try:
            return Conversation.get(phone)
        except DoesNotExist:
            return None


def decide(member_id: str, touch: int, at: datetime, *, reads: Reads | None = None) -> Decision:
    """Whether this touch goes out now."""
    reads = reads or Reads()
    member = reads.member(member_id)
    if member.arm != MESSAGE:
        return Decision(Verdict.DONE, member, touch, CONTROL_GROUP)
    if state(member, touch) or not 1 <= touch <= MAX_TOUCHES:
        return Decision(Verdict.DONE, member, touch, DUPLICATE)
    if touch == 2 and state(member, 1) != SENT:
        return Decision(Verdict.SKIP, member, touch, NOT_REACHED)
    if member.response:
        return Decision(Verdict.SKIP, member, touch, ANSWERED)
    campaign = reads.campaign(member.campaign_id)
    if campaign.status != SENDING:
        return Decision(Verdict.SKIP, member, touch, CAMPAIGN_STOPPED)
    if not in_window(at):
        return Decision(Verdict.DEFER, member, touch, until=next_window_start(at))
    patient = reads.patient(member.facility_id, member.patient_id)
    if patient is None or not patient.phone:
        return Decision(Verdict.SKIP, member, touch, NO_PHONE)
    reason = (_rebook_reason(member, patient, at) if campaign.kind == REBOOK
              else _reactivation_reason(campaign, member, patient, at))
    reason = reason or _opted_out(reads.conversation(patient.phone))
    if reason:
        return Decision(Verdict.SKIP, member, touch, reason)
    kind = REBOOK if campaign.kind == REBOOK else (member.band if touch == 1 else FOLLOW_UP)
    return Decision(Verdict.SEND, member, touch, campaign=campaign, patient=patient, phone=patient.phone,
                    text_kind=kind)


def _reactivation_reason(campaign: Campaign, member: CampaignMember, patient: Patient, at: datetime) -> str | None:
    segment = segments.Segment.of(campaign)
    if segment.band(patient, at.astimezone(WARSAW).date()) is None:
        return BACK_ALREADY  # a visit since the launch: no longer lapsed
    return segment.exclusion(patient, at, campaign_id=campaign.campaign_id)


def _rebook_reason(member: CampaignMember, patient: Patient, at: datetime) -> str | None:
    """A care message about the patient's own cancellation: not once the nudge is off, after a new
    booking, with a visit booked ahead, a withdrawn care consent or a death."""
    if not facility_settings(member.facility_id).nudge_enabled:
        return NUDGE_OFF
    if member.first_booking_at:
        return REBOOKED
    if patient.patient_status in ("deceased", "struck_off"):
        return segments.DECEASED_OR_STRUCK_OFF
    if withdrawn(patient.consent_care):
        return segments.NO_CONSENT
    if booked_ahead(patient.next_visits, at.astimezone(WARSAW).date()):
        return segments.VISIT_BOOKED
    return None


def _opted_out(conversation: Conversation | None) -> str | None:
    """The number's STOP: to campaigns, or to everything but what a visit itself requires."""
    if conversation is None:
        return None
    return segments.OPTED_OUT if conversation.campaigns_opted_out or conversation.opted_out else None


# ---------------------------------------------------------------------------------------------
# Claim, and what follows the provider's answer


def claim(member: CampaignMember, touch: int, at: datetime) -> bool:
    """Take the touch for sending; False when another delivery of the message took it first."""
    attribute = getattr(CampaignMember, f"touch{touch}")
    return conditionally(lambda: CampaignMember(member.member_id).update(
        actions=[attribute.set(f"{SENDING_STATE}|{iso(at)}")], condition=attribute.does_not_exist()))


def give_back(member: CampaignMember, touch: int, at: datetime) -> None:
    """The provider refused for a passing reason: the queue's retry may claim it again."""
    attribute = getattr(CampaignMember, f"touch{touch}")
    conditionally(lambda: CampaignMember(member.member_id).update(
        actions=[attribute.remove()], condition=attribute == f"{SENDING_STATE}|{iso(at)}"))


def _order(member: CampaignMember) -> str:
    return order_key(member.member_id)


def sent(decision: Decision, at: datetime, segments_sent: int) -> None:
    """The SMS went out: the member's touch, the next one (a follow-up after 14 days, at the next
    window) or none; the patient's last campaign contact; the number's last campaign message (a
    reply answers it), in one transaction."""
    member, touch, campaign = decision.member, decision.touch, decision.campaign
    assert campaign is not None and decision.patient is not None and decision.phone is not None
    attribute = getattr(CampaignMember, f"touch{touch}")
    actions: list[Action] = [attribute.set(f"{SENT}|{iso(at)}"), CampaignMember.segments.add(segments_sent)]
    if touch < MAX_TOUCHES and campaign.follow_up and campaign.kind != REBOOK:
        due = next_window_start(at + FOLLOW_UP_AFTER)
        actions += [CampaignMember.next_touch.set(touch + 1),
                    CampaignMember.send_key.set(f"{iso(due)}#{_order(member)}")]
    else:
        actions += [CampaignMember.send_queue.remove(), CampaignMember.send_key.remove(),
                    CampaignMember.next_touch.remove()]

    def write(transaction: TransactWrite) -> None:
        transaction.update(CampaignMember(member.member_id), actions=actions,
                           condition=attribute.startswith(SENDING_STATE))
        transaction.update(Patient(member.facility_id, member.patient_id), actions=[
            Patient.last_campaign_contact_at.set(iso(at)), Patient.last_campaign_id.set(campaign.campaign_id)])
        transaction.update(Conversation(decision.phone), actions=[
            Conversation.last_campaign_member.set(member.member_id), Conversation.last_campaign_sent_at.set(iso(at)),
            Conversation.updated_at.set(iso(at))])

    transact(write)


def failed(member: CampaignMember, touch: int, at: datetime, reason: str) -> None:
    """The provider refused for good (an invalid number): no retry, no further touch."""
    attribute = getattr(CampaignMember, f"touch{touch}")
    CampaignMember(member.member_id).update(actions=[
        attribute.set(f"{FAILED}|{iso(at)}"), CampaignMember.skipped.set(reason),
        CampaignMember.send_queue.remove(), CampaignMember.send_key.remove(), CampaignMember.next_touch.remove()])


def skip(decision: Decision) -> None:
    """Not sent, and not to be: the member leaves the queue with the reason (unless it already
    moved on: a touch sent meanwhile)."""
    attribute = getattr(CampaignMember, f"touch{decision.touch}")
    conditionally(lambda: CampaignMember(decision.member.member_id).update(actions=[
        CampaignMember.skipped.set(decision.reason or ""), CampaignMember.send_queue.remove(),
        CampaignMember.send_key.remove(), CampaignMember.next_touch.remove()],
        condition=attribute.does_not_exist()))


def defer(decision: Decision) -> None:
    """Outside the window: the member waits in the queue until the next one opens."""
    member = decision.member
    assert decision.until is not None
    moved = f"{iso(decision.until)}#{_order(member)}"
    conditionally(lambda: CampaignMember(member.member_id).update(
        actions=[CampaignMember.send_key.set(moved)],
        condition=(CampaignMember.send_key == member.send_key) if member.send_key
        else CampaignMember.send_key.does_not_exist()))


def touches(member: CampaignMember) -> int:
    """Touches that reached the provider (sent), or may have (claimed)."""
    return sum(1 for touch in range(1, MAX_TOUCHES + 1) if state(member, touch) in (SENT, SENDING_STATE))


def sent_at(member: CampaignMember, touch: int) -> datetime | None:
    value = getattr(member, f"touch{touch}")
    return parse_iso(str(value).split("|", 1)[1]) if value and str(value).startswith(SENT) else None
