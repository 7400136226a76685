"""HTML of every patient page. Every value from data passes through `_e` (HTML escaping); the
only markup that is not escaped is written here. No JavaScript anywhere: forms post, links link.

The first screen rule (a 360×740 phone): a page opens with what the patient came for, the visit's
essentials (when, what, where) in one compact block and the main buttons right after it; the
rest (the clinic, its phone, the visit code) follows below. Opposite actions differ in look (a
filled button and an outlined one) and stand apart. The reason for a cancellation is asked after
the tap, on its own short page, so it never pushes the cancel button down.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from html import escape as _e
from importlib.resources import files
from typing import Any

from odwolaj.core.clock import now, parse_iso
from odwolaj.data.status import AWAITING_PAYMENT, BOOKED, CONFIRMED
from odwolaj.language.polish import amount_words, clock_time, deadline_words, tel_href, visit_day, visit_time

STYLE = files("odwolaj.edge.web").joinpath("style.css").read_text(encoding="utf-8")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CANCEL_STEP = "cancel"  # ?step=cancel: the page that asks for the reason and cancels


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
class PaymentView:
    """A visit's prepayment as its pages tell it."""

    amount: int  # grosze
    deadline: str  # UTC ISO-8601
    state: str  # odwolaj.payments.checkout.payment_state
    pay_href: str | None = None  # the payment link, while it can be paid


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
    payment: PaymentView | None = None
    cancelled_for: str | None = None  # the cancellation's channel (payment_expired: unpaid)
    others_waiting: bool = False  # someone waits for this service: a freed visit may go to them
    email_known: bool = False  # receipts also go by e-mail

    @classmethod
    def of(cls, appointment: Any, facility: Any, facts: Any = None) -> "VisitView":
        """From the Appointment and Facility models (only what the page may show, no patient data)
        and, optionally, what the use case found out (odwolaj.usecases.visit_page.Facts)."""
        cancellation = appointment.cancellation
        return cls(
            starts_at=appointment.starts_at, service=appointment.service, specialist=appointment.specialist,
            location=appointment.location, visit_code=appointment.visit_code, status=appointment.status,
            facility_name=facility.name, facility_phone=facility.phone, facility_address=facility.address,
            timezone=facility.timezone or "Europe/Warsaw",
            payment=getattr(facts, "payment", None),
            cancelled_for=cancellation.channel if cancellation is not None else None,
            others_waiting=bool(getattr(facts, "others_waiting", False)),
            email_known=bool(appointment.email),
        )

    @property
    def when(self) -> str:
        return visit_time(parse_iso(self.starts_at), self.timezone)

    @property
    def day(self) -> str:
        return visit_day(parse_iso(self.starts_at), self.timezone, today=now())

    @property
    def hour(self) -> str:
        return clock_time(parse_iso(self.starts_at), self.timezone)

    @property
    def place(self) -> str | None:
        return self.location or self.facility_address

    def deadline(self) -> str:
        """'dziś do 11:25' (or the day in words): the payment's deadline, read now."""
        assert self.payment is not None
        return deadline_words(parse_iso(self.payment.deadline), self.timezone, today=now())


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


def call_line(phone: str | None, label: str = "Telefon do rejestracji") -> str:
    return f"<p>{_e(label)}: {phone_link(phone)}</p>" if phone else ""


def essentials(view: VisitView, label: str = "Wizyta") -> str:
    """When, what and where, in one compact block (the first thing under the heading)."""
    return when_what_where(view.starts_at, view.service, view.specialist, view.place, view.timezone, label)


