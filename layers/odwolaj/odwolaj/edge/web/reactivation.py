"""HTML of the campaign page (/r/{token}): the way back for a patient who has not been in for a
while, or who cancelled and needs a new date. First screen: what it is about and the two quick
answers (a call from the clinic, or no thank you); below: open slots to take, and a short form to
say what is needed. No JavaScript; every value from data is escaped."""
from __future__ import annotations

from html import escape as _e

from odwolaj.campaigns.page import DAYS, OTHER_SPECIALTY, TIMES
from odwolaj.core.clock import parse_iso
from odwolaj.edge.web.pages import hidden_action, layout, phone_link
from odwolaj.language.polish import visit_time

TITLES = {
    "12-18": "Minął już rok od Twojej ostatniej wizyty",
    "18-24": "Pora na wizytę kontrolną?",
    "24+": "Pomożemy Ci umówić wizytę",
    "rebook": "Potrzebujesz nowego terminu?",
}
LEAD = "Chętnie pomożemy umówić wizytę. Wybierz, co Ci odpowiada."
# After an answer (the redirect's `done`), or for what the patient answered before.
DONE = {
    "callback": ("Dziękujemy, zadzwonimy do Ciebie", "Rejestracja oddzwoni w godzinach pracy."),
    "needs": ("Dziękujemy, przekazaliśmy Twoją prośbę", "Rejestracja skontaktuje się z Tobą, by ustalić termin."),
    "declined": ("Dziękujemy za odpowiedź", "Nie wyślemy już wiadomości w tej sprawie."),
    "opted_out": ("Nie wyślemy już zaproszeń", "Przypomnienia o umówionych wizytach nadal będą przychodzić."),
    "booked": ("Wizyta jest umówiona", "Potwierdzenie z linkiem do wizyty przyjdzie SMS-em."),
    "taken": ("Ten termin zajął już ktoś inny", "Wybierz inny termin albo poproś o telefon."),
}
FINAL = frozenset({"declined", "opted_out", "booked"})


def _contact(facility) -> str:
    return f"<p>Telefon do rejestracji: {phone_link(facility.phone)}</p>" if facility.phone else ""


def _quick(tokens: dict[str, str]) -> str:
    return (
        '<div class="actions">\n'
        f'<form method="post">{hidden_action("callback", tokens["callback"])}'
        '<button type="submit">Proszę o telefon z przychodni</button></form>\n'
        f'<form method="post">{hidden_action("decline", tokens["decline"])}'
        '<button type="submit" class="secondary">Nie, dziękuję</button></form>\n</div>'
    )


def _slots(view, token: str) -> str:
    if not view.slots:
        return ""
    zone = view.facility.timezone or "Europe/Warsaw"
    forms = "\n".join(
        f'<form method="post">{hidden_action("take", token)}<input type="hidden" name="slot" value="{_e(s.slot_id)}">'
        f'<button type="submit">{_e(visit_time(parse_iso(s.starts_at), zone))}<br>{_e(s.service)}'
        f'{_e(", " + s.specialist) if s.specialist else ""}</button></form>'
        for s in view.slots)
    return ('<section aria-labelledby="slots-title">\n<h2 id="slots-title">Wolne terminy</h2>\n'
            "<p>Jeden przycisk i wizyta jest umówiona.</p>\n"
            f'<div class="actions">\n{forms}\n</div>\n</section>')


def _needs(view, token: str) -> str:
    options = "".join(f'<option value="{_e(s)}">{_e(s[:1].upper() + s[1:])}</option>' for s in view.specialties)
    options += f'<option value="{OTHER_SPECIALTY}">Inna albo nie wiem</option>'
    days = "\n".join(f'<div class="choice"><input type="checkbox" name="d{n}" id="d{n}" value="1">'
                     f'<label for="d{n}">{_e(label)}</label></div>' for n, label in DAYS)
    times = "\n".join(f'<div class="choice"><input type="radio" name="time" id="t-{key}" value="{key}"'
                      f'{" checked" if key == "obojetnie" else ""}><label for="t-{key}">{_e(label)}</label></div>'
                      for key, label in TIMES)
    return (
        '<section aria-labelledby="needs-title">\n<h2 id="needs-title">Napisz, czego potrzebujesz</h2>\n'
        f'<form method="post">{hidden_action("needs", token)}\n'
        '<div class="field"><label for="specialty">Do jakiego lekarza?</label>'
        f'<select id="specialty" name="specialty">{options}</select></div>\n'
        f"<fieldset>\n<legend>Które dni Ci pasują?</legend>\n{days}\n</fieldset>\n"
        f"<fieldset>\n<legend>O jakiej porze?</legend>\n{times}\n</fieldset>\n"
        '<div class="choice"><input type="checkbox" name="call_back" id="call_back" value="1">'
        '<label for="call_back">Proszę też o telefon</label></div>\n'
        '<button type="submit">Wyślij</button></form>\n</section>'
    )


def page(view, tokens: dict[str, str], *, done: str | None = None) -> str:
    facility = view.facility
    answered = view.stage if view.stage != "open" else None
    shown = done if done in DONE and (done == "taken" or done == answered) else answered
    if shown in FINAL:
        title, text = DONE[shown]
        return layout(title, f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n{_contact(facility)}", site=facility.name)
    title = TITLES.get(view.member.band, TITLES["24+"])
    note = f'<p class="note" role="status">{_e(" ".join(DONE[shown]))}</p>\n' if shown else ""
    body = (
        f"{note}<h1>{_e(title)}</h1>\n<p>{_e(facility.name)}. {_e(LEAD)}</p>\n{_quick(tokens)}\n"
        f"{_slots(view, tokens['take'])}\n{_needs(view, tokens['needs'])}\n"
        f"{_contact(facility)}\n"
        "<p>Nie chcesz dostawać takich wiadomości? Odpisz STOP na SMS od przychodni.</p>"
    )
    return layout(title, body, site=facility.name)
