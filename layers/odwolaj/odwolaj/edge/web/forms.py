"""Reading a posted form, and refusing posts that another site made a browser send."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

MAX_FORM_BYTES = 4096  # our forms hold a few short fields
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})


def parse_form(body: str | None) -> dict[str, str]:
    """Fields of an application/x-www-form-urlencoded body; the first value of each name wins."""
    text = (body or "")[:MAX_FORM_BYTES]
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=20):
        fields.setdefault(name, value.strip())
    return fields


def is_cross_site(headers: dict[str, str], own_hosts: set[str]) -> bool:
    """True when the browser says the form came from elsewhere. Our pages send no referrer, so a
    browser may send `Origin: null` for our own forms: that alone is not refused (the form token
    still is checked), but a foreign origin or Sec-Fetch-Site: cross-site is."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site and fetch_site.lower() not in SAME_SITE_FETCHES:
        return True
    origin = headers.get("origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc.lower() not in own_hosts
    return False
