"""Delivery reports: what became of each SMS, whatever order the provider's reports arrive in."""
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
    at = now()
    Delivery(provider_message_id, outbox_id=outbox_id, provider=provider, status=SENT, rank=RANK[SENT],
             updated_at=iso(at), expires_at=int((at + RETENTION).timestamp())).save()


def report(provider_message_id: str, status: str | None, error: str | None = None) -> bool:
    """Apply one report; False when it is unknown, unmapped or older than what we have."""
    if status is None:
        return False
    return conditionally(lambda: Delivery(provider_message_id).update(
        actions=[Delivery.status.set(status), Delivery.rank.set(RANK[status]), Delivery.updated_at.set(iso(now())),
                 Delivery.error.set(error) if error is not None else Delivery.error.remove()],
        condition=Delivery.provider_message_id.exists() & (Delivery.rank < RANK[status]),
    ))
