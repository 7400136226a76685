"""Default SMS texts, one per message kind, in plain Polish.

Written with diacritics for people to read here; sent transliterated to GSM-7 by default, so a
reminder with its link fits one 160-character segment. Wording says plainly that an uncancelled
visit blocks someone else's care: stating that cost measurably cuts no-shows. A two-way number
can ask for TAK/NIE; an alphanumeric sender (the clinic's name) cannot receive replies, so its
messages carry the link instead of asking for an answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from string import Template
from zoneinfo import ZoneInfo

from odwolaj.language.gsm import transliterate

WEEKDAYS = ("pn", "wt", "śr", "czw", "pt", "sob", "nd")
WEEKDAYS_FULL = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")
# "do środy 26 listopada": a deadline in words takes the genitive.
WEEKDAYS_GENITIVE = ("poniedziałku", "wtorku", "środy", "czwartku", "piątku", "soboty", "niedzieli")
MONTHS_GENITIVE = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
                   "września", "października", "listopada", "grudnia")

DEFAULTS: dict[str, str] = {
    "reminder_two_way": "$facility: wizyta $when. Przyjdziesz? Odpisz TAK lub NIE. "
                        "Nieodwołana blokuje innego pacjenta. $link",
    "reminder_one_way": "$facility: wizyta $when. Nie możesz przyjść? Odwołaj, by ktoś inny "
                        "mógł z niej skorzystać: $link",
    "confirmed": "$facility: dziękujemy, wizyta $when potwierdzona. Gdyby coś się zmieniło, odwołaj: $link",
    "cancelled": "$facility: wizyta $when odwołana. Dziękujemy! Twój termin dostanie inny pacjent. "
                 "Nowy termin: $phone",
    "booked": "$facility: umówiono wizytę $when, $service. Kod wizyty: $code. Nie możesz przyjść? Odwołaj: $link",
    "moved": "$facility: zmiana terminu wizyty na $when, $service. Nie pasuje? Odwołaj: $link",
    "help": "$facility: nie rozumiemy odpowiedzi. Odpisz TAK, jeśli przyjdziesz, lub NIE, by odwołać wizytę $when. "
            "Albo: $link lub tel. $phone",
    # One short question after a bare NIE to a message that asked nothing: the answer binds this visit.
    "question": "$facility: wizyta $when. Odpisz TAK, jeśli przyjdziesz, lub NIE, by odwołać wizytę.",
    # A reply that could mean several visits: asked about one ($link: the others' pages).
    "clarify": "$facility: masz kilka wizyt. Odpisz TAK, jeśli przyjdziesz na wizytę $when, lub NIE, by odwołać "
               "tę wizytę. Inne wizyty: $link",
    "stopped": "$facility: nie będziemy wysyłać przypomnień. Potwierdzenia zmian wizyt nadal dotrą. "
               "By wznowić, odpisz START.",
    "started": "$facility: przypomnienia o wizytach wznowione.",
    "no_show": "$facility: nie było Cię na wizycie $when. Odwołana wizyta trafia do kogoś, kto czeka. "
               "Następnym razem odwołaj: odpisz NIE lub zadzwoń $phone",
    "payment_received": "$facility: dziękujemy za wpłatę. Wizyta $when potwierdzona. Gdyby coś się zmieniło, "
                        "odwołaj: $link",
    "payment_reinstated": "$facility: wpłata dotarła po terminie, ale Twój termin był wolny: wizyta $when "
                          "przywrócona i potwierdzona. Odwołanie: $link",
    "payment_refunded": "$facility: wpłata dotarła po anulowaniu wizyty $when, więc zwracamy ją w całości. "
                        "Nowy termin: $phone",
    "payment_link": "$facility: wizyta $when zarezerwowana. Potwierdzimy ją po wpłacie $amount $deadline: "
                    "$link Bez wpłaty rezerwacja przepadnie.",
    "payment_optional": "$facility: umówiono wizytę $when, $service. Możesz zapłacić $amount z góry: $link",
    "blacklisted_no_shows": "$facility: z powodu nieodwołanych nieobecności na wizytach do $until każdą "
                            "wizytę trzeba opłacić z góry przy rezerwacji. Pytania: $phone",
    "blacklisted": "$facility: decyzją placówki do $until każdą wizytę trzeba opłacić z góry przy rezerwacji. "
                   "Pytania: $phone",
    "payment_expired": "$facility: wizyta $when anulowana: przedpłata nie wpłynęła w terminie. "
                       "Termin dostanie inny pacjent. Nowy termin: $phone",
    # Reserve (waiting) list
    "waitlist_joined": "$facility: jesteś na liście oczekujących ($service), miejsce $position. "
                       "Przewidywany termin: $forecast. Gdy zwolni się wcześniejszy, napiszemy.",
    "planned_date_moved": "$facility: zmienił się planowany termin ($service): $forecast. "
                          "Pytania: $phone",
    "exact_date": "$facility: dokładny termin Twojej wizyty z listy oczekujących ($service): $forecast. "
                  "Pytania: $phone",
    # An offer names the day in words: it may come days ahead, and is read by seniors. No reply-by
    # hour: a yes counts while the slot is free.
    "offer_two_way": "$facility: zwolnił się termin $day o $time, $service. Chcesz go? Odpowiedz TAK lub NIE. "
                     "Albo: $link",
    "offer_one_way": "$facility: zwolnił się termin $day o $time, $service. Chcesz go? Wybierz: $link",
    "offer_taken": "$facility: termin $when zajął już ktoś inny. Przepraszamy! Zostajesz na liście "
                   "oczekujących na swoim miejscu.",
    "offer_expired": "$facility: na termin $when jest już za późno. Zostajesz na liście oczekujących "
                     "na swoim miejscu.",
    "offer_declined": "$facility: dziękujemy za odpowiedź. Zostajesz na liście oczekujących na swoim miejscu.",
    # An offer's answer that is neither TAK nor NIE.
    "offer_help": "$facility: chcesz termin $when? Odpisz TAK, by go wziąć, lub NIE, by czekać dalej na swoim "
                  "miejscu. Albo: $link",
}

# E-mails (subject, plain-text body), sent when the appointment has an address: the same facts
# as the SMS of the same kind, with room to say them in full. `$facility` is the full name here.
EMAILS: dict[str, tuple[str, str]] = {
    "payment_link": (
        "Przedpłata za wizytę $when: $facility",
        "Dzień dobry,\n\n"
        "wizyta $when ($service) w placówce $facility jest zarezerwowana. Potwierdzimy ją po wpłacie "
        "$amount $deadline. Bez wpłaty w tym terminie rezerwacja przepadnie, a termin dostanie inny "
        "pacjent.\n\n"
        "Zapłać tutaj: $link\n\n"
        "Kod wizyty: $code\n\n"
        "Pytania: $contact\n\n"
        "Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n",
    ),
    "payment_optional": (
        "Możliwość przedpłaty za wizytę $when: $facility",
        "Dzień dobry,\n\n"
        "umówiono wizytę $when ($service) w placówce $facility. Możesz zapłacić $amount z góry: $link\n\n"
        "Kod wizyty: $code\n\n"
        "Pytania: $contact\n\n"
        "Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n",
    ),
    # Answers to e-mails sent to the cancellation address (odwolaj.messaging.inbound_email).
    "email_cancelled": (
        "Wizyta odwołana — dziękujemy",
        "Dzień dobry,\n\n"
        "wizyta $when ($service) w placówce $facility została odwołana. Dziękujemy, że dałeś znać — "
        "ten termin dostanie teraz inny pacjent.\n\n"
        "Kod wizyty: $code\n\n"
        "Jeśli potrzebujesz nowego terminu, skontaktuj się z rejestracją: $contact\n",
    ),
    "email_already_cancelled": (
        "Wizyta była już odwołana",
        "Dzień dobry,\n\n"
        "wizyta $when ($service) w placówce $facility była już wcześniej odwołana. Nic więcej nie trzeba "
        "robić.\n\n"
        "Kod wizyty: $code\n\n"
        "Dziękujemy!\n",
    ),
}
# Answers that name no visit: they have no placeholders but $lookup (the lookup page's address).
EMAIL_ASK_FOR_CODE = (
    "Której wizyty dotyczy wiadomość?",
    "Dzień dobry,\n\n"
    "dostaliśmy Twoją wiadomość, ale nie wiemy, którą wizytę odwołać. Odpisz na tę wiadomość i podaj kod "
    "wizyty: 8 znaków, na przykład K7M2-QX9A. Kod jest w SMS-ie o umówieniu wizyty (po słowach "
    "„Kod wizyty”) i w każdym e-mailu od przychodni. Jeśli masz kilka wizyt, podaj kod tej, którą "
    "chcesz odwołać.\n\n"
    "Wizytę odwołasz też sam: linkiem z SMS-a albo na stronie $lookup (kod wizyty i numer telefonu).\n",
)
EMAIL_PASSED_ON = (
    "Otrzymaliśmy Twoją wiadomość",
    "Dzień dobry,\n\n"
    "otrzymaliśmy Twoją wiadomość i przekazaliśmy ją do rejestracji, która się nią zajmie.\n\n"
    "Dziękujemy!\n",
)


@dataclass(frozen=True)
class MessageContext:
    facility: str  # the facility's short name
    starts_at: datetime
    timezone: str = "Europe/Warsaw"
    link: str = ""
    service: str = ""
    phone: str = ""
    deadline: datetime | None = None  # a prepayment's
    amount: int | None = None  # grosze
    position: int | None = None  # reserve list: place in the queue
    forecast: str = ""  # reserve list: the planned date, as the patient reads it
    until: datetime | None = None  # the end of a prepayment blacklist entry
    code: str = ""  # the visit code, as the patient types it on the lookup page ("K7M2-QX9A")

    def when(self) -> str:
        local = self.starts_at.astimezone(ZoneInfo(self.timezone))
        return f"{WEEKDAYS[local.weekday()]} {local:%d.%m} o {local:%H:%M}"

    def day(self) -> str:
        """'czwartek 14 stycznia' (the local date in words)."""
        local = self.starts_at.astimezone(ZoneInfo(self.timezone))
        return f"{WEEKDAYS_FULL[local.weekday()]} {local.day} {MONTHS_GENITIVE[local.month - 1]}"

    def deadline_words(self) -> str:
        """'do środy 26 listopada, godz. 20:00' (local time)."""
        if self.deadline is None:
            return ""
        local = self.deadline.astimezone(ZoneInfo(self.timezone))
        return (f"do {WEEKDAYS_GENITIVE[local.weekday()]} {local.day} {MONTHS_GENITIVE[local.month - 1]}, "
                f"godz. {local:%H:%M}")

    def until_words(self) -> str:
        """'26 listopada 2026' (the local date)."""
        if self.until is None:
            return ""
        local = self.until.astimezone(ZoneInfo(self.timezone))
        return f"{local.day} {MONTHS_GENITIVE[local.month - 1]} {local.year}"

    def contact(self) -> str:
        """Who to ask: the facility, with its phone when it has one."""
        return f"{self.facility}, tel. {self.phone}" if self.phone else self.facility

    def amount_words(self) -> str:
        """'150 zł' or '150,50 zł'."""
        if self.amount is None:
            return ""
        zloty, grosze = divmod(int(self.amount), 100)
        return f"{zloty} zł" if not grosze else f"{zloty},{grosze:02d} zł"


def render(kind: str, context: MessageContext, *, overrides: dict[str, str] | None = None,
           keep_diacritics: bool = False) -> str:
    """The text of one message. A facility's override replaces the default for its kind."""
    template = (overrides or {}).get(kind) or DEFAULTS[kind]
    text = _fill(template, context)
    return text if keep_diacritics else transliterate(text)


def render_email(kind: str, context: MessageContext) -> tuple[str, str]:
    """(subject, plain-text body) of one e-mail, with diacritics (e-mail is not GSM-7)."""
    subject, body = EMAILS[kind]
    return _fill(subject, context), _fill(body, context)


def _fill(template: str, context: MessageContext) -> str:
    return Template(template).safe_substitute(
        facility=context.facility, when=context.when(), link=context.link,
        service=context.service, phone=context.phone, contact=context.contact(),
        deadline=context.deadline_words(), amount=context.amount_words(), until=context.until_words(),
        position=context.position or "", forecast=context.forecast, day=context.day(),
        time=f"{context.starts_at.astimezone(ZoneInfo(context.timezone)):%H:%M}",
        code=context.code,
    )
