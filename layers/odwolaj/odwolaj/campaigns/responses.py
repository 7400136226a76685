"""A patient's response to a campaign, and the list the clinic works through.

Each response (call me back, what I need, no thank you, a slot taken, STOP) is recorded on the
member in one transaction with its `ReactivationResponse` event (and, for a reply by SMS, its
answer): the event's id is derived from the response, so the same response twice (a double click,
a provider's retry) records nothing the second time. "No thank you" and STOP end the campaign's
messages to the member. Responses the clinic must act on stay in the open list (the sparse index
`open_responses`) until it marks them handled.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import iso
from odwolaj.core.errors import NotFound
from odwolaj.core.transactions import Write, applied, conditionally
from odwolaj.data import events
from odwolaj.data.models import CampaignMember, OutboxItem, Patient
from odwolaj.data.outbox import RETENTION

REACTIVATION_RESPONSE = "ReactivationResponse"
CALLBACK, NEEDS, DECLINED, BOOKED, OPTED_OUT = "callback", "needs", "declined", "booked", "opted_out"
RESPONSES = (CALLBACK, NEEDS, DECLINED, BOOKED, OPTED_OUT)
FOR_THE_CLINIC = frozenset({CALLBACK, NEEDS, BOOKED})  # what someone at the clinic acts on
ENDS_MESSAGES = frozenset({DECLINED, OPTED_OUT})
CHANNELS = ("web", "sms")


def _cause(member_id: str, response: str, detail: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps([response, detail], sort_keys=True).encode()).hexdigest()[:10]
    return f"{member_id}:response:{digest}"


def answer_item(member: CampaignMember, kind: str, at: datetime, cause: str) -> OutboxItem:
    """An SMS answering the patient's reply (composed at send time: odwolaj.messaging.campaign_sms)."""
    return OutboxItem(outbox_id=f"{member.member_id}:sms:{cause}", kind="sms", message_kind=kind,
                      member_id=member.member_id, created_at=iso(at), expires_at=int((at + RETENTION).timestamp()))


def respond(member: CampaignMember, response: str, *, channel: str, at: datetime, detail: dict[str, Any] | None = None,
            also: Write | None = None, answer: str | None = None, member_actions: Sequence[Action] = (),
            member_condition: Condition | None = None) -> bool:
    """Record the response (with `also`'s steps and the member's own `member_actions` on
    `member_condition` in the same transaction, and an SMS `answer` kind); False when this very
    response was recorded before, or a condition failed."""
    detail = detail or {}
    cause = _cause(member.member_id, response, detail)
    actions: list[Action] = [
        *member_actions, CampaignMember.response.set(response), CampaignMember.response_channel.set(channel),
        CampaignMember.responded_at.set(iso(at)), CampaignMember.handled_at.remove(),
        CampaignMember.response_detail.set(detail) if detail else CampaignMember.response_detail.remove(),
        CampaignMember.response_queue.set(member.facility_id) if response in FOR_THE_CLINIC
        else CampaignMember.response_queue.remove(),
    ]
    if response in ENDS_MESSAGES:
        actions += [CampaignMember.send_queue.remove(), CampaignMember.send_key.remove(),
                    CampaignMember.next_touch.remove()]
    event = events.DomainEvent(REACTIVATION_RESPONSE, member.facility_id, cause, {
        "campaign_id": member.campaign_id, "member_id": member.member_id, "patient_id": member.patient_id,
        "band": member.band, "response": response, "channel": channel, "detail": detail})

    def write(transaction: TransactWrite) -> None:
        condition = CampaignMember.member_id.exists()
        transaction.update(CampaignMember(member.member_id), actions=actions,
                           condition=condition & member_condition if member_condition is not None else condition)
        transaction.save(event.to_outbox(at), condition=OutboxItem.outbox_id.does_not_exist())
        if answer:
            transaction.save(answer_item(member, answer, at, cause))
        if also:
            also(transaction)

    return applied(write)


def open_list(facility_id: str, *, limit: int, after: dict[str, Any] | None = None
              ) -> tuple[list[CampaignMember], dict[str, Any] | None]:
    """Responses not yet handled, oldest first: (a page, the key to continue from)."""
    found = CampaignMember.open_responses.query(facility_id, limit=limit, last_evaluated_key=after)
    page = list(found)
    return page, (found.last_evaluated_key if len(page) == limit else None)


def get(facility_id: str, member_id: str) -> CampaignMember:
    try:
        member = CampaignMember.get(member_id, consistent_read=True)
    except CampaignMember.DoesNotExist:
        raise NotFound("response not found") from None
    if member.facility_id != facility_id or not member.response:
        raise NotFound("response not found")
    return member


def handled(member: CampaignMember, at: datetime) -> CampaignMember:
    """The clinic dealt with it: off the open list (marking it twice changes nothing)."""
    conditionally(lambda: member.update(actions=[CampaignMember.response_queue.remove(),
                                                 CampaignMember.handled_at.set(iso(at))],
                                        condition=CampaignMember.handled_at.does_not_exist()))
    return CampaignMember.get(member.member_id, consistent_read=True)


def phones(facility_id: str, members: Sequence[CampaignMember]) -> dict[str, str | None]:
    """The patients' phones for the clinic's list (one BatchGetItem a hundred)."""
    keys = sorted({(facility_id, m.patient_id) for m in members})
    return {p.patient_id: p.phone for p in Patient.batch_get(keys)} if keys else {}
