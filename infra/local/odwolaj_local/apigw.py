"""API Gateway HTTP API (payload format 2.0) events and route matching, as AWS builds them."""
from __future__ import annotations

import base64
import re
import time
import uuid
from urllib.parse import parse_qsl

from odwolaj_local.template import Route


def _pattern(path: str) -> re.Pattern:
    regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(f"^{regex}$")


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would pick: exact method before ANY, static paths before greedy, and
    the $default route (if the template has one) when nothing else matches."""
    candidates = []
    for route in routes:
        if route.is_default:
            continue
        found = _pattern(route.path).match(path)
        if found and route.method in (method, "ANY"):
            candidates.append((route.method == "ANY", "{" in route.path, route, found.groupdict()))
    if not candidates:
        fallback = [route for route in routes if route.is_default]
        return (fallback[0], {}) if fallback else None
    candidates.sort(key=lambda c: (c[0], c[1]))
    return candidates[0][2], candidates[0][3]


def build_event(route: Route, path_parameters: dict[str, str], method: str, path: str, *,
                query: str = "", headers: dict[str, str] | None = None, body: bytes = b"",
                source_ip: str = "127.0.0.1") -> dict:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    text_types = ("application/json", "application/x-www-form-urlencoded", "text/")
    # A body that says it is text but is not UTF-8 cannot travel in a JSON event as text: base64, as
    # for binary; the function decides what to answer (not the runner dropping the connection).
    is_text = any(t in headers.get("content-type", "") for t in text_types) and _is_utf8(body)
    event = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": uuid.uuid4().hex,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": bool(body) and not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode()
    return event


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def response_body(response: dict) -> bytes:
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