def when_what_where(starts_at: str, service: str, specialist: str | None, place: str | None, timezone: str,
                    label: str) -> str:
    """A visit's (or an offered slot's) essentials: the day and hour in bold, the service and the
    specialist, the place. The labels are for screen readers; the block reads without them."""
    moment = parse_iso(starts_at)
    rows = [("Kiedy", f"<strong>{_e(visit_day(moment, timezone, today=now()))}</strong><br>"
                      f"<strong>godz. {_e(clock_time(moment, timezone))}</strong>"),
            ("Co", _e(service) + (f"<br>{_e(specialist)}" if specialist else "")),
            ("Gdzie", _e(place) if place else None)]
    items = "\n".join(f'<dt class="sr">{name}</dt><dd>{value}</dd>' for name, value in rows if value)
    return f'<dl class="visit" aria-label="{_e(label)}">\n{items}\n</dl>'


def more_details(view: VisitView) -> str:
    """The rest: the clinic, its phone and the visit code (below the actions)."""
    rows = [
        ("Przychodnia", _e(view.facility_name)),
        ("Telefon do rejestracji", phone_link(view.facility_phone) if view.facility_phone else None),
        ("Kod wizyty", f'<span class="code">{_e(view.visit_code)}</span>'),
    ]
    items = "\n".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows if value)
    return f'<dl class="more" aria-label="Przychodnia i kod wizyty">\n{items}\n</dl>'


def hidden_action(action: str, form_token: str) -> str:
    """A form's hidden fields: the one action it performs and its anti-CSRF token."""
    return (f'<input type="hidden" name="action" value="{_e(action)}">'
            f'<input type="hidden" name="csrf" value="{_e(form_token)}">')


def action_form(action: str, form_token: str, label: str, look: str = "primary") -> str:
    return (f'<form method="post">{hidden_action(action, form_token)}'
            f'<button type="submit" class="{look}">{_e(label)}</button></form>')


def link_button(href: str, label: str, look: str = "primary") -> str:
    return f'<a class="button {look}" href="{_e(href)}">{_e(label)}</a>'


def actions(*buttons: str) -> str:
    """Buttons, the main one first, set apart from each other."""
    return '<div class="actions">\n' + "\n".join(b for b in buttons if b) + "\n</div>"


def _cancel_button(label: str = "Odwołuję wizytę") -> str:
    """Opens the cancellation step (a GET: it changes nothing, and works without JavaScript)."""
    return (f'<form method="get"><input type="hidden" name="step" value="{CANCEL_STEP}">'
            f'<button type="submit" class="danger">{_e(label)}</button></form>')


def _payment_note(view: VisitView) -> tuple[str, str]:
    """(the note under the heading, the pay button) of a visit that awaits its prepayment."""
    payment = view.payment
    if payment is None:
        return '<p class="note">Wizyta czeka na przedpłatę.</p>', ""
    amount = amount_words(payment.amount)
    if payment.state == "in_progress":
        return ('<p class="note">Przelew jest w drodze. Gdy bank go potwierdzi, dostaniesz SMS, a wizyta zostanie '
                "potwierdzona. Nie musisz płacić drugi raz.</p>"), ""
    return pay_note(view), link_button(payment.pay_href, f"Zapłać {amount}") if payment.pay_href else ""


def pay_note(view: VisitView) -> str:
    """'Zapłać 100 zł dziś do 11:25. Bez wpłaty wizyta zostanie odwołana.'"""
    assert view.payment is not None
    return (f'<p class="note">Zapłać <strong>{_e(amount_words(view.payment.amount))} {_e(view.deadline())}</strong>. '
            "Bez wpłaty wizyta zostanie odwołana.</p>")


def visit_page(view: VisitView, form_tokens: dict[str, str], *, just_confirmed: bool = False) -> str:
    """An open visit, before it starts: confirm (if not yet), pay (if it waits for that), cancel."""
    pay = ""
    if just_confirmed:
        title, note = "Dziękujemy za potwierdzenie", '<p class="note">Czekamy na Ciebie.</p>'
    elif view.status == AWAITING_PAYMENT:
        in_progress = view.payment is not None and view.payment.state == "in_progress"
        title = "Czekamy na potwierdzenie z banku" if in_progress else "Wizyta czeka na przedpłatę"
        note, pay = _payment_note(view)
    else:
        title = "Twoja wizyta"
        note = '<p class="note">Potwierdzono, że przyjdziesz.</p>' if view.status == CONFIRMED else ""
    confirm = (action_form("confirm", form_tokens["confirm"], "Potwierdzam, przyjdę")
               if view.status == BOOKED and not just_confirmed else "")
    body = [f"<h1>{_e(title)}</h1>", note, essentials(view), actions(confirm or pay, _cancel_button()),
            more_details(view)]
    return layout(title, "\n".join(part for part in body if part), site=view.facility_name)


