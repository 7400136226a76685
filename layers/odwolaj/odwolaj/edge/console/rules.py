"""The manager's settings pages of part 2: prepayment rules (the facility's and each specialist's:
every mode of seed 002), the offer strategy and the campaign texts. The forms' text becomes the clinic API's JSON here
(`*_payload`), the domain validates it; a refused field gets its Polish message (`problem_for`)
and the page comes back with what was typed."""
from __future__ import annotations

from html import escape as _e
from typing import Any
from urllib.parse import quote

from odwolaj.campaigns.settings import CampaignSettings
from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console.forms import alerts, area, checkbox, field, grosze, present, radios, select, whole
from odwolaj.edge.console.pages import hidden_csrf, layout, settings_links, zloty
from odwolaj.language.campaign_texts import DEFAULTS as CAMPAIGN_DEFAULTS, EDITABLE
from odwolaj.payments.rules import PaymentRules
from odwolaj.reserve.strategy import BOUNDS, Strategy

MODES = (("none", "bez przedpłaty"), ("optional", "dobrowolna (pacjent może zapłacić z góry)"),
         ("mandatory", "obowiązkowa (wizyta czeka na wpłatę)"))
KINDS = (("full", "cała cena wizyty"), ("deposit", "zadatek"))
INHERIT = ("", "jak w całej przychodni")
DEADLINE_MODES = (
    ("by_hour", "do godziny w dniu rezerwacji (np. 20:00), ale nie później niż tyle godzin przed wizytą"),
    ("before_visit", "tyle godzin przed wizytą"),
    ("after_booking", "w ciągu tylu godzin od rezerwacji, ale nie później niż tyle godzin przed wizytą"),
)
# Which of the deadline's fields each mode reads (the others on the form are left out).
DEADLINE_FIELDS = {"by_hour": ("hour", "hours_before_visit", "booking_cutoff"),
                   "before_visit": ("hours_before_visit", "booking_cutoff"),
                   "after_booking": ("hours_after_booking", "hours_before_visit", "booking_cutoff")}
BLACKLIST_FIELDS = ("no_shows", "within_months", "days")

PAYMENT_PROBLEMS = {
    "mode": "Wybierz, czy przedpłata jest wyłączona, dobrowolna czy obowiązkowa.",
    "kind": "Wybierz: cała cena wizyty albo zadatek.",
    "amount": ("Kwota przedpłaty: wpisz kwotę w złotych (od 0,01 do 100 000), np. 150 albo 150,50. Jest potrzebna, "
               "gdy przedpłata może być wymagana: dobrowolna, obowiązkowa, dla nowych pacjentów lub z czarnej listy."),
    "first_visit_mandatory": "Wybierz, czy nowi pacjenci zawsze płacą z góry.",
    "deadline.mode": "Wybierz, jak liczyć termin płatności.",
    "deadline.hour": "Termin płatności: wpisz godzinę jako GG:MM, np. 20:00.",
    "deadline.hours_before_visit": "Liczba godzin przed wizytą: wpisz liczbę całkowitą od 0 do 1440.",
    "deadline.hours_after_booking": "Liczba godzin od rezerwacji: wpisz liczbę całkowitą od 0 do 1440.",
    "deadline.booking_cutoff": "Godzina, od której nie przyjmujemy rezerwacji z przedpłatą: wpisz GG:MM, np. 21:00.",
    "blacklist.no_shows": "Czarna lista: liczba nieobecności bez odwołania, od 1 do 20.",
    "blacklist.within_months": "Czarna lista: w ciągu ilu miesięcy, od 1 do 24.",
    "blacklist.days": "Czarna lista: na ile dni, od 1 do 730.",
    "specialist": "Wpisz imię i nazwisko specjalisty (najwyżej 120 znaków).",
}
STRATEGY_LABELS = {
    "wave_size": "Pierwsza fala: ile osób pytamy naraz o termin za dobę lub później",
    "short_notice_wave_size": "Pierwsza fala: ile osób pytamy naraz o termin za mniej niż dobę",
    "wave_growth_percent": "O ile procent większa jest każda następna fala",
    "max_wave_size": "Największa fala (osób)",
    "hold_minutes": "Co ile minut wysyłamy następną falę, gdy nikt nie przyjął terminu",
    "grace_minutes": "Przez ile minut po pierwszej zgodzie zgody liczą się razem (dostaje pierwszy w kolejce)",
    "min_lead_minutes": "Ile minut przed wizytą przestajemy proponować termin",
    "target_offers": "Ilu osobom chcemy zaproponować termin, gdy czasu jest mało",
    "cooldown_hours": "Ile godzin odpoczywa osoba, która nie odpowiedziała",
    "claim_minutes": "Ile minut czekamy na przedpłatę po zgodzie na termin",
}
STRATEGY_MODES = (("waves", "falami: kilka osób naraz, każda fala większa"),
                  ("sequential", "po kolei: jedna osoba naraz"))
