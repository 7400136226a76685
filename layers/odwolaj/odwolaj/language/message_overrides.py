"""A facility's own text for a kind of patient SMS (`Facility.message_templates`, kind → text), set
through PUT /api/v1/message-templates or the console's "Teksty SMS" page. `check` holds a text to
the rules below, the same for both; `render` in odwolaj.language.texts then uses it in place of
the default when the message is sent.

An override of kind K:
- K is a kind of odwolaj.language.texts.DEFAULTS (the variant the sender picks: `reminder_two_way`,
  `cancelled_waiting`, `offer_one_way_prepaid`, …), and the text is not empty;
- uses only the placeholders K's message knows when it is composed (`allowed`): a visit's message
  knows the visit, a waiting-list message the entry, an offer also the slot's time; `$amount`,
  `$deadline`, `$until` and `$link` only where the default uses them;
- keeps what the patient must have in hand: the link, the amount, the deadline and the end of a
  blacklist entry where the default has them, and the clinic's name;
- keeps the words the default asks the patient to reply (TAK, NIE, START), in capitals: a reminder
  that no longer says "odpisz TAK lub NIE" gets no answers;
- renders (a lone `$` is written `$$`), is GSM-7 once transliterated (Polish letters and typographic
  quotes are; emoji, Cyrillic or "ř" are not), and takes no more SMS segments than K's default,
  both rendered with the longest values (`LONGEST`): an override never costs more than the default.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from string import Template
from typing import Any

from odwolaj.core import validation
from odwolaj.core.errors import InvalidInput
from odwolaj.language.gsm import is_gsm7, segments
from odwolaj.language.texts import DEFAULTS, MessageContext, render

FIELDS = ("messages",)
# What every message about a visit can say (odwolaj.messaging.outbound_sms.message_context).
VISIT_PLACEHOLDERS = frozenset({"facility", "facility_name", "when", "day", "time", "service", "phone", "contact",
                                "code", "link"})
# A waiting-list message knows the entry (odwolaj.reserve.messages); an offer's also the slot's time.
WAITING_PLACEHOLDERS = frozenset({"facility", "facility_name", "service", "phone", "contact", "position", "forecast"})
SLOT_PLACEHOLDERS = frozenset({"when", "day", "time"})
WAITING_KINDS = frozenset({"waitlist_joined", "planned_date_moved", "exact_date", "offers_stopped", "offers_started"})
# Known only to the kinds whose default uses them; kept wherever the default has them.
KEPT = ("link", "amount", "deadline", "until")
CLINIC_NAMES = frozenset({"facility", "facility_name"})
REPLY_WORDS = ("TAK", "NIE", "START", "STOP")  # kept, in capitals, where the default asks for them
MAX_CHARACTERS = 1000

# The longest values a message meets (docs/messages.md): a 25-character short name, a 35-character
# full name, a 37-character service, 12 345,67 zł, a deadline a week after sending, a four-digit place,
# a visit on a Thursday ("czw", the longest day in an SMS).
_SENT = datetime(2027, 10, 14, 8, 0, tzinfo=timezone.utc)
LONGEST = MessageContext(
    facility="X" * 25, facility_name="Y" * 35, starts_at=_SENT + timedelta(days=7, hours=2),
    service="Poradnia chorób wewnętrznych - dorośli", phone="+48 22 123 45 67", code="K7M2-QX9A", sent_at=_SENT,
    deadline=_SENT + timedelta(days=7, hours=10), amount=1234567, until=datetime(2027, 10, 31, 12, tzinfo=timezone.utc),
    position=1234, forecast="tydzień od 15 września 2027",
)


class OverrideRefused(InvalidInput):
    """Why a text was refused (`reason`, with the placeholder or number it concerns in `detail`),
    so the console can say it in Polish; the message is the integrator's English."""

    def __init__(self, kind: str, reason: str, message: str, detail: str = ""):
        super().__init__(f"messages.{kind}: {message}", field=f"messages.{kind}")
        self.kind, self.reason, self.detail = kind, reason, detail


def placeholders(template: str) -> set[str]:
    return set(Template(template).get_identifiers())


def allowed(kind: str) -> frozenset[str]:
    """The placeholders a message of `kind` can fill when it is composed."""
    used = placeholders(DEFAULTS[kind])
    if kind in WAITING_KINDS:
        base = WAITING_PLACEHOLDERS
    elif kind.startswith("offer_"):
        base = WAITING_PLACEHOLDERS | SLOT_PLACEHOLDERS
    else:
        base = VISIT_PLACEHOLDERS - {"link"}
    return frozenset(base | used)