def cancel_step_page(view: VisitView, form_token: str, reasons: dict[str, str], *, back: str) -> str:
    """After 'Odwołuję wizytę': the optional reason, and the button that cancels (or the way back)."""
    choices = "\n".join(
        f'<div class="choice"><input type="radio" name="reason" id="reason-{_e(key)}" value="{_e(key)}">'
        f'<label for="reason-{_e(key)}">{_e(label)}</label></div>'
        for key, label in reasons.items()
    )
    title = "Odwołać wizytę?"
    body = (
        f"<h1>{title}</h1>\n"
        f'<p><strong>{_e(view.day)}, godz.\u00a0{_e(view.hour)}</strong><br>{_e(view.service)}</p>\n'
        f'<form method="post">{hidden_action("cancel", form_token)}\n'
        f"<fieldset>\n<legend>Możesz podać powód:</legend>\n{choices}\n</fieldset>\n"
        '<div class="actions"><button type="submit" class="danger-solid">Tak, odwołuję wizytę</button>\n'
        f'{link_button(back, "Nie, zostawiam wizytę", "secondary")}</div></form>'
    )
    return layout(title, body, site=view.facility_name)


def _rebook_section(form_token: str, view: VisitView) -> str:
    return (
        '<section aria-labelledby="next-title">\n<h2 id="next-title">Chcesz nowy termin?</h2>\n'
        f'{actions(action_form("rebook", form_token, "Proszę o nowy termin"))}\n'
        "<p>Przychodnia skontaktuje się z Tobą.</p>\n"
        f"{call_line(view.facility_phone, 'Możesz też zadzwonić')}\n</section>"
    )


LATE_TRANSFER = ("<p>Twój przelew jest jeszcze w drodze. Gdy dotrze, przywrócimy wizytę, jeśli termin będzie "
                 "wolny, a jeśli nie, zwrócimy całą kwotę.</p>")


def _recap(view: VisitView) -> str:
    """The cancelled visit in one short paragraph (it is no longer what the page is for)."""
    return (f'<p class="recap">{_e(view.day)}, godz.\u00a0{_e(view.hour)}<br>{_e(view.service)}'
            + (f", {_e(view.specialist)}" if view.specialist else "") + "</p>")


def cancelled_page(view: VisitView, rebook_token: str, *, thank: bool) -> str:
    """After a cancellation: thanks (when the patient cancelled), which visit it was, and the next
    step. A visit cancelled for want of payment says so, and what a transfer still under way will do."""
    recap = _recap(view)
    if view.cancelled_for == "payment_expired":  # which visit, in the sentence that says why
        title, recap = "Wizyta odwołana", ""
        lead = (f"<p>Wizyta {_e(view.day)}, godz.\u00a0{_e(view.hour)} została odwołana, bo przedpłata nie "
                "dotarła na czas.</p>\n")
        if view.payment is not None and view.payment.state == "transfer_late":
            lead += LATE_TRANSFER + "\n"
    elif thank:
        title = "Wizyta odwołana"
        lead = ("<p>Dziękujemy! Termin może dostać ktoś, kto czeka na wizytę.</p>\n" if view.others_waiting
                else "<p>Dziękujemy, że dajesz znać.</p>\n")
    else:
        title, lead = "Ta wizyta jest odwołana", ""
    body = (f"<h1>{_e(title)}</h1>\n{lead}{recap}\n"
            f"{_rebook_section(rebook_token, view)}\n{more_details(view)}")
    return layout(title, body, site=view.facility_name)


