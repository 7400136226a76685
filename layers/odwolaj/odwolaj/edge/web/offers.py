"""HTML of the offer page: the freed slot, and two buttons (take it / no, thank you); after a yes
that must be paid, how long the slot is held and the button to pay."""
from __future__ import annotations

from html import escape as _e

from odwolaj.core.clock import now, parse_iso
from odwolaj.edge.web.pages import LATE_TRANSFER, action_form, actions, call_line, layout, link_button, when_what_where
from odwolaj.language.polish import amount_words, deadline_words

# After an answer, by what the answer turned out to be.
_DONE = {
    "accepted": ("Termin jest Twój", "Wizyta jest umówiona. Potwierdzenie z linkiem do wizyty przyjdzie SMS-em."),
    "waiting": ("Dziękujemy, sprawdzamy zgłoszenia",
                "Kilka osób zgłosiło się prawie w tej samej chwili. Pierwszeństwo mają pacjenci pilni "
                "i uprawnieni do przyjęcia poza kolejnością. "
                "W ciągu kilku minut SMS powie, czy termin jest Twój. Jeśli nie, zostajesz na liście "
                "oczekujących na swoim miejscu."),
    "paid": ("Termin jest Twój", "Dziękujemy za wpłatę. Wizyta jest opłacona i potwierdzona."),
    "in_progress": ("Czekamy na potwierdzenie z banku",
                    "Termin jest zarezerwowany dla Ciebie. Gdy bank potwierdzi przelew, dostaniesz SMS, a wizyta "
                    "zostanie potwierdzona."),
    "lapsed": ("Czas na wpłatę minął",
               "Termin wrócił do innych osób z listy. Zostajesz na liście oczekujących na swoim miejscu."),
    "declined": ("Dziękujemy za odpowiedź", "Zostajesz na liście oczekujących na swoim miejscu."),
    "gone": ("Ten termin jest już nieaktualny",
             "Zajął go już ktoś inny albo jest za późno na zapis. Zostajesz na liście oczekujących na swoim miejscu."),
}


def _timezone(view) -> str:
    return view.facility.timezone or "Europe/Warsaw"


def _slot(view) -> str:
    slot, facility = view.slot, view.facility
    return when_what_where(slot.starts_at, slot.service, slot.specialist, slot.location or facility.address,
                           _timezone(view), "Proponowany termin")


def _clinic(view) -> str:
    return f"<p>{_e(view.facility.name)}</p>\n{call_line(view.facility.phone)}"


def _cost(view) -> str:
    amount = view.prepayment()
    if amount is None:
        return ""
    return (f'<p class="note">Przedpłata <strong>{_e(amount_words(amount))}</strong>: po „Tak” masz '
            f"{view.claim_minutes()} minut na wpłatę.</p>\n")


def offer_page(view, form_tokens: dict[str, str], *, too_late: bool = False) -> str:
    """too_late: the patient's yes just found the slot gone (their earlier no stands)."""
    if view.stage == "reconsider":
        return _reconsider_page(view, form_tokens)
    if too_late and view.stage == "declined":
        return answered_page(view, "gone")
    if view.stage != "open":
        return answered_page(view, view.stage)
    body = (
        "<h1>Zwolnił się termin</h1>\n"
        # No reply-by hour: a yes counts while the slot is free (odwolaj.reserve.claims).
        "<p>Odpowiedz jak najszybciej.</p>\n"
        f"{_cost(view)}{_slot(view)}\n"
        + actions(action_form("accept", form_tokens["accept"], "Tak, biorę ten termin"),
                  action_form("decline", form_tokens["decline"], "Nie, dziękuję", look="secondary"))
        + "\n<p>Ten termin jest wcześniejszy niż ten, na który czekasz na liście oczekujących. Jeśli odmówisz, "
          "zostajesz na liście na swoim miejscu.</p>\n" + _clinic(view)
    )
    return layout("Wolny termin", body, site=view.facility.name)


def _reconsider_page(view, form_tokens: dict[str, str]) -> str:
    """Said no (on this page or by SMS), and the slot is still free: a yes still takes it."""
    title, text = _DONE["declined"]
    body = (
        f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n"
        "<p>Ten termin jest jeszcze wolny. Jeśli jednak go chcesz, możesz go wziąć.</p>\n"
        f"{_cost(view)}{_slot(view)}\n"
        + actions(action_form("accept", form_tokens["accept"], "Jednak biorę ten termin"))
        + "\n" + _clinic(view)
    )
    return layout(title, body, site=view.facility.name)


def _held_page(view) -> str:
    """A yes that must be paid: the slot is held until a clock time; the pay button at once."""
    booking = view.booking
    deadline = deadline_words(parse_iso(booking.payment_deadline), _timezone(view), today=now())
    amount = amount_words(int(booking.payment_amount))
    title = f"Trzymamy dla Ciebie ten termin {deadline}"
    body = (
        f"<h1>{_e(title)}</h1>\n"
        f'<p class="note">Termin będzie Twój po wpłacie <strong>{_e(amount)}</strong>.</p>\n'
        f"{_slot(view)}\n{actions(link_button(view.pay_href(), f'Zapłać {amount}'))}\n"
        f"<p>Bez wpłaty {_e(deadline)} zaproponujemy termin komuś innemu, a Ty zostaniesz na liście "
        f"oczekujących na swoim miejscu.</p>\n{_clinic(view)}"
    )
    return layout(title, body, site=view.facility.name)


def answered_page(view, outcome: str) -> str:
    if outcome == "accepted" and view.payment_state is not None:
        outcome = {"payable": "held", "paid": "paid", "in_progress": "in_progress",
                   "expired": "lapsed", "transfer_late": "lapsed"}.get(view.payment_state, outcome)
        if outcome == "held":
            return _held_page(view)
    title, text = _DONE[outcome]
    late = LATE_TRANSFER if view.payment_state == "transfer_late" else ""
    body = f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n{late}\n{_slot(view)}\n{_clinic(view)}"
    return layout(title, body, site=view.facility.name)
