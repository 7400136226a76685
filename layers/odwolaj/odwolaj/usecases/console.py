"""The clinic console's use cases: signing in (audited), the dashboard's figures, the facility's
staff and their invitations, the statistics settings. Every function that acts for a signed-in
person takes their session and works inside its facility only."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from pynamodb.transactions import TransactWrite

from odwolaj.adapters import cognito
from odwolaj.adapters.ses import OutboundEmail, SesMailer
from odwolaj.core.clock import now
from odwolaj.core.config import settings as deployment
from odwolaj.core.errors import Forbidden, InvalidInput, RateLimited
from odwolaj.core.transactions import apply_or_conflict
from odwolaj.data.models import AuditEntry, ConsoleSession, Facility, StaffMember
from odwolaj.language.staff_mail import invitation as invitation_mail
from odwolaj.security import audit, ratelimit, sessions, signin, staff
from odwolaj.security.audit import Actor
from odwolaj.security.facilities import get_facility
from odwolaj.security.links import link_signer
from odwolaj.stats import report
from odwolaj.stats.figures import Figures
from odwolaj.stats.settings import StatsSettings, settings_of

# Per address: Cognito locks an account after 5 failures; this keeps one address from trying many.
SIGNIN_LIMIT = (20, 15 * 60)
SIGNIN_FORM_SCOPE = "console-signin"
SIGNIN_FORM_MAX_AGE = 3600


def actor(session: ConsoleSession) -> Actor:
    return Actor(session.sub or "", session.role)


def require(session: ConsoleSession, what: str) -> None:
    if not staff.may(session.role, what):
        raise Forbidden(f"the {session.role} role may not use {what}")


# ---------------------------------------------------------------------------------------------
# Signing in


def _audited(step: signin.Step) -> signin.Step:
    user = step.user
    if user is None and step.password_set and step.record is not None:
        user = cognito.get_user(step.record.username or "")
    if user is None or not user.facility_id:
        return step
    who = Actor(user.sub, user.role)
    if step.password_set:
        audit.record(user.facility_id, who, "password_set")
    if step.totp_enabled:
        audit.record(user.facility_id, who, "totp_enabled")
    if step.kind == "signed_in":
        staff.signed_in(user)
        audit.record(user.facility_id, who, "signed_in", detail={"totp": user.totp})
    return step


def signin_form_token() -> str:
    """The sign-in form's anti-CSRF token: no session exists yet, so it is signed, not stored."""
    return link_signer().form_token(SIGNIN_FORM_SCOPE, int(now().timestamp()))


def signin_form_is_genuine(value: str | None) -> bool:
    return link_signer().check_form_token(SIGNIN_FORM_SCOPE, value or "", int(now().timestamp()),
                                          max_age=SIGNIN_FORM_MAX_AGE)


def sign_in(email: str, password: str, source_ip: str) -> signin.Step:
    if not ratelimit.hit("console-signin", source_ip, limit=SIGNIN_LIMIT[0], window_seconds=SIGNIN_LIMIT[1]):
        raise RateLimited("too many sign-in attempts from this address")
    if not email.strip() or not password:
        return signin.Step("refused", "bad_credentials")
    return _audited(signin.with_password(email, password))


def set_new_password(pending: ConsoleSession, password: str, repeated: str) -> signin.Step:
    if password != repeated:
        return signin.Step("refused", "mismatch")
    return _audited(signin.with_new_password(pending, password))


def enter_code(pending: ConsoleSession, code: str) -> signin.Step:
    return _audited(signin.with_code(pending, code))


def set_up_totp(pending: ConsoleSession, code: str) -> signin.Step:
    return _audited(signin.finish_totp_setup(pending, code))


def skip_totp(pending: ConsoleSession) -> signin.Step:
    return _audited(signin.skip_totp_setup(pending))


def sign_out(raw_id: str | None, session: ConsoleSession | None) -> None:
    sessions.end(raw_id)
    if session is not None and session.facility_id:
        cognito.sign_out_everywhere(session.username or session.sub or "")
        audit.record(session.facility_id, actor(session), "signed_out")


# ---------------------------------------------------------------------------------------------
# The dashboard


@dataclass(frozen=True)
class Dashboard:
    facility: str  # its name
    figures: Figures


