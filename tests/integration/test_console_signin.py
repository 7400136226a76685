"""The console's sign-in, sessions, CSRF, roles, staff and audit, through the template's handler on
moto with the Cognito patch (real TOTP checks, lockout, sessions bound to their user)."""
from __future__ import annotations

import json
import re

import pytest

from odwolaj.adapters import cognito
from odwolaj.data.models import AuditEntry, ConsoleSession, StaffMember
from odwolaj.security import audit, sessions, staff
from odwolaj.security.facilities import create_facility
from odwolaj_local.cognito import totp_code
from tests.console_helpers import PASSWORD, Browser, Person, csrf_of, enrolled, location

SESSION = "__Host-odwolaj-panel"
SIGNIN = "__Host-odwolaj-logowanie"


@pytest.fixture
def facility_id(aws):
    return create_facility("Przychodnia A", short_name="A").facility.facility_id


@pytest.fixture
def browser(http):
    return Browser(http)


@pytest.fixture
def manager(facility_id):
    return enrolled(facility_id, "kierownik@a.pl")


def actions(facility_id: str) -> list[str]:
    return [e.action for e in AuditEntry.query(facility_id)]


def test_a_new_manager_sets_a_password_then_totp_before_anything_else(facility_id, browser, function_logs):
    """Given an invitation with a temporary password; the first sign-in asks for a new password,
    then only the TOTP set-up (a wrong code keeps it there), and the session comes with a
    verified code. Everything is audited by sub; no e-mail address reaches the log."""
    logs = function_logs("ConsoleFunction")
    invitation = staff.invite(facility_id, "Nowa.Kierowniczka@A.pl", staff.MANAGER, by=audit.Actor(audit.SYSTEM))
    person = Person("nowa.kierowniczka@a.pl", invitation.member.sub, invitation.temporary_password)

    answer = browser.sign_in(person)
    assert location(answer) == "/panel/nowe-haslo" and SIGNIN in browser.cookies
    weak = browser.submit("/panel/nowe-haslo", {"password": "krotkie", "repeated": "krotkie"})
    assert weak["statusCode"] == 400 and "co najmniej 12 znaków" in weak["body"]
    mismatch = browser.submit("/panel/nowe-haslo", {"password": PASSWORD, "repeated": PASSWORD + "x"})
    assert "Hasła się różnią" in mismatch["body"]
    answer = browser.submit("/panel/nowe-haslo", {"password": PASSWORD, "repeated": PASSWORD})
    assert location(answer) == "/panel/weryfikacja"
    assert browser.get("/panel")["headers"]["Location"].startswith("/panel/logowanie")  # no session yet

    setup = browser.get("/panel/weryfikacja")
    secret = re.search(r'<span class="secret">([A-Z2-7 ]+)</span>', setup["body"]).group(1).replace(" ", "")
    assert 'role="img"' in setup["body"] and "otpauth://totp/" in setup["body"]
    assert "Nie teraz" not in setup["body"]  # a manager cannot skip it
    refused = browser.post("/panel/weryfikacja/pomin", {"csrf": csrf_of(setup["body"])})
    assert location(refused).startswith("/panel/logowanie")
    browser.sign_in(Person(person.email, person.sub, PASSWORD))  # start again: the set-up is offered anew
    setup = browser.get("/panel/weryfikacja")
    secret = re.search(r'<span class="secret">([A-Z2-7 ]+)</span>', setup["body"]).group(1).replace(" ", "")
    wrong = browser.post("/panel/weryfikacja", {"csrf": csrf_of(setup["body"]), "code": "000000"})
    assert wrong["statusCode"] == 400 and "Nieprawidłowy kod" in wrong["body"]
    answer = browser.post("/panel/weryfikacja", {"csrf": csrf_of(setup["body"]), "code": totp_code(secret)})
    assert location(answer) == "/panel" and SESSION in browser.cookies and SIGNIN not in browser.cookies

    assert browser.get("/panel")["statusCode"] == 200
    assert cognito.get_user(person.sub).totp
    member = StaffMember.get(facility_id, person.sub)
    assert (member.status, member.totp) == ("active", True)
    assert set(actions(facility_id)) >= {"staff_invited", "password_set", "totp_enabled", "signed_in"}
    assert all(e.actor in (person.sub, audit.SYSTEM) for e in AuditEntry.query(facility_id))
    written = logs.getvalue().lower()
    assert person.sub in written and "a.pl" not in written  # the log names the person by sub only