GENERIC = "Sprawdź zaznaczone pole i spróbuj jeszcze raz."
TEXT_LABELS = {"12-18": "Zaproszenie: 12–18 miesięcy od ostatniej wizyty",
               "18-24": "Zaproszenie: 18–24 miesiące od ostatniej wizyty",
               "24+": "Zaproszenie: ponad 24 miesiące od ostatniej wizyty",
               "followup": "Przypomnienie po dwóch tygodniach (do tych, którzy nie odpowiedzieli)",
               "rebook": "Propozycja nowego terminu po odwołaniu wizyty"}
TEXT_PROBLEM = ("Tekst wiadomości: musi zawierać $facility (nazwę przychodni) i $link (link dla pacjenta), nie może "
                "mieć emotikonów i musi się zmieścić w jednym SMS-ie (160 znaków bez polskich liter) razem z nazwą "
                "przychodni, linkiem i $action.")
TEXT_PROBLEMS = {"rebook_nudge.days": "Po ilu dniach od odwołania: wpisz liczbę całkowitą od 1 do 60."}


def problem_for(field_name: str | None, specialist: str | None = None, *, strategy: bool = False) -> str:
    name = field_name or ""
    if specialist is not None:
        name = name.removeprefix(f"specialists.{specialist}.")
    if name in BOUNDS:
        low, high = BOUNDS[name]
        return f"{STRATEGY_LABELS[name]}: wpisz liczbę całkowitą od {low} do {high}."
    if strategy:
        return "Wybierz sposób proponowania terminów."
    return PAYMENT_PROBLEMS.get(name, GENERIC)


def text_problem(field_name: str | None) -> str:
    return TEXT_PROBLEMS.get(field_name or "") or (TEXT_PROBLEM if (field_name or "").startswith("messages.")
                                                   else GENERIC)


def text_field(field_name: str | None) -> str | None:
    """The form control of a refused campaign-settings field."""
    if (field_name or "").startswith("messages."):
        return "text_" + (field_name or "").removeprefix("messages.")
    return {"rebook_nudge.days": "nudge_days"}.get(field_name or "")


def wrong_field(field_name: str | None, specialist: str | None = None) -> str | None:
    """The form control a refused field is about (the form's names join the API's with "_")."""
    if not field_name:
        return None
    name = field_name.removeprefix(f"specialists.{specialist}.") if specialist is not None else field_name
    return name.replace(".", "_")


# ---------------------------------------------------------------------------------------------
# Form → the API's JSON


def _deadline(form: dict[str, str]) -> dict[str, Any]:
    mode = form.get("deadline_mode", "")
    wanted = DEADLINE_FIELDS.get(mode, ())
    return {"mode": mode, **present({name: form.get(f"deadline_{name}", "") if name in ("hour", "booking_cutoff")
                                     else whole(form.get(f"deadline_{name}", "")) for name in wanted})}


def payment_payload(form: dict[str, str]) -> dict[str, Any]:
    """The facility's form as PUT /api/v1/payment-rules's body."""
    blacklist = ({name: whole(form.get(f"blacklist_{name}", "")) for name in BLACKLIST_FIELDS}
                 if form.get("blacklist_auto") == "tak" else None)
    return present({"mode": form.get("mode", ""), "kind": form.get("kind", ""),
                    "amount": grosze(form.get("amount", ""), "amount"),
                    "first_visit_mandatory": form.get("first_visit_mandatory") == "tak",
                    "blacklist_mandatory": form.get("blacklist_mandatory") == "tak",
                    "deadline": _deadline(form), "blacklist": blacklist})


