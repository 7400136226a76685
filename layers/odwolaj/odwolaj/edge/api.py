"""The clinic API's edge: typed domain errors mapped to HTTP once, request bodies and query
parameters parsed, appointments shaped for integrators. Business rules stay in the domain.

Messages are English (integrators read them); nothing here logs a body or contact data.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime, time, timedelta

from odwolaj.appointments.views import payment_view
from odwolaj.core.clock import WARSAW, iso, parse_iso, to_utc
from odwolaj.core.errors import (
    ConfirmationRequired,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Unauthorized,
)
from odwolaj.core.validation import day, moment, reject_unknown
from odwolaj.data.models import Appointment, WaitingEntry
from odwolaj.data.status import ATTENDED, CANCELLED, NO_SHOW
from odwolaj.edge.campaigns import UnsupportedMediaType
from odwolaj.edge.requests import MalformedRequest
from odwolaj.reserve.entries import is_rank
from odwolaj.security.links import visit_link
from odwolaj.stats import report as stats_report

# First match wins, so a subclass comes before its base; InvalidTransition is a Conflict (409).
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (MalformedRequest, 400),
    (UnsupportedMediaType, 415),
    (InvalidInput, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
)
MAX_LIST_RANGE = timedelta(days=31)
MAX_REPORT_RANGE = timedelta(days=366)
REPORT_FORMATS = ("json", "xlsx")
MAX_PAGE = 200
MAX_REPORT_PAGE = 1000  # rows of the payments report per JSON page
MAX_JSON_DEPTH = 16  # our deepest body nests 4 levels; deeper is not a request of ours
OUTCOMES = (ATTENDED, NO_SHOW, CANCELLED)


def http_status(error: DomainError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 400)


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


def domain_error_body(error: DomainError) -> dict:
    extra: dict[str, object] = {"current_status": error.current_status} if isinstance(error, InvalidTransition) else {}
    if isinstance(error, ConfirmationRequired):
        extra = {"confirmation": error.confirmation}
    return error_body(error.code, error.message, error.field, **extra)


# ---------------------------------------------------------------------------------------------
# Requests


def _reject_constant(name: str):
    raise MalformedRequest(f"request body is not valid JSON: {name} is not a JSON number")


def json_object(body: str | None) -> dict:
    """The request body as a JSON object; anything that is not JSON, or nests deeper than
    MAX_JSON_DEPTH, is a 400."""
    if not body or not body.strip():
        raise MalformedRequest("request body is empty; expected a JSON object")
    if _depth(body) > MAX_JSON_DEPTH:  # counted before parsing: the parser recurses
        raise MalformedRequest(f"request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise MalformedRequest(f"request body is not valid JSON: {error.msg} at line {error.lineno} "
                               f"column {error.colno}") from None
    if not isinstance(payload, dict):
        raise InvalidInput("request body must be a JSON object")
    return payload


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (an over-estimate is harmless: it refuses)."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def outcome_from_payload(payload: dict) -> tuple[str, str]:
    """Reception's record: (outcome, reason). A reason only belongs to a cancellation."""
    reject_unknown(payload, ("outcome", "reason"))
    outcome = payload.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of: {', '.join(OUTCOMES)}", field="outcome")
    reason = payload.get("reason", "not_given")
    if not isinstance(reason, str):
        raise InvalidInput("reason must be a string", field="reason")
    if "reason" in payload and outcome != "cancelled":
        raise InvalidInput("reason can only be given with outcome 'cancelled'", field="reason")
    return outcome, reason


def _bound(value: str | None, field: str, *, end: bool) -> datetime:
    """A date (a whole day in Poland) or a date-time with an offset, as UTC."""
    if not value:
        raise InvalidInput(f"{field} is required: an ISO-8601 date or date-time with an offset", field=field)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        whole_day = day(value, field)
        if end:  # 'to' as a date includes that whole day
            return to_utc(datetime.combine(whole_day + timedelta(days=1), time(), WARSAW)) - timedelta(seconds=1)
        return to_utc(datetime.combine(whole_day, time(), WARSAW))
    return moment(value, field)