def test_a_wrong_code_is_refused_and_the_right_one_signs_in(manager, browser):
    browser.submit("/panel/logowanie", {"email": manager.email, "password": manager.password})
    wrong = browser.submit("/panel/kod", {"code": "123456"})
    assert wrong["statusCode"] == 400 and "Nieprawidłowy kod" in wrong["body"]
    assert browser.get("/panel")["statusCode"] == 303
    answer = browser.submit("/panel/kod", {"code": totp_code(manager.totp_secret)})
    assert location(answer) == "/panel" and browser.get("/panel")["statusCode"] == 200


def test_repeated_failures_lock_the_account_even_with_the_right_password(manager, browser):
    for attempt in range(5):
        answer = browser.submit("/panel/logowanie", {"email": manager.email, "password": f"Zle-Haslo-{attempt}1"})
        assert answer["statusCode"] == 401 and "Nieprawidłowy e-mail lub hasło" in answer["body"]
        assert f'value="{manager.email}"' in answer["body"]  # what was typed stays
    locked = browser.submit("/panel/logowanie", {"email": manager.email, "password": manager.password})
    assert locked["statusCode"] == 429 and "chwilowo wstrzymane" in locked["body"]
    assert SESSION not in browser.cookies


def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(facility_id, browser):
    answer = browser.submit("/panel/logowanie", {"email": "nikt@a.pl", "password": "Cokolwiek-1234"})
    assert answer["statusCode"] == 401 and "Nieprawidłowy e-mail lub hasło" in answer["body"]


def test_reception_may_skip_totp_and_sees_no_settings(facility_id, browser):
    person = enrolled(facility_id, "rejestracja@a.pl", staff.RECEPTION, with_totp=False)
    assert location(browser.sign_in(person)) == "/panel/weryfikacja"
    offer = browser.get("/panel/weryfikacja")
    assert "Nie teraz" in offer["body"]
    answer = browser.post("/panel/weryfikacja/pomin", {"csrf": csrf_of(offer["body"])})
    assert location(answer) == "/panel"
    page = browser.get("/panel")
    assert page["statusCode"] == 200 and "/panel/ustawienia" not in page["body"]
    for path in ("/panel/ustawienia", "/panel/zespol", "/panel/dziennik"):
        assert browser.get(path)["statusCode"] == 403
    forged = browser.post("/panel/ustawienia", {"csrf": csrf_of(page["body"]), "late_cancellation_hours": "2"})
    assert forged["statusCode"] == 403


def test_forms_without_the_session_s_token_or_from_another_site_change_nothing(manager, browser):
    browser.sign_in(manager)
    page = browser.get("/panel/ustawienia")
    no_token = browser.post("/panel/ustawienia", {"late_cancellation_hours": "12"})
    other_site = browser.post("/panel/ustawienia", {"csrf": csrf_of(page["body"]), "late_cancellation_hours": "12"},
                              headers={"sec-fetch-site": "cross-site", "origin": "https://evil.example"})
    assert no_token["statusCode"] == other_site["statusCode"] == 403
    signin_forged = Browser(browser.http).post("/panel/logowanie", {"csrf": "1.abc", "email": manager.email,
                                                                    "password": manager.password})
    assert signin_forged["statusCode"] == 403
    assert "settings_changed" not in actions(manager_facility(manager))


def manager_facility(person: Person) -> str:
    return cognito.get_user(person.sub).facility_id


def test_settings_are_validated_kept_when_wrong_and_audited_when_saved(manager, browser, facility_id):
    browser.sign_in(manager)
    wrong = browser.submit("/panel/ustawienia", {"late_cancellation_hours": "100", "visit_value": "150,50"})
    assert wrong["statusCode"] == 400 and "od 1 do 72" in wrong["body"] and 'value="150,50"' in wrong["body"]
    bad_amount = browser.submit("/panel/ustawienia", {"late_cancellation_hours": "12", "visit_value": "sto"})
    assert "kwotę w złotych" in bad_amount["body"]
    saved = browser.submit("/panel/ustawienia", {"late_cancellation_hours": "12", "visit_value": "150,50"})
    assert location(saved) == "/panel/ustawienia?ok=zapisano"
    [entry] = [e for e in AuditEntry.query(facility_id) if e.action == "settings_changed"]
    assert entry.actor == manager.sub
    assert json.loads(entry.detail) == {"late_cancellation_hours": {"from": 24, "to": 12},
                                        "visit_value": {"from": None, "to": 15050}}
    assert "12 godz." in browser.get("/panel/definicje")["body"]
    log = browser.get("/panel/dziennik")["body"]
    assert "zmiana ustawień" in log and manager.email in log


