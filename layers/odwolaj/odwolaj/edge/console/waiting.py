"""HTML of the console's waiting list: one service's list in the order it is served, the form that
enters a patient (shaped into the clinic API's payload, so the domain validates it once), and an
entry's page (its details, the offers it received, moving its planned date, striking it off).
Every value from data passes through `_e`. A refused form comes back with what was typed."""
from __future__ import annotations

from html import escape as _e
from typing import Any
from urllib.parse import quote

from odwolaj.data.models import ConsoleSession, FreedSlot, Offer, WaitingEntry
from odwolaj.edge.console import labels
from odwolaj.edge.console.pages import alert, described, hidden_csrf, layout
from odwolaj.stats import definitions as d
from odwolaj.usecases.console_waiting import LIST_LIMIT, WaitingListPage

# Polish answers to the domain's refusals, by the field the domain names (as the API reports it).
ENTRY_PROBLEMS = {
    "consent": "Zaznacz, że pacjent zgodził się na wpis na listę oczekujących: bez zgody nie można go wpisać.",
    "patient": "Podaj PESEL pacjenta albo, gdy go nie ma, numer dokumentu.",
    "patient.pesel": ("Podaj PESEL pacjenta (11 cyfr, z poprawną cyfrą kontrolną) albo, gdy go nie ma, numer "
                      "dokumentu: jedno z dwóch, nie oba."),
    "patient.document_number": "Numer dokumentu może mieć do 32 znaków.",
    "patient.id": "Podaj identyfikator pacjenta w systemie przychodni (do 64 znaków).",
    "patient.phone": "Sprawdź numer telefonu komórkowego, np. 601 234 567.",
    "patient.email": "Sprawdź adres e-mail albo zostaw to pole puste.",
    "patient.address": "Adres może mieć do 200 znaków.",
    "referral": "Podaj numer skierowania (do 64 znaków).",
    "reason": "Podaj rozpoznanie lub powód przyjęcia (do 500 znaków).",
    "category": "Wybierz kategorię medyczną: pilny albo stabilny.",
    "entitlement": "Wybierz uprawnienie z listy albo „brak”.",
    "planned_date": ("Planowany termin: dzień w formie RRRR-MM-DD, nie wcześniejszy niż data wpisu. Tydzień "
                     "(RRRR-Www, np. 2027-W23) tylko przy oczekiwaniu dłuższym niż 6 miesięcy."),
    "service": "Podaj poradnię, na której listę wpisujesz (do 120 znaków), np. Poradnia kardiologiczna.",
    "specialist": "Specjalista: do 120 znaków albo puste pole.",
    "reason_strike": "Wybierz powód skreślenia.",
}
DUPLICATE = "To skierowanie już jest na liście oczekujących (jedno skierowanie, jedna lista)."
NOTICES = {"dopisano": "Pacjent wpisany na listę. Dostanie SMS z miejscem w kolejce i planowanym terminem.",
           "skreslono": "Wpis skreślony z listy.",
           "termin": "Planowany termin zmieniony. Pacjent dostanie SMS z nowym terminem.",
           "wznowiono": "Propozycje SMS wznowione: pacjent znów dostanie SMS, gdy zwolni się termin dla niego."}
STALE_PAGE = "Ten link do strony listy jest uszkodzony albo nieaktualny. Pokazujemy początek listy."
FORM_FIELDS = ("referral", "patient_id", "phone", "pesel", "document_number", "email", "address", "reason",
               "category", "entitlement", "planned_date", "service", "specialist", "short_notice", "consent")


def entry_payload(form: dict[str, str], entered_by: str) -> dict[str, Any]:
    """The add form as the API's JSON body (POST /api/v1/waiting-list): empty optional fields are
    left out, the boxes become booleans; everything else is the domain's to judge."""
    def given(name: str) -> str | None:
        return form.get(name, "").strip() or None

    patient: dict[str, Any] = {"id": form.get("patient_id", ""), "phone": form.get("phone", "")}
    patient |= {key: given(key) for key in ("pesel", "document_number", "email", "address") if given(key)}
    payload: dict[str, Any] = {
        "referral": form.get("referral", ""), "patient": patient, "reason": form.get("reason", ""),
        "category": form.get("category"), "planned_date": form.get("planned_date", "").strip(),
        "entered_by": entered_by, "consent": form.get("consent") == "tak", "service": form.get("service", ""),
        "short_notice": form.get("short_notice") == "tak"}
    payload |= {key: given(key) for key in ("entitlement", "specialist") if given(key)}
    return payload


