"""The patient's way back (/r/{token}) as use cases: open a campaign message's link, answer with a
genuine form: call me back, what I need (specialty, days, time of day), a published slot taken, or
no thank you.

The link works for 60 days after the campaign's start (its result window). Opening it only reads;
each form carries a token bound to the member and the one action it performs, as on the visit page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from odwolaj.campaigns import responses, slots
from odwolaj.campaigns.history import RESULT_WINDOW
from odwolaj.campaigns.records import normalise_specialty
from odwolaj.core.clock import now, parse_iso
from odwolaj.core.errors import InvalidInput, LinkExpired, NotFound
from odwolaj.data.models import Campaign, CampaignMember, Facility, FreedSlot, Patient
from odwolaj.security.facilities import get_facility
from odwolaj.security.links import link_signer

ACTIONS = ("callback", "needs", "decline", "take")
FORM_MAX_AGE = 24 * 3600
DAYS = (("1", "poniedziałek"), ("2", "wtorek"), ("3", "środa"), ("4", "czwartek"), ("5", "piątek"),
        ("6", "sobota"))
TIMES = (("rano", "rano (do 12)"), ("popoludnie", "po południu (12–16)"), ("wieczor", "późnym popołudniem (po 16)"),
         ("obojetnie", "obojętnie"))
OTHER_SPECIALTY = "inna"


@dataclass(frozen=True)
class MemberPage:
    """What the page shows: the clinic, the patient's own specialties, open slots; never contact data."""

    member: CampaignMember
    campaign: Campaign
    facility: Facility
    specialties: tuple[str, ...]
    slots: tuple[FreedSlot, ...]

    @property
    def stage(self) -> str:
        """open, or what the member already answered (declined, booked, opted_out, callback, needs)."""
        return self.member.response or "open"


def open_link(token: str, at: datetime | None = None) -> MemberPage:
    at = at or now()
    try:
        member = CampaignMember.get(link_signer().resolve("r", token), consistent_read=True)
    except DoesNotExist:
        raise NotFound("no such campaign member") from None
    if at - parse_iso(member.started_at) > RESULT_WINDOW + timedelta(days=14):
        raise LinkExpired("the campaign is long over")
    campaign = Campaign.get(member.campaign_id)
    try:
        used = tuple(sorted(Patient.get(member.facility_id, member.patient_id).specialties or ()))
    except DoesNotExist:
        used = ()
    offered = () if member.booked_appointment_id else tuple(slots.offered(member.facility_id, set(used), at))
    return MemberPage(member, campaign, get_facility(member.facility_id), used, offered)


def _scope(member_id: str, action: str) -> str:
    return f"reactivation|{member_id}|{action}"


def form_tokens(member_id: str) -> dict[str, str]:
    signer, issued_at = link_signer(), int(now().timestamp())
    return {action: signer.form_token(_scope(member_id, action), issued_at) for action in ACTIONS}


def form_is_genuine(member_id: str, action: str, value: str | None) -> bool:
    return action in ACTIONS and link_signer().check_form_token(
        _scope(member_id, action), value or "", int(now().timestamp()), max_age=FORM_MAX_AGE)


def needs_from_form(form: dict[str, str], specialties: tuple[str, ...]) -> dict[str, object]:
    """What the patient asked for, from the form's fields (checked against what the page offered)."""
    specialty = form.get("specialty") or OTHER_SPECIALTY
    if specialty != OTHER_SPECIALTY and normalise_specialty(specialty) not in specialties:
        raise InvalidInput("unknown specialty", field="specialty")
    days = [label for number, label in DAYS if form.get(f"d{number}")]
    time_of_day = form.get("time") or "obojetnie"
    if time_of_day not in dict(TIMES):
        raise InvalidInput("unknown time of day", field="time")
    return {"specialty": specialty, "days": days, "time": time_of_day, "call_back": bool(form.get("call_back"))}


def act(page: MemberPage, action: str, form: dict[str, str], at: datetime | None = None) -> str:
    """What a button does; each is idempotent. Returns what became of it."""
    at = at or now()
    member = page.member
    if action == "callback":
        responses.respond(member, responses.CALLBACK, channel="web", at=at)
        return responses.CALLBACK
    if action == "needs":
        responses.respond(member, responses.NEEDS, channel="web", at=at, detail=needs_from_form(form, page.specialties))
        return responses.NEEDS
    if action == "decline":
        responses.respond(member, responses.DECLINED, channel="web", at=at)
        return responses.DECLINED
    if action == "take":
        if form.get("slot") not in {s.slot_id for s in page.slots}:
            raise InvalidInput("that slot is not offered here", field="slot")
        try:
            slots.take(member, form["slot"], at)
        except slots.SlotTaken:
            return "taken"
        return responses.BOOKED
    raise InvalidInput("unknown action", field="action")