def test_a_session_ends_after_idle_time_and_at_its_absolute_end(manager, browser, clock):
    browser.sign_in(manager)
    clock(minutes=29)
    assert browser.get("/panel")["statusCode"] == 200
    clock(minutes=31)
    gone = browser.get("/panel")
    assert location(gone) == "/panel/logowanie?powod=sesja" and SESSION not in browser.cookies
    assert location(browser.sign_in(manager)) == "/panel"
    answers = []
    for _ in range(26):  # active all day, a request every 29 minutes: it ends at 12 hours anyway
        clock(minutes=29)
        answers.append(browser.get("/panel"))
        if answers[-1]["statusCode"] != 200:
            break
    assert len(answers) == 25  # 24 × 29 min = 11 h 36 min still in, 25 × 29 min = 12 h 5 min out
    assert location(answers[-1]) == "/panel/logowanie?powod=sesja"


# Every route of the console, by the part of the panel (router) that answers it.
SIGNED_IN_ROUTES = [
    ("GET", "/panel"), ("GET", "/panel/eksport/wyniki.csv"), ("GET", "/panel/definicje"),
    ("GET", "/panel/zespol"), ("POST", "/panel/zespol"), ("POST", "/panel/zespol/sub-1"), ("GET", "/panel/dziennik"),
    ("GET", "/panel/lista"), ("POST", "/panel/lista"), ("GET", "/panel/lista/e-1"), ("POST", "/panel/lista/e-1/skresl"),
    ("POST", "/panel/lista/e-1/termin"),
    ("GET", "/panel/dzis"), ("POST", "/panel/dzis/a-1"),
    *[(method, f"/panel/ustawienia{page}") for page in ("", "/przedplaty", "/przedplaty/specjalista", "/propozycje",
                                                        "/wiadomosci", "/sms") for method in ("GET", "POST")],
    ("GET", "/panel/wizyty"), ("POST", "/panel/wizyty"), ("GET", "/panel/wizyty/import"),
    ("POST", "/panel/wizyty/import"), ("GET", "/panel/wizyty/import/raport"),
]
SIGNIN_STEPS = [(method, page) for page in ("/panel/nowe-haslo", "/panel/kod", "/panel/weryfikacja")
                for method in ("GET", "POST")] + [("POST", "/panel/weryfikacja/pomin")]


def test_every_route_sends_a_browser_without_a_session_to_sign_in(facility_id, http):
    """Each part of the panel is routed (none answers 404) and asks for a session (or a sign-in at its
    step) before it reads or changes anything."""
    def answer(method: str, path: str) -> dict:
        return http(method, path, headers={"host": "odw.pl", "content-type": "application/x-www-form-urlencoded"},
                    body="csrf=x")

    assert {route: location(answer(*route)) for route in SIGNED_IN_ROUTES} == dict.fromkeys(SIGNED_IN_ROUTES,
                                                                                             "/panel/logowanie")
    assert {route: location(answer(*route)) for route in SIGNIN_STEPS} == dict.fromkeys(
        SIGNIN_STEPS, "/panel/logowanie?powod=expired")
    assert location(answer("POST", "/panel/wyloguj")) == "/panel/logowanie?powod=wylogowano"
    assert answer("GET", "/panel/logowanie")["statusCode"] == 200
    assert answer("POST", "/panel/logowanie")["statusCode"] == 403  # no sign-in form's token
    assert answer("GET", "/panel/nie-ma")["statusCode"] == 404


def test_a_disabled_person_is_signed_out_at_the_next_check(facility_id, manager, browser, http, clock):
    colleague = enrolled(facility_id, "druga@a.pl", staff.RECEPTION, with_totp=False)
    theirs = Browser(http)
    theirs.sign_in(colleague)
    theirs.post("/panel/weryfikacja/pomin", {"csrf": csrf_of(theirs.get("/panel/weryfikacja")["body"])})
    assert theirs.get("/panel")["statusCode"] == 200
    browser.sign_in(manager)
    answer = browser.submit("/panel/zespol/" + colleague.sub, {"action": "disable"}, page="/panel/zespol")
    assert location(answer) == "/panel/zespol?ok=zmieniono"
    clock(minutes=6)  # past the 5-minute check
    assert theirs.get("/panel")["statusCode"] == 303
    assert browser.submit("/panel/logowanie", {"email": colleague.email, "password": colleague.password},
                          page="/panel/logowanie")["statusCode"] == 401


