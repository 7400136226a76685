"""HTML of every patient page. Every value from data passes through `_e` (HTML escaping); the
only markup that is not escaped is written here. No JavaScript anywhere: forms post, links link.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape as _e
from importlib.resources import files

from odwolaj.core.clock import parse_iso
from odwolaj.data.status import AWAITING_PAYMENT, BOOKED, CONFIRMED
from odwolaj.language.polish import tel_href, visit_time

STYLE = files("odwolaj.edge.web").joinpath("style.css").read_text(encoding="utf-8")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def security_headers() -> dict[str, str]:
    """Every page: no script at all, only our own stylesheet, never framed, no referrer (the link
    token is in the URL), never stored (pages show a visit and carry form tokens)."""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


@dataclass(frozen=True)
class VisitView:
    """What a visit page shows: the appointment's public parts and its facility's contact."""

    starts_at: str  # UTC ISO-8601
    service: str
    specialist: str | None
    location: str | None
    visit_code: str
    status: str
    facility_name: str
    facility_phone: str | None
    facility_address: str | None
    timezone: str = "Europe/Warsaw"

    @classmethod
    def of(cls, appointment, facility) -> "VisitView":
        """From the Appointment and Facility models: only what the page may show (no patient data)."""
        return cls(
            starts_at=appointment.starts_at, service=appointment.service, specialist=appointment.specialist,
            location=appointment.location, visit_code=appointment.visit_code, status=appointment.status,
            facility_name=facility.name, facility_phone=facility.phone, facility_address=facility.address,
            timezone=facility.timezone or "Europe/Warsaw",
        )

    @property
    def when(self) -> str:
        return visit_time(parse_iso(self.starts_at), self.timezone)


def layout(title: str, body: str, *, site: str | None = None) -> str:
    """A whole page around `body`: the shared head (inline stylesheet, noindex) and the site header."""
    site = site or "Wizyty w przychodni"
    return (
        '<!doctype html>\n<html lang="pl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{_e(title)} – {_e(site)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><p>{_e(site)}</p></header>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def phone_link(phone: str) -> str:
    """The clinic's number as a link a tap dials."""
    return f'<a href="{_e(tel_href(phone))}">{_e(phone)}</a>'


def _call_the_clinic(view: VisitView) -> str:
    if not view.facility_phone:
        return ""
    return f"<p>Telefon do rejestracji: {phone_link(view.facility_phone)}</p>"


def _details(view: VisitView) -> str:
    place = view.location or view.facility_address
    rows = [
        ("Termin", _e(view.when)),
        ("Świadczenie", _e(view.service)),
        ("Specjalista", _e(view.specialist) if view.specialist else None),
        ("Miejsce", _e(place) if place else None),
        ("Przychodnia", _e(view.facility_name)),
        ("Telefon do rejestracji", phone_link(view.facility_phone) if view.facility_phone else None),
        ("Kod wizyty", f'<span class="code">{_e(view.visit_code)}</span>'),
    ]
    items = "\n".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows if value)
    return f'<dl aria-label="Szczegóły wizyty">\n{items}\n</dl>'


def hidden_action(action: str, form_token: str) -> str:
    """A form's hidden fields: the one action it performs and its anti-CSRF token."""
    return (f'<input type="hidden" name="action" value="{_e(action)}">'
            f'<input type="hidden" name="csrf" value="{_e(form_token)}">')


def _confirm_section(form_token: str) -> str:
    return (
        '<section aria-labelledby="confirm-title">\n<h2 id="confirm-title">Przyjdziesz na wizytę?</h2>\n'
        f'<form method="post">{hidden_action("confirm", form_token)}'
        "<button type=\"submit\">Potwierdzam, przyjdę</button></form>\n</section>"
    )


def _cancel_section(form_token: str, reasons: dict[str, str], *, title: str) -> str:
    choices = "\n".join(
        f'<div class="choice"><input type="radio" name="reason" id="reason-{_e(key)}" value="{_e(key)}">'
        f'<label for="reason-{_e(key)}">{_e(label)}</label></div>'
        for key, label in reasons.items()
    )
    return (
        f'<section aria-labelledby="cancel-title">\n<h2 id="cancel-title">{_e(title)}</h2>\n'
        "<p>Odwołaj wizytę, a zwolniony termin dostanie inny pacjent, który czeka.</p>\n"
        f'<form method="post">{hidden_action("cancel", form_token)}\n'
        f"<fieldset>\n<legend>Powód odwołania (nie musisz go podawać)</legend>\n{choices}\n</fieldset>\n"
        '<button type="submit" class="cancel">Odwołuję wizytę</button></form>\n</section>'
    )


