"""HTML of the console's pages but the dashboard: the frame every page shares (its navigation by
role), signing in, staff, the audit log, settings, definitions and the problems. Every value from
data passes through `_e`; the only markup not escaped is written here. No JavaScript anywhere."""
from __future__ import annotations

import json
from html import escape as _e

from odwolaj.core.clock import WARSAW, parse_iso
from odwolaj.data.models import AuditEntry, ConsoleSession, StaffMember
from odwolaj.edge.console.formats import number
from odwolaj.edge.console.http import STYLE
from odwolaj.edge.console.labels import audit_detail, audit_subject
from odwolaj.edge.console.message_kinds import LABELS as MESSAGE_KINDS
from odwolaj.security import staff
from odwolaj.stats import definitions as d

# Pages in the navigation, with the permission each needs. Part 2's pages join this list.
NAV = (
    ("/panel", "Wyniki", "dashboard"),
    ("/panel/definicje", "Definicje", "dashboard"),
    ("/panel/dzis", "Dziś i jutro", "today"),
    ("/panel/lista", "Lista oczekujących", "waiting_list"),
    ("/panel/wizyty", "Dodaj wizyty", "bookings"),
    ("/panel/zespol", "Zespół", "staff"),
    ("/panel/dziennik", "Dziennik zmian", "audit"),
    ("/panel/ustawienia", "Ustawienia", "settings"),
)
ROLES = {"manager": "kierownik", "reception": "rejestracja"}


