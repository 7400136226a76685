"""Twilio's request signature, computed as Twilio documents it (and as its SDK's RequestValidator
does; tests check against the SDK). The `twilio` package itself stays out of the Lambda package:
it imports aiohttp, which slows every cold start."""
from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs


def signature(auth_token: str, url: str, params: dict[str, list[str]]) -> str:
    payload = url + "".join(name + value for name in sorted(params) for value in sorted(set(params[name])))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def form_params(body: str) -> dict[str, list[str]]:
    return parse_qs(body, keep_blank_values=True)


def is_valid(auth_token: str, url: str, params: dict[str, list[str]], header: str | None) -> bool:
    if not auth_token:
        raise RuntimeError("the Twilio auth token is not configured")  # fail closed, loudly
    if not header:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged header may have them).
    return hmac.compare_digest(signature(auth_token, url, params).encode(), header.encode("utf-8", "replace"))