def rebook_page(view: VisitView) -> str:
    title = "Przekazaliśmy prośbę o nowy termin"
    body = (f"<h1>{title}</h1>\n"
            f"<p>{_e(view.facility_name)} skontaktuje się z Tobą, aby ustalić nowy termin.</p>\n"
            f"{call_line(view.facility_phone)}\n<h2>Odwołana wizyta</h2>\n{essentials(view, 'Odwołana wizyta')}")
    return layout(title, body, site=view.facility_name)


def over_page(view: VisitView) -> str:
    """The visit has started or is over: nothing to do here any more."""
    title = "Termin tej wizyty już minął"
    body = (f"<h1>{title}</h1>\n<p>Tej wizyty nie można już odwołać ani potwierdzić przez internet.</p>\n"
            f"{call_line(view.facility_phone)}\n{essentials(view)}\n{more_details(view)}")
    return layout(title, body, site=view.facility_name)


def _message_page(title: str, paragraphs: tuple[str, ...], link: tuple[str, str] | None, *,
                  phone: str | None = None, site: str | None = None, extra: str = "") -> str:
    """Errors and notices: a heading, plain sentences, and one way forward (a link, the clinic's phone)."""
    body = [f"<h1>{_e(title)}</h1>", *(f"<p>{_e(text)}</p>" for text in paragraphs), extra]
    if link:
        href, label = link
        body.append(f'<p><a href="{_e(href)}">{_e(label)}</a></p>')
    body.append(call_line(phone, "Telefon do rejestracji przychodni"))
    return layout(title, "\n".join(part for part in body if part), site=site)


def _field(name: str, label: str, kind: str, value: str, extra: str, described: str) -> str:
    return (f'<div class="field"><label for="{name}">{label}</label>'
            f'<input type="{kind}" id="{name}" name="{name}" value="{_e(value)}" required maxlength="20" '
            f'{extra}{described}></div>')


def lookup_page(form_token: str, *, problem: str | None = None, code: str = "", phone: str = "") -> str:
    """Find a visit by its code and the phone number it was booked with. After an error the page
    says what went wrong instead of the introduction (so the button stays on the first screen) and
    keeps what was typed, so one wrong digit is fixed, not typed again."""
    described = ' aria-describedby="problem"' if problem else ""
    lead = (f'<p class="problem" id="problem" role="alert">{_e(problem)}</p>\n' if problem else
            "<p>Wpisz kod wizyty i numer telefonu, który podano przy zapisie. Kod ma 8 znaków, na przykład "
            "K7M2-QX9A. Jest w SMS-ie o umówieniu wizyty i w każdym e-mailu od przychodni.</p>\n")
    body = (
        f"<h1>Znajdź swoją wizytę</h1>\n{lead}"
        f'<form method="post" action="/c"><input type="hidden" name="csrf" value="{_e(form_token)}">\n'
        + _field("code", "Kod wizyty", "text", code,
                 'autocomplete="off" autocapitalize="characters" spellcheck="false"', described) + "\n"
        + _field("phone", "Numer telefonu", "tel", phone, 'autocomplete="tel"', described) + "\n"
        + '<button type="submit" class="primary">Pokaż wizytę</button></form>\n'
        + ("<p>Jeśli nadal się nie udaje, zadzwoń do rejestracji swojej przychodni. " + FIND_THE_PHONE + "</p>"
           if problem else "")
    )
    return layout("Znajdź swoją wizytę", body)