def reply_words(text: str) -> set[str]:
    return {word for word in REPLY_WORDS if re.search(rf"\b{word}\b", text)}


def budget(kind: str, link: str) -> int:
    """The segments `kind`'s default takes with the longest values: an override may take as many."""
    return segments(render(kind, replace(LONGEST, link=link)))


def check(kind: str, text: object, link: str) -> str:
    """`text` as the override of `kind` (stripped), or OverrideRefused. `link`: a patient link as
    long as the deployment's."""
    if kind not in DEFAULTS:
        raise OverrideRefused(kind, "unknown_kind", f"unknown message kind; known: {', '.join(sorted(DEFAULTS))}")
    if not isinstance(text, str) or not text.strip():
        raise OverrideRefused(kind, "empty", "must be a non-empty string (null restores the default)")
    text = text.strip()
    if len(text) > MAX_CHARACTERS:
        raise OverrideRefused(kind, "too_long", f"at most {MAX_CHARACTERS} characters", str(MAX_CHARACTERS))
    template = Template(text)
    if not template.is_valid():
        raise OverrideRefused(kind, "invalid", "a $ must start a placeholder such as $facility; write $$ for a "
                                               "dollar sign")
    used = placeholders(text)
    unknown = sorted(used - allowed(kind))
    if unknown:
        raise OverrideRefused(kind, "unknown_placeholder", f"${unknown[0]} is not known to this message; it may use "
                              + ", ".join(f"${p}" for p in sorted(allowed(kind))), unknown[0])
    for name in KEPT:
        if name in placeholders(DEFAULTS[kind]) and name not in used:
            raise OverrideRefused(kind, "missing_placeholder", f"must contain ${name}, as the default does", name)
    unasked = sorted(reply_words(DEFAULTS[kind]) - reply_words(text))
    if unasked:
        raise OverrideRefused(kind, "missing_reply_word", f"must ask for the reply {unasked[0]} (in capitals), as "
                              "the default does", unasked[0])
    if not used & CLINIC_NAMES:
        raise OverrideRefused(kind, "missing_placeholder", "must name the clinic ($facility or $facility_name)",
                              "facility")
    rendered = render(kind, replace(LONGEST, link=link), overrides={kind: text})
    if not is_gsm7(rendered):
        odd = "".join(sorted({ch for ch in rendered if not is_gsm7(ch)}))
        raise OverrideRefused(kind, "not_gsm7", f"has characters outside GSM-7 even after transliteration: {odd}",
                              odd)
    limit = budget(kind, link)
    if segments(rendered) > limit:
        raise OverrideRefused(kind, "too_many_segments",
                              f"takes {segments(rendered)} SMS segments with the longest values ({len(rendered)} "
                              f"characters); the default takes {limit}, and an override may not take more",
                              str(limit))
    return text


def changed(current: dict[str, str], payload: object, link: str) -> dict[str, str]:
    """`current` (kind → text) with what the payload's `messages` give: a text is checked, null
    (or the default's own text) returns the kind to its default."""
    if not isinstance(payload, dict):
        raise InvalidInput("request body must be a JSON object")
    validation.reject_unknown(payload, FIELDS)
    given = payload.get("messages")
    if not isinstance(given, dict):
        raise InvalidInput("messages must be an object: kind → text (null restores the default)", field="messages")
    overrides = dict(current)
    for kind, text in given.items():
        if text is None or (isinstance(text, str) and text.strip() == DEFAULTS.get(kind)):
            if kind not in DEFAULTS:
                raise OverrideRefused(kind, "unknown_kind", "unknown message kind")
            overrides.pop(kind, None)
        else:
            overrides[kind] = check(kind, text, link)
    return overrides


def view(overrides: dict[str, Any]) -> dict[str, Any]:
    """The texts in force by kind (the facility's or the default), and which are the facility's."""
    return {"messages": {kind: overrides.get(kind) or default for kind, default in DEFAULTS.items()},
            "customised": sorted(k for k in overrides if k in DEFAULTS)}


def sample(*, facility: str, facility_name: str, phone: str, link: str, at: datetime) -> MessageContext:
    """A visit a week after `at`, to show a text as the patient will read it."""
    visit = (at + timedelta(days=7)).replace(hour=9, minute=30, second=0, microsecond=0)
    return MessageContext(
        facility=facility, facility_name=facility_name, starts_at=visit, link=link, service="Poradnia kardiologiczna",
        phone=phone, code="K7M2-QX9A", sent_at=at, deadline=at + timedelta(days=1), amount=15000,
        until=at + timedelta(days=180), position=12, forecast="tydzień od 15 marca 2027",
    )
