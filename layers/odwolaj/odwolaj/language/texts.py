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
    "booked": "$facility: umówiono wizytę $when, $service. Nie możesz przyjść? Odwołaj: $link",
    "moved": "$facility: zmiana terminu wizyty na $when, $service. Nie pasuje? Odwołaj: $link",
    "help": "$facility: nie rozumiemy odpowiedzi. Odpisz TAK, jeśli przyjdziesz, lub NIE, by odwołać wizytę $when. "
            "Albo: $link",
    "clarify": "$facility: masz kilka wizyt. Wybierz tę, której dotyczy odpowiedź: $link",
    "stopped": "$facility: nie będziemy wysyłać przypomnień. Potwierdzenia zmian wizyt nadal dotrą. "
               "By wznowić, odpisz START.",
    "started": "$facility: przypomnienia o wizytach wznowione.",
    "visit_link": "$facility: Twoja wizyta $when. Tu ją potwierdzisz lub odwołasz: $link",
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
    "offer_two_way": "$facility: zwolnił się termin $when, $service. Chcesz go? Odpowiedz TAK lub NIE "
                     "do $reply_by. Albo: $link",
    "offer_one_way": "$facility: zwolnił się termin $when, $service. Chcesz go? Wybierz do $reply_by: $link",
    "offer_taken": "$facility: termin $when zajął już ktoś inny. Przepraszamy! Zostajesz na liście "
                   "oczekujących na swoim miejscu.",
    "offer_expired": "$facility: propozycja terminu $when wygasła. Zostajesz na liście oczekujących "
                     "na swoim miejscu.",
    "offer_declined": "$facility: dziękujemy za odpowiedź. Zostajesz na liście oczekujących na swoim miejscu.",
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
        "Pytania: $contact\n\n"
        "Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n",
    ),
    "payment_optional": (
        "Możliwość przedpłaty za wizytę $when: $facility",
        "Dzień dobry,\n\n"
        "umówiono wizytę $when ($service) w placówce $facility. Możesz zapłacić $amount z góry: $link\n\n"
        "Pytania: $contact\n\n"
        "Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n",
    ),
}


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
    reply_by: str = ""  # reserve list: when an offer's hold ends (local HH:MM)
    until: datetime | None = None  # the end of a prepayment blacklist entry

    def when(self) -> str:
        local = self.starts_at.astimezone(ZoneInfo(self.timezone))
        return f"{WEEKDAYS[local.weekday()]} {local:%d.%m} o {local:%H:%M}"

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
        position=context.position or "", forecast=context.forecast, reply_by=context.reply_by,
    )