def specialist_payload(form: dict[str, str]) -> dict[str, Any]:
    """A specialist's form as PUT /api/v1/payment-rules/specialists/{name}'s body: what is left
    "as in the whole facility" is left out, so a later facility change still applies to it."""
    first = {"tak": True, "nie": False}.get(form.get("first_visit_mandatory", ""))
    return present({"mode": form.get("mode", ""), "kind": form.get("kind", ""),
                    "amount": grosze(form.get("amount", ""), "amount"), "first_visit_mandatory": first,
                    "deadline": _deadline(form) if form.get("own_deadline") == "tak" else None})


def strategy_payload(form: dict[str, str]) -> dict[str, Any]:
    """The form as PUT /api/v1/offer-strategy's body."""
    return {"mode": form.get("mode", ""), **{name: whole(form.get(name, "")) for name in BOUNDS}}


def texts_payload(form: dict[str, str]) -> dict[str, Any]:
    """The form as PUT /api/v1/campaign-settings's body; an emptied text returns to the default."""
    return {"messages": {kind: form.get(f"text_{kind}") or None for kind in EDITABLE},
            "rebook_nudge": present({"enabled": form.get("nudge_enabled") == "tak",
                                     "days": whole(form.get("nudge_days", ""))})}


# ---------------------------------------------------------------------------------------------
# Current settings → the form's values


def _deadline_values(deadline: dict[str, Any]) -> dict[str, str]:
    return {"deadline_mode": str(deadline.get("mode", ""))} | {
        f"deadline_{name}": str(value) for name, value in deadline.items() if name != "mode"}


def payment_values(rules: PaymentRules) -> dict[str, str]:
    values = {"mode": rules.mode, "kind": rules.kind, "amount": zloty(rules.amount),
              "first_visit_mandatory": "tak" if rules.first_visit_mandatory else "",
              "blacklist_mandatory": "tak" if rules.blacklist_mandatory else ""}
    values |= _deadline_values(rules.deadline.to_dict())
    if rules.blacklist is not None:
        values |= {"blacklist_auto": "tak"} | {f"blacklist_{k}": str(v) for k, v in rules.blacklist.to_dict().items()}
    return values


def specialist_values(own: dict[str, Any], facility: PaymentRules) -> dict[str, str]:
    first = own.get("first_visit_mandatory")
    values = {"mode": str(own.get("mode", "")), "kind": str(own.get("kind", "")),
              "amount": zloty(own["amount"]) if own.get("amount") is not None else "",
              "first_visit_mandatory": "" if first is None else ("tak" if first else "nie"),
              "own_deadline": "tak" if "deadline" in own else ""}
    return values | _deadline_values(own.get("deadline") or facility.deadline.to_dict())


def texts_values(current: CampaignSettings) -> dict[str, str]:
    return ({f"text_{kind}": text for kind, text in current.messages.items()}
            | {"nudge_enabled": "tak" if current.nudge_enabled else "", "nudge_days": str(current.nudge_days)})


def strategy_values(strategy: Strategy) -> dict[str, str]:
    return {name: str(value) for name, value in strategy.as_dict().items()}


# ---------------------------------------------------------------------------------------------
# Pages


def _deadline_fields(values: dict[str, str], wrong: str | None) -> str:
    return (radios("deadline_mode", "Termin płatności obowiązkowej przedpłaty", DEADLINE_MODES, values, wrong=wrong)
            + field("deadline_hour", "Godzina w dniu rezerwacji (pierwszy sposób)", values, wrong=wrong, kind="time",
                    hint="Po tej godzinie termin przechodzi na następny dzień.")
            + field("deadline_hours_before_visit", "Liczba godzin przed wizytą", values, wrong=wrong,
                    attrs=' inputmode="numeric"', hint="Drugi sposób: termin płatności. Pierwszy i trzeci: "
                    "najpóźniej tyle godzin przed wizytą (w pierwszym puste: bez tego ograniczenia).")
            + field("deadline_hours_after_booking", "Liczba godzin od rezerwacji (trzeci sposób)", values,
                    wrong=wrong, attrs=' inputmode="numeric"')
            + field("deadline_booking_cutoff", "Nie przyjmuj rezerwacji z przedpłatą od godziny (puste: zawsze)",
                    values, wrong=wrong, kind="time", hint="Żeby pacjent zdążył zapłacić."))


