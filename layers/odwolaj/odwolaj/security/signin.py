"""Staff sign-in: e-mail and password, then (a first time) a new password, then the TOTP code, or
setting TOTP up: Cognito's ADMIN_USER_PASSWORD_AUTH flow, answered by the console server-side.

The pool's MFA is OPTIONAL; the console requires TOTP of managers itself: a manager without it
gets only its set-up, and a session only after a verified code. Reception is offered the set-up
and may skip it. The Cognito challenge session, username and tokens stay in the server-side
sign-in record (odwolaj.security.sessions); the username is always taken from that record, never
from a form. Cognito's messages are never logged or shown (they can quote the e-mail address).
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from odwolaj.adapters import cognito
from odwolaj.data.models import ConsoleSession
from odwolaj.security import sessions

ISSUER = "Odwołaj"


@dataclass(frozen=True)
class Step:
    """Where signing in is now. `kind`: signed_in (a session was opened), new_password, totp,
    totp_setup, totp_offer (a sign-in record holds the state), or refused with a `reason`:
    bad_credentials, locked, bad_code, weak_password, expired, no_access."""

    kind: str
    reason: str = ""
    cookie: str | None = None  # the new record's or session's id, for the cookie
    record: ConsoleSession | None = None
    user: cognito.User | None = None
    password_set: bool = False  # this step replaced a temporary password
    totp_enabled: bool = False  # this step turned TOTP on


def _refused(error: Exception) -> Step:
    code = cognito.code_of(error)
    if cognito.is_lockout(error):
        return Step("refused", "locked")
    if code in ("CodeMismatchException", "EnableSoftwareTokenMFAException"):
        return Step("refused", "bad_code")
    if code == "InvalidPasswordException":
        return Step("refused", "weak_password")
    if code in ("ExpiredCodeException", "ResourceNotFoundException") or cognito.is_stale_session(error):
        return Step("refused", "expired")
    if code in ("NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException"):
        return Step("refused", "bad_credentials")  # also a disabled account: nothing to tell a stranger
    raise error


def _after(answer: cognito.Answer, *, mfa: bool, password_set: bool = False) -> Step:
    """The step that follows Cognito's answer."""
    username = answer.username or ""
    if answer.challenge == "NEW_PASSWORD_REQUIRED":
        raw, record = sessions.start_signin("new_password", username, challenge_session=answer.session)
        return Step("new_password", cookie=raw, record=record)
    if answer.challenge == "SOFTWARE_TOKEN_MFA":
        raw, record = sessions.start_signin("totp", username, challenge_session=answer.session)
        return Step("totp", cookie=raw, record=record, password_set=password_set)
    if answer.challenge or not answer.access_token:
        return Step("refused", "expired")  # a challenge this pool does not ask (MFA_SETUP with MFA ON, ...)
    user = cognito.get_user(username)
    if user.role is None or not user.facility_id:
        return Step("refused", "no_access")
    if not user.totp and not mfa:
        # TOTP: managers must set it up now; reception is offered it.
        step = "totp_setup" if user.role == cognito.MANAGER_GROUP else "totp_offer"
        raw, record = sessions.start_signin(step, username, access_token=answer.access_token,
                                            totp_secret=cognito.associate_software_token(answer.access_token),
                                            email=user.email)
        return Step(step, cookie=raw, record=record, user=user, password_set=password_set)
    raw, record = sessions.open_session(user)
    return Step("signed_in", cookie=raw, record=record, user=user, password_set=password_set)


def with_password(email: str, password: str) -> Step:
    try:
        answer = cognito.sign_in(email.strip().lower(), password)
    except Exception as error:
        return _refused(error)
    return _after(answer, mfa=False)


def _answer(pending: ConsoleSession, challenge: str, responses: dict[str, str], *, mfa: bool,
            password_set: bool = False) -> Step:
    try:
        answer = cognito.respond(challenge, pending.username or "", pending.challenge_session or "", responses)
    except Exception as error:
        return _refused(error)
    pending.delete()
    return _after(answer, mfa=mfa, password_set=password_set)


def with_new_password(pending: ConsoleSession, password: str) -> Step:
    return _answer(pending, "NEW_PASSWORD_REQUIRED", {"NEW_PASSWORD": password}, mfa=False, password_set=True)


def with_code(pending: ConsoleSession, code: str) -> Step:
    return _answer(pending, "SOFTWARE_TOKEN_MFA", {"SOFTWARE_TOKEN_MFA_CODE": _digits(code)}, mfa=True)


def _digits(code: str) -> str:
    return "".join(c for c in code if c.isdigit())[:6]


def finish_totp_setup(pending: ConsoleSession, code: str) -> Step:
    """The first code from the new secret turns TOTP on and opens the session."""
    try:
        cognito.verify_software_token(pending.access_token or "", _digits(code))
    except Exception as error:
        return _refused(error)
    cognito.prefer_totp(pending.username or "")
    pending.delete()
    user = cognito.get_user(pending.username or "")
    raw, record = sessions.open_session(user)
    return Step("signed_in", cookie=raw, record=record, user=user, totp_enabled=True)


def skip_totp_setup(pending: ConsoleSession) -> Step:
    """Reception may go on without TOTP (offered again at the next sign-in); managers may not."""
    user = cognito.get_user(pending.username or "")
    if user.role == cognito.MANAGER_GROUP:
        return Step("refused", "no_access")
    pending.delete()
    raw, record = sessions.open_session(user)
    return Step("signed_in", cookie=raw, record=record, user=user)


def otpauth_uri(secret: str, email: str) -> str:
    """What an authenticator app reads from the QR code (or a tap on a phone)."""
    label = urllib.parse.quote(f"{ISSUER}:{email}", safe=":@")
    return f"otpauth://totp/{label}?" + urllib.parse.urlencode({"secret": secret, "issuer": ISSUER, "digits": 6,
                                                                "period": 30})