def typed(form: dict[str, str]) -> dict[str, str]:
    return {key: form[key] for key in FORM_FIELDS if key in form}


def _entitled(entry: WaitingEntry) -> str:
    return labels.ENTITLEMENTS.get(entry.entitlement or "", entry.entitlement or "") if entry.entitlement else "–"


def _text_field(name: str, label: str, values: dict[str, str], problem: str | None, *, required: bool = False,
                maxlength: int = 120, hint: str = "", kind: str = "text", extra: str = "") -> str:
    hint_html = f'<span class="hint" id="h-{name}">{_e(hint)}</span>' if hint else ""
    ids = " ".join(x for x in (f"h-{name}" if hint else "", "problem" if problem else "") if x)
    described_by = f' aria-describedby="{ids}"' if ids else ""
    return (f'<div class="field"><label for="f-{name}">{_e(label)}{"" if required else " (nieobowiązkowe)"}</label>'
            f'{hint_html}<input type="{kind}" id="f-{name}" name="{name}" maxlength="{maxlength}"'
            f'{" required" if required else ""}{extra} value="{_e(values.get(name, ""))}"{described_by}></div>\n')


def _add_form(session: ConsoleSession, values: dict[str, str], problem: str | None, services: tuple[str, ...]) -> str:
    category = values.get("category", "")
    categories = "".join(
        f'<div><input type="radio" id="cat-{key}" name="category" value="{key}"{" checked" if key == category else ""}'
        f' required> <label for="cat-{key}">{_e(label)}</label></div>' for key, label in labels.CATEGORIES.items())
    chosen = values.get("entitlement", "")
    entitlements = '<option value="">brak</option>' + "".join(
        f'<option value="{key}"{" selected" if key == chosen else ""}>{_e(label)}</option>'
        for key, label in labels.ENTITLEMENTS.items())
    checked = {name: " checked" if values.get(name) == "tak" else "" for name in ("short_notice", "consent")}
    return (
        '<section class="card" aria-labelledby="add"><h2 id="add">Wpisz pacjenta na listę</h2>\n'
        "<p>Tak jak przez system przychodni: pacjent dostanie SMS z miejscem w kolejce i planowanym terminem. "
        "Jedno skierowanie to jeden wpis.</p>\n"
        f'{alert(problem)}<form method="post" action="/panel/lista">{hidden_csrf(session.csrf)}\n'
        '<div class="grid">\n'
        + _text_field("service", "Poradnia (lista)", values, problem, required=True,
                      extra=' list="services" autocomplete="off"')
        + _text_field("referral", "Numer skierowania", values, problem, required=True, maxlength=64)
        + _text_field("patient_id", "Identyfikator pacjenta w systemie przychodni", values, problem, required=True,
                      maxlength=64)
        + _text_field("phone", "Telefon komórkowy", values, problem, required=True, maxlength=20, kind="tel",
                      extra=' autocomplete="off"')
        + _text_field("pesel", "PESEL", values, problem, maxlength=11, hint="Albo numer dokumentu, gdy nie ma PESEL.",
                      extra=' inputmode="numeric" autocomplete="off"')
        + _text_field("document_number", "Numer dokumentu", values, problem, maxlength=32)
        + _text_field("email", "E-mail", values, problem, maxlength=254, kind="email", extra=' autocomplete="off"')
        + _text_field("address", "Adres", values, problem, maxlength=200)
        + _text_field("reason", "Rozpoznanie lub powód przyjęcia", values, problem, required=True, maxlength=500)
        + _text_field("planned_date", "Planowany termin", values, problem, required=True, maxlength=10,
                      hint="RRRR-MM-DD, np. 2027-03-15. Tydzień (RRRR-Www) tylko przy oczekiwaniu ponad 6 miesięcy.")
        + _text_field("specialist", "Specjalista", values, problem)
        + '</div>\n<fieldset class="field"><legend>Kategoria medyczna</legend>' + categories + "</fieldset>\n"
        '<div class="field"><label for="f-entitlement">Uprawnienie do świadczeń poza kolejnością</label>'
        f'<select id="f-entitlement" name="entitlement">{entitlements}</select></div>\n'
        f'<div class="check"><input type="checkbox" id="f-short_notice" name="short_notice" value="tak"'
        f'{checked["short_notice"]}> <label for="f-short_notice">Może przyjść w ciągu doby od propozycji</label>'
        "</div>\n"
        f'<div class="check"><input type="checkbox" id="f-consent" name="consent" value="tak" required'
        f'{checked["consent"]}{described(problem)}> <label for="f-consent">Pacjent zgodził się na wpis na listę '
        "oczekujących</label></div>\n"
        '<button type="submit">Wpisz na listę</button></form>\n'
        + '<datalist id="services">' + "".join(f'<option value="{_e(s)}">' for s in services) + "</datalist>"
        + "</section>"
    )