def payment_page(session: ConsoleSession, specialists: tuple[str, ...], own_rules: dict[str, dict[str, Any]],
                 values: dict[str, str], *, notice: str | None = None, problem: str | None = None,
                 wrong: str | None = None) -> str:
    rows = "".join(
        f'<li><a href="/panel/ustawienia/przedplaty/specjalista?kto={quote(name)}">{_e(name)}</a>'
        f' – {"własne zasady" if name in own_rules else "jak w całej przychodni"}</li>' for name in specialists)
    body = (
        "<h1>Przedpłaty</h1>\n" + settings_links("/panel/ustawienia/przedplaty") + alerts(notice, problem)
        + f'<form method="post" action="/panel/ustawienia/przedplaty">{hidden_csrf(session.csrf)}\n'
        '<section class="card"><h2>Zasady całej przychodni</h2>'
        + radios("mode", "Przedpłata", MODES, values, wrong=wrong)
        + radios("kind", "Co pacjent płaci", KINDS, values, wrong=wrong)
        + field("amount", "Kwota przedpłaty lub zadatku (zł)", values, wrong=wrong, attrs=' inputmode="decimal" '
                'maxlength="12"')
        + checkbox("first_visit_mandatory", "Nowi pacjenci (pierwsza wizyta) zawsze płacą z góry", values)
        + checkbox("blacklist_mandatory", "Pacjenci z czarnej listy zawsze płacą z góry (ta zasada jest "
                   "najważniejsza)", values)
        + "</section>\n<section class=\"card\"><h2>Termin płatności</h2>"
        "<p>Nieopłacona w terminie wizyta jest odwoływana, termin wraca do puli, pacjent dostaje SMS.</p>"
        + _deadline_fields(values, wrong)
        + "</section>\n<section class=\"card\"><h2>Czarna lista</h2>"
        + checkbox("blacklist_auto", "Wpisuj na czarną listę automatycznie po nieobecnościach bez odwołania", values)
        + field("blacklist_no_shows", "Po ilu nieobecnościach", values, wrong=wrong, attrs=' inputmode="numeric"')
        + field("blacklist_within_months", "W ciągu ilu miesięcy", values, wrong=wrong, attrs=' inputmode="numeric"')
        + field("blacklist_days", "Na ile dni", values, wrong=wrong, attrs=' inputmode="numeric"')
        + '</section>\n<button type="submit">Zapisz zasady przychodni</button></form>\n'
        '<section class="card"><h2>Zasady specjalistów</h2><p>Specjalista może mieć własne zasady; czego nie '
        f"ustawi, bierze z zasad przychodni.</p><ul>{rows or '<li>Jeszcze żadnych wizyt ze specjalistą.</li>'}</ul>"
        '<form method="get" action="/panel/ustawienia/przedplaty/specjalista">'
        '<div class="field"><label for="kto">Inny specjalista (imię i nazwisko)</label>'
        '<input type="text" id="kto" name="kto" required maxlength="120"></div>'
        '<button type="submit" class="secondary">Ustaw zasady specjalisty</button></form></section>'
    )
    return layout("Przedpłaty", body, session=session, current="/panel/ustawienia")


