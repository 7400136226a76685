"""HTML of the offer page: the freed slot, and two buttons (take it / no, thank you)."""
from __future__ import annotations

from html import escape as _e

from odwolaj.core.clock import parse_iso
from odwolaj.edge.web.pages import hidden_action, layout, phone_link
from odwolaj.language.polish import visit_time

# After an answer, by what the answer turned out to be.
_DONE = {
    "accepted": ("Termin jest Twój", "Wizyta jest umówiona. Potwierdzenie z linkiem do wizyty przyjdzie SMS-em."),
    "waiting": ("Dziękujemy, sprawdzamy zgłoszenia",
                "Kilka osób zgłosiło się prawie w tej samej chwili. Pierwszeństwo mają pacjenci pilni "
                "i uprawnieni do przyjęcia poza kolejnością. "
                "W ciągu kilku minut SMS powie, czy termin jest Twój. Jeśli nie, zostajesz na liście "
                "oczekujących na swoim miejscu."),
    "declined": ("Dziękujemy za odpowiedź", "Zostajesz na liście oczekujących na swoim miejscu."),
    "gone": ("Ten termin jest już nieaktualny",
             "Zajął go już ktoś inny albo jest za późno na zapis. Zostajesz na liście oczekujących na swoim miejscu."),
}


def _details(view) -> str:
    slot, facility = view.slot, view.facility
    rows = [("Termin", _e(visit_time(parse_iso(slot.starts_at), facility.timezone or "Europe/Warsaw"))),
            ("Świadczenie", _e(slot.service)),
            ("Specjalista", _e(slot.specialist) if slot.specialist else None),
            ("Miejsce", _e(slot.location or facility.address or "") or None),
            ("Przychodnia", _e(facility.name)),
            ("Telefon do rejestracji", phone_link(facility.phone) if facility.phone else None)]
    items = "\n".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows if value)
    return f'<dl aria-label="Proponowany termin">\n{items}\n</dl>'


def offer_page(view, form_tokens: dict[str, str]) -> str:
    if view.stage != "open":
        return answered_page(view, view.stage)
    body = (
        "<h1>Zwolnił się wcześniejszy termin</h1>\n"
        "<p>Czekasz na liście oczekujących. Termin jest Twój, jeśli go weźmiesz, zanim zajmie go ktoś inny.</p>\n"
        f"{_details(view)}\n"
        f'<form method="post">{hidden_action("accept", form_tokens["accept"])}'
        '<button type="submit">Tak, biorę ten termin</button></form>\n'
        f'<form method="post">{hidden_action("decline", form_tokens["decline"])}'
        '<button type="submit" class="cancel">Nie, dziękuję</button></form>\n'
        "<p>Jeśli odmówisz, zostajesz na liście na swoim miejscu.</p>"
    )
    return layout("Wolny termin", body, site=view.facility.name)


def answered_page(view, outcome: str) -> str:
    title, text = _DONE[outcome]
    body = f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n{_details(view)}"
    return layout(title, body, site=view.facility.name)
