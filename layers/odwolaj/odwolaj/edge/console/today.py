"""HTML of the console's board for the reception desk: today's and tomorrow's visits with their
status and the buttons that record attendance, then the week's freed slots with the offers in
flight and how long each is held. Every value from data passes through `_e`."""
from __future__ import annotations

from datetime import datetime
from html import escape as _e

from odwolaj.appointments.lifecycle import ATTENDANCE_EARLIEST
from odwolaj.core.clock import iso, parse_iso
from odwolaj.data.models import Appointment, ConsoleSession
from odwolaj.data.status import AWAITING_PAYMENT, CANCELLED, OPEN
from odwolaj.edge.console import labels
from odwolaj.edge.console.pages import alert, hidden_csrf, layout
from odwolaj.usecases.today_board import Board, SlotInFlight

NOTICES = {"odbyta": "Zapisano: wizyta odbyta.", "nieobecnosc": "Zapisano: pacjent nie przyszedł."}
OUTCOME_PROBLEMS = {
    "future": "Obecność można zapisać od godziny przed wizytą, a nieobecność od jej rozpoczęcia.",
    "closed": "Ta wizyta jest już odwołana albo ma zapisany inny wynik. Nic nie zostało zmienione.",
    "outcome": "Wybierz „Odbyta” albo „Nie przyszedł(-a)”. Nic nie zostało zmienione.",
}


def outcome_problem(error: Exception) -> str:
    """The Polish answer to a refused attendance record (InvalidInput or InvalidTransition)."""
    status = getattr(error, "current_status", None)
    if status is None:
        return OUTCOME_PROBLEMS["outcome"]
    return OUTCOME_PROBLEMS["future" if status == "future" else "closed"]


def _status(visit: Appointment) -> str:
    text = labels.VISIT_STATUSES.get(visit.status, visit.status)
    if visit.status == AWAITING_PAYMENT and visit.payment_deadline:
        return f"{text} do {labels.at(visit.payment_deadline)}"
    if visit.status == CANCELLED and visit.cancellation is not None:
        return f"{text}: {labels.channel(visit.cancellation.channel)}, {labels.at(visit.cancellation.cancelled_at)}"
    return text


def _outcome_buttons(session: ConsoleSession, visit: Appointment, now: datetime) -> str:
    """The buttons the domain would accept now: attended from an hour before, a no-show from the start."""
    if visit.status not in OPEN:
        return ""
    starts = parse_iso(visit.starts_at)
    if now < starts - ATTENDANCE_EARLIEST:
        return f'<span class="muted">od {labels.at(iso(starts - ATTENDANCE_EARLIEST), "%H:%M")}</span>'
    named = f'<span class="visually-hidden"> – {_e(visit.external_id)}, {labels.at(visit.starts_at, "%H:%M")}</span>'
    target = f"/panel/dzis/{_e(visit.appointment_id)}"
    forms = [f'<form method="post" action="{target}">{hidden_csrf(session.csrf)}<input type="hidden" name="outcome" '
             f'value="attended"><button type="submit">Odbyta{named}</button></form>']
    if now >= starts:
        forms.append(f'<form method="post" action="{target}">{hidden_csrf(session.csrf)}<input type="hidden" '
                     f'name="outcome" value="no_show"><button type="submit" class="secondary">Nie przyszedł(-a)'
                     f"{named}</button></form>")
    return f'<div class="actions">{"".join(forms)}</div>'


def _day(session: ConsoleSession, title: str, heading_id: str, visits: list[Appointment], now: datetime) -> str:
    rows = "".join(
        f"<tr><td>{labels.at(v.starts_at, '%H:%M')}</td><td>{_e(v.external_id)}<br><span class=\"muted\">"
        f"pacjent {_e(v.patient_id)}</span></td><td>{_e(v.service)}"
        f"{'<br>' + _e(v.specialist) if v.specialist else ''}</td><td>{_e(_status(v))}</td>"
        f"<td>{_outcome_buttons(session, v, now)}</td></tr>" for v in visits)
    return (f'<section class="card" aria-labelledby="{heading_id}"><h2 id="{heading_id}">{_e(title)}</h2>'
            f'<div class="table-wrap" tabindex="0" role="region" aria-label="Wizyty: {_e(title)}"><table><thead><tr>'
            '<th scope="col">Godzina</th><th scope="col">Wizyta</th><th scope="col">Poradnia</th>'
            '<th scope="col">Stan</th><th scope="col">Obecność</th></tr></thead>'
            f"<tbody>{rows or '<tr><td colspan=5>Brak wizyt.</td></tr>'}</tbody></table></div></section>\n")


def _slot_status(item: SlotInFlight) -> str:
    if item.slot.status == "offering" and not item.offers:
        return "szukamy na liście osoby, która może przyjść"  # waits for an eligible patient, or for sending hours
    return labels.SLOT_STATUSES.get(item.slot.status, item.slot.status)


def _slot(item: SlotInFlight) -> str:
    slot = item.slot
    held = f"; zgody zbierane do {labels.at(slot.claim_until, '%H:%M')}" if slot.claim_until else ""
    offers = "".join(
        f'<li><a href="/panel/lista/{_e(o.entry_id)}">'
        f"wpis nr {int(entry.list_number) if entry else '?'}"
        f"{' (' + _e(labels.CATEGORIES.get(entry.category, entry.category)) + ')' if entry else ''}</a>: "
        f"{_e(labels.OFFER_STATUSES.get(o.status, o.status))}, wysłano {labels.at(o.offered_at, '%H:%M')}, "
        f"następne osoby pytane od {labels.at(o.hold_until, '%d.%m %H:%M')}</li>" for o, entry in item.offers)
    return (f"<li><strong>{labels.at(slot.starts_at)}</strong>, {_e(slot.service)}"
            f"{', ' + _e(slot.specialist) if slot.specialist else ''}: "
            f"{_e(_slot_status(item))}{held}"
            f"{'<ul>' + offers + '</ul>' if offers else ''}</li>")


def board_page(session: ConsoleSession, found: Board, *, notice: str | None = None,
               problem: str | None = None) -> str:
    (today, visits_today), (tomorrow, visits_tomorrow) = found.days
    slots = "".join(_slot(item) for item in found.slots)
    body = (
        "<h1>Dziś i jutro</h1>\n"
        f"{alert(notice, 'ok')}{alert(problem)}"
        + _day(session, f"Dziś, {labels.day_name(today)}", "today", visits_today, found.now)
        + _day(session, f"Jutro, {labels.day_name(tomorrow)}", "tomorrow", visits_tomorrow, found.now)
        + '<section class="card" aria-labelledby="slots"><h2 id="slots">Zwolnione terminy (7 dni) i propozycje'
        "</h2><p>Termin zwolniony przez odwołanie proponujemy SMS-em osobom z listy oczekujących, w kolejności "
        "listy. Zgoda liczy się, dopóki termin jest wolny; po czasie oczekiwania pytamy kolejne osoby.</p>"
        f"{'<ul class=slots>' + slots + '</ul>' if slots else '<p>Brak zwolnionych terminów.</p>'}</section>"
    )
    return layout("Dziś i jutro", body, session=session, current="/panel/dzis")