def specialist_page(session: ConsoleSession, specialist: str, values: dict[str, str], *, has_own: bool,
                    notice: str | None = None, problem: str | None = None, wrong: str | None = None) -> str:
    action = "/panel/ustawienia/przedplaty/specjalista"
    remove = (f'<form method="post" action="{action}">{hidden_csrf(session.csrf)}<input type="hidden" '
              f'name="specialist" value="{_e(specialist)}"><input type="hidden" name="action" value="remove">'
              '<button type="submit" class="secondary">Usuń własne zasady (jak w całej przychodni)</button></form>'
              if has_own else "")
    body = (
        f"<h1>Przedpłaty: {_e(specialist)}</h1>\n" + settings_links("/panel/ustawienia/przedplaty")
        + alerts(notice, problem)
        + "<p>Pola z wyborem „jak w całej przychodni” i puste pola biorą wartość z zasad przychodni. Czarna lista "
        "działa zawsze według zasad przychodni.</p>"
        f'<form method="post" action="{action}">{hidden_csrf(session.csrf)}'
        f'<input type="hidden" name="specialist" value="{_e(specialist)}"><input type="hidden" name="action" '
        'value="save">\n<section class="card"><h2>Przedpłata</h2>'
        + radios("mode", "Przedpłata", (INHERIT, *MODES), values, wrong=wrong)
        + radios("kind", "Co pacjent płaci", (INHERIT, *KINDS), values, wrong=wrong)
        + field("amount", "Kwota (zł; puste: jak w całej przychodni)", values, wrong=wrong,
                attrs=' inputmode="decimal" maxlength="12"')
        + select("first_visit_mandatory", "Nowi pacjenci zawsze płacą z góry",
                 (INHERIT, ("tak", "tak"), ("nie", "nie")), values, wrong=wrong)
        + '</section>\n<section class="card"><h2>Termin płatności</h2>'
        + checkbox("own_deadline", "Własny termin płatności (inaczej: jak w całej przychodni)", values)
        + _deadline_fields(values, wrong)
        + '</section>\n<button type="submit">Zapisz zasady specjalisty</button></form>\n' + remove
        + '<p><a href="/panel/ustawienia/przedplaty">Wróć do przedpłat</a></p>'
    )
    return layout(f"Przedpłaty: {specialist}", body, session=session, current="/panel/ustawienia")


def strategy_page(session: ConsoleSession, values: dict[str, str], *, notice: str | None = None,
                  problem: str | None = None, wrong: str | None = None) -> str:
    numbers = "".join(field(name, f"{label} ({BOUNDS[name][0]}–{BOUNDS[name][1]})", values, wrong=wrong,
                            attrs=' inputmode="numeric" required') for name, label in STRATEGY_LABELS.items())
    body = (
        "<h1>Propozycje z listy oczekujących</h1>\n" + settings_links("/panel/ustawienia/propozycje")
        + alerts(notice, problem)
        + "<p>Jak zwolniony termin trafia do osób z listy. Zgoda liczy się, dopóki termin jest wolny; te ustawienia "
        "decydują tylko, kogo i kiedy pytamy dalej. Bez potrzeby nie zmieniaj wartości domyślnych.</p>"
        f'<form method="post" action="/panel/ustawienia/propozycje">{hidden_csrf(session.csrf)}\n'
        '<section class="card">' + radios("mode", "Sposób proponowania", STRATEGY_MODES, values, wrong=wrong)
        + numbers + '</section>\n<button type="submit">Zapisz</button></form>'
    )
    return layout("Propozycje z listy", body, session=session, current="/panel/ustawienia")


def texts_page(session: ConsoleSession, values: dict[str, str], *, notice: str | None = None,
               problem: str | None = None, wrong: str | None = None) -> str:
    texts = "".join(area(f"text_{kind}", TEXT_LABELS[kind], values, wrong=wrong, attrs=' maxlength="480"',
                         hint=f"Puste: tekst domyślny – {CAMPAIGN_DEFAULTS[kind]}") for kind in EDITABLE)
    body = (
        "<h1>Teksty wiadomości</h1>\n" + settings_links("/panel/ustawienia/wiadomosci") + alerts(notice, problem)
        + "<p>Własne teksty SMS-ów zapraszających na wizyty po przerwie. W tekście: $facility – nazwa przychodni, "
        "$link – link dla pacjenta, $action – co pacjent może zrobić (odpisać TAK albo wybrać termin). Polskie "
        "litery wysyłamy bez ogonków.</p>"
        f'<form method="post" action="/panel/ustawienia/wiadomosci">{hidden_csrf(session.csrf)}\n'
        f'<section class="card"><h2>Zaproszenia</h2>{texts}</section>\n'
        '<section class="card"><h2>Po odwołaniu wizyty</h2>'
        + checkbox("nudge_enabled", "Proponuj nowy termin pacjentowi, który odwołał wizytę", values)
        + field("nudge_days", "Po ilu dniach od odwołania (1–60)", values, wrong=wrong, attrs=' inputmode="numeric"')
        + '</section>\n<button type="submit">Zapisz</button></form>'
    )
    return layout("Teksty wiadomości", body, session=session, current="/panel/ustawienia")
