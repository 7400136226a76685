"""Delivery reports: what became of each SMS, whatever order the provider's reports arrive in, and
whether the send was recorded yet or not: a report that comes first is kept (a Delivery without
outbox id), and the send's record, when it comes, fills in what it knows without moving the
status back."""
from __future__ import annotations

from datetime import timedelta

from odwolaj.core.clock import iso, now
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Delivery
from odwolaj.data.status import DELIVERED, FAILED, SENT

RETENTION = timedelta(days=90)
# Provider statuses mapped to ours, with a rank: a later report of a lower rank changes nothing.
RANK = {SENT: 1, DELIVERED: 2, FAILED: 2}
TWILIO = {"queued": SENT, "accepted": SENT, "sending": SENT, "sent": SENT, "delivered": DELIVERED,
          "undelivered": FAILED, "failed": FAILED}
# AWS End User Messaging SMS event types (SUCCESSFUL: the carrier took it; DELIVERED: the handset).
END_USER_MESSAGING = {"TEXT_PENDING": SENT, "TEXT_QUEUED": SENT, "TEXT_SUCCESSFUL": SENT, "TEXT_DELIVERED": DELIVERED,
                      **{f"TEXT_{failure}": FAILED for failure in (
                          "INVALID", "INVALID_MESSAGE", "UNREACHABLE", "CARRIER_UNREACHABLE", "BLOCKED",
                          "CARRIER_BLOCKED", "SPAM", "UNKNOWN", "TTL_EXPIRED", "PROTECT_BLOCKED")}}
# SMSAPI.pl report codes (its "Lista statusów doręczenia").
SMSAPI = {"403": SENT, "409": SENT, "410": SENT, "404": DELIVERED, "402": FAILED, "405": FAILED, "406": FAILED,
          "407": FAILED}


def record_sent(provider: str, provider_message_id: str, outbox_id: str) -> None:
    """The send's record: idempotent, and a report kept before it keeps its status."""
    at = now()
    Delivery(provider_message_id).update(actions=[
        Delivery.outbox_id.set(outbox_id), Delivery.provider.set(provider),
        Delivery.status.set(Delivery.status | SENT), Delivery.rank.set(Delivery.rank | RANK[SENT]),
        Delivery.updated_at.set(Delivery.updated_at | iso(at)),
        Delivery.expires_at.set(Delivery.expires_at | int((at + RETENTION).timestamp())),
    ])


def report(provider_message_id: str, status: str | None, error: str | None = None) -> bool:
    """Apply one report; False when it is unmapped or older than what we have. A report for a
    message whose send is not recorded yet is kept for it."""
    if status is None or not provider_message_id:
        return False
    at = now()
    return conditionally(lambda: Delivery(provider_message_id).update(
        actions=[Delivery.status.set(status), Delivery.rank.set(RANK[status]), Delivery.updated_at.set(iso(at)),
                 Delivery.error.set(error) if error is not None else Delivery.error.remove(),
                 Delivery.expires_at.set(Delivery.expires_at | int((at + RETENTION).timestamp()))],
        condition=Delivery.rank.does_not_exist() | (Delivery.rank < RANK[status]),
    ))