def _rebook_section(form_token: str, view: VisitView) -> str:
    return (
        '<section aria-labelledby="next-title">\n<h2 id="next-title">Co dalej?</h2>\n'
        "<p>Potrzebujesz nowego terminu? Poproś przychodnię, a skontaktuje się z Tobą.</p>\n"
        f'<form method="post">{hidden_action("rebook", form_token)}'
        '<button type="submit">Proszę o nowy termin</button></form>\n'
        f"{_call_the_clinic(view)}\n</section>"
    )


def visit_page(view: VisitView, form_tokens: dict[str, str], reasons: dict[str, str], *,
               just_confirmed: bool = False) -> str:
    """An open visit, before it starts: confirm (if not yet) and cancel."""
    if just_confirmed:
        head = ("<h1>Dziękujemy za potwierdzenie</h1>\n"
                f'<p class="note">Czekamy na Ciebie: {_e(view.when)}.</p>')
    else:
        head = "<h1>Twoja wizyta</h1>"
        if view.status == CONFIRMED:
            head += '\n<p class="note">Potwierdzono, że przyjdziesz.</p>'
        elif view.status == AWAITING_PAYMENT:
            head += '\n<p class="note">Wizyta czeka na opłatę.</p>'
    parts = [head, _details(view)]
    if view.status == BOOKED:
        parts.append(_confirm_section(form_tokens["confirm"]))
    title = "Plany się zmieniły?" if view.status == CONFIRMED else "Nie możesz przyjść?"
    parts.append(_cancel_section(form_tokens["cancel"], reasons, title=title))
    return layout("Twoja wizyta", "\n".join(parts), site=view.facility_name)


def cancelled_page(view: VisitView, rebook_token: str, *, thank: bool) -> str:
    """After a cancellation: thanks (when the patient cancelled) and the next step."""
    if thank:
        title = "Dziękujemy — Twój termin trafi do innego pacjenta"
        lead = (f"<p>Twoja wizyta ({_e(view.when)}) jest odwołana. Dzięki temu ktoś, kto czeka, "
                "dostanie pomoc szybciej.</p>")
    else:
        title = "Ta wizyta jest odwołana"
        lead = f"<p>Twoja wizyta ({_e(view.when)}) została odwołana.</p>"
    body = f"<h1>{_e(title)}</h1>\n{lead}\n{_details(view)}\n{_rebook_section(rebook_token, view)}"
    return layout(title, body, site=view.facility_name)


def rebook_page(view: VisitView) -> str:
    title = "Przekazaliśmy prośbę o nowy termin"
    body = (f"<h1>{title}</h1>\n"
            f"<p>{_e(view.facility_name)} skontaktuje się z Tobą, aby ustalić nowy termin.</p>\n"
            f"{_call_the_clinic(view)}\n<h2>Odwołana wizyta</h2>\n{_details(view)}")
    return layout(title, body, site=view.facility_name)


def over_page(view: VisitView) -> str:
    """The visit has started or is over: nothing to do here any more."""
    title = "Termin tej wizyty już minął"
    body = (f"<h1>{title}</h1>\n<p>Tej wizyty nie można już odwołać ani potwierdzić przez internet.</p>\n"
            f"{_call_the_clinic(view)}\n{_details(view)}")
    return layout(title, body, site=view.facility_name)


def _message_page(title: str, paragraphs: tuple[str, ...], link: tuple[str, str] | None) -> str:
    """Errors and notices: a heading, plain sentences, and one way forward."""
    body = [f"<h1>{_e(title)}</h1>"]
    body += [f"<p>{_e(text)}</p>" for text in paragraphs]
    if link:
        href, label = link
        body.append(f'<p><a href="{_e(href)}">{_e(label)}</a></p>')
    return layout(title, "\n".join(body))


