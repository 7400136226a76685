"""Send once: how every message to a patient (SMS and e-mail) goes out, with its outbox item as the
record of what happened to it. docs/messages.md, "Delivery guarantees", states the rules per kind.

The item's `send_state` moves, each step a conditional write on `send_attempts` (the claim):

    (queued) --claim--> sending --the provider took it--> sent
                          |--the provider refused, or was never reached--> (queued) again, and raise
                          |--the answer was lost--> unsure (resend allowed: raise, the retry resends)
                          |                         unknown (not allowed: settled, never resent)
    (queued) --no longer applies--> skipped

- A claim is written *before* the provider call and the result right after it, so a retry of the
  record knows where the last attempt stopped: `sent` means only the steps after sending (the
  delivery record, awaiting a reply) run again, never the send; `queued` means nothing went out.
- The provider may have taken a message when the answer to the call was lost (`unsure`), or when
  the function died during the call (a `sending` claim older than CLAIM_SECONDS). Then the message
  is sent again only when that cannot make a second one (the provider deduplicates by our reference:
  SMSAPI's idx) or when a second one is the lesser harm (AT_LEAST_ONCE); otherwise it is settled as
  `unknown` and logged: at most once.
- A claim younger than CLAIM_SECONDS belongs to a call that may still be running: SendInProgress,
  and the record is tried again later.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from odwolaj.adapters.providers import CALL_SECONDS, AlreadyAccepted, OutcomeUnknown, ProviderError
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import OutboxItem

logger = logging.getLogger(__name__)

SENDING, SENT, SKIPPED, UNSURE, UNKNOWN = "sending", "sent", "skipped", "unsure", "unknown"
RETRY_DELAYS_SECONDS = (0.5, 2.0)  # between attempts on a retryable refusal; after the last, the record is retried
# The longest one message can take here: every attempt's call at its bound, and the waits between.
WORST_SECONDS = (len(RETRY_DELAYS_SECONDS) + 1) * CALL_SECONDS + sum(RETRY_DELAYS_SECONDS)
# A claim older than this was not made by a call still running: the function that made it died.
CLAIM_SECONDS = WORST_SECONDS + 15
# What the patient needs in hand: a link to pay or to cancel, a new time, the exact date of an NFZ
# visit. When the provider cannot tell whether it took one, it goes again: a duplicate is the
# lesser harm. Every other kind (thanks, confirmations, reminders, offers, answers) does not: a
# second reminder or offer asking TAK/NIE confuses more than a missing one costs.
AT_LEAST_ONCE = frozenset({"booked", "moved", "payment_link", "payment_optional", "exact_date", "visit_link"})
SENT_WRITE_DELAYS_SECONDS = (0.2, 1.0)  # the provider took it: recording that is retried here, not the send


class Provider(Protocol):
    name: str
    deduplicates: bool

    def send(self, message: Any) -> str: ...


class SendInProgress(Exception):
    """Another attempt holds a live claim on this message; try the record again later."""


@dataclass(frozen=True)
class Outcome:
    state: str  # SENT, SKIPPED or UNKNOWN
    provider_message_id: str | None = None  # SENT: None when the provider had taken it before
    now: bool = False  # SENT: by this call (False: an earlier attempt sent it)


def send_once(outbox_id: str, message_kind: str, compose: Callable[[], Any | None], provider: Provider, *,
              sleep: Callable[[float], None] | None = None) -> Outcome:
    """Send the message queued as `outbox_id` by the rules above. `compose` gives the message, or
    None when it no longer applies. Raises ProviderError when nothing went out (or, for a kind that
    may be resent, when the answer was lost) so the record is retried; SendInProgress, see above."""
    sleep = sleep or time.sleep
    try:
        record = OutboxItem.get(outbox_id, consistent_read=True)
    except DoesNotExist:  # kept 7 days: a replay this late is about something long past
        return Outcome(SKIPPED)
    state = record.send_state
    if state == SENT:
        return Outcome(SENT, record.provider_message_id)
    if state in (SKIPPED, UNKNOWN):
        return Outcome(state)
    if state == SENDING and not _claim_expired(record):
        raise SendInProgress(outbox_id)
    resend_allowed = provider.deduplicates or message_kind in AT_LEAST_ONCE
    if state in (SENDING, UNSURE) and not resend_allowed:
        return _given_up(record, int(record.send_attempts or 0), message_kind)
    message = compose()
    if message is None:
        _settle(record, int(record.send_attempts or 0), SKIPPED)
        return Outcome(SKIPPED)
    attempt = _claim(record)
    try:
        provider_id: str | None = _call(provider, message, resend_allowed, sleep)
    except AlreadyAccepted:
        provider_id = None  # an earlier attempt's message went out: this one was refused as its duplicate
    except OutcomeUnknown:
        if not resend_allowed:
            return _given_up(record, attempt, message_kind)
        _settle(record, attempt, UNSURE)
        raise
    except ProviderError as refused:
        _release(record, attempt, str(refused))
        raise
    _record_sent(record, attempt, provider.name, provider_id, sleep)
    return Outcome(SENT, provider_id, now=True)


def _call(provider: Provider, message: Any, resend_allowed: bool, sleep: Callable[[float], None]) -> str:
    """The provider's id for the message, trying again with back-off while that cannot send twice."""
    for delay in (*RETRY_DELAYS_SECONDS, None):
        try:
            return provider.send(message)
        except AlreadyAccepted:
            raise
        except OutcomeUnknown:
            if delay is None or not resend_allowed:
                raise
        except ProviderError as error:
            if delay is None or not error.retryable:
                raise
        sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _claim_expired(record: OutboxItem) -> bool:
    return not record.claimed_at or now() - parse_iso(record.claimed_at) > timedelta(seconds=CLAIM_SECONDS)


