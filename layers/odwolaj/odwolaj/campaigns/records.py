"""What the clinic's system sends in bulk, checked row by row: visits of its history (with the
patient's phone and age), a patient's standing (deceased, struck off) and consents per purpose.

A body is JSON (`{"records": [...]}`), NDJSON (one JSON object a line) or CSV (a header line, then
one record a line; empty cells are absent values). A bad row is reported with its line and field
and changes nothing; the other rows are applied. Every record is idempotent: sending it twice, or
an older one after a newer, changes nothing (odwolaj.campaigns.history says how).
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from odwolaj.core import validation
from odwolaj.core.clock import WARSAW
from odwolaj.core.errors import InvalidInput
from odwolaj.core.pesel import birth_date, validate_pesel
from odwolaj.core.phone import normalize_phone

FORMATS = ("json", "ndjson", "csv")
OUTCOMES = ("attended", "no_show", "cancelled", "booked")
PATIENT_STATUSES = ("active", "deceased", "struck_off")
PURPOSES = ("care", "marketing_sms", "marketing_email")
HISTORY_FIELDS = ("patient_id", "phone", "birth_year", "pesel", "visit_id", "date", "service", "specialty",
                  "outcome", "booked_at", "patient_status")
CONSENT_FIELDS = ("patient_id", "purpose", "granted", "at")
MAX_LINE = 4096  # one record; a longer line is refused, not parsed
T = TypeVar("T")


@dataclass(frozen=True)
class VisitRecord:
    patient_id: str
    phone: str
    visit_id: str
    day: date  # the visit's date in Poland
    specialty: str  # normalised: lower case, single spaces
    outcome: str
    booked_at: datetime | None = None
    birth_year: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class PatientRecord:
    """A patient's standing without a visit: deceased or struck off (or active again)."""

    patient_id: str
    status: str
    phone: str | None = None
    birth_year: int | None = None


@dataclass(frozen=True)
class ConsentRecord:
    patient_id: str
    purpose: str
    granted: bool
    at: datetime


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


def normalise_specialty(name: str) -> str:
    return " ".join(name.lower().split())


# ---------------------------------------------------------------------------------------------
# Reading a body


def lines_of(body: str, fmt: str, *, first_line: int = 1, header: str | None = None) -> Iterator[tuple[int, object]]:
    """(line number, the row as a dict, or a RowError) for each record of an NDJSON or CSV text.
    A CSV chunk after the first is read with the file's `header`."""
    if fmt == "json":
        yield from _json_rows(body)
        return
    text = body.lstrip("\ufeff") if first_line == 1 else body
    lines = text.splitlines()
    if fmt == "csv":
        if header is None:
            if not lines:
                return
            header, lines, first_line = lines[0], lines[1:], first_line + 1
        columns = next(csv.reader([header]))
        columns = [c.strip() for c in columns]
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield number, RowError(number, None, f"line is longer than {MAX_LINE} characters")
            continue
        if fmt == "ndjson":
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, RowError(number, None, f"not a JSON object: {error.msg}")
                continue
            yield number, row if isinstance(row, dict) else RowError(number, None, "not a JSON object")
        else:
            cells = next(csv.reader([line]))
            if len(cells) > len(columns):
                yield number, RowError(number, None, f"{len(cells)} cells for {len(columns)} columns")
                continue
            yield number, {name: value.strip() for name, value in zip(columns, cells) if value.strip() != ""}


def _json_rows(body: str) -> Iterator[tuple[int, object]]:
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"request body is not valid JSON: {error.msg}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise InvalidInput("a JSON body is an object with a list `records`", field="records")
    validation.reject_unknown(payload, ("records",))
    for number, row in enumerate(payload["records"], start=1):
        yield number, row if isinstance(row, dict) else RowError(number, None, "a record is a JSON object")


def parse_rows(rows: Iterable[tuple[int, object]],
               parse: Callable[[dict[str, Any]], T]) -> tuple[list[T], list[RowError]]:
    """Each row through `parse` (history_record or consent_record): (records, errors)."""
    records: list[T] = []
    errors: list[RowError] = []
    for number, row in rows:
        if isinstance(row, RowError):
            errors.append(row)
            continue
        try:
            records.append(parse(row))  # type: ignore[arg-type]  # lines_of yields dicts or RowErrors
        except InvalidInput as error:
            errors.append(RowError(number, error.field, error.message))
    return records, errors


# ---------------------------------------------------------------------------------------------
# One record


def _day(value: object, field: str) -> date:
    """A date (YYYY-MM-DD) or a date-time with an offset, as the date in Poland."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{field} is not a valid date (YYYY-MM-DD)", field=field) from None
    return validation.moment(value, field).astimezone(WARSAW).date()


def _birth_year(row: dict[str, Any]) -> int | None:
    if row.get("pesel") is not None:
        return birth_date(validate_pesel(str(row["pesel"]), field="pesel")).year
    value = row.get("birth_year")
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return validation.whole_number(value, "birth_year", 1900, 2100, required=True)


def history_record(row: dict[str, Any]) -> VisitRecord | PatientRecord:
    """A visit (it has `visit_id`) or a patient's standing (only `patient_status`)."""
    validation.reject_unknown(row, HISTORY_FIELDS)
    patient_id = validation.text(row.get("patient_id"), "patient_id", max_len=64)
    status = row.get("patient_status")
    if status is not None:
        status = validation.choice(status, "patient_status", PATIENT_STATUSES)
    birth_year = _birth_year(row)
    if row.get("visit_id") is None:
        if status is None:
            raise InvalidInput("a record has visit_id (a visit) or patient_status (the patient's standing)",
                               field="visit_id")
        phone = normalize_phone(row["phone"]) if row.get("phone") is not None else None
        return PatientRecord(patient_id, status, phone, birth_year)
    service = validation.optional_text(row.get("service"), "service", 120)
    specialty = validation.optional_text(row.get("specialty"), "specialty", 120) or service
    if specialty is None:
        raise InvalidInput("specialty (or service) is required", field="specialty")
    booked_at = row.get("booked_at")
    return VisitRecord(
        patient_id=patient_id,
        phone=normalize_phone(row.get("phone")),
        visit_id=validation.text(row.get("visit_id"), "visit_id", max_len=64),
        day=_day(row.get("date"), "date"),
        specialty=normalise_specialty(specialty),
        outcome=validation.choice(row.get("outcome"), "outcome", OUTCOMES),
        booked_at=validation.moment(booked_at, "booked_at") if booked_at is not None else None,
        birth_year=birth_year,
        status=status,
    )


def consent_record(row: dict[str, Any]) -> ConsentRecord:
    validation.reject_unknown(row, CONSENT_FIELDS)
    granted = row.get("granted")
    if isinstance(granted, str):
        granted = {"true": True, "false": False, "1": True, "0": False}.get(granted.lower(), granted)
    at = row.get("at")
    return ConsentRecord(
        patient_id=validation.text(row.get("patient_id"), "patient_id", max_len=64),
        purpose=validation.choice(row.get("purpose"), "purpose", PURPOSES),
        granted=validation.flag(granted, "granted"),
        at=_day_start(at) if isinstance(at, str) and len(at) == 10 else validation.moment(at, "at"),
    )


def _day_start(value: str) -> datetime:
    return datetime.combine(_day(value, "at"), time(), WARSAW)