def _period(query: dict[str, str], known: set[str], longest: timedelta) -> tuple[datetime, datetime]:
    """`from`..`to` of a query that may carry only `known` parameters, at most `longest` apart."""
    reject_unknown(query, known, what="query parameter(s)")
    start = _bound(query.get("from"), "from", end=False)
    end = _bound(query.get("to"), "to", end=True)
    if end < start:
        raise InvalidInput("to must not be before from", field="to")
    if end - start > longest:
        raise InvalidInput(f"the range from..to may span at most {longest.days} days", field="to")
    return start, end


def list_range(query: dict[str, str]) -> tuple[datetime, datetime]:
    return _period(query, {"from", "to", "limit", "cursor"}, MAX_LIST_RANGE)


def report_query(query: dict[str, str]) -> tuple[datetime, datetime, str]:
    """A report's period (dates are whole days in Poland; at most a year) and format. JSON comes
    in pages (`limit`, `cursor`); a workbook holds the whole period, within report.MAX_XLSX_ROWS."""
    start, end = _period(query, {"from", "to", "format", "limit", "cursor"}, MAX_REPORT_RANGE)
    fmt = query.get("format", "json")
    if fmt not in REPORT_FORMATS:
        raise InvalidInput(f"format must be one of: {', '.join(REPORT_FORMATS)}", field="format")
    if fmt == "xlsx" and ("limit" in query or "cursor" in query):
        raise InvalidInput("a workbook holds the whole period: limit and cursor are for JSON", field="format")
    return start, end, fmt


def _day(value: str | None, field: str) -> date:
    if not value or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise InvalidInput(f"{field} is required: a date YYYY-MM-DD (a whole day in Poland)", field=field)
    return day(value, field)  # the shared validator: a real date, in the years it accepts


def stats_query(query: dict[str, str]) -> tuple[date, date, str]:
    """The statistics' period (whole days in Poland, `to` included) and scope (all, one service or
    one specialist)."""
    reject_unknown(query, ("from", "to", "service", "specialist"), what="query parameter(s)")
    return _day(query.get("from"), "from"), _day(query.get("to"), "to"), \
        stats_report.scope_of(query.get("service"), query.get("specialist"))


def page_limit(query: dict[str, str], maximum: int = MAX_PAGE) -> int:
    value = query.get("limit", str(maximum))
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
        raise InvalidInput(f"limit must be a whole number from 1 to {maximum}", field="limit")
    return int(value)


def encode_cursor(sort_value: str, item_id: str) -> str:
    """The next page's cursor: the last item's sort key (a time) and id."""
    return base64.urlsafe_b64encode(f"{sort_value}|{item_id}".encode()).decode().rstrip("=")


