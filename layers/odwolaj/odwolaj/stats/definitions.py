"""Every figure the dashboard and GET /api/v1/stats show, with its definition: the Polish one the
console shows next to the figure (one click away) and on its definitions page, the English one
docs/openapi.yaml gives integrators. One list, so the two cannot say different things."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    key: str  # the JSON key of GET /api/v1/stats
    section: str
    label: str  # Polish, as the console shows it
    definition: str  # Polish
    english: str


SECTIONS = {
    "visits": "Wizyty",
    "messages": "Przypomnienia i potwierdzenia",
    "recovery": "Odzyskiwanie zwolnionych terminów",
    "payments": "Przedpłaty",
    "waiting": "Lista oczekujących",
}

KPIS = (
    Kpi("visits_booked", "visits", "Wizyty zapisane na okres",
        "Wszystkie wizyty z terminem w wybranym okresie, także te później odwołane. Wizyta przeniesiona na "
        "inny dzień liczy się w dniu nowego terminu.",
        "Visits whose time falls in the period, including those cancelled later; a moved visit counts on its "
        "new day."),
    Kpi("visits_due", "visits", "Wizyty do odbycia",
        "Wizyty z terminem w okresie, których nie odwołano: zapisane − odwołania + wizyty przywrócone późną "
        "wpłatą.",
        "Visits in the period that were not cancelled: visits_booked - cancellations + reinstated."),
    Kpi("attended", "visits", "Odbyte",
        "Wizyty z okresu, na których rejestracja (lub system przychodni) odnotowała obecność pacjenta.",
        "Visits in the period recorded as attended."),
    Kpi("no_shows", "visits", "Nieobecności",
        "Wizyty z okresu, na które pacjent nie przyszedł i ich nie odwołał (odnotowane przez rejestrację).",
        "Visits in the period recorded as no-shows (the patient neither came nor cancelled)."),
    Kpi("no_show_rate", "visits", "Odsetek nieobecności",
        "Nieobecności ÷ wizyty do odbycia.",
        "no_shows / visits_due (null when visits_due is 0)."),
    Kpi("outcome_not_recorded", "visits", "Bez odnotowanego wyniku",
        "Wizyty do odbycia z dni do dzisiaj włącznie, przy których nie odnotowano ani obecności, ani "
        "nieobecności.",
        "Visits due on days up to today with neither attendance nor a no-show recorded."),
    Kpi("upcoming", "visits", "Jeszcze przed terminem",
        "Wizyty do odbycia z dni po dzisiejszym.",
        "Visits due on days after today."),
    Kpi("cancellations", "visits", "Odwołania",
        "Odwołania wizyt z terminem w okresie, wszystkimi kanałami, także z braku przedpłaty.",
        "Cancellations of visits in the period, by any channel (including unpaid bookings)."),
    Kpi("late_cancellations", "visits", "Późne odwołania",
        "Odwołania złożone mniej niż próg przed wizytą (próg przychodni, domyślnie 24 godziny; zmienia się go "
        "w ustawieniach).",
        "Cancellations made less than the facility's threshold (late_cancellation_hours, 24 by default) before "
        "the visit."),
    Kpi("late_cancellation_rate", "visits", "Odsetek późnych odwołań",
        "Późne odwołania ÷ wizyty zapisane na okres.",
        "late_cancellations / visits_booked (null when visits_booked is 0)."),
    Kpi("cancellations_by_channel", "visits", "Odwołania według kanału",
        "Jak odwołano: strona wizyty z linku, odpowiedź SMS, e-mail, system przychodni, rejestracja, brak "
        "przedpłaty w terminie.",
        "Cancellations by channel: web (the visit page), sms, email, clinic_api, reception, payment_expired."),
    Kpi("cancellations_by_reason", "visits", "Odwołania według powodu",
        "Powód, który podał pacjent (albo „nie podano”); „brak przedpłaty” przy rezerwacjach nieopłaconych w "
        "terminie.",
        "Cancellations by the reason given (not_given when none; unpaid for bookings not paid in time)."),
    Kpi("cancellation_lead_time", "visits", "Z jakim wyprzedzeniem odwołano",
        "Ile czasu przed wizytą złożono odwołanie: poniżej 2 godzin, 2–24 godziny, 1–3 dni, 3–7 dni, "
        "7 dni i więcej.",
        "Cancellations by how long before the visit they were made: under_2h, 2_24h, 1_3d, 3_7d, over_7d."),
    Kpi("reinstated", "visits", "Przywrócone po późnej wpłacie",
        "Wizyty odwołane z braku przedpłaty, które wróciły, bo wpłata dotarła, gdy termin był jeszcze wolny.",
        "Visits cancelled for want of payment that a late payment brought back."),
    Kpi("reminders_sent", "messages", "Wysłane przypomnienia",
        "Przypomnienia SMS o wizytach z okresu przekazane operatorowi SMS (domyślnie 7 dni i 1 dzień przed "
        "wizytą).",
        "Reminder SMS about visits in the period handed to the SMS provider."),
    Kpi("confirmed", "messages", "Potwierdzone przez pacjenta",
        "Wizyty z okresu, które pacjent potwierdził (TAK w SMS, przycisk na stronie wizyty albo przedpłata) i "
        "których potem nie odwołano ani nie przeniesiono.",
        "Visits in the period the patient confirmed (TAK, the visit page, or paying) and that were not "
        "cancelled or moved afterwards."),
    Kpi("confirmation_rate", "messages", "Odsetek potwierdzonych",
        "Potwierdzone ÷ wizyty do odbycia.",
        "confirmed / visits_due (null when visits_due is 0)."),
    Kpi("opt_outs", "messages", "Rezygnacje z SMS",
        "Odpowiedzi STOP w okresie (liczone w dniu, w którym przyszły).",
        "STOP replies received in the period (counted on the day received)."),
    Kpi("slots_freed", "recovery", "Zwolnione terminy",
        "Terminy z okresu zwolnione przez odwołanie wizyty (także nieopłaconej rezerwacji).",
        "Slots in the period freed by a cancellation (including an unpaid booking's)."),
    Kpi("slots_offered", "recovery", "Zaproponowane",
        "Zwolnione terminy, które zaproponowano SMS-em co najmniej jednej osobie z listy oczekujących.",
        "Freed slots offered to at least one patient of the waiting list."),
    Kpi("slots_filled", "recovery", "Zajęte z listy",
        "Zwolnione terminy zajęte przez osobę z listy oczekujących (opłacone, gdy była wymagana przedpłata).",
        "Freed slots taken by a waiting patient (and paid, where prepayment was required)."),
    Kpi("slots_unfilled", "recovery", "Niezajęte",
        "Zwolnione terminy zamknięte bez chętnego (nikt nie przyjął albo było za późno).",
        "Freed slots closed without a taker."),
    Kpi("fill_rate", "recovery", "Odsetek zajętych",
        "Zajęte z listy ÷ zwolnione terminy; osobno według tego, jak długo przed wizytą termin się zwolnił.",
        "slots_filled / slots_freed (null when no slot was freed); also by how long before the visit the slot "
        "was freed (fill_by_lead_time)."),
    Kpi("median_minutes_to_fill", "recovery", "Mediana czasu do zajęcia",
        "Połowa zajętych terminów znalazła chętnego w tym czasie lub krócej (minuty od zwolnienia do zajęcia).",
        "Median of the minutes from freeing to filling, over the filled slots (null when none)."),
    Kpi("p90_minutes_to_fill", "recovery", "90. percentyl czasu do zajęcia",
        "9 na 10 zajętych terminów znalazło chętnego w tym czasie lub krócej.",
        "90th percentile (nearest rank) of the minutes from freeing to filling (null when none)."),
    Kpi("offers_sent", "recovery", "Wysłane propozycje",
        "Propozycje terminu wysłane SMS-em osobom z listy oczekujących.",
        "Offers sent (one SMS each) for the period's freed slots."),
    Kpi("offers_per_fill", "recovery", "Propozycji na zajęty termin",
        "Ile propozycji wysłano dla zajętych terminów, zanim ktoś je przyjął, średnio na termin.",
        "Offers sent for the filled slots until each was taken / slots_filled (null when none)."),
    Kpi("visits_recovered", "recovery", "Odzyskane wizyty",
        "Wizyty, które odbyły się (lub się odbędą) dzięki liście oczekujących: zajęte z listy terminy.",
        "Visits recovered through the waiting list: slots_filled."),
    Kpi("recovered_value", "recovery", "Wartość odzyskanych wizyt",
        "Zajęte z listy terminy × wartość wizyty danej poradni z ustawień (w groszach w API, w złotych w "
        "panelu).",
        "slots_filled x the value of a visit of its service (facility settings), in grosze; null when no value "
        "is set."),
    Kpi("payments", "payments", "Przedpłaty",
        "Wizyty z okresu, za które zażądano przedpłaty, oraz przedpłaty wpłacone, wygasłe (nieopłacone w "
        "terminie) i zwrócone, z kwotami.",
        "Prepayments of visits in the period: requested, paid, expired (unpaid at the deadline), refunded; "
        "count and amount (grosze) each."),
    Kpi("waiting_now", "waiting", "Czeka teraz",
        "Osoby na liście oczekujących teraz (niezależnie od okresu): uprawnione poza kolejnością, pilne, "
        "stabilne.",
        "Waiting-list entries waiting now, by group (entitled out of order, pilny, stabilny); not period-bound."),
    Kpi("waiting_list_joined", "waiting", "Wpisani na listę",
        "Wpisy dodane w okresie, według grupy.",
        "Entries added to the waiting list in the period, by group."),
    Kpi("struck_off", "waiting", "Skreśleni z listy",
        "Skreślenia w okresie według powodu z ustawy: niezgłoszenie się, wykonanie świadczenia, zaprzestanie "
        "udzielania świadczeń, rezygnacja pacjenta.",
        "Strike-offs in the period by their statutory (NFZ) reason: no_show, service_performed, "
        "provider_stopped, patient_resigned."),
    Kpi("left_with_visit", "waiting", "Otrzymali wizytę",
        "Osoby, które w okresie opuściły listę, bo dostały wizytę: zajęły zwolniony termin albo skreślono je z "
        "powodu wykonania świadczenia.",
        "Entries that left the list in the period because they got their visit (a freed slot taken, or struck "
        "off as service_performed)."),
    Kpi("average_wait_days", "waiting", "Średni faktyczny czas oczekiwania",
        "Średnia liczba dni od wpisu na listę do otrzymania wizyty, dla osób, które otrzymały wizytę w okresie.",
        "Mean days from the entry to getting the visit, over left_with_visit (null when none)."),
)

BY_KEY = {kpi.key: kpi for kpi in KPIS}

CHANNELS = {"web": "strona wizyty", "sms": "SMS", "email": "e-mail", "clinic_api": "system przychodni",
            "reception": "rejestracja", "payment_expired": "brak przedpłaty"}
LEAD_TIMES = {"under_2h": "poniżej 2 godzin", "2_24h": "2–24 godziny", "1_3d": "1–3 dni", "3_7d": "3–7 dni",
              "over_7d": "7 dni i więcej"}
FILL_BANDS = {"under_24h": "poniżej 24 godzin", "1_3d": "1–3 dni", "3_7d": "3–7 dni", "over_7d": "7 dni i więcej"}
GROUPS = {"entitled": "uprawnieni poza kolejnością", "pilny": "pilni", "stabilny": "stabilni"}
STRIKE_OFF_REASONS = {"no_show": "niezgłoszenie się bez powiadomienia",
                      "service_performed": "wykonanie świadczenia",
                      "provider_stopped": "zaprzestanie udzielania świadczeń",
                      "patient_resigned": "rezygnacja pacjenta"}
UNFILLED_REASONS = {"too_close": "za blisko terminu", "no_eligible_patient": "brak chętnych na liście"}