def dashboard(session: ConsoleSession, first: date, last: date, scope: str = "") -> Dashboard:
    """The figures of the person's own facility (never another's: the facility is the session's)."""
    require(session, "dashboard")
    facility = get_facility(session.facility_id or "")
    figures = report.figures_for(facility, report.period(first, last), report.checked_scope(scope))
    return Dashboard(str(facility.name), figures)


def late_threshold(session: ConsoleSession) -> int:
    return settings_of(get_facility(session.facility_id or "")).late_cancellation_hours


# ---------------------------------------------------------------------------------------------
# Staff


@dataclass(frozen=True)
class Invited:
    member: StaffMember
    emailed: bool
    temporary_password: str | None  # shown to the manager only when no e-mail could carry it


def console_url() -> str:
    return f"{deployment().public_base_url}/panel"


def _deliver(session: ConsoleSession, invitation: staff.Invitation) -> Invited:
    """E-mail the invitation through SES; without a sender address (the e-mail channel is off),
    the manager is shown the temporary password to hand over in person."""
    sender = os.environ.get("MAIL_FROM_ADDRESS", "")
    if not sender:
        return Invited(invitation.member, False, invitation.temporary_password)
    subject, text = invitation_mail(facility=str(get_facility(session.facility_id or "").name),
                                    role=invitation.member.role,
                                    email=invitation.member.email, temporary_password=invitation.temporary_password,
                                    console_url=console_url())
    SesMailer(sender).send(OutboundEmail(to=invitation.member.email, subject=subject, text=text))
    return Invited(invitation.member, True, None)


def staff_list(session: ConsoleSession) -> list[StaffMember]:
    require(session, "staff")
    return staff.members(session.facility_id or "")


def invite(session: ConsoleSession, email: str, role: str) -> Invited:
    require(session, "staff")
    return _deliver(session, staff.invite(session.facility_id or "", email, role, by=actor(session)))


def resend_invitation(session: ConsoleSession, sub: str) -> Invited:
    require(session, "staff")
    return _deliver(session, staff.resend_invitation(session.facility_id or "", sub, by=actor(session)))


def change_staff(session: ConsoleSession, sub: str, action: str, role: str | None = None) -> StaffMember:
    """Disable, enable, or change the role of someone of the facility's staff."""
    require(session, "staff")
    facility_id = session.facility_id or ""
    if action in ("disable", "enable"):
        return staff.set_enabled(facility_id, sub, action == "enable", by=actor(session))
    if action == "role":
        return staff.change_role(facility_id, sub, role or "", by=actor(session))
    raise InvalidInput("unknown action", field="action")


# ---------------------------------------------------------------------------------------------
# The audit log


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: str | None
    names: dict[str, str]  # sub → e-mail address, for the manager's eyes only


def audit_log(session: ConsoleSession, before: str | None = None) -> AuditPage:
    require(session, "audit")
    if before is not None and (len(before) > 40 or "#" not in before):
        raise InvalidInput("not a position in the log", field="before")
    found, more = audit.recent(session.facility_id or "", before=before)
    names = {m.sub: m.email for m in staff.members(session.facility_id or "")}
    return AuditPage(found, more, names)


# ---------------------------------------------------------------------------------------------
# Settings


def stats_settings(session: ConsoleSession) -> StatsSettings:
    require(session, "settings")
    return settings_of(get_facility(session.facility_id or ""))


def known_services(session: ConsoleSession) -> tuple[str, ...]:
    """The services a value may be set for: those the facility's visits and lists have named."""
    require(session, "settings")
    return report.catalogue(session.facility_id or "")[0]


def save_stats_settings(session: ConsoleSession, payload: dict[str, Any]) -> StatsSettings:
    """Validated as the API validates; the change and its audit entry are one transaction."""
    require(session, "settings")
    facility_id = session.facility_id or ""
    before = settings_of(get_facility(facility_id))
    after = StatsSettings.from_payload(payload)
    if after == before:
        return after
    changed = {name: {"from": old, "to": new} for (name, old), new in
               zip(before.to_dict().items(), after.to_dict().values()) if old != new}
    entry = audit.entry(facility_id, actor(session), "settings_changed", subject="stats_settings", detail=changed)

    def write(transaction: TransactWrite) -> None:
        transaction.update(Facility(facility_id), actions=[Facility.stats_settings.set(after.to_dict())],
                           condition=Facility.facility_id.exists())
        transaction.save(entry, condition=AuditEntry.entry_key.does_not_exist())

    apply_or_conflict(write, "the settings changed meanwhile; try again")
    return after