def people(count: int) -> str:
    """"1 osoba", "3 osoby", "5 osób", "12 osób", "22 osoby", "1 234 osoby" (thousands apart)."""
    tens, ones = count % 100, count % 10
    word = "osoba" if count == 1 else "osoby" if 2 <= ones <= 4 and not 12 <= tens <= 14 else "osób"
    return f"{count:,}".replace(",", "\u00a0") + f"\u00a0{word}"


def _list_link(service: str, cursor: str = "") -> str:
    return f"/panel/lista?usluga={quote(service, safe='')}{cursor}"


def _pages(found: WaitingListPage, where: str) -> str:
    """The links to the list's other pages (a cursor on the index's sort key, never an offset)."""
    links = []
    if found.first_place > 1:
        if found.previous_before:
            links.append(f'<a href="{_e(_list_link(found.service))}">Początek listy</a>')
        before = f"&przed={quote(found.previous_before, safe='')}" if found.previous_before else ""
        links.append(f'<a href="{_e(_list_link(found.service, before))}" rel="prev">← Poprzednie</a>')
    if found.next_after:
        after = f"&po={quote(found.next_after, safe='')}"
        links.append(f'<a href="{_e(_list_link(found.service, after))}" rel="next">Następne {LIST_LIMIT} →</a>')
    return f'<nav class="pages" aria-label="Strony listy ({where})">{"".join(links)}</nav>' if links else ""


def _row(place: int, e: WaitingEntry) -> str:
    stopped = '<br><span class="flag">nie chce propozycji SMS</span>' if e.offers_stopped_at else ""
    return (f'<tr><td class="num">{place}</td><td class="num">{int(e.list_number)}</td>'
            f"<td>{_e(labels.CATEGORIES.get(e.category, e.category))}</td><td>{_e(_entitled(e))}</td>"
            f"<td>{_e(labels.at(e.entered_at))}</td><td>{_e(e.planned_date)}</td>"
            f'<td><a href="/panel/lista/{_e(e.entry_id)}">{_e(e.patient_id)}<span class="visually-hidden">: '
            f"szczegóły wpisu nr {int(e.list_number)}</span></a>{stopped}</td></tr>")


def _queue(found: WaitingListPage) -> str:
    if not found.service:
        return "<p>Wybierz poradnię, aby zobaczyć jej listę.</p>"
    last = found.first_place + len(found.entries) - 1
    shown = f": miejsca {found.first_place}–{last}" if found.entries else ""
    empty = ("Nikt nie czeka na tej liście." if not found.total
             else "Dalej na liście nikogo nie ma." if found.first_place > 1 else "Nikt nie czeka na tej stronie listy.")
    rows = "".join(_row(place, e) for place, e in enumerate(found.entries, start=found.first_place))
    return (
        f'<p class="count">Na liście: {people(found.total)}</p>{_pages(found, "nad tabelą")}'
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="queue-caption"><table>'
        f'<caption id="queue-caption">{_e(found.service)}{shown}</caption><thead><tr>'
        '<th scope="col" class="num">Miejsce</th><th scope="col" class="num">Nr na liście</th>'
        '<th scope="col">Kategoria</th><th scope="col">Poza kolejnością</th><th scope="col">Wpisano</th>'
        '<th scope="col">Planowany termin</th><th scope="col">Pacjent (szczegóły)</th></tr></thead>'
        f"<tbody>{rows or f'<tr><td colspan=7>{empty}</td></tr>'}</tbody></table></div>{_pages(found, 'pod tabelą')}")


