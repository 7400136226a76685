"""Amazon Cognito: the staff user pool, through the Admin* API with the function's IAM role (the
app client has no secret and the browser never talks to Cognito). The pool and client ids come
from the environment the template sets (STAFF_USER_POOL_ID, STAFF_USER_POOL_CLIENT_ID).

Cognito's error messages can quote the user's e-mail address: callers look at `code_of(error)`
(and `is_lockout`), never log the message.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from odwolaj.adapters.aws import client

MANAGER_GROUP = "manager"
RECEPTION_GROUP = "reception"
FACILITY_ATTRIBUTE = "custom:facility_id"


def _pool() -> str:
    return os.environ["STAFF_USER_POOL_ID"]


def _idp() -> Any:
    return client("cognito-idp")


def code_of(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(error).__name__))


def _refusal_says(error: Exception, words: str) -> bool:
    message = str((getattr(error, "response", None) or {}).get("Error", {}).get("Message", ""))
    return code_of(error) == "NotAuthorizedException" and words in message.lower()


def is_lockout(error: Exception) -> bool:
    """Cognito's answer while a user is locked out after repeated failures."""
    return _refusal_says(error, "attempts exceeded")


def is_stale_session(error: Exception) -> bool:
    """The challenge's session expired or is not this user's ("Invalid session for the user.")."""
    return _refusal_says(error, "session")


@dataclass(frozen=True)
class Answer:
    """What Cognito answered a sign-in step: a challenge (with its session), or tokens."""

    challenge: str | None
    session: str | None
    username: str | None  # the pool's own username (Cognito's USER_ID_FOR_SRP)
    access_token: str | None


def _answer(response: dict[str, Any], username: str | None) -> Answer:
    parameters = response.get("ChallengeParameters") or {}
    result = response.get("AuthenticationResult") or {}
    return Answer(response.get("ChallengeName"), response.get("Session"),
                  parameters.get("USER_ID_FOR_SRP") or username, result.get("AccessToken"))


def sign_in(email: str, password: str) -> Answer:
    response = _idp().admin_initiate_auth(
        UserPoolId=_pool(), ClientId=os.environ["STAFF_USER_POOL_CLIENT_ID"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password})
    return _answer(response, email)


def respond(challenge: str, username: str, session: str, responses: dict[str, str]) -> Answer:
    response = _idp().admin_respond_to_auth_challenge(
        UserPoolId=_pool(), ClientId=os.environ["STAFF_USER_POOL_CLIENT_ID"], ChallengeName=challenge,
        Session=session, ChallengeResponses={"USERNAME": username, **responses})
    return _answer(response, username)


def associate_software_token(access_token: str) -> str:
    """A new TOTP secret (base32) for the signed-in user; active once verified."""
    return str(_idp().associate_software_token(AccessToken=access_token)["SecretCode"])


def verify_software_token(access_token: str, code: str) -> None:
    _idp().verify_software_token(AccessToken=access_token, UserCode=code, FriendlyDeviceName="Odwołaj")


def prefer_totp(username: str) -> None:
    _idp().admin_set_user_mfa_preference(UserPoolId=_pool(), Username=username,
                                         SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})


@dataclass(frozen=True)
class User:
    username: str
    sub: str
    email: str
    facility_id: str | None
    role: str | None  # manager, reception, or None: no console role
    enabled: bool
    totp: bool


def get_user(username: str) -> User:
    found = _idp().admin_get_user(UserPoolId=_pool(), Username=username)
    attributes = {a["Name"]: a["Value"] for a in found.get("UserAttributes", [])}
    groups = {g["GroupName"] for g in _idp().admin_list_groups_for_user(UserPoolId=_pool(),
                                                                          Username=username)["Groups"]}
    role = MANAGER_GROUP if MANAGER_GROUP in groups else RECEPTION_GROUP if RECEPTION_GROUP in groups else None
    return User(found["Username"], attributes["sub"], attributes.get("email", ""), attributes.get(FACILITY_ATTRIBUTE),
                role, bool(found.get("Enabled", True)), "SOFTWARE_TOKEN_MFA" in (found.get("UserMFASettingList") or []))


def create_user(email: str, facility_id: str, temporary_password: str) -> User:
    """A new user who must set their own password at first sign-in; no message from Cognito (the
    console sends its own invitation)."""
    created = _idp().admin_create_user(
        UserPoolId=_pool(), Username=email, TemporaryPassword=temporary_password, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                        {"Name": FACILITY_ATTRIBUTE, "Value": facility_id}])["User"]
    attributes = {a["Name"]: a["Value"] for a in created.get("Attributes", [])}
    return User(created["Username"], attributes["sub"], email, facility_id, None, True, False)


def set_role(username: str, role: str) -> None:
    """The user's one console role: added to its group, removed from the other."""
    for group in (MANAGER_GROUP, RECEPTION_GROUP):
        if group == role:
            _idp().admin_add_user_to_group(UserPoolId=_pool(), Username=username, GroupName=group)
        else:
            _idp().admin_remove_user_from_group(UserPoolId=_pool(), Username=username, GroupName=group)


def set_password(username: str, password: str, *, permanent: bool) -> None:
    _idp().admin_set_user_password(UserPoolId=_pool(), Username=username, Password=password, Permanent=permanent)


def set_enabled(username: str, enabled: bool) -> None:
    if enabled:
        _idp().admin_enable_user(UserPoolId=_pool(), Username=username)
    else:
        _idp().admin_disable_user(UserPoolId=_pool(), Username=username)


def sign_out_everywhere(username: str) -> None:
    _idp().admin_user_global_sign_out(UserPoolId=_pool(), Username=username)
