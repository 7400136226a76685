"""The kinds of patient SMS as staff know them, grouped as the patient meets them: the SMS texts
page and the audit log name them so."""
from __future__ import annotations

GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Wizyty", (
        ("booked", "Umówienie wizyty"),
        ("moved", "Zmiana terminu wizyty"),
        ("reminder_two_way", "Przypomnienie z prośbą o odpowiedź TAK/NIE (numer dwukierunkowy)"),
        ("reminder_one_way", "Przypomnienie z linkiem (nadawca z nazwą przychodni)"),
        ("confirmed", "Potwierdzenie wizyty przez pacjenta"),
        ("cancelled", "Odwołanie wizyty (nikt nie czeka na ten termin)"),
        ("cancelled_waiting", "Odwołanie wizyty (ktoś czeka na ten termin)"),
        ("no_show", "Nieobecność na wizycie"),
        ("visit_link", "Link do wizyty po wyszukaniu jej kodem"),
    )),
    ("Odpowiedzi na SMS-y pacjenta", (
        ("help", "Niejasna odpowiedź"),
        ("question", "Pytanie po samym „NIE”"),
        ("clarify", "Pacjent ma kilka wizyt"),
        ("stopped", "Po „STOP”"),
        ("started", "Po „START”"),
    )),
    ("Przedpłaty", (
        ("payment_link", "Prośba o przedpłatę (obowiązkową)"),
        ("payment_claim", "Prośba o przedpłatę za termin z listy oczekujących"),
        ("payment_optional", "Umówienie z możliwością przedpłaty"),
        ("payment_received", "Potwierdzenie wpłaty"),
        ("payment_reinstated", "Wpłata po terminie, wizyta przywrócona"),
        ("payment_refunded", "Wpłata po odwołaniu, zwrot"),
        ("payment_expired", "Odwołanie nieopłaconej wizyty"),
        ("payment_expired_transfer", "Odwołanie nieopłaconej wizyty, przelew w drodze"),
        ("blacklisted_no_shows", "Czarna lista po nieobecnościach"),
        ("blacklisted", "Czarna lista z decyzji przychodni"),
    )),
    ("Lista oczekujących", (
        ("waitlist_joined", "Wpisanie na listę"),
        ("planned_date_moved", "Zmiana przewidywanego terminu"),
        ("exact_date", "Dokładny termin"),
        ("offer_two_way", "Propozycja terminu (odpowiedź TAK/NIE)"),
        ("offer_two_way_prepaid", "Propozycja terminu z przedpłatą (odpowiedź TAK/NIE)"),
        ("offer_one_way", "Propozycja terminu (link)"),
        ("offer_one_way_prepaid", "Propozycja terminu z przedpłatą (link)"),
        ("offer_taken", "Termin zajęty przez kogoś innego"),
        ("offer_expired", "Za późno na termin"),
        ("offer_declined", "Po odmowie"),
        ("offer_help", "Niejasna odpowiedź na propozycję"),
        ("offers_stopped", "Po „STOP” w odpowiedzi na propozycję"),
        ("offers_started", "Po „START” w odpowiedzi na propozycję"),
    )),
)
LABELS = {kind: label for _, kinds in GROUPS for kind, label in kinds}