def page_for_visit(view: VisitView, *, stage: str, done: str | None, form_tokens: dict[str, str],
                   thank: bool) -> str:
    """The page a link shows, from the visit's state. `done` (set by the redirect after a button)
    only picks the wording among what the state allows: it cannot make a visit look cancelled."""
    if stage == "cancelled":
        if done == "rebook":
            return rebook_page(view)
        return cancelled_page(view, form_tokens["rebook"], thank=thank or done == "cancelled")
    if stage == "over":
        return over_page(view)
    return visit_page(view, form_tokens, just_confirmed=done == "confirmed" and view.status == CONFIRMED)


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
    "failure": ("Przepraszamy, coś poszło nie tak", (
        "Spróbuj ponownie za chwilę. Jeśli to się powtórzy, zadzwoń do rejestracji swojej przychodni.",)),
}
# Said where the clinic's number is not known: where the patient finds it.
FIND_THE_PHONE = "Numer telefonu przychodni znajdziesz w SMS-ie, który od niej dostajesz."
# A button that no longer applies, by the state the visit is in.
_TRANSITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "over": ("Termin tej wizyty już minął", (
        "Tej wizyty nie można już odwołać ani potwierdzić przez internet.",)),
    "cancelled": ("Ta wizyta jest odwołana", (
        "Odwołanej wizyty nie można potwierdzić. Jeśli chcesz przyjść, poproś o nowy termin.",)),
    "awaiting_payment": ("Wizyta czeka na przedpłatę", (
        "Wizytę potwierdzimy po wpłacie. Odwołać możesz ją już teraz.",)),
    "open": ("Ta wizyta nie jest odwołana", (
        "O nowy termin możesz poprosić po odwołaniu tej wizyty.",)),
}
_TRANSITION_OF_STATUS = {"past": "over", "attended": "over", "no_show": "over", "cancelled": "cancelled",
                         "awaiting_payment": "awaiting_payment"}


def problem_page(kind: str, *, back: str | None = None, phone: str | None = None) -> str:
    """An error page with one way on: back to the visit, or the lookup and the clinic's phone."""
    title, paragraphs = _PROBLEMS[kind]
    if back:
        link = (back, "Wróć do wizyty")
    elif kind == "not_found":
        link = ("/c", "Znajdź wizytę po kodzie")
    else:
        link = None
    if kind in ("not_found", "failure", "expired") and not phone:
        paragraphs = (*paragraphs, FIND_THE_PHONE)
    return _message_page(title, paragraphs, link, phone=phone)


def not_found_page(*, phone: str | None = None) -> str:
    """An address no page has (a mistyped or cut link)."""
    return problem_page("not_found", phone=phone)


def lockout_page(retry_at: datetime | None, *, phone: str | None = None, timezone: str = "Europe/Warsaw") -> str:
    """Too many lookups: when to try again and whom to call (never a link back to the blocked form)."""
    when = f" do godz. {clock_time(retry_at, timezone)}" if retry_at else " na kilkanaście minut"
    paragraphs: tuple[str, ...] = (
        f"Dla bezpieczeństwa wstrzymaliśmy wyszukiwanie wizyty{when}.",
        f"Spróbuj ponownie {'po tej godzinie' if retry_at else 'później'} albo zadzwoń do rejestracji "
        "swojej przychodni.")
    if not phone:
        paragraphs = (*paragraphs, FIND_THE_PHONE)
    return _message_page("Zbyt wiele prób", paragraphs, None, phone=phone)


def transition_page(current_status: str, *, back: str) -> str:
    title, paragraphs = _TRANSITIONS[_TRANSITION_OF_STATUS.get(current_status, "open")]
    return _message_page(title, paragraphs, (back, "Wróć do wizyty"))


LOOKUP_NOT_FOUND = "Nie znaleźliśmy wizyty o tym kodzie i numerze telefonu. Sprawdź, czy są wpisane poprawnie."
LOOKUP_SENT_BY_SMS = ("Ten kod był już wpisywany wiele razy, więc dla bezpieczeństwa nie pokazujemy tu wizyty. "
                      "Jeśli kod i numer telefonu są poprawne, wysłaliśmy na ten numer SMS z linkiem do wizyty.")
LOOKUP_BAD_PHONE = "Sprawdź numer telefonu: wpisz 9 cyfr, na przykład 600 100 200."
LOOKUP_FORM_EXPIRED = "Formularz był otwarty zbyt długo. Sprawdź dane i wyślij jeszcze raz."