def list_page(session: ConsoleSession, found: WaitingListPage, *, values: dict[str, str] | None = None,
              problem: str | None = None, notice: str | None = None) -> str:
    options = "".join(f'<option value="{_e(s)}">' for s in found.services)
    body = (
        "<h1>Lista oczekujących</h1>\n"
        f"{alert(notice, 'ok')}{alert(STALE_PAGE, 'note') if found.stale else ''}"
        "<p>Kolejność jak w przepisach NFZ: najpierw uprawnieni poza kolejnością, potem przypadki pilne, potem "
        "stabilne; w każdej grupie według daty wpisu. Wolny termin dostaje pierwsza osoba, która może przyjść.</p>\n"
        '<form class="period" method="get" action="/panel/lista">'
        '<div class="field"><label for="usluga">Poradnia</label><input type="text" id="usluga" name="usluga" '
        f'list="known" maxlength="120" value="{_e(found.service)}"></div>'
        f'<datalist id="known">{options}</datalist><button type="submit">Pokaż listę</button></form>\n'
        f'<section class="card" aria-labelledby="queue"><h2 id="queue">Oczekujący</h2>{_queue(found)}</section>\n'
        f"{_add_form(session, values if values is not None else {'service': found.service}, problem, found.services)}"
    )
    return layout("Lista oczekujących", body, session=session, current="/panel/lista")


