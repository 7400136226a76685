"""Manual bookings, for a clinic whose system is not integrated: reception or the manager adds a
visit in the console, or imports many from a CSV file. Each visit goes the clinic API's own way:
its values become the body of PUT /api/v1/appointments/{id} (`visit_payload`), checked by
`AppointmentInput.from_payload` and booked by `lifecycle.upsert`, so the same rules apply
(validation, prepayment, the patient's SMS) and the same visit twice changes nothing.

A CSV import is planned first (`plan_import`: per row, what will happen, or why the row is refused)
and applied after the person has seen the plan (`run_import`), which plans again: nothing typed
between the two is trusted. A row without `id_wizyty` gets an id derived from its content, so the
same row twice in a file is one visit and importing a file again changes nothing.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from odwolaj.appointments import lifecycle, store
from odwolaj.appointments.inputs import AppointmentInput, external_id as checked_external_id
from odwolaj.core.clock import WARSAW, iso
from odwolaj.core.errors import DomainError, InvalidInput, NotFound
from odwolaj.data.models import Appointment, ConsoleSession, ExternalRef
from odwolaj.security import audit
from odwolaj.usecases.console import actor, require

# The console function answers within 30 s; a visit takes one transaction (and a few reads), so a
# file is kept to what surely fits. A bigger list is split into files: each row is idempotent.
# A visit's history names who booked it: staff in the console, as the statistics' "rejestracja".
STAFF = "reception"
MAX_ROWS = 200
MAX_BYTES = 100_000
COLUMNS = ("id_wizyty", "data", "godzina", "usluga", "czas_min", "specjalista", "gabinet", "id_pacjenta", "telefon",
           "email", "pesel")
CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
REQUIRED_COLUMNS = ("data", "godzina", "usluga", "id_pacjenta", "telefon")
# What a row or the form may be planned as, and what an import did with it.
CREATE, UPDATE, UNCHANGED, REFUSED, DUPLICATE = "create", "update", "unchanged", "refused", "duplicate"


class FileRefused(InvalidInput):
    """The file as a whole cannot be imported (`reason`: empty, too_big, too_many_rows,
    missing_columns, unknown_columns, not_csv); `names` are the columns concerned."""

    code = "file_refused"

    def __init__(self, reason: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(f"file refused: {reason}", field="plik")
        self.reason, self.names = reason, names


# ---------------------------------------------------------------------------------------------
# A visit's values (the form's fields, a CSV row's cells) → the clinic API's body


def _day(text: str) -> date:
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise InvalidInput("not a date (YYYY-MM-DD or DD.MM.YYYY)", field="starts_at")


def _starts_at(day_text: str, hour_text: str) -> str:
    """The local (Polish) date and time as the API's ISO date-time with its offset."""
    found = CLOCK.fullmatch(hour_text)  # "8:05" and "08:05:00" as spreadsheets write them, too
    try:
        hour = time(int(found.group(1)), int(found.group(2))) if found else None
    except ValueError:
        hour = None
    if hour is None:
        raise InvalidInput("not a time (HH:MM)", field="starts_at")
    return datetime.combine(_day(day_text), hour, WARSAW).isoformat()


