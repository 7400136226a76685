"""Default SMS and e-mail texts, one per message kind, in plain Polish.

Written with diacritics for people to read here; SMS are sent transliterated to GSM-7 by default,
so a reminder with its link fits one 160-character segment. So no SMS uses a word that changes
meaning without its diacritics ("ją" reads as "ja", "płać" as "plac", "mają" as "Maja").

A reminder says that cancelling frees the visit for others: stating that cost measurably cuts
no-shows. A message says that the freed visit may go to someone else only when someone waits for
that service (the `_waiting` kinds, picked by the sender). Messages about money name the facility
in full, the visit, its code, the amount and the deadline, so they cannot pass for the common
"dopłata" phishing SMS. A two-way number can ask for TAK/NIE; an alphanumeric sender (the
clinic's name) cannot receive replies, so its messages carry the link instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from string import Template
from zoneinfo import ZoneInfo

from odwolaj.language import polish
from odwolaj.language.gsm import transliterate

SMS_WEEKDAYS = ("pn", "wt", "śr", "czw", "pt", "sob", "nd")

DEFAULTS: dict[str, str] = {
    "reminder_two_way": "$facility: wizyta $when. Przyjdziesz? Odpisz TAK lub NIE. "
                        "Odwołując, zwalniasz termin innym. $link",
    "reminder_one_way": "$facility: wizyta $when. Nie możesz przyjść? Odwołaj wizytę, a zwolnisz termin "
                        "dla innych: $link",
    "confirmed": "$facility: dziękujemy, wizyta $when potwierdzona. Gdyby coś się zmieniło, odwołaj wizytę: $link",
    "cancelled": "$facility: wizyta $when odwołana. Dziękujemy, że dajesz znać. Nowy termin? Zadzwoń: $phone",
    "cancelled_waiting": "$facility: wizyta $when odwołana. Dziękujemy! Termin może dostać ktoś, kto czeka "
                         "na wizytę. Nowy termin? Zadzwoń: $phone",
    "booked": "$facility: umówiono wizytę $when, $service. Kod wizyty: $code. Nie możesz przyjść? "
              "Odwołaj wizytę: $link",
    "moved": "$facility: zmieniono termin wizyty ($service) na $when. Nie pasuje? Odwołaj wizytę: $link",
    "help": "$facility: nie rozumiemy odpowiedzi. Odpisz TAK, jeśli przyjdziesz na wizytę $when, albo NIE, "
            "by odwołać wizytę. Możesz też wybrać tutaj: $link lub zadzwoń: $phone",
    # One short question after a bare NIE to a message that asked nothing: the answer binds this visit.
    "question": "$facility: wizyta $when. Odpisz TAK, jeśli przyjdziesz, albo NIE, by odwołać wizytę.",
    # A reply that could mean several visits: asked about one ($link: the others' pages).
    "clarify": "$facility: masz kilka wizyt. Odpisz TAK, jeśli przyjdziesz na wizytę $when, albo NIE, by "
               "odwołać tę wizytę. Inne wizyty: $link",
    "stopped": "$facility: nie będziemy wysyłać przypomnień o wizytach. Potwierdzenia zmian wizyt nadal "
               "dotrą. Aby to cofnąć, odpisz START.",
    "started": "$facility: znów będziemy wysyłać przypomnienia o wizytach.",
    # The visit's link for its owner, after the lookup page's tries for its code were used up.
    "visit_link": "$facility: wizyta $when. Potwierdzenie lub odwołanie wizyty: $link",
    "no_show": "$facility: nie było Cię na wizycie $when. Jeśli następnym razem nie dasz rady przyjść, "
               "odwołaj wizytę przez link z SMS-a lub zadzwoń: $phone",
    # Money: the facility's full name, the visit, its code.
    "payment_link": "$facility_name: wizyta $when, $service, kod $code, czeka na przedpłatę $amount. "
                    "Zapłać $deadline: $link Bez wpłaty wizyta zostanie odwołana.",
    "payment_claim": "$facility_name: trzymamy dla Ciebie termin $when, $service, kod $code, $deadline. "
                     "Będzie Twój po wpłacie $amount: $link Bez wpłaty zostajesz na liście na swoim miejscu.",
    "payment_optional": "$facility_name: umówiono wizytę $when, $service, kod $code. Możesz zapłacić "
                        "z góry $amount: $link",
    "payment_received": "$facility_name: dziękujemy za wpłatę $amount. Wizyta $when, $service, kod $code, "
                        "jest potwierdzona. Gdyby coś się zmieniło, odwołaj wizytę: $link",
    "payment_reinstated": "$facility_name: wpłata $amount dotarła po czasie, ale termin wizyty był wolny. "
                          "Wizyta $when, kod $code, jest potwierdzona. Odwołanie wizyty: $link",
    "payment_refunded": "$facility_name: wpłata $amount za wizytę $when, kod $code, dotarła po odwołaniu wizyty, "
                        "więc zwracamy całą kwotę. Nowy termin? Zadzwoń: $phone",
    "payment_expired": "$facility_name: wizyta $when, $service, kod $code, została odwołana, bo przedpłata "
                       "nie dotarła na czas. Nowy termin? Zadzwoń: $phone",
    "payment_expired_transfer": "$facility_name: wizyta $when, kod $code, została odwołana, bo przelew nie dotarł "
                                "na czas. Gdy dotrze, przywrócimy wizytę, jeśli termin będzie wolny, a jeśli nie, "
                                "zwrócimy całą kwotę.",
    "blacklisted_no_shows": "$facility: ponieważ nie odwołano wizyt, na których Cię nie było, do $until każdą "
                            "wizytę trzeba opłacić z góry. Pytania? Zadzwoń: $phone",
    "blacklisted": "$facility: przychodnia zdecydowała, że do $until każdą wizytę trzeba opłacić z góry. "
                   "Pytania? Zadzwoń: $phone",
    # Reserve (waiting) list
    "waitlist_joined": "$facility: jesteś na liście oczekujących ($service), miejsce $position. "
                       "Przewidywany termin: $forecast. Gdy zwolni się wcześniejszy, możemy go zaproponować SMS-em.",
    "planned_date_moved": "$facility: nowy przewidywany termin wizyty ($service): $forecast. "
                          "Pytania? Zadzwoń: $phone",
    "exact_date": "$facility: dokładny termin Twojej wizyty z listy oczekujących ($service): $forecast. "
                  "Pytania? Zadzwoń: $phone",
    # An offer names the day in words: it may come days ahead, and is read by seniors. No reply-by
    # hour: a yes counts while the slot is free.
    "offer_two_way": "$facility: zwolnił się termin $day o $time, $service. Chcesz go? Odpisz TAK lub NIE "
                     "albo wybierz tutaj: $link",
    "offer_two_way_prepaid": "$facility: zwolnił się termin $day o $time, $service. Przedpłata: $amount. "
                             "Chcesz go? Odpisz TAK lub NIE albo wybierz tutaj: $link",
    "offer_one_way": "$facility: zwolnił się termin $day o $time, $service. Chcesz go? Wybierz tutaj: $link",
    "offer_one_way_prepaid": "$facility: zwolnił się termin $day o $time, $service. Przedpłata: $amount. "
                             "Chcesz go? Wybierz tutaj: $link",
    "offer_taken": "$facility: termin $when zajął już ktoś inny. Przepraszamy! Zostajesz na liście "
                   "oczekujących na swoim miejscu.",
    "offer_expired": "$facility: na termin $when jest już za późno. Zostajesz na liście oczekujących "
                     "na swoim miejscu.",
    # Names the slot: a bare NIE to two open offers answers the newer one (reserve.replies).
    "offer_declined": "$facility: dziękujemy, termin $when zaproponujemy innym. Zostajesz na liście oczekujących "
                      "na swoim miejscu.",
    # STOP / START in reply to an offer: offers only; the place on the list and visits' reminders stay.
    "offers_stopped": "$facility: nie wyślemy już propozycji wcześniejszych terminów. Zostajesz na liście na "
                      "swoim miejscu. By to cofnąć, odpisz START.",
    "offers_started": "$facility: znów wyślemy propozycje wcześniejszych terminów, gdy się zwolnią.",
    # An offer's answer that is neither TAK nor NIE.
    "offer_help": "$facility: chcesz termin $when? Odpisz TAK, by go wziąć, albo NIE, by czekać dalej na swoim "
                  "miejscu. Możesz też wybrać tutaj: $link",
}

_VISIT = ("Termin: $when\n"
          "Świadczenie: $service\n"
          "Przychodnia: $facility\n"
          "Kod wizyty: $code\n")
_FOOTER = ("Pytania: $contact\n\n"
           "Wiadomość wysłana automatycznie, prosimy na nią nie odpowiadać.\n")

# E-mails (subject, plain-text body), sent when the appointment has an address: the same facts
# as the SMS of the same kind, in full words and dates. `$facility` is the full name here.
EMAILS: dict[str, tuple[str, str]] = {
    # The answer to a cancellation sent to the cancellation address (the sender may be a relative).
    "cancelled": (
        "Wizyta odwołana: $when – $facility",
        "Dzień dobry,\n\n"
        "zgodnie z Twoją wiadomością odwołaliśmy wizytę:\n\n" + _VISIT + "\n"
        "Dziękujemy za wiadomość. Jeśli potrzebujesz nowego terminu, zadzwoń do rejestracji.\n\n" + _FOOTER,
    ),
    "cancelled_waiting": (
        "Wizyta odwołana: $when – $facility",
        "Dzień dobry,\n\n"
        "zgodnie z Twoją wiadomością odwołaliśmy wizytę:\n\n" + _VISIT + "\n"
        "Dziękujemy! Ten termin może teraz dostać ktoś, kto czeka na wizytę. Jeśli potrzebujesz nowego terminu, "
        "zadzwoń do rejestracji.\n\n" + _FOOTER,
    ),
    "payment_link": (
        "Przedpłata za wizytę: $when – $facility",
        "Dzień dobry,\n\n"
        "zarezerwowaliśmy dla Ciebie wizytę:\n\n" + _VISIT + "\n"
        "Potwierdzimy ją po wpłacie $amount $deadline. Zapłacić możesz tutaj:\n$link\n\n"
        "Jeśli wpłata nie dotrze w tym czasie, wizyta zostanie odwołana.\n\n" + _FOOTER,
    ),
    "payment_claim": (
        "Zwolniony termin czeka na przedpłatę: $when – $facility",
        "Dzień dobry,\n\n"
        "przyjęliśmy Twoją odpowiedź na propozycję terminu z listy oczekujących:\n\n" + _VISIT + "\n"
        "Trzymamy ten termin dla Ciebie $deadline. Aby go zająć, wpłać $amount tutaj:\n$link\n\n"
        "Jeśli wpłata nie dotrze w tym czasie, zaproponujemy termin komuś innemu, a Ty zostaniesz na liście "
        "oczekujących na swoim miejscu.\n\n" + _FOOTER,
    ),
    "payment_optional": (
        "Możliwość przedpłaty za wizytę: $when – $facility",
        "Dzień dobry,\n\n"
        "umówiliśmy dla Ciebie wizytę:\n\n" + _VISIT + "\n"
        "Jeśli chcesz, możesz zapłacić z góry $amount tutaj:\n$link\n\n" + _FOOTER,
    ),
    "payment_received": (
        "Potwierdzenie wpłaty za wizytę: $when – $facility",
        "Dzień dobry,\n\n"
        "dziękujemy, otrzymaliśmy Twoją wpłatę $amount. Wizyta jest potwierdzona:\n\n" + _VISIT + "\n"
        "Gdyby coś się zmieniło, odwołaj wizytę tutaj:\n$link\n\n" + _FOOTER,
    ),
    "payment_reinstated": (
        "Wizyta przywrócona po wpłacie: $when – $facility",
        "Dzień dobry,\n\n"
        "Twoja wpłata $amount dotarła po terminie płatności, ale termin wizyty był jeszcze wolny, "
        "więc wizyta wróciła i jest potwierdzona:\n\n" + _VISIT + "\n"
        "Gdyby coś się zmieniło, odwołaj wizytę tutaj:\n$link\n\n" + _FOOTER,
    ),
    "payment_refunded": (
        "Zwrot wpłaty za wizytę: $when – $facility",
        "Dzień dobry,\n\n"
        "Twoja wpłata $amount dotarła, gdy tej wizyty już nie było:\n\n" + _VISIT + "\n"
        "Dlatego zwracamy całą kwotę na konto, z którego zapłacono. Zwrot może potrwać kilka dni roboczych.\n\n"
        + _FOOTER,
    ),
    # The answer to an e-mail cancellation of a visit already cancelled (odwolaj.messaging.inbound_email).
    "email_already_cancelled": (
        "Wizyta była już odwołana: $when – $facility",
        "Dzień dobry,\n\n"
        "ta wizyta była już wcześniej odwołana:\n\n" + _VISIT + "\n"
        "Nic więcej nie trzeba robić. Dziękujemy!\n\n" + _FOOTER,
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
    facility_name: str = ""  # the full name (messages about money); the short name when empty
    code: str = ""  # the visit code
    sent_at: datetime | None = None  # when the message is composed: "dziś do 11:25" in SMS
    deadline: datetime | None = None  # a prepayment's
    amount: int | None = None  # grosze
    position: int | None = None  # reserve list: place in the queue
    forecast: str = ""  # reserve list: the planned date, as the patient reads it
    until: datetime | None = None  # the end of a prepayment blacklist entry

    def when(self) -> str:
        """'śr 02.12 o 10:30' (SMS)."""
        local = self.starts_at.astimezone(ZoneInfo(self.timezone))
        return f"{SMS_WEEKDAYS[local.weekday()]} {local:%d.%m} o {local:%H:%M}"

    def day(self) -> str:
        """'czwartek 14 stycznia' (the local date in words: an offer may come days ahead)."""
        at = polish.local(self.starts_at, self.timezone)
        return f"{polish.WEEKDAYS[at.weekday()]} {at.day} {polish.MONTHS[at.month - 1]}"

    def when_in_words(self) -> str:
        """'czwartek, 3 grudnia, godz. 10:00' (e-mail)."""
        return polish.day_and_time(self.starts_at, self.timezone, today=self.sent_at or self.starts_at)

    def deadline_words(self, *, relative: bool = False) -> str:
        """'do środy 26 listopada, godz. 20:00'; `relative` (SMS): 'dziś do 11:25', 'jutro do 20:00'."""
        if self.deadline is None:
            return ""
        return polish.deadline_words(self.deadline, self.timezone, today=self.sent_at if relative else None)

    def until_words(self) -> str:
        """'26 listopada 2026' (the local date)."""
        return polish.date_words(self.until, self.timezone) if self.until is not None else ""

    def contact(self) -> str:
        """Who to ask: the facility, with its phone when it has one."""
        name = self.facility_name or self.facility
        return f"{name}, tel. {self.phone}" if self.phone else name

    def amount_words(self) -> str:
        """'150 zł' or '150,50 zł'."""
        return polish.amount_words(self.amount) if self.amount is not None else ""


def render(kind: str, context: MessageContext, *, overrides: dict[str, str] | None = None,
           keep_diacritics: bool = False) -> str:
    """The text of one SMS. A facility's override replaces the default for its kind."""
    template = (overrides or {}).get(kind) or DEFAULTS[kind]
    text = _fill(template, context, when=context.when(), deadline=context.deadline_words(relative=True),
                 facility=context.facility)
    return text if keep_diacritics else transliterate(text)


def render_email(kind: str, context: MessageContext) -> tuple[str, str]:
    """(subject, plain-text body) of one e-mail, with diacritics (e-mail is not GSM-7) and dates
    in full words ("czwartek, 3 grudnia, godz. 10:00"); `$facility` is the full name."""
    subject, body = EMAILS[kind]
    values = {"when": context.when_in_words(), "deadline": context.deadline_words(),
              "facility": context.facility_name or context.facility}
    return _fill(subject, context, **values), _fill(body, context, **values)


def _fill(template: str, context: MessageContext, *, when: str, deadline: str, facility: str) -> str:
    return Template(template).safe_substitute(
        facility=facility, facility_name=context.facility_name or context.facility, when=when,
        link=context.link, service=context.service, phone=context.phone, contact=context.contact(),
        code=context.code, deadline=deadline, amount=context.amount_words(), until=context.until_words(),
        position=context.position or "", forecast=context.forecast, day=context.day(),
        time=polish.clock_time(context.starts_at, context.timezone),
    )
