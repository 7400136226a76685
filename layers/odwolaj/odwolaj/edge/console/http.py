"""What every console page answers alike: the security headers (no script, only the console's
own stylesheet, never framed or cached), HTML answers and redirects, and the cookies: `__Host-`
names, so only this host over HTTPS may set them, HttpOnly and SameSite=Strict."""
from __future__ import annotations

import base64
import hashlib
from importlib.resources import files

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

STYLE = files("odwolaj.edge.console").joinpath("console.css").read_text(encoding="utf-8")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SESSION_COOKIE = "__Host-odwolaj-panel"
SIGNIN_COOKIE = "__Host-odwolaj-logowanie"


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; "
                                    "frame-ancestors 'none'; base-uri 'none'"),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def cookie(name: str, value: str) -> Cookie:
    """A cookie for this host only (`__Host-`: Secure, Path=/, no Domain), unreadable by scripts,
    never sent with a request another site starts. No Max-Age: the server decides when it ends."""
    return Cookie(name, value, path="/", secure=True, http_only=True, same_site=SameSite.STRICT_MODE)


def cleared(name: str) -> Cookie:
    return Cookie(name, "", path="/", secure=True, http_only=True, same_site=SameSite.STRICT_MODE, max_age=0)


def html(status: int, body: str, *, cookies: list[Cookie] | None = None, **extra_headers: str) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body,
                    headers=security_headers() | extra_headers, cookies=cookies or [])


def see_other(location: str, *, cookies: list[Cookie] | None = None) -> Response:
    return html(303, "", cookies=cookies, Location=location)


def download(body: bytes | str, content_type: str, filename: str) -> Response:
    return Response(status_code=200, content_type=content_type, body=body,
                    headers={**security_headers(), "Content-Disposition": f'attachment; filename="{filename}"'})


def cookie_value(cookies: list[str] | None, name: str) -> str | None:
    """The value of a cookie the browser sent (API Gateway gives them as `name=value` strings)."""
    for raw in cookies or []:
        for part in raw.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
    return None