def _offers(offers: list[tuple[Offer, FreedSlot | None]]) -> str:
    if not offers:
        return "<p>Ten wpis nie dostał jeszcze żadnej propozycji terminu.</p>"
    rows = "".join(
        f"<tr><td>{_e(labels.at(o.offered_at))}</td>"
        f"<td>{_e(labels.at(slot.starts_at) if slot else '–')}"
        f"{_e(', ' + slot.specialist) if slot and slot.specialist else ''}</td>"
        f'<td class="num">{int(o.wave)}</td><td>{_e(labels.OFFER_STATUSES.get(o.status, o.status))}</td>'
        f"<td>{_e(labels.at(o.hold_until))}</td>"
        f"<td>{_e(labels.at(o.answered_at))}{_e(' (' + labels.channel(o.channel) + ')') if o.channel else ''}</td></tr>"
        for o, slot in offers)
    return ('<div class="table-wrap" tabindex="0" role="region" aria-label="Tabela propozycji terminów"><table>'
            "<thead><tr>"
            '<th scope="col">Wysłano</th><th scope="col">Termin</th><th scope="col" class="num">Fala</th>'
            '<th scope="col">Stan</th><th scope="col">Następne osoby pytane od</th><th scope="col">Odpowiedź</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>")


def entry_page(session: ConsoleSession, entry: WaitingEntry, position: int | None,
               offers: list[tuple[Offer, FreedSlot | None]], *, planned: str | None = None,
               reason: str | None = None, problem: str | None = None, notice: str | None = None) -> str:
    strike = entry.strike_off
    facts = [
        ("Stan", labels.ENTRY_STATUSES.get(entry.status, entry.status)
         + (f" ({d.STRIKE_OFF_REASONS.get(strike.reason, strike.reason)}, {labels.at(strike.at)})" if strike else "")),
        ("Miejsce w kolejce teraz", str(position) if position else "–"),
        ("Poradnia", entry.service), ("Specjalista", entry.specialist or "–"),
        ("Kategoria", labels.CATEGORIES.get(entry.category, entry.category)), ("Poza kolejnością", _entitled(entry)),
        ("Planowany termin", entry.planned_date), ("Wpisano", labels.at(entry.entered_at)),
        ("Wpisał(a)", entry.entered_by), ("Skierowanie", entry.referral), ("Pacjent", entry.patient_id),
        ("PESEL" if entry.pesel else "Numer dokumentu", entry.pesel or entry.document_number or "–"),
        ("Telefon", entry.phone), ("E-mail", entry.email or "–"), ("Adres", entry.address or "–"),
        ("Rozpoznanie lub powód", entry.reason),
        ("Może przyjść w ciągu doby", "tak" if entry.short_notice else "nie"),
    ]
    if entry.offers_stopped_at and entry.status == "active":  # moot once off the list
        facts.append(("Propozycje SMS", f"wstrzymane na prośbę pacjenta (STOP, {labels.at(entry.offers_stopped_at)})"
                                        " — pacjent wznowi je, odpisując START."))
    details = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    target = f"/panel/lista/{_e(entry.entry_id)}"
    actions = ""
    if entry.status == "active":
        reasons = "".join(
            f'<div><input type="radio" id="r-{key}" name="reason" value="{key}" required'
            f'{" checked" if key == reason else ""}> <label for="r-{key}">{_e(label)}</label></div>'
            for key, label in d.STRIKE_OFF_REASONS.items())
        actions = (
            '<section class="card" aria-labelledby="move"><h2 id="move">Zmień planowany termin</h2>'
            "<p>Pacjent dostanie SMS z nowym terminem (tak wymagają przepisy, gdy termin się zmienia).</p>"
            f'<form method="post" action="{target}/termin">{hidden_csrf(session.csrf)}'
            '<div class="field"><label for="f-planned_date">Nowy planowany termin</label><span class="hint" '
            'id="h-planned">RRRR-MM-DD; tydzień (RRRR-Www) tylko przy oczekiwaniu ponad 6 miesięcy.</span>'
            '<input type="text" id="f-planned_date" name="planned_date" maxlength="10" required '
            f'value="{_e(planned if planned is not None else entry.planned_date)}" aria-describedby="h-planned'
            f'{" problem" if problem else ""}"></div><button type="submit">Zmień termin</button></form></section>\n'
            '<section class="card" aria-labelledby="strike"><h2 id="strike">Skreśl z listy</h2>'
            "<p>Wpis zostaje w dokumentacji z datą i powodem skreślenia.</p>"
            f'<form method="post" action="{target}/skresl">{hidden_csrf(session.csrf)}'
            f'<fieldset class="field"><legend>Powód skreślenia</legend>{reasons}</fieldset>'
            '<button type="submit" class="danger">Skreśl z listy</button></form></section>\n')
    if entry.status == "active" and entry.offers_stopped_at:
        actions = (
            '<section class="card" aria-labelledby="resume"><h2 id="resume">Wznów propozycje SMS</h2>'
            "<p>Gdy pacjent prosi o to przez telefon lub w rejestracji. Znów dostanie SMS, gdy zwolni się termin "
            "dla niego; miejsce w kolejce się nie zmienia.</p>"
            f'<form method="post" action="{target}/wznow-propozycje">{hidden_csrf(session.csrf)}'
            '<button type="submit">Wznów propozycje SMS</button></form></section>\n') + actions
    body = (
        f"<h1>Wpis nr {int(entry.list_number)}: {_e(entry.service)}</h1>\n"
        f"{alert(notice, 'ok')}{alert(problem)}"
        f'<p><a href="/panel/lista?usluga={_e(quote(entry.service))}">Wróć do listy</a></p>\n'
        f'<section class="card" aria-labelledby="facts"><h2 id="facts">Dane wpisu</h2><dl class="facts">{details}'
        "</dl></section>\n"
        f"{actions}"
        '<section class="card" aria-labelledby="offers"><h2 id="offers">Propozycje terminów</h2>'
        f"{_offers(offers)}</section>"
    )
    return layout(f"Wpis nr {int(entry.list_number)}", body, session=session, current="/panel/lista")
