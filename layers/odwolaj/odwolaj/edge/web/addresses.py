"""Addresses no route has. A patient link with a capital first letter (phones' autocorrect writes
/C/…) or a trailing slash leads to its page; the clinic API and the providers' webhooks keep their
JSON answers; anything else a browser can reach gets the Polish 'not found' page."""
from __future__ import annotations

PATIENT_PAGES = ("c", "p", "o")  # /c/{token} visit, /p/{token} payment, /o/{token} offer
JSON_PREFIXES = ("/api/", "/webhooks/")


def canonical(path: str) -> str | None:
    """The patient page a near-miss address means ('/C/abc' or '/c/abc/' → '/c/abc', '/C' → '/c'),
    or None. Always a path on this site (one leading slash), never another host."""
    parts = path.strip("/").split("/")
    head = parts[0].lower()
    if head not in PATIENT_PAGES or len(parts) > 2 or not all(parts):
        return None
    if len(parts) == 1:
        meant = "/c" if head == "c" else None  # the lookup; /p and /o alone lead nowhere
    else:
        meant = f"/{head}/{parts[1]}"
    return meant if meant and meant != path else None


def wants_json(path: str) -> bool:
    """The clinic API and the webhooks answer machines, in JSON, also when nothing is there."""
    return path.startswith(JSON_PREFIXES) or path in ("/api", "/webhooks")
