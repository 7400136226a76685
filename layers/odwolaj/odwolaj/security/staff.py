"""A facility's staff: who may sign in to the console, in which role, and what each role may do.

A person is a Cognito user (its `sub`) with the facility in `custom:facility_id` (immutable) and
one group, `manager` or `reception`; the facility's list lives in StaffMember items, because
Cognito cannot list users by a custom attribute. Every change is audited with who made it.
Everything here is reached through a facility id: another facility's people are not found.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from odwolaj.adapters import cognito
from odwolaj.core.clock import iso, now
from odwolaj.core.errors import Conflict, InvalidInput, NotFound
from odwolaj.core.validation import choice, email as email_address
from odwolaj.data.models import StaffMember
from odwolaj.security import audit
from odwolaj.security.audit import Actor

MANAGER, RECEPTION = cognito.MANAGER_GROUP, cognito.RECEPTION_GROUP
ROLES = (MANAGER, RECEPTION)
INVITED, ACTIVE, DISABLED = "invited", "active", "disabled"
# What each part of the console needs. Part 2 (waiting list, today's board, bookings) adds its own.
PERMISSIONS = {
    "dashboard": frozenset({MANAGER, RECEPTION}),
    "staff": frozenset({MANAGER}),
    "audit": frozenset({MANAGER}),
    "settings": frozenset({MANAGER}),
    "waiting_list": frozenset({MANAGER, RECEPTION}),
    "today": frozenset({MANAGER, RECEPTION}),
    # Manual bookings and the CSV import: reception books visits in a clinic without an integration.
    "bookings": frozenset({MANAGER, RECEPTION}),
}


def may(role: str | None, what: str) -> bool:
    return role in PERMISSIONS[what]


def temporary_password() -> str:
    """16 characters meeting the pool's policy (upper and lower case, digits), without look-alikes."""
    upper, lower, digits = "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789"
    chosen = [secrets.choice(upper) for _ in range(5)] + [secrets.choice(lower) for _ in range(6)] + \
        [secrets.choice(digits) for _ in range(5)]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


class AlreadyOnStaff(InvalidInput):
    code = "already_on_staff"


class AccountExists(InvalidInput):
    """The address has a Cognito account already (here or at another facility)."""

    code = "account_exists"


@dataclass(frozen=True)
class Invitation:
    member: StaffMember
    temporary_password: str  # sent to the person, shown once; never stored by us


def members(facility_id: str) -> list[StaffMember]:
    return sorted(StaffMember.query(facility_id), key=lambda m: (m.role != MANAGER, m.email))


def member(facility_id: str, sub: str) -> StaffMember:
    try:
        return StaffMember.get(facility_id, sub)
    except DoesNotExist:
        raise NotFound("no such person on this facility's staff") from None


def invite(facility_id: str, address: str, role: str, *, by: Actor) -> Invitation:
    """Create the person's account (a temporary password they change at first sign-in)."""
    address = (email_address(address, "email") or "").lower()
    role = choice(role, "role", ROLES)
    if any(m.email == address for m in members(facility_id)):
        raise AlreadyOnStaff("this address is already on the facility's staff", field="email")
    password = temporary_password()
    try:
        user = cognito.create_user(address, facility_id, password)
    except Exception as error:
        if cognito.code_of(error) == "UsernameExistsException":
            raise AccountExists("this address already has an account", field="email") from None
        raise
    cognito.set_role(user.username, role)
    at = iso(now())
    person = StaffMember(facility_id=facility_id, sub=user.sub, email=address, role=role, status=INVITED,
                         totp=False, invited_by=by.sub, invited_at=at, updated_at=at)
    person.save()
    audit.record(facility_id, by, "staff_invited", subject=user.sub, detail={"role": role})
    return Invitation(person, password)


def resend_invitation(facility_id: str, sub: str, *, by: Actor) -> Invitation:
    """A new temporary password for someone who has not signed in yet."""
    person = member(facility_id, sub)
    if person.status != INVITED:
        raise Conflict("this person has already signed in; they can change their own password")
    password = temporary_password()
    cognito.set_password(sub, password, permanent=False)
    audit.record(facility_id, by, "invitation_resent", subject=sub)
    return Invitation(person, password)


def _not_yourself(sub: str, by: Actor) -> None:
    if sub == by.sub:
        raise Conflict("you cannot change your own access; ask another manager")


def set_enabled(facility_id: str, sub: str, enabled: bool, *, by: Actor) -> StaffMember:
    """Disable (they are signed out everywhere, and the console ends their sessions at its next
    check) or enable again."""
    person = member(facility_id, sub)
    _not_yourself(sub, by)
    cognito.set_enabled(sub, enabled)
    if not enabled:
        cognito.sign_out_everywhere(sub)
    status = (ACTIVE if person.last_sign_in_at else INVITED) if enabled else DISABLED
    person.update(actions=[StaffMember.status.set(status), StaffMember.updated_at.set(iso(now()))])
    audit.record(facility_id, by, "staff_enabled" if enabled else "staff_disabled", subject=sub)
    return person


def change_role(facility_id: str, sub: str, role: str, *, by: Actor) -> StaffMember:
    person = member(facility_id, sub)
    role = choice(role, "role", ROLES)
    _not_yourself(sub, by)
    if role == person.role:
        return person
    cognito.set_role(sub, role)
    previous = person.role
    person.update(actions=[StaffMember.role.set(role), StaffMember.updated_at.set(iso(now()))])
    audit.record(facility_id, by, "staff_role_changed", subject=sub, detail={"from": previous, "to": role})
    return person


def signed_in(user: cognito.User) -> None:
    """Their directory entry after a sign-in: active, when, and whether TOTP is on."""
    if user.facility_id is None:
        return
    at = iso(now())
    StaffMember(user.facility_id, user.sub).update(actions=[
        StaffMember.status.set(ACTIVE), StaffMember.last_sign_in_at.set(at), StaffMember.totp.set(user.totp),
        StaffMember.updated_at.set(at)], condition=StaffMember.sub.exists())
