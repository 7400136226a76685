"""Console sessions in DynamoDB, behind a random id in an HttpOnly cookie.

The browser holds 32 random bytes (base64url); only their SHA-256 keys the item, so the table
never holds a usable cookie. Two kinds share the table: `signin` (half-way through signing in:
the Cognito challenge and, while TOTP is being set up, the access token and the new secret;
lives as long as Cognito's challenge) and `session` (signed in). A session ends after 30 minutes
without a request, after 12 hours in any case, at sign-out, and at the first check (every 5
minutes) that finds the person disabled, moved to another role or facility, or deleted.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from odwolaj.adapters import cognito
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.data.models import ConsoleSession

SESSION, SIGNIN = "session", "signin"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
RECHECK = timedelta(minutes=5)
TOUCH = timedelta(minutes=1)  # last_seen moves at most this often: one write a minute, not per request
# A challenge lives as long as Cognito's (AuthSessionValidity: 5 minutes); setting up TOTP as long
# as the access token it needs (15 minutes).
SIGNIN_LIFETIME = {"new_password": timedelta(minutes=5), "totp": timedelta(minutes=5),
                   "totp_setup": timedelta(minutes=15), "totp_offer": timedelta(minutes=15)}


def new_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def key_of(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def _csrf() -> str:
    return secrets.token_urlsafe(24)


def form_is_genuine(record: ConsoleSession, value: str | None) -> bool:
    """The form carries this session's (or sign-in's) token."""
    return bool(value) and hmac.compare_digest(record.csrf.encode(), (value or "").encode())


def _get(raw_id: str | None, kind: str) -> ConsoleSession | None:
    if not raw_id or len(raw_id) > 64:
        return None
    try:
        record = ConsoleSession.get(key_of(raw_id), consistent_read=True)
    except DoesNotExist:
        return None
    # The table's TTL deletes lazily (up to days late): the expiry is checked here.
    if record.kind != kind or record.expires_at <= now().timestamp():
        return None
    return record


def end(raw_id: str | None) -> None:
    if raw_id and len(raw_id) <= 64:
        ConsoleSession(key_of(raw_id)).delete()


# ---------------------------------------------------------------------------------------------
# Signing in


def start_signin(step: str, username: str, *, challenge_session: str | None = None, access_token: str | None = None,
                 totp_secret: str | None = None, email: str | None = None) -> tuple[str, ConsoleSession]:
    """A sign-in record for the next step; (the cookie's id, the record). `email` labels the TOTP
    secret in the authenticator app."""
    raw_id, at = new_id(), now()
    record = ConsoleSession(key_of(raw_id), kind=SIGNIN, csrf=_csrf(), created_at=iso(at),
                            expires_at=int((at + SIGNIN_LIFETIME[step]).timestamp()), username=username, step=step,
                            challenge_session=challenge_session, access_token=access_token, totp_secret=totp_secret,
                            email=email)
    record.save()
    return raw_id, record


def signin(raw_id: str | None) -> ConsoleSession | None:
    return _get(raw_id, SIGNIN)


# ---------------------------------------------------------------------------------------------
# Signed in


def open_session(user: cognito.User) -> tuple[str, ConsoleSession]:
    raw_id, at = new_id(), now()
    record = ConsoleSession(key_of(raw_id), kind=SESSION, csrf=_csrf(), created_at=iso(at),
                            expires_at=int((at + ABSOLUTE).timestamp()), username=user.username, sub=user.sub,
                            facility_id=user.facility_id, role=user.role, email=user.email, totp=user.totp,
                            last_seen_at=iso(at), checked_at=iso(at))
    record.save()
    return raw_id, record


def _still_valid(record: ConsoleSession, at: datetime) -> bool:
    """Cognito still has the person enabled, in the same role and facility."""
    try:
        user = cognito.get_user(record.username or record.sub or "")
    except Exception as error:
        if cognito.code_of(error) == "UserNotFoundException":
            return False
        raise
    return user.enabled and user.role == record.role and user.facility_id == record.facility_id


def current(raw_id: str | None) -> ConsoleSession | None:
    """The signed-in session the cookie names, or None (no cookie, unknown, idle too long, past its
    end, or the person lost their access: then the session is deleted)."""
    record = _get(raw_id, SESSION)
    if record is None:
        return None
    at = now()
    if at - parse_iso(record.last_seen_at or record.created_at) > IDLE:
        record.delete()
        return None
    actions: list[Action] = []
    if at - parse_iso(record.checked_at or record.created_at) > RECHECK:
        if not _still_valid(record, at):
            record.delete()
            return None
        actions.append(ConsoleSession.checked_at.set(iso(at)))
    if at - parse_iso(record.last_seen_at or record.created_at) > TOUCH:
        actions.append(ConsoleSession.last_seen_at.set(iso(at)))
    if actions:
        record.update(actions=actions)
    return record
