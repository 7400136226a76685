"""Facilities and their API keys. A key is shown once, at creation; only its hash is stored."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Iterable

from pynamodb.exceptions import DoesNotExist

from odwolaj.core.clock import iso, now
from odwolaj.core.errors import Forbidden, InvalidInput, Unauthorized
from odwolaj.data.models import ApiKey, Facility

KEY_PREFIX = "odw_"
# Rights a key may hold beyond the basic API.
PAYMENTS_OVERRIDE = "payments:override"  # set one visit's prepayment rule (odwolaj.payments.rules)
CAMPAIGNS_LAUNCH = "campaigns:launch"  # a manager's: launch a campaign (odwolaj.campaigns.launch)
KNOWN_RIGHTS = frozenset({PAYMENTS_OVERRIDE, CAMPAIGNS_LAUNCH})


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class NewFacility:
    facility: Facility
    api_key: str  # shown once


def create_facility(name: str, *, short_name: str | None = None, phone: str | None = None,
                    address: str | None = None, facility_id: str | None = None) -> NewFacility:
    if not name or not name.strip():
        raise InvalidInput("facility name is required", field="name")
    facility = Facility(
        facility_id=facility_id or f"fac_{secrets.token_hex(6)}",
        name=name.strip(),
        short_name=(short_name or name).strip()[:25],
        phone=phone,
        address=address,
        created_at=iso(now()),
    )
    facility.save(condition=Facility.facility_id.does_not_exist())
    return NewFacility(facility, issue_api_key(facility.facility_id, label="initial"))


def issue_api_key(facility_id: str, *, label: str | None = None, rights: Iterable[str] = ()) -> str:
    """A new key; `rights` beyond the basic API (KNOWN_RIGHTS), e.g. payments:override."""
    rights = set(rights)
    unknown = sorted(rights - KNOWN_RIGHTS)
    if unknown:
        raise InvalidInput(f"unknown right(s): {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_RIGHTS))}",
                           field="rights")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(24)
    ApiKey(key_hash=hash_key(raw_key), facility_id=facility_id, label=label, created_at=iso(now()),
           rights=rights or None).save()
    return raw_key


def authenticate(authorization_header: str | None) -> ApiKey:
    """The bearer key (its facility, label and rights), or Unauthorized (same answer for every failure)."""
    scheme, _, raw_key = (authorization_header or "").partition(" ")
    if scheme.lower() != "bearer" or not raw_key.startswith(KEY_PREFIX):
        raise Unauthorized("missing or malformed Authorization header; expected 'Bearer odw_…'")
    try:
        key = ApiKey.get(hash_key(raw_key.strip()))
    except DoesNotExist:
        raise Unauthorized("API key is not valid") from None
    if key.revoked:
        raise Unauthorized("API key is not valid")
    return key


def get_facility(facility_id: str) -> Facility:
    return Facility.get(facility_id)


def only_facility() -> Facility | None:
    """The facility when the deployment serves just one (a page that knows no visit can then give
    its phone); None when there are several or none. Reads at most two items."""
    found = list(Facility.scan(limit=2))
    return found[0] if len(found) == 1 else None


def require_right(rights: frozenset[str], right: str) -> None:
    """Forbidden unless the key holds `right`."""
    if right not in rights:
        raise Forbidden(f"this API key lacks the right {right}; a manager's key has it "
                        f"(odwolaj-admin issue-key --right {right})")