# ---------------------------------------------------------------------------------------------
# Payment link (/p/<token>): what the patient sees instead of the payment provider's page, and
# on return from it. Never the provider's name; never "przyjęta" before the money is there.

_PAYMENT_PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "thanks": ("Dziękujemy za wpłatę", ("Wizyta jest opłacona i potwierdzona. Czekamy na Ciebie.",)),
    "ok": ("Dziękujemy! Sprawdzamy płatność", (
        "Gdy wpłata dotrze, dostaniesz SMS, a wizyta zostanie potwierdzona. Zwykle trwa to chwilę.",)),
    "back": ("Płatność nie została dokończona", ("Nic nie zostało pobrane. Możesz zapłacić teraz albo później.",)),
    "paid": ("Ta wizyta jest już opłacona", ("Nie trzeba płacić ponownie. Czekamy na Ciebie.",)),
    "in_progress": ("Czekamy na potwierdzenie z banku", (
        "Przelew jest w drodze. Gdy bank go potwierdzi, dostaniesz SMS, a wizyta zostanie potwierdzona. "
        "Może to potrwać do kilku godzin.",
        "Nie musisz płacić drugi raz.",
        "Jeśli przelew dotrze po terminie płatności, przywrócimy wizytę, o ile jej termin będzie nadal wolny; "
        "jeśli nie, zwrócimy całą kwotę.")),
    "cancelled": ("Ta wizyta jest odwołana", ("Za odwołaną wizytę nie trzeba płacić.",)),
    "refunded": ("Wpłata została zwrócona", (
        "Za tę wizytę nie trzeba już płacić: wpłata wróci na Twoje konto.",)),
    "expired": ("Termin płatności minął", (
        "Wizyta została odwołana, bo przedpłata nie dotarła na czas.",
        "Jeśli nadal potrzebujesz wizyty, zadzwoń do rejestracji.")),
    "transfer_late": ("Czekamy na Twój przelew", (
        "Przelew nie dotarł do terminu płatności, więc wizyta została odwołana.",
        "Gdy dotrze, przywrócimy wizytę, jeśli jej termin będzie nadal wolny, a jeśli nie, zwrócimy całą "
        "kwotę. Dostaniesz SMS.")),
    "over": ("Termin tej wizyty już minął", ("Za tę wizytę nie można już zapłacić przez internet.",)),
    "not_required": ("Ta wizyta nie wymaga opłaty", ("Nie trzeba nic płacić.",)),
    "unavailable": ("Płatności chwilowo nie działają", (
        "Nic nie zostało pobrane. Spróbuj ponownie za kilka minut.",)),
}
# Pages about a visit that is no longer on: its link leads to it, not to cancelling it.
_VISIT_NOT_ON = {"cancelled", "refunded", "expired", "transfer_late", "over"}


def payment_page(kind: str, view: VisitView | None, *, visit_href: str | None, pay_href: str | None = None) -> str:
    """A payment notice: what happened, the button to pay (when it can be paid), the visit, and
    the way to it."""
    title, paragraphs = _PAYMENT_PAGES[kind]
    body = [f"<h1>{_e(title)}</h1>", *(f"<p>{_e(text)}</p>" for text in paragraphs)]
    if kind == "thanks" and view is not None:
        body.append("<p>Potwierdzenie wysłaliśmy SMS-em" + (" i e-mailem" if view.email_known else "") + ".</p>")
    if pay_href and view is not None and view.payment is not None:
        body.append(pay_note(view))
        body.append(actions(link_button(pay_href, f"Zapłać {amount_words(view.payment.amount)}")))
    if view is not None:
        body.append(essentials(view))
        if visit_href:
            label = "Zobacz wizytę" if kind in _VISIT_NOT_ON else "Zobacz wizytę lub ją odwołaj"
            body.append(f'<p><a href="{_e(visit_href)}">{label}</a></p>')
        body.append(more_details(view))
    return layout(title, "\n".join(body), site=view.facility_name if view else None)