def decode_cursor(query: dict[str, str]) -> tuple[str, str] | None:
    """(sort key, id) of the last item of the previous page (an appointment's start, a payment's
    creation; the appointment id). It can only move within the caller's own facility: the query's
    partition key comes from the API key."""
    value = query.get("cursor")
    if value is None:
        return None
    try:
        starts_at, _, appointment_id = base64.urlsafe_b64decode(value + "==").decode().partition("|")
        parse_iso(starts_at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None
    if not re.fullmatch(r"[0-9a-f]{16}", appointment_id):
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return starts_at, appointment_id


# ---------------------------------------------------------------------------------------------
# Responses


def appointment_view(appointment: Appointment) -> dict:
    """What the clinic sees of its own appointment (its own patient data included)."""
    cancellation = appointment.cancellation
    return {
        "external_id": appointment.external_id,
        "status": appointment.status,
        "starts_at": appointment.starts_at,
        "duration_minutes": int(appointment.duration_minutes),
        "service": appointment.service,
        "specialist": appointment.specialist,
        "location": appointment.location,
        "cer_managed": bool(appointment.cer_managed),
        "payment": payment_view(appointment),
        "visit_code": appointment.visit_code,
        "cancel_link": visit_link(appointment.appointment_id),
        "cancellation": None if cancellation is None else {
            "channel": cancellation.channel,
            "reason": cancellation.reason,
            "cancelled_at": cancellation.cancelled_at,
            "lead_time_minutes": int(cancellation.lead_time_minutes),
        },
        "history": [
            {"at": entry.at, "event": entry.event, "channel": entry.channel, "detail": entry.detail}
            for entry in appointment.history or []
        ],
        "patient": {"id": appointment.patient_id, "phone": appointment.phone},
        "created_at": appointment.created_at,
        "updated_at": appointment.updated_at,
    }


def list_view(items: list[Appointment], limit: int, start: datetime, end: datetime) -> dict:
    """One page; `items` may hold one more than `limit`, which says another page exists."""
    page = items[:limit]
    return {
        "from": iso(start),
        "to": iso(end),
        "appointments": [appointment_view(item) for item in page],
        "next_cursor": encode_cursor(page[-1].starts_at, page[-1].appointment_id) if len(items) > limit else None,
    }


def entry_view(entry: WaitingEntry, position: int | None = None) -> dict:
    """A waiting-list entry as the clinic recorded it (its own patient data included)."""
    strike = entry.strike_off
    return {
        "entry_id": entry.entry_id,
        "list_number": int(entry.list_number),
        "entered_at": entry.entered_at,
        "referral": entry.referral,
        "patient": {"id": entry.patient_id, "phone": entry.phone, "email": entry.email, "pesel": entry.pesel,
                    "document_number": entry.document_number, "address": entry.address},
        "reason": entry.reason,
        "category": entry.category,
        "entitlement": entry.entitlement,
        "planned_date": entry.planned_date,
        "entered_by": entry.entered_by,
        "consent": bool(entry.consent),
        "service": entry.service,
        "specialist": entry.specialist,
        "availability": [{"days": [int(d) for d in w.days], "from": w.start, "to": w.end}
                         for w in entry.availability or []],
        "short_notice": bool(entry.short_notice),
        "offers_stopped_at": entry.offers_stopped_at,
        "status": entry.status,
        "position": position,
        "position_at_entry": int(entry.position_at_entry),
        "strike_off": None if strike is None else {"reason": strike.reason, "at": strike.at, "by": strike.by},
        "served_appointment_id": entry.served_appointment_id,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }


def waiting_list_query(query: dict[str, str]) -> tuple[str, int, str | None]:
    """(service, limit, the rank the page starts after) of a list request."""
    reject_unknown(query, ("service", "limit", "cursor"), what="query parameter(s)")
    service = query.get("service")
    if not service:
        raise InvalidInput("service is required: the list is one service's", field="service")
    return service, page_limit(query), _rank_cursor(query.get("cursor"))


def _rank_cursor(value: str | None) -> str | None:
    """The last entry's place in the list (its `queue_rank`) that a list page's cursor carries."""
    if value is None:
        return None
    try:
        rank = base64.urlsafe_b64decode(value + "==").decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        rank = ""
    if not is_rank(rank):
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return rank


def waiting_list_view(service: str, found: list[WaitingEntry], limit: int, first_position: int) -> dict:
    """One page of a list; `found` may hold one more than `limit`, which says another page exists."""
    page = found[:limit]
    following = base64.urlsafe_b64encode(page[-1].queue_rank.encode()).decode().rstrip("=") \
        if len(found) > limit else None
    return {"service": service, "next_cursor": following,
            "entries": [entry_view(e, position=i) for i, e in enumerate(page, start=first_position)]}


def strike_off_from_payload(payload: dict) -> tuple[str | None, str | None]:
    reject_unknown(payload, ("reason", "by"))
    by = payload.get("by")
    if by is not None and (not isinstance(by, str) or len(by) > 120):
        raise InvalidInput("by must be a string of at most 120 characters", field="by")
    return payload.get("reason"), by
