"""Cognito locally: the template's user pools, clients and groups created in moto, and moto's
Cognito made to behave like the real service where the console's sign-in depends on it.

moto 5.x returns one fixed secret ("asdfasdfasdf") from AssociateSoftwareToken for every user and,
unless its server process has MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true, accepts any TOTP code;
it answers a challenge session for whichever USERNAME the answer names, lets MFA_SETUP through
without a verified token and has no lockout. `install_patch()` (called by start_moto, like the
DynamoDB serialisation) gives, in the process that runs moto:

- a random 160-bit secret per user (32 base32 characters, as Cognito's);
- VerifySoftwareToken checks the code against the secret being associated (±1 step of 30 s);
  a wrong code raises EnableSoftwareTokenMFAException, as Cognito does;
- the SOFTWARE_TOKEN_MFA challenge checks the code against the user's verified secret (±1 step);
  a wrong code raises CodeMismatchException "Invalid code or auth state for the user.";
- an answer must name the user whose session it is, and MFA_SETUP needs a verified token;
- Cognito's lockout: after 5 failed password or code attempts the user is locked for 2^(n-5) s
  (at most 15 minutes); attempts meanwhile get NotAuthorizedException "Password attempts exceeded".
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import threading
import time
from typing import Any

from odwolaj_local.template import Application, resolve

STEP = 30
FREE_ATTEMPTS = 5
MAX_LOCK_SECONDS = 900
_lock = threading.Lock()


def totp_code(secret: str, at: float | None = None) -> str:
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret, as an authenticator app shows it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // STEP)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def _matches(secret: str | None, code: str | None) -> bool:
    if not secret or not code or not code.isdigit():
        return False
    now = time.time()
    return any(hmac.compare_digest(totp_code(secret, now + d * STEP), code) for d in (-1, 0, 1))


# ---------------------------------------------------------------------------------------------
# Creating the template's pools


def create_user_pools(idp: Any, app: Application, names: dict[str, str]) -> dict[str, str]:
    """Create each AWS::Cognito::UserPool with its clients and groups from the template's properties
    (the API's names but for UserPoolName → PoolName and EnabledMfas → SetUserPoolMfaConfig);
    returns logical id → the id moto gave (what `!Ref` means)."""
    created: dict[str, str] = {}
    for logical_id, resource in app.resources("AWS::Cognito::UserPool").items():
        props = {k: resolve(v, names) for k, v in resource["Properties"].items()}
        enabled = props.pop("EnabledMfas", [])
        pool_name = props.pop("UserPoolName", names[logical_id])
        pool_id = idp.create_user_pool(PoolName=pool_name, **props)["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration=props.get("MfaConfiguration", "OFF"),
                                     SoftwareTokenMfaConfiguration={"Enabled": "SOFTWARE_TOKEN_MFA" in enabled})
        created[logical_id] = pool_id
    for logical_id, resource in app.resources("AWS::Cognito::UserPoolClient").items():
        props = dict(resource["Properties"])
        pool_id = created[props.pop("UserPoolId")["Ref"]]
        client_name = resolve(props.pop("ClientName", names[logical_id]), names)
        created[logical_id] = idp.create_user_pool_client(UserPoolId=pool_id, ClientName=client_name,
                                                          **props)["UserPoolClient"]["ClientId"]
    for resource in app.resources("AWS::Cognito::UserPoolGroup").values():
        props = dict(resource["Properties"])
        idp.create_group(UserPoolId=created[props.pop("UserPoolId")["Ref"]], **props)
    return created


# ---------------------------------------------------------------------------------------------
# The patch


def install_patch() -> None:
    from moto.cognitoidp import models
    from moto.cognitoidp.exceptions import CodeMismatchException, NotAuthorizedError
    from moto.core.exceptions import JsonRESTError

    backend_cls = models.CognitoIdpBackend
    if getattr(backend_cls, "_odwolaj_patched", False):
        return

    class EnableSoftwareTokenMFAException(JsonRESTError):
        def __init__(self) -> None:
            super().__init__("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")

    models.get_cognito_idp_user_pool_enable_totp = lambda: False  # the checks below replace moto's
    associate, verify = backend_cls.associate_software_token, backend_cls.verify_software_token
    respond = backend_cls.respond_to_auth_challenge
    initiate, admin_initiate = backend_cls.initiate_auth, backend_cls.admin_initiate_auth

    def user_of(backend, access_token, session):
        if session:
            if session not in backend.sessions:
                raise NotAuthorizedError("Invalid session for the user.")
            username, pool = backend.sessions[session]
            return backend.admin_get_user(pool.id, username)
        for pool in backend.user_pools.values():
            if access_token in pool.access_tokens:
                return backend.admin_get_user(pool.id, pool.access_tokens[access_token][1])
        raise NotAuthorizedError("Invalid Access Token")

    def check_not_locked(user) -> None:
        if time.time() < getattr(user, "locked_until", 0.0):
            raise NotAuthorizedError("Password attempts exceeded")

    def failed(user) -> None:
        with _lock:
            user.failed_attempts = getattr(user, "failed_attempts", 0) + 1
            if user.failed_attempts >= FREE_ATTEMPTS:
                user.locked_until = time.time() + min(2 ** (user.failed_attempts - FREE_ATTEMPTS), MAX_LOCK_SECONDS)

    def succeeded(user) -> None:
        user.failed_attempts, user.locked_until = 0, 0.0

    def associate_software_token(self, access_token, session):
        result = associate(self, access_token, session)
        user = user_of(self, access_token, session)
        user.pending_totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
        return {**result, "SecretCode": user.pending_totp_secret}

    def verify_software_token(self, access_token, session, user_code, friendly_device_name):
        user = user_of(self, access_token, session)
        if not _matches(getattr(user, "pending_totp_secret", None), user_code):
            raise EnableSoftwareTokenMFAException()
        result = verify(self, access_token, session, user_code, friendly_device_name)
        user.totp_secret = user.pending_totp_secret  # Cognito swaps secrets once the new one verifies
        del user.pending_totp_secret
        return result

    def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
        user = None
        if challenge_name in ("SOFTWARE_TOKEN_MFA", "MFA_SETUP") and session in self.sessions:
            username, pool = self.sessions[session]
            user = self.admin_get_user(pool.id, username)
            if pool._get_user(challenge_responses.get("USERNAME") or "") is not user:
                raise NotAuthorizedError("Invalid session for the user.")
            if challenge_name == "MFA_SETUP" and not user.token_verified:
                raise NotAuthorizedError("Invalid session for the user.")
            if challenge_name == "SOFTWARE_TOKEN_MFA":
                check_not_locked(user)
                if not _matches(getattr(user, "totp_secret", None), challenge_responses.get("SOFTWARE_TOKEN_MFA_CODE")):
                    failed(user)
                    raise CodeMismatchException("Invalid code or auth state for the user.")
        result = respond(self, session, client_id, challenge_name, challenge_responses)
        if user is not None and "AuthenticationResult" in result:
            succeeded(user)
        return result

    def guarded(original, pool_of):
        def sign_in(self, *args):  # moto calls these positionally; AuthParameters come last
            params = args[-1] or {}
            pool = pool_of(self, *args)
            user = pool._get_user(params.get("USERNAME", "")) if pool and "PASSWORD" in params else None
            if user is None:
                return original(self, *args)
            check_not_locked(user)
            try:
                result = original(self, *args)
            except NotAuthorizedError:
                if user.enabled:
                    failed(user)
                raise
            if "AuthenticationResult" in result:
                succeeded(user)
            return result
        return sign_in

    def pool_of_client(self, client_id, *_):
        return next((p for p in self.user_pools.values() if client_id in p.clients), None)

    def pool_by_id(self, user_pool_id, *_):
        return self.user_pools.get(user_pool_id)

    backend_cls.associate_software_token = associate_software_token
    backend_cls.verify_software_token = verify_software_token
    backend_cls.respond_to_auth_challenge = respond_to_auth_challenge
    backend_cls.initiate_auth = guarded(initiate, pool_of_client)
    backend_cls.admin_initiate_auth = guarded(admin_initiate, pool_by_id)
    backend_cls._odwolaj_patched = True