def visit_payload(values: dict[str, str]) -> dict[str, Any]:
    """The values as PUT /api/v1/appointments/{id}'s body; an empty cell is a key left out."""
    def given(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    patient = {"id": given("id_pacjenta"), "phone": given("telefon"), "email": given("email"), "pesel": given("pesel")}
    duration = given("czas_min")
    body: dict[str, Any] = {
        "patient": {name: value for name, value in patient.items() if value is not None},
        "starts_at": _starts_at(given("data") or "", given("godzina") or ""),
        "service": given("usluga"),
        "specialist": given("specjalista"),
        "location": given("gabinet"),
        # A number stays text when it is not one: the API's validator refuses it, naming the field.
        "duration_minutes": int(duration) if duration and duration.isdigit() else duration,
    }
    return {name: value for name, value in body.items() if value is not None}


def row_id(values: dict[str, str]) -> str:
    """`id_wizyty`, or one derived from what the row books (same row, same id)."""
    given = (values.get("id_wizyty") or "").strip()
    if given:
        return given
    content = "|".join((values.get(name) or "").strip().lower() for name in COLUMNS[1:])
    return "csv-" + hashlib.sha256(content.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# One visit from the form


@dataclass(frozen=True)
class Booked:
    appointment: Appointment
    created: bool
    changed: bool


def new_visit_number() -> str:
    """The number a visit added in the console gets unless one is typed; it is in the form from the
    start, so sending the form twice books one visit."""
    return "P-" + secrets.token_hex(5).upper()


def book_visit(session: ConsoleSession, external_id: str, values: dict[str, str]) -> Booked:
    """Book (or, for an id already booked, update) one visit as the API does; audited."""
    require(session, "bookings")
    facility_id = session.facility_id or ""
    external_id = checked_external_id(external_id)
    data = AppointmentInput.from_payload(visit_payload(values))
    outcome = lifecycle.upsert(facility_id, external_id, data, channel=STAFF)
    if outcome.changed:
        visit = outcome.appointment
        audit.record(facility_id, actor(session), "visit_booked", subject=f"visit:{external_id}",
                     detail={"termin": visit.starts_at, "usługa": visit.service, "status": visit.status,
                             "nowa": outcome.created})
    return Booked(outcome.appointment, outcome.created, outcome.changed)


def visit(session: ConsoleSession, external_id: str) -> Appointment:
    require(session, "bookings")
    return store.get_by_external(session.facility_id or "", checked_external_id(external_id))


# ---------------------------------------------------------------------------------------------
# A CSV file


def _column(name: str) -> str:
    """A header cell as a column name: case, spaces and Polish letters do not matter ("Usługa")."""
    plain = unicodedata.normalize("NFKD", name.strip().lower().replace("ł", "l"))
    return "".join(c for c in plain if not unicodedata.combining(c)).replace(" ", "_")


def read_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, cells by column) of each non-empty row. Commas or semicolons (a spreadsheet
    saved in Polish settings separates with semicolons); the header names the columns."""
    if len(text.encode()) > MAX_BYTES:
        raise FileRefused("too_big")
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise FileRefused("empty")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_column(cell) for cell in next(reader)]
        unknown = tuple(name for name in header if name and name not in COLUMNS)
        if unknown:
            raise FileRefused("unknown_columns", unknown)
        missing = tuple(name for name in REQUIRED_COLUMNS if name not in header)
        if missing:
            raise FileRefused("missing_columns", missing)
        rows = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, {name: cell.strip() for name, cell in zip(header, cells) if name}))
            if len(rows) > MAX_ROWS:
                raise FileRefused("too_many_rows")
    except csv.Error:
        raise FileRefused("not_csv") from None
    if not rows:
        raise FileRefused("empty")
    return rows


@dataclass(frozen=True)
class PlannedRow:
    line: int
    external_id: str
    plan: str  # create, update, unchanged, refused, duplicate
    data: AppointmentInput | None = None
    field: str | None = None  # refused: the field, as the API names it
    code: str | None = None  # refused: the error's code
    first_line: int | None = None  # duplicate: the row it repeats
    changed: tuple[str, ...] = ()  # update: what changes

    def report(self) -> dict[str, Any]:
        """What the audit entry keeps of the row: no patient data."""
        kept = {"line": self.line, "id": self.external_id, "plan": self.plan, "field": self.field, "code": self.code,
                "first_line": self.first_line}
        return {name: value for name, value in kept.items() if value is not None}


@dataclass
class ImportPlan:
    rows: list[PlannedRow] = field(default_factory=list)

    def count(self, plan: str) -> int:
        return sum(1 for row in self.rows if row.plan == plan)


def _booked(facility_id: str, external_ids: list[str]) -> dict[str, Appointment]:
    """The visits already booked under these ids (by id): a BatchGet of their references, then one
    of the visits they name, a hundred keys a request, instead of a GetItem or two a row. Consistent
    reads, as the booking's own."""
    keys = {store.external_ref(facility_id, name): name for name in external_ids}
    refs = list(ExternalRef.batch_get(list(keys), consistent_read=True)) if keys else []
    visits = {visit.appointment_id: visit for visit in Appointment.batch_get(
        {ref.appointment_id for ref in refs}, consistent_read=True)} if refs else {}
    booked = {}
    for ref in refs:
        if ref.appointment_id not in visits:
            raise NotFound("appointment not found")  # a reference without its visit, as store.get
        booked[keys[ref.ref]] = visits[ref.appointment_id]
    return booked


def _compared(row: PlannedRow, current: Appointment | None) -> PlannedRow:
    """A valid row planned against the visit booked under its id: created, updated (what changes) or
    unchanged."""
    if current is None or row.data is None:
        return row
    data = row.data
    wanted = {name: iso(data.starts_at) if name == "starts_at" else getattr(data, name)
              for name in lifecycle.UPDATABLE}
    changed = tuple(name for name, value in wanted.items() if value != getattr(current, name))
    return replace(row, plan=UPDATE, changed=changed) if changed else replace(row, plan=UNCHANGED)


def plan_import(session: ConsoleSession, text: str) -> ImportPlan:
    """What importing the file would do, row by row; changes nothing."""
    require(session, "bookings")
    facility_id = session.facility_id or ""
    rows, seen = list[PlannedRow](), dict[str, int]()
    for line, values in read_csv(text):
        external_id = row_id(values)
        try:
            external_id = checked_external_id(external_id)
            data = AppointmentInput.from_payload(visit_payload(values))
        except InvalidInput as error:
            rows.append(PlannedRow(line, external_id[:64], REFUSED, field=error.field or "id_wizyty", code=error.code))
            continue
        if external_id in seen:
            rows.append(PlannedRow(line, external_id, DUPLICATE, first_line=seen[external_id]))
            continue
        seen[external_id] = line
        rows.append(PlannedRow(line, external_id, CREATE, data=data))  # until compared with what is booked
    booked = _booked(facility_id, list(seen))
    return ImportPlan([_compared(row, booked.get(row.external_id)) for row in rows])


def run_import(session: ConsoleSession, text: str) -> tuple[ImportPlan, str]:
    """Import the file (planned again: the plan shown is not trusted); a row the booking refuses
    (too late to prepay, a finished visit) is reported and the others go on. Returns the outcome
    and the key of its audit entry, which keeps the per-row report."""
    plan = plan_import(session, text)
    facility_id = session.facility_id or ""
    done = ImportPlan()
    for row in plan.rows:
        if row.plan not in (CREATE, UPDATE) or row.data is None:
            done.rows.append(row)
            continue
        try:
            outcome = lifecycle.upsert(facility_id, row.external_id, row.data, channel=STAFF)
        except DomainError as error:
            done.rows.append(PlannedRow(row.line, row.external_id, REFUSED, field=error.field, code=error.code))
            continue
        kind = CREATE if outcome.created else (UPDATE if outcome.changed else UNCHANGED)
        done.rows.append(PlannedRow(row.line, row.external_id, kind, changed=row.changed))
    counts = {name: done.count(name) for name in (CREATE, UPDATE, UNCHANGED, REFUSED, DUPLICATE)}
    entry = audit.record(facility_id, actor(session), "visits_imported", subject="visits_csv",
                         detail={**counts, "rows": [row.report() for row in done.rows]})
    return done, str(entry.entry_key)


def import_report(session: ConsoleSession, entry_key: str) -> tuple[dict[str, Any], str]:
    """An import's report (from its audit entry) and when it was made; NotFound for another's."""
    require(session, "bookings")
    found = audit.find(session.facility_id or "", entry_key) if 0 < len(entry_key) <= 40 else None
    if found is None or found.action != "visits_imported":
        raise NotFound("no such import")
    return json.loads(found.detail or "{}"), str(found.at)