def lookup_page(form_token: str, *, problem: str | None = None) -> str:
    """Find a visit by its code and the phone number it was booked with."""
    described = ' aria-describedby="problem"' if problem else ""
    alert = f'<p class="problem" id="problem" role="alert">{_e(problem)}</p>\n' if problem else ""
    body = (
        "<h1>Znajdź swoją wizytę</h1>\n"
        "<p>Wpisz kod wizyty z wiadomości od przychodni i numer telefonu, który podano przy zapisie.</p>\n"
        f"{alert}"
        f'<form method="post" action="/c"><input type="hidden" name="csrf" value="{_e(form_token)}">\n'
        '<div class="field"><label for="code">Kod wizyty</label>'
        f'<input type="text" id="code" name="code" required maxlength="20" autocomplete="off" '
        f'autocapitalize="characters" spellcheck="false"{described}></div>\n'
        '<div class="field"><label for="phone">Numer telefonu</label>'
        f'<input type="tel" id="phone" name="phone" required maxlength="20" autocomplete="tel"{described}></div>\n'
        '<button type="submit">Pokaż wizytę</button></form>'
    )
    return layout("Znajdź swoją wizytę", body)


def page_for_visit(view: VisitView, *, stage: str, done: str | None, form_tokens: dict[str, str],
                   reasons: dict[str, str], thank: bool) -> str:
    """The page a link shows, from the visit's state. `done` (set by the redirect after a button)
    only picks the wording among what the state allows: it cannot make a visit look cancelled."""
    if stage == "cancelled":
        if done == "rebook":
            return rebook_page(view)
        return cancelled_page(view, form_tokens["rebook"], thank=thank or done == "cancelled")
    if stage == "over":
        return over_page(view)
    return visit_page(view, form_tokens, reasons, just_confirmed=done == "confirmed" and view.status == CONFIRMED)


# Problems: what happened, that nothing changed where that is so, and one way forward.
_PROBLEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "not_found": ("Nie znaleźliśmy tej strony", (
        "Link jest nieprawidłowy albo niepełny. Sprawdź, czy skopiowano go w całości.",
        "Wizytę możesz też znaleźć po kodzie wizyty i numerze telefonu.")),
    "expired": ("Link wygasł", (
        "Ten link działał do dnia po wizycie.",
        "W sprawie kolejnej wizyty skontaktuj się z przychodnią.")),
    "form_expired": ("Nie udało się wysłać formularza", (
        "Strona była otwarta zbyt długo albo formularz nie pochodzi z tej strony. Nic nie zostało zmienione.",
        "Wróć do wizyty i wybierz jeszcze raz.")),
    "bad_form": ("Nie rozumiemy tego formularza", (
        "Nic nie zostało zmienione. Wróć do wizyty i wybierz jeszcze raz.",)),
    "changed": ("Wizyta zmieniła się w międzyczasie", (
        "Nic nie zostało zmienione. Wróć do wizyty, aby zobaczyć, jak jest teraz.",)),
    "too_many": ("Zbyt wiele prób", (
        "Dla bezpieczeństwa wstrzymaliśmy wyszukiwanie na kilkanaście minut.",
        "Spróbuj ponownie później albo zadzwoń do rejestracji swojej przychodni.")),
    "failure": ("Przepraszamy, coś poszło nie tak", (
        "Spróbuj ponownie za chwilę. Jeśli to się powtórzy, zadzwoń do rejestracji swojej przychodni.",)),
}
# A button that no longer applies, by the state the visit is in.
_TRANSITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "over": ("Termin tej wizyty już minął", (
        "Tej wizyty nie można już odwołać ani potwierdzić przez internet.",)),
    "cancelled": ("Ta wizyta jest odwołana", (
        "Odwołanej wizyty nie można potwierdzić. Jeśli chcesz przyjść, poproś o nowy termin.",)),
    "awaiting_payment": ("Wizyta czeka na opłatę", (
        "Wizytę można potwierdzić po jej opłaceniu. Odwołać możesz ją już teraz.",)),
    "open": ("Ta wizyta nie jest odwołana", (
        "O nowy termin możesz poprosić po odwołaniu tej wizyty.",)),
}
_TRANSITION_OF_STATUS = {"past": "over", "attended": "over", "no_show": "over", "cancelled": "cancelled",
                         "awaiting_payment": "awaiting_payment"}