def _unchanged_since(attempt: int) -> Any:
    return OutboxItem.send_attempts == attempt if attempt else OutboxItem.send_attempts.does_not_exist()


def _claim(record: OutboxItem) -> int:
    """Write the claim before the call; SendInProgress when another attempt claimed it first.
    When the answer to the claim is lost, the item says whether it landed: if it holds this
    attempt's claim id, nothing went out yet and the call goes ahead (a retry would find a claim
    it cannot tell from a call in flight, and settle an unsent message as `unknown`)."""
    read, claim_id = int(record.send_attempts or 0), uuid.uuid4().hex
    try:
        claimed = conditionally(lambda: record.update(actions=[
            OutboxItem.send_state.set(SENDING), OutboxItem.claimed_at.set(iso(now())),
            OutboxItem.send_attempts.set(read + 1), OutboxItem.claim_id.set(claim_id)],
            condition=_unchanged_since(read)))
    except Exception:
        if OutboxItem.get(record.outbox_id, consistent_read=True).claim_id != claim_id:
            raise
        claimed = True
    if not claimed:
        raise SendInProgress(record.outbox_id)
    return read + 1


def _settle(record: OutboxItem, attempt: int, state: str) -> None:
    """A final (or `unsure`) state; losing to another attempt that moved on is no error."""
    conditionally(lambda: record.update(actions=[OutboxItem.send_state.set(state), OutboxItem.claimed_at.remove()],
                                        condition=_unchanged_since(attempt)))


def _release(record: OutboxItem, attempt: int, error: str) -> None:
    """Nothing went out: queued again, with the refusal noted."""
    conditionally(lambda: record.update(actions=[
        OutboxItem.send_state.remove(), OutboxItem.claimed_at.remove(), OutboxItem.send_error.set(error[:200])],
        condition=_unchanged_since(attempt)))


def _given_up(record: OutboxItem, attempt: int, message_kind: str) -> Outcome:
    _settle(record, attempt, UNKNOWN)
    # Ids and the kind only. Counted by the sender functions' logs (outcome "unknown").
    logger.warning("message outcome unknown: not resent (at most once for its kind)",
                   extra={"outbox_id": record.outbox_id, "message_kind": message_kind})
    return Outcome(UNKNOWN)


def _record_sent(record: OutboxItem, attempt: int, provider: str, provider_id: str | None,
                 sleep: Callable[[float], None]) -> None:
    """The provider took it: say so, trying again on a failing write (a retry of the record would
    find the claim, and could only guess)."""
    pid = OutboxItem.provider_message_id
    actions: list[Action] = [OutboxItem.send_state.set(SENT), OutboxItem.claimed_at.remove(),
                             OutboxItem.provider.set(provider), OutboxItem.sent_at.set(iso(now())),
                             pid.set(provider_id) if provider_id else pid.remove()]
    for delay in (*SENT_WRITE_DELAYS_SECONDS, None):
        try:
            conditionally(lambda: record.update(actions=actions, condition=_unchanged_since(attempt)))
            return
        except Exception:
            if delay is None:
                raise
            sleep(delay)


def reconcile(outbox_id: str, provider: str, provider_message_id: str) -> bool:
    """A provider's report names the message by our reference (End User Messaging's context): an
    item whose send was in doubt is now known sent, so no retry sends it again. False otherwise."""
    return conditionally(lambda: OutboxItem(outbox_id).update(actions=[
        OutboxItem.send_state.set(SENT), OutboxItem.claimed_at.remove(), OutboxItem.provider.set(provider),
        OutboxItem.provider_message_id.set(provider_message_id), OutboxItem.sent_at.set(iso(now()))],
        condition=OutboxItem.send_state.is_in(SENDING, UNSURE, UNKNOWN)))
