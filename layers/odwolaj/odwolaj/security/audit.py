"""The audit log of the console: every change with who made it (a Cognito `sub`, never an e-mail
address) and when, readable by the facility's manager. An entry is written in the same
transaction as the change when the change is a DynamoDB write (`entry` + the caller's
transaction), right after it otherwise (Cognito changes)."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from odwolaj.core.clock import iso, now
from odwolaj.data.models import AuditEntry

SYSTEM = "odwolaj-admin"  # changes made with the admin command, not by a person signed in
# What an entry may record (odwolaj.edge.console says each in Polish).
ACTIONS = ("signed_in", "signed_out", "password_set", "totp_enabled", "staff_invited", "invitation_resent",
           "staff_disabled", "staff_enabled", "staff_role_changed", "settings_changed",
           # the waiting list, today's board and manual bookings (issue 15)
           "waiting_entry_added", "waiting_entry_struck_off", "planned_date_changed", "visit_attended",
           "visit_no_show", "visit_booked", "visits_imported", "offers_resumed")
PAGE = 50


@dataclass(frozen=True)
class Actor:
    sub: str
    role: str | None = None


def entry(facility_id: str, actor: Actor, action: str, *, subject: str | None = None,
          detail: dict[str, Any] | None = None) -> AuditEntry:
    """The entry for a change (not yet written): for a caller's transaction, or `record`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    at = now()
    return AuditEntry(facility_id=facility_id, entry_key=f"{iso(at)}#{secrets.token_hex(4)}", at=iso(at),
                      actor=actor.sub, actor_role=actor.role, action=action, subject=subject,
                      detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None)


def record(facility_id: str, actor: Actor, action: str, *, subject: str | None = None,
           detail: dict[str, Any] | None = None) -> AuditEntry:
    written = entry(facility_id, actor, action, subject=subject, detail=detail)
    written.save(condition=AuditEntry.entry_key.does_not_exist())
    return written


def find(facility_id: str, entry_key: str) -> AuditEntry | None:
    """One entry of the facility (None for none, or another facility's key)."""
    try:
        return AuditEntry.get(facility_id, entry_key)
    except AuditEntry.DoesNotExist:
        return None


def recent(facility_id: str, *, before: str | None = None, limit: int = PAGE) -> tuple[list[AuditEntry], str | None]:
    """The facility's entries, newest first, a page at a time: (entries, the key to continue from)."""
    last_key = {"facility_id": {"S": facility_id}, "entry_key": {"S": before}} if before else None
    query = AuditEntry.query(facility_id, scan_index_forward=False, limit=limit, last_evaluated_key=last_key)
    found = list(query)
    more = query.last_evaluated_key
    return found, (more["entry_key"]["S"] if more else None)