def test_sign_out_ends_the_session(manager, browser, facility_id):
    browser.sign_in(manager)
    page = browser.get("/panel")
    answer = browser.post("/panel/wyloguj", {"csrf": csrf_of(page["body"])})
    assert location(answer) == "/panel/logowanie?powod=wylogowano" and SESSION not in browser.cookies
    assert [s for s in ConsoleSession.scan() if s.kind == sessions.SESSION] == []
    assert "signed_out" in actions(facility_id)


def test_another_facility_s_people_and_figures_are_out_of_reach(facility_id, manager, browser):
    """Given a manager of facility B; A's staff member cannot be changed from B's console (404), and
    B's dashboard never takes a facility from the address."""
    other = create_facility("Przychodnia B", short_name="B").facility.facility_id
    theirs = enrolled(other, "kierownik@b.pl")
    browser.sign_in(theirs)
    answer = browser.submit(f"/panel/zespol/{manager.sub}", {"action": "disable"}, page="/panel/zespol")
    assert answer["statusCode"] == 404
    assert cognito.get_user(manager.sub).enabled
    assert browser.get("/panel", query=f"facility={facility_id}")["statusCode"] == 400
    assert "kierownik@a.pl" not in browser.get("/panel/zespol")["body"]


def test_a_manager_invites_reception_and_the_invitation_arrives_by_e_mail(manager, browser, facility_id):
    from moto.ses.models import ses_backends

    browser.sign_in(manager)
    bad = browser.submit("/panel/zespol", {"email": "to nie adres", "role": "reception"})
    assert bad["statusCode"] == 400 and "Sprawdź adres e-mail" in bad["body"]
    answer = browser.submit("/panel/zespol", {"email": "recepcja@a.pl", "role": "reception"})
    assert location(answer) == "/panel/zespol?ok=wyslano"
    again = browser.submit("/panel/zespol", {"email": "recepcja@a.pl", "role": "reception"})
    assert "już jest w zespole" in again["body"]
    [mail] = [m for m in ses_backends["123456789012"]["eu-central-1"].sent_messages
              if "recepcja@a.pl" in str(getattr(m, "destinations", ""))]
    password = re.search(r"Hasło tymczasowe: (\S+)", mail.body).group(1)
    assert "https://odw.pl/panel" in mail.body
    new = Person("recepcja@a.pl", "", password)
    assert location(Browser(browser.http).sign_in(new)) == "/panel/nowe-haslo"
    people = browser.get("/panel/zespol")["body"]
    assert "recepcja@a.pl" in people and "zaproszony" in people


def test_too_many_attempts_from_one_address_are_refused(manager, browser, monkeypatch):
    from odwolaj.usecases import console

    monkeypatch.setattr(console, "SIGNIN_LIMIT", (2, 900))
    for _ in range(2):
        browser.submit("/panel/logowanie", {"email": manager.email, "password": "Zle-Haslo-123"})
    answer = browser.submit("/panel/logowanie", {"email": manager.email, "password": manager.password})
    assert answer["statusCode"] == 429 and "za kwadrans" in answer["body"]


def test_odwolaj_admin_invites_a_facility_s_first_manager(facility_id, browser, capsys, monkeypatch):
    from odwolaj import cli

    assert cli.main(["invite-manager", "--facility-id", facility_id, "--email", "Szefowa@A.pl"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["email"] == "szefowa@a.pl" and len(printed["temporary_password"]) == 16
    user = cognito.get_user(printed["sub"])
    assert (user.role, user.facility_id, user.totp) == ("manager", facility_id, False)
    [entry] = [e for e in AuditEntry.query(facility_id) if e.action == "staff_invited"]
    assert (entry.actor, entry.subject) == (audit.SYSTEM, printed["sub"])
    first = browser.sign_in(Person(printed["email"], printed["sub"], printed["temporary_password"]))
    assert location(first) == "/panel/nowe-haslo"

    assert cli.main(["invite-manager", "--facility-id", facility_id, "--email", "szefowa@a.pl"]) == 2
    assert "already" in capsys.readouterr().err
    monkeypatch.delenv("STAFF_USER_POOL_ID")
    assert cli.main(["invite-manager", "--facility-id", facility_id, "--email", "inna@a.pl"]) == 2
    assert "STAFF_USER_POOL_ID" in capsys.readouterr().err