def hidden_csrf(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{_e(token)}">'


def layout(title: str, body: str, *, session: ConsoleSession | None = None, facility: str | None = None,
           current: str | None = None, narrow: bool = False) -> str:
    nav, who = "", ""
    if session is not None:
        links = "".join(
            f'<li><a href="{href}"{" aria-current=page" if href == current else ""}>{_e(label)}</a></li>'
            for href, label, needs in NAV if staff.may(session.role, needs))
        nav = f'<nav class="main" aria-label="Panel"><ul>{links}</ul></nav>'
        who = (f'<span class="who">{_e(session.email or "")} ({_e(ROLES.get(session.role or "", ""))})</span>'
               f'<form class="inline" method="post" action="/panel/wyloguj">{hidden_csrf(session.csrf)}'
               '<button type="submit">Wyloguj</button></form>')
    brand = "Odwołaj · panel przychodni" + (f" · {facility}" if facility else "")
    return (
        '<!doctype html>\n<html lang="pl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{_e(title)} – Odwołaj</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#tresc">Przejdź do treści</a>\n'
        f'<header class="bar"><div class="inner"><span class="brand">{_e(brand)}</span>{nav}{who}</div></header>\n'
        f'<main id="tresc"{" class=narrow" if narrow else ""}>\n{body}\n</main>\n</body>\n</html>\n'
    )


def _alert(problem: str | None, kind: str = "problem") -> str:
    if not problem:
        return ""
    role = "alert" if kind == "problem" else "status"
    return f'<p class="{kind}" id="problem" role="{role}">{_e(problem)}</p>\n'


def _described(problem: str | None) -> str:
    return ' aria-describedby="problem"' if problem else ""


# The same for the pages of other modules (the waiting list, today's board).
alert, described = _alert, _described


# ---------------------------------------------------------------------------------------------
# Signing in

SIGNIN_PROBLEMS = {
    "bad_credentials": "Nieprawidłowy e-mail lub hasło.",
    "locked": ("Zbyt wiele nieudanych prób. Logowanie na to konto jest chwilowo wstrzymane: spróbuj ponownie "
               "za kilka minut."),
    "bad_code": "Nieprawidłowy kod. Wpisz 6 cyfr, które aplikacja pokazuje teraz (kod zmienia się co 30 sekund).",
    "weak_password": "Hasło musi mieć co najmniej 12 znaków, w tym wielką i małą literę oraz cyfrę.",
    "mismatch": "Hasła się różnią. Wpisz to samo hasło dwa razy.",
    "expired": "Logowanie trwało zbyt długo. Zacznij jeszcze raz.",
    "no_access": "To konto nie ma dostępu do panelu. Skontaktuj się z kierownikiem przychodni.",
    "too_many": "Zbyt wiele prób logowania z tego adresu. Spróbuj ponownie za kwadrans.",
    "form_expired": "Formularz był otwarty zbyt długo. Spróbuj jeszcze raz.",
}
NOTICES = {"wylogowano": "Wylogowano.", "sesja": "Sesja wygasła. Zaloguj się ponownie."}


def sign_in_page(form_token: str, *, problem: str | None = None, notice: str | None = None, email: str = "") -> str:
    body = (
        "<h1>Logowanie do panelu</h1>\n"
        f"{_alert(problem)}{_alert(notice, 'note')}"
        f'<form method="post" action="/panel/logowanie">{hidden_csrf(form_token)}\n'
        f'<div class="field"><label for="email">Adres e-mail</label><input type="email" id="email" name="email" '
        f'required maxlength="254" autocomplete="username" value="{_e(email)}"{_described(problem)}></div>\n'
        '<div class="field"><label for="password">Hasło</label><input type="password" id="password" '
        f'name="password" required maxlength="256" autocomplete="current-password"{_described(problem)}></div>\n'
        '<button type="submit">Zaloguj się</button></form>\n'
        '<p class="muted">Nie pamiętasz hasła albo nie masz konta? Poproś kierownika przychodni.</p>'
    )
    return layout("Logowanie", body, narrow=True)


def new_password_page(csrf: str, *, problem: str | None = None) -> str:
    body = (
        "<h1>Ustaw własne hasło</h1>\n"
        "<p>To pierwsze logowanie: zamiast hasła tymczasowego ustaw własne. Co najmniej 12 znaków, w tym wielka "
        "i mała litera oraz cyfra.</p>\n"
        f"{_alert(problem)}"
        f'<form method="post" action="/panel/nowe-haslo">{hidden_csrf(csrf)}\n'
        '<div class="field"><label for="password">Nowe hasło</label><input type="password" id="password" '
        f'name="password" required minlength="12" maxlength="256" autocomplete="new-password"{_described(problem)}>'
        '</div>\n<div class="field"><label for="repeated">Powtórz nowe hasło</label><input type="password" '
        f'id="repeated" name="repeated" required minlength="12" maxlength="256" autocomplete="new-password"'
        f'{_described(problem)}></div>\n<button type="submit">Ustaw hasło</button></form>'
    )
    return layout("Nowe hasło", body, narrow=True)


def _code_field(problem: str | None) -> str:
    return ('<div class="field"><label for="code">Kod z aplikacji (6 cyfr)</label><input type="text" id="code" '
            'name="code" required inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7" '
            f'autocomplete="one-time-code"{_described(problem)}></div>\n')


def code_page(csrf: str, *, problem: str | None = None) -> str:
    body = (
        "<h1>Weryfikacja dwuetapowa</h1>\n"
        "<p>Otwórz aplikację uwierzytelniającą w telefonie i wpisz kod, który teraz pokazuje dla Odwołaj.</p>\n"
        f"{_alert(problem)}"
        f'<form method="post" action="/panel/kod">{hidden_csrf(csrf)}\n{_code_field(problem)}'
        '<button type="submit">Dalej</button></form>\n'
        '<p><a href="/panel/logowanie">Zaloguj się od nowa</a></p>'
    )
    return layout("Kod z aplikacji", body, narrow=True)


def totp_setup_page(csrf: str, *, secret: str, uri: str, qr_svg: str, optional: bool,
                    problem: str | None = None) -> str:
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    lead = ("Możesz włączyć weryfikację dwuetapową: do każdego logowania będzie potrzebny także kod z telefonu. "
            "Zalecamy ją każdemu." if optional else
            "Konto kierownika wymaga weryfikacji dwuetapowej: do każdego logowania potrzebny będzie także kod z "
            "aplikacji w telefonie. Ustaw ją teraz, zanim przejdziesz dalej.")
    skip = (f'<form method="post" action="/panel/weryfikacja/pomin">{hidden_csrf(csrf)}'
            '<button type="submit" class="secondary">Nie teraz</button></form>' if optional else "")
    body = (
        "<h1>Weryfikacja dwuetapowa</h1>\n"
        f"<p>{lead}</p>\n{_alert(problem)}"
        "<ol>\n<li>Zainstaluj w telefonie aplikację uwierzytelniającą, np. Google Authenticator, Microsoft "
        "Authenticator albo FreeOTP.</li>\n"
        "<li>Zeskanuj ten kod QR (albo, na telefonie, dotknij linku pod nim):</li>\n</ol>\n"
        f'<div class="qr">{qr_svg}</div>\n'
        f'<p><a href="{_e(uri)}">Dodaj Odwołaj do aplikacji w tym telefonie</a></p>\n'
        f'<p>Albo wpisz w aplikacji ten klucz: <span class="secret">{_e(grouped)}</span></p>\n'
        "<p>3. Wpisz kod, który aplikacja pokaże:</p>\n"
        f'<form method="post" action="/panel/weryfikacja">{hidden_csrf(csrf)}\n{_code_field(problem)}'
        '<button type="submit">Włącz weryfikację</button></form>\n'
        f"{skip}"
    )
    return layout("Weryfikacja dwuetapowa", body, narrow=True)


# ---------------------------------------------------------------------------------------------
# Problems

PROBLEMS = {
    "forbidden": ("Brak dostępu", "Ta część panelu jest dostępna tylko dla kierownika przychodni."),
    "not_found": ("Nie ma takiej strony", "Sprawdź adres albo wróć do wyników."),
    "form_expired": ("Nie udało się wysłać formularza",
                     "Strona była otwarta zbyt długo albo formularz nie pochodzi z panelu. Nic nie zostało zmienione."),
    "conflict": ("Nie udało się", "Ktoś zmienił to w międzyczasie albo zmiana jest niemożliwa. Nic nie zostało "
                 "zmienione."),
    "failure": ("Przepraszamy, coś poszło nie tak", "Spróbuj ponownie za chwilę."),
}


def problem_page(kind: str, *, session: ConsoleSession | None = None, detail: str | None = None) -> str:
    title, text = PROBLEMS[kind]
    extra = f"<p>{_e(detail)}</p>\n" if detail else ""
    body = f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n{extra}<p><a href=\"/panel\">Wróć do panelu</a></p>"
    return layout(title, body, session=session)


# ---------------------------------------------------------------------------------------------
# Definitions


def definitions_page(session: ConsoleSession, late_hours: int) -> str:
    parts = ["<h1>Definicje wskaźników</h1>",
             "<p>Liczby pochodzą ze zdarzeń zapisanych przy każdej zmianie wizyty, terminu, przedpłaty i wpisu na "
             "listę oczekujących. Dzień to dzień w Polsce: wizyty, terminy i przedpłaty liczą się w dniu wizyty, "
             "wpisy na listę i rezygnacje z SMS w dniu, w którym nastąpiły.</p>",
             f'<p class="note">Próg późnego odwołania w tej przychodni: {late_hours} godz. przed wizytą.</p>']
    for section, title in d.SECTIONS.items():
        items = "".join(f'<dt id="def-{kpi.key}">{_e(kpi.label)}</dt><dd><p>{_e(kpi.definition)}</p></dd>'
                        for kpi in d.KPIS if kpi.section == section)
        parts.append(f'<section class="card" aria-labelledby="s-{section}"><h2 id="s-{section}">{_e(title)}</h2>'
                     f"<dl>{items}</dl></section>")
    return layout("Definicje", "\n".join(parts), session=session, current="/panel/definicje")


# ---------------------------------------------------------------------------------------------
# Staff

STATUSES = {"invited": "zaproszony (jeszcze się nie zalogował)", "active": "aktywny", "disabled": "wyłączony"}


def _when(moment: str | None) -> str:
    if not moment:
        return "–"
    local = parse_iso(moment).astimezone(WARSAW)
    return f"{local:%d.%m.%Y %H:%M}"


def _person_actions(person: StaffMember, csrf: str, me: str | None) -> str:
    if person.sub == me:
        return '<span class="muted">to Ty</span>'
    target = f"/panel/zespol/{_e(person.sub)}"
    forms = []
    if person.status == "disabled":
        forms.append(f'<form method="post" action="{target}">{hidden_csrf(csrf)}<input type="hidden" '
                     'name="action" value="enable"><button type="submit" class="secondary">Włącz konto</button></form>')
    else:
        forms.append(f'<form method="post" action="{target}">{hidden_csrf(csrf)}<input type="hidden" '
                     'name="action" value="disable"><button type="submit" class="danger">Wyłącz konto</button></form>')
    other = "reception" if person.role == "manager" else "manager"
    forms.append(f'<form method="post" action="{target}">{hidden_csrf(csrf)}<input type="hidden" name="action" '
                 f'value="role"><input type="hidden" name="role" value="{other}"><button type="submit" '
                 f'class="secondary">Zmień rolę na: {_e(ROLES[other])}</button></form>')
    if person.status == "invited":
        forms.append(f'<form method="post" action="{target}">{hidden_csrf(csrf)}<input type="hidden" '
                     'name="action" value="resend"><button type="submit" class="secondary">Wyślij zaproszenie '
                     "ponownie</button></form>")
    return f'<div class="actions">{"".join(forms)}</div>'


def staff_page(session: ConsoleSession, people: list[StaffMember], *, notice: str | None = None,
               problem: str | None = None, email: str = "", role: str = "reception") -> str:
    rows = "".join(
        f"<tr><td>{_e(p.email)}</td><td>{_e(ROLES.get(p.role, p.role))}</td><td>{_e(STATUSES.get(p.status, p.status))}"
        f"</td><td>{'tak' if p.totp else 'nie'}</td><td>{_when(p.last_sign_in_at)}</td>"
        f"<td>{_person_actions(p, session.csrf, session.sub)}</td></tr>" for p in people)
    choices = "".join(
        f'<div><input type="radio" id="role-{key}" name="role" value="{key}"{" checked" if key == role else ""}>'
        f' <label for="role-{key}">{_e(label)}</label></div>' for key, label in ROLES.items())
    body = (
        "<h1>Zespół</h1>\n"
        f"{_alert(notice, 'ok')}{_alert(problem)}"
        '<section class="card" aria-labelledby="people"><h2 id="people">Osoby z dostępem do panelu</h2>'
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Tabela osób"><table><thead><tr>'
        '<th scope="col">E-mail</th><th scope="col">Rola</th>'
        '<th scope="col">Status</th><th scope="col">Weryfikacja dwuetapowa</th><th scope="col">Ostatnie logowanie'
        f'</th><th scope="col">Działania</th></tr></thead><tbody>{rows}</tbody></table></div></section>\n'
        '<section class="card" aria-labelledby="invite"><h2 id="invite">Zaproś osobę</h2>'
        "<p>Osoba dostanie e-mail z adresem panelu i hasłem tymczasowym. Kierownik ma dostęp do wszystkiego w "
        "przychodni, także ustawień i zespołu, i musi używać weryfikacji dwuetapowej; rejestracja nie zmienia "
        "ustawień.</p>"
        f'<form method="post" action="/panel/zespol">{hidden_csrf(session.csrf)}\n'
        '<div class="field"><label for="email">Adres e-mail</label><input type="email" id="email" name="email" '
        f'required maxlength="254" autocomplete="off" value="{_e(email)}"{_described(problem)}></div>\n'
        f'<fieldset class="field"><legend>Rola</legend>{choices}</fieldset>\n'
        '<button type="submit">Zaproś</button></form></section>'
    )
    return layout("Zespół", body, session=session, current="/panel/zespol")


# ---------------------------------------------------------------------------------------------
# The audit log

ACTIONS = {"signed_in": "zalogowanie", "signed_out": "wylogowanie", "password_set": "ustawienie własnego hasła",
           "totp_enabled": "włączenie weryfikacji dwuetapowej", "staff_invited": "zaproszenie osoby",
           "invitation_resent": "ponowne zaproszenie", "staff_disabled": "wyłączenie konta",
           "staff_enabled": "włączenie konta", "staff_role_changed": "zmiana roli",
           "settings_changed": "zmiana ustawień", "waiting_entry_added": "wpis na listę oczekujących",
           "waiting_entry_struck_off": "skreślenie z listy oczekujących",
           "planned_date_changed": "zmiana planowanego terminu", "visit_attended": "wizyta odbyta",
           "visit_no_show": "nieobecność na wizycie", "visit_booked": "dodanie wizyty w panelu",
           "visits_imported": "import wizyt z pliku CSV",
           "offers_resumed": "wznowienie propozycji SMS (pacjent odpisał wcześniej STOP)"}
SUBJECTS = {"stats_settings": "ustawienia wyników", "payment_rules": "przedpłaty",
            "offer_strategy": "propozycje z listy oczekujących", "campaign_settings": "teksty wiadomości",
            "message_templates": "SMS-y do pacjentów"}
SETTINGS = {"late_cancellation_hours": "próg późnego odwołania (godz.)", "visit_value": "wartość wizyty (gr)",
            "service_values": "wartości wizyt poradni (gr)"}
# The parts of part 2's settings names ("specialists.dr Nowak.deadline.hour"); others stay as written.
SETTING_PARTS = {
    "mode": "tryb", "kind": "co płaci pacjent", "amount": "kwota (gr)", "first_visit_mandatory": "nowi pacjenci płacą",
    "blacklist_mandatory": "z czarnej listy płacą", "deadline": "termin płatności", "hour": "godzina",
    "hours_before_visit": "godz. przed wizytą", "hours_after_booking": "godz. od rezerwacji",
    "booking_cutoff": "bez rezerwacji z przedpłatą od", "blacklist": "czarna lista", "no_shows": "nieobecności",
    "within_months": "w ciągu miesięcy", "days": "dni", "specialists": "specjalista", "messages": "tekst",
    "rebook_nudge": "propozycja po odwołaniu", "enabled": "włączona", "rate_per_minute": "SMS-ów na minutę",
    "wave_size": "pierwsza fala", "short_notice_wave_size": "pierwsza fala (mniej niż doba)",
    "wave_growth_percent": "wzrost fali (%)", "max_wave_size": "największa fala", "hold_minutes": "co ile minut fala",
    "grace_minutes": "okno zgód (min)", "min_lead_minutes": "koniec propozycji przed wizytą (min)",
    "target_offers": "docelowa liczba propozycji", "cooldown_hours": "odpoczynek (godz.)",
    "claim_minutes": "czas na przedpłatę po zgodzie (min)",
} | MESSAGE_KINDS  # the patient SMS texts ("booked" → "Umówienie wizyty")


def _setting(name: str) -> str:
    return SETTINGS.get(name) or " › ".join(SETTING_PARTS.get(part, part) for part in name.split("."))


def _who(sub: str | None, names: dict[str, str]) -> str:
    if not sub:
        return "–"
    if sub == "odwolaj-admin":
        return "administrator (odwolaj-admin)"
    return names.get(sub, f"konto {sub[:8]}…")


def _detail(entry: AuditEntry) -> str:
    detail = json.loads(entry.detail) if entry.detail else {}
    if entry.action == "settings_changed":
        return "; ".join(f"{_setting(k)}: {json.dumps(v['from'], ensure_ascii=False)} → "
                         f"{json.dumps(v['to'], ensure_ascii=False)}" for k, v in detail.items())
    if entry.action == "staff_role_changed":
        return f"{ROLES.get(str(detail.get('from')), '?')} → {ROLES.get(str(detail.get('to')), '?')}"
    if entry.action == "staff_invited":
        return f"rola: {ROLES.get(str(detail.get('role')), '?')}"
    if entry.action == "signed_in":
        return "z kodem z aplikacji" if detail.get("totp") else "bez weryfikacji dwuetapowej"
    if entry.action in ("visit_booked", "visits_imported"):
        return "; ".join(f"{k}: {v}" for k, v in detail.items() if k != "rows")
    return audit_detail(entry.action, detail) or ""


def _subject(entry: AuditEntry, names: dict[str, str]) -> str:
    subject = entry.subject
    if subject in SUBJECTS:
        return SUBJECTS[subject]
    about = audit_subject(entry.action, json.loads(entry.detail) if entry.detail else {})
    if about is not None:
        return about
    if subject and subject.startswith("visit:"):
        return f"wizyta {subject.removeprefix('visit:')}"
    return _who(subject, names)


def audit_page(session: ConsoleSession, entries: list[AuditEntry], names: dict[str, str],
               next_before: str | None) -> str:
    rows = "".join(
        f"<tr><td>{_when(e.at)}</td><td>{_e(_who(e.actor, names))}</td><td>{_e(ACTIONS.get(e.action, e.action))}</td>"
        f"<td>{_e(_subject(e, names))}</td>"
        f"<td>{_e(_detail(e))}</td></tr>" for e in entries)
    more = (f'<p><a href="/panel/dziennik?przed={_e(next_before)}">Starsze wpisy</a></p>' if next_before else "")
    body = (
        "<h1>Dziennik zmian</h1>\n<p>Kto i kiedy zmienił coś w panelu przychodni: logowania, zespół, ustawienia, "
        "lista oczekujących, obecność na wizytach. "
        "Najnowsze na górze. Czas polski.</p>\n"
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Wpisy dziennika"><table><thead><tr>'
        '<th scope="col">Kiedy</th><th scope="col">Kto</th>'
        '<th scope="col">Co</th><th scope="col">Czego dotyczy</th><th scope="col">Szczegóły</th></tr></thead>'
        f"<tbody>{rows or '<tr><td colspan=5>Brak wpisów.</td></tr>'}</tbody></table></div>\n{more}"
    )
    return layout("Dziennik zmian", body, session=session, current="/panel/dziennik")


# ---------------------------------------------------------------------------------------------
# Settings


def zloty(grosze: int | None) -> str:
    return "" if grosze is None else number(grosze / 100, 2).replace("\u00a0", "")


SETTINGS_PAGES = (
    ("/panel/ustawienia", "Wyniki"),
    ("/panel/ustawienia/przedplaty", "Przedpłaty"),
    ("/panel/ustawienia/propozycje", "Propozycje z listy oczekujących"),
    ("/panel/ustawienia/wiadomosci", "Teksty wiadomości"),
    ("/panel/ustawienia/sms", "SMS-y do pacjentów"),
)


def settings_links(current: str) -> str:
    """The settings' own pages, on each of them."""
    items = "".join(f'<li><a href="{href}"{" aria-current=page" if href == current else ""}>{_e(label)}</a></li>'
                    for href, label in SETTINGS_PAGES)
    return f'<nav aria-label="Ustawienia"><ul class="settings-links">{items}</ul></nav>\n'


def settings_page(session: ConsoleSession, values: dict[str, str], services: tuple[str, ...], *,
                  notice: str | None = None, problem: str | None = None) -> str:
    service_fields = "".join(
        f'<div class="field"><label for="sv-{i}">{_e(service)} (zł)</label><input type="text" id="sv-{i}" '
        f'name="service:{_e(service)}" inputmode="decimal" maxlength="12" '
        f'value="{_e(values.get("service:" + service, ""))}">'
        "</div>" for i, service in enumerate(services))
    body = (
        "<h1>Ustawienia wyników</h1>\n" + settings_links("/panel/ustawienia") +
        f"{_alert(notice, 'ok')}{_alert(problem)}"
        f'<form method="post" action="/panel/ustawienia">{hidden_csrf(session.csrf)}\n'
        '<section class="card"><h2>Późne odwołanie</h2>'
        '<div class="field"><label for="late">Odwołanie jest późne, gdy zostało mniej godzin do wizyty niż '
        '(1–72)</label><input type="number" id="late" name="late_cancellation_hours" min="1" max="72" required '
        f'value="{_e(values.get("late_cancellation_hours", ""))}"></div></section>\n'
        '<section class="card"><h2>Wartość wizyty</h2><p>Służy do policzenia wartości odzyskanych wizyt. Puste pole '
        "przy poradni: jak wartość ogólna.</p>"
        '<div class="field"><label for="value">Wartość wizyty ogólnie (zł)</label><input type="text" id="value" '
        f'name="visit_value" inputmode="decimal" maxlength="12" value="{_e(values.get("visit_value", ""))}"></div>'
        f"{service_fields}</section>\n"
        '<button type="submit">Zapisz</button></form>'
    )
    return layout("Ustawienia", body, session=session, current="/panel/ustawienia")