def problem_page(kind: str, *, back: str | None = None) -> str:
    title, paragraphs = _PROBLEMS[kind]
    if back:
        link = (back, "Wróć do wizyty")
    elif kind in ("not_found", "too_many"):
        link = ("/c", "Znajdź wizytę po kodzie")
    else:
        link = None
    return _message_page(title, paragraphs, link)


def transition_page(current_status: str, *, back: str) -> str:
    title, paragraphs = _TRANSITIONS[_TRANSITION_OF_STATUS.get(current_status, "open")]
    return _message_page(title, paragraphs, (back, "Wróć do wizyty"))


LOOKUP_NOT_FOUND = ("Nie znaleźliśmy wizyty o tym kodzie i numerze telefonu. Sprawdź, czy są wpisane "
                    "poprawnie. Jeśli nadal się nie udaje, zadzwoń do rejestracji swojej przychodni.")
LOOKUP_SENT_BY_SMS = ("Ten kod był już wpisywany wiele razy, więc dla bezpieczeństwa nie pokazujemy tu wizyty. "
                      "Jeśli kod i numer telefonu są poprawne, wysłaliśmy na ten numer SMS z linkiem do wizyty.")
LOOKUP_BAD_PHONE = "Sprawdź numer telefonu: wpisz 9 cyfr, na przykład 600 100 200."
LOOKUP_FORM_EXPIRED = "Formularz był otwarty zbyt długo. Wpisz dane jeszcze raz."


# ---------------------------------------------------------------------------------------------
# Payment link (/p/<token>): what the patient sees instead of Stripe's checkout, and on return.

_PAYMENT_PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ok": ("Dziękujemy, płatność przyjęta", (
        "Gdy Stripe potwierdzi wpłatę, dostaniesz SMS, a wizyta będzie potwierdzona.",
        "Przelew bankowy może potrwać do kilku godzin.")),
    "back": ("Płatność nie została dokończona", (
        "Nic nie zostało pobrane. Możesz zapłacić teraz albo później, do terminu płatności.",)),
    "paid": ("Ta wizyta jest już opłacona", ("Nie trzeba płacić ponownie. Czekamy na Ciebie.",)),
    "in_progress": ("Płatność jest w toku", (
        "Czekamy na potwierdzenie wpłaty z banku. Dostaniesz SMS, gdy dotrze.",
        "Nie płać ponownie.")),
    "cancelled": ("Ta wizyta jest odwołana", ("Za odwołaną wizytę nie trzeba płacić.",)),
    "refunded": ("Wpłata została zwrócona", (
        "Za tę wizytę nie trzeba już płacić: wpłata wróci na Twoje konto.",)),
    "expired": ("Termin płatności minął", (
        "Wizyta nie została opłacona na czas, więc rezerwacja wygasła. Nic nie zostało pobrane.",
        "Jeśli nadal potrzebujesz wizyty, zadzwoń do rejestracji.")),
    "over": ("Termin tej wizyty już minął", ("Za tę wizytę nie można już zapłacić przez internet.",)),
    "not_required": ("Ta wizyta nie wymaga opłaty", ("Nie trzeba nic płacić.",)),
    "unavailable": ("Płatności chwilowo nie działają", (
        "Nic nie zostało pobrane. Spróbuj ponownie za kilka minut.",)),
}


def payment_page(kind: str, view: VisitView | None, *, visit_href: str | None, pay_href: str | None = None,
                 deadline: str | None = None) -> str:
    """A payment notice: what happened, the visit, and one way forward (pay again, or the visit)."""
    title, paragraphs = _PAYMENT_PAGES[kind]
    body = [f"<h1>{_e(title)}</h1>", *(f"<p>{_e(text)}</p>" for text in paragraphs)]
    if deadline and kind == "back":
        body.append(f'<p class="note">Termin płatności: {_e(deadline)}.</p>')
    if pay_href:
        body.append(f'<p><a class="button" href="{_e(pay_href)}">Zapłać teraz</a></p>')
    if view is not None:
        body += [_details(view), _call_the_clinic(view)]
    if visit_href:
        body.append(f'<p><a href="{_e(visit_href)}">Zobacz wizytę lub ją odwołaj</a></p>')
    return layout(title, "\n".join(body), site=view.facility_name if view else None)
