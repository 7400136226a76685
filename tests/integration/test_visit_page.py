"""The patient's visit page and the lookup, through the template's route and handler, against moto."""
import re
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import urlencode

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import WARSAW, now, parse_iso
from odwolaj.data.models import Appointment, OutboxItem
from odwolaj.messaging import outbound_sms
from odwolaj.messaging.outbound_sms import compose
from odwolaj.security.facilities import get_facility
from odwolaj.security.links import link_signer
from tests.conftest import RecordingGateway

FORM = {"content-type": "application/x-www-form-urlencoded"}


def link_path(appointment, purpose: str = "c") -> str:
    return f"/c/{link_signer().issue(purpose, appointment.appointment_id)}"


def form_token(html: str, action: str | None = None) -> str:
    """The CSRF value of the page's form for `action` (the lookup form has no action field)."""
    before = f'name="action" value="{action}">' if action else ""
    found = re.search(before + r'<input type="hidden" name="csrf" value="([^"]+)"', html)
    assert found, f"no form for {action!r} on the page"
    return found.group(1)


def post(http, path: str, fields: dict, headers: dict | None = None, **kwargs) -> dict:
    return http("POST", path, headers=FORM | (headers or {}), body=urlencode(fields), **kwargs)


def page_with(http, path: str, action: str) -> str:
    """The page that holds the form for `action`: cancelling is asked on its own step, after the
    visit page's "Odwołuję wizytę" (a GET with ?step=cancel)."""
    return http("GET", path, query="step=cancel" if action == "cancel" else "")["body"]


def press(http, path: str, action: str, **fields) -> dict:
    """Open the page and press one of its buttons, as a browser would."""
    return post(http, path, {"action": action, "csrf": form_token(page_with(http, path, action), action), **fields})


def events_of(detail_type: str) -> list[OutboxItem]:
    return [item for item in OutboxItem.scan() if item.detail_type == detail_type]


def after_start(clock, appointment, **delta) -> None:
    """Move the clock to `delta` after the visit starts."""
    clock(seconds=(parse_iso(appointment.starts_at) - now() + timedelta(**delta)).total_seconds())


def snapshot(appointment) -> tuple:
    stored = Appointment.get(appointment.appointment_id, consistent_read=True)
    return stored.status, stored.version, OutboxItem.count()


# --- the visit page -----------------------------------------------------------------------------


def test_opening_the_link_shows_the_visit_and_changes_nothing(http, book):
    appointment = book(days=3)
    before = snapshot(appointment)

    first = http("GET", link_path(appointment))
    second = http("GET", link_path(appointment))

    assert first["statusCode"] == second["statusCode"] == 200
    page = first["body"]
    assert '<html lang="pl">' in page and "<main>" in page
    assert "Poradnia kardiologiczna" in page and "dr Anna Nowak" in page and "ul. Długa 5, gab. 12" in page
    assert "Przychodnia Przykładowa" in page and 'href="tel:+48221234567"' in page
    assert appointment.visit_code in page
    assert re.search(r"<strong>(poniedziałek|wtorek|środa|czwartek|piątek|sobota|niedziela), \d{1,2} \w+( \d{4})?"
                     r"</strong><br><strong>godz\. \d\d:\d\d</strong>", page)
    assert "Odwołuję wizytę" in page and "Potwierdzam, przyjdę" in page
    assert not any(phone in page for phone in ("600100200", "600 100 200"))  # not the patient's number
    assert 'value="not_given"' not in page
    assert snapshot(appointment) == before


def test_values_from_the_clinic_are_escaped(http, book):
    appointment = book(days=3, specialist='<script>alert("x")</script>')

    page = http("GET", link_path(appointment))["body"]

    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_cancelling_with_a_reason_thanks_the_patient_and_frees_the_slot(http, book):
    appointment = book(days=3)
    path = link_path(appointment)

    response = press(http, path, "cancel", reason="feel_better")

    assert response["statusCode"] == 303
    assert response["headers"]["Location"] == f"{path}?done=cancelled"
    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "cancelled"
    assert (stored.cancellation.channel, stored.cancellation.reason) == ("web", "feel_better")
    thanks = http("GET", path, query="done=cancelled")
    assert thanks["statusCode"] == 200
    assert "<h1>Wizyta odwołana</h1>" in thanks["body"] and "Dziękujemy, że dajesz znać" in thanks["body"]
    assert "kto czeka" not in thanks["body"]  # nobody waits for this service: no promise
    assert "Proszę o nowy termin" in thanks["body"] and 'href="tel:+48221234567"' in thanks["body"]


def test_cancelling_without_a_reason_records_none_given(http, book):
    appointment = book(days=3)

    press(http, link_path(appointment), "cancel")

    assert Appointment.get(appointment.appointment_id).cancellation.reason == "not_given"


def test_an_unknown_reason_is_refused_and_changes_nothing(http, book):
    appointment = book(days=3)
    before = snapshot(appointment)

    response = press(http, link_path(appointment), "cancel", reason="<b>bo tak</b>")

    assert response["statusCode"] == 400 and "Nic nie zostało zmienione" in response["body"]
    assert "<b>" not in response["body"] and snapshot(appointment) == before


def test_a_double_click_or_a_resend_cancels_once_and_thanks_the_same(http, book):
    appointment = book(days=3)
    path = link_path(appointment)
    fields = {"action": "cancel", "csrf": form_token(page_with(http, path, "cancel"), "cancel"),
              "reason": "cannot_attend"}

    first, second = post(http, path, fields), post(http, path, fields)

    assert first["statusCode"] == second["statusCode"] == 303
    assert first["headers"]["Location"] == second["headers"]["Location"]
    assert len(events_of("SlotFreed")) == 1 and len(events_of("AppointmentCancelled")) == 1
    assert Appointment.get(appointment.appointment_id).version == 2


def test_confirming_attendance(http, book):
    appointment = book(days=3)
    path = link_path(appointment)

    response = press(http, path, "confirm")

    assert response["headers"]["Location"] == f"{path}?done=confirmed"
    assert Appointment.get(appointment.appointment_id).status == "confirmed"
    page = http("GET", path, query="done=confirmed")["body"]
    assert "Dziękujemy za potwierdzenie" in page
    assert "Potwierdzam, przyjdę" not in page and "Odwołuję wizytę" in page  # plans may still change


def test_after_cancelling_the_patient_can_ask_for_a_new_date_once(http, book):
    appointment = book(days=3)
    path = link_path(appointment)
    press(http, path, "cancel")

    first = press(http, path, "rebook")
    again = press(http, path, "rebook")

    assert first["headers"]["Location"] == again["headers"]["Location"] == f"{path}?done=rebook"
    assert len(events_of("RebookRequested")) == 1
    assert "Przekazaliśmy prośbę o nowy termin" in http("GET", path, query="done=rebook")["body"]


def test_the_done_marker_cannot_make_an_open_visit_look_cancelled(http, book):
    appointment = book(days=3)

    page = http("GET", link_path(appointment), query="done=cancelled")["body"]

    assert "Dziękujemy" not in page and "Odwołuję wizytę" in page


@pytest.mark.parametrize("forge", ["missing", "other_action", "other_visit", "stale"])
def test_a_form_without_its_own_valid_token_is_refused_and_changes_nothing(http, book, clock, forge):
    appointment = book(days=3)
    other = book(days=4, external_id="HIS-2")
    path = link_path(appointment)
    tokens = {
        "missing": "",
        "other_action": form_token(http("GET", path)["body"], "confirm"),
        "other_visit": form_token(page_with(http, link_path(other), "cancel"), "cancel"),
        "stale": form_token(page_with(http, path, "cancel"), "cancel"),
    }
    if forge == "stale":
        clock(hours=25)
    before = snapshot(appointment)

    response = post(http, path, {"action": "cancel", "csrf": tokens[forge]})

    assert response["statusCode"] == 403
    assert "Nie udało się wysłać formularza" in response["body"] and "Nic nie zostało zmienione" in response["body"]
    assert snapshot(appointment) == before


@pytest.mark.parametrize("headers", [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}])
def test_a_post_from_another_site_is_refused_even_with_a_valid_token(http, book, headers):
    appointment = book(days=3)
    path = link_path(appointment)
    token = form_token(page_with(http, path, "cancel"), "cancel")
    before = snapshot(appointment)

    response = post(http, path, {"action": "cancel", "csrf": token}, headers=headers)

    assert response["statusCode"] == 403 and snapshot(appointment) == before


def test_our_own_form_posted_with_a_null_origin_is_accepted(http, book):
    # No-referrer pages make browsers send `Origin: null` on their own form posts.
    appointment = book(days=3)
    path = link_path(appointment)
    token = form_token(page_with(http, path, "cancel"), "cancel")

    response = post(http, path, {"action": "cancel", "csrf": token},
                    headers={"origin": "null", "sec-fetch-site": "same-origin", "host": "odw.pl"})

    assert response["statusCode"] == 303


@pytest.mark.parametrize("make_path", [
    lambda a: link_path(a, purpose="p"),  # a payment link is not a visit link
    lambda a: link_path(a, purpose="o"),
    lambda a: link_path(a)[:10] + ("A" if link_path(a)[10] != "A" else "B") + link_path(a)[11:],  # one changed
    lambda a: link_path(a)[:-2],
    lambda a: "/c/" + "A" * 18,
])
def test_a_forged_or_other_purpose_token_gets_a_page_that_reveals_nothing(http, book, make_path):
    appointment = book(days=3)
    before = snapshot(appointment)

    shown = http("GET", make_path(appointment))
    posted = post(http, make_path(appointment), {"action": "cancel", "csrf": "x"})

    assert shown["statusCode"] == posted["statusCode"] == 404
    assert "Nie znaleźliśmy tej strony" in shown["body"] and appointment.visit_code not in shown["body"]
    assert snapshot(appointment) == before


def test_the_link_expires_a_day_after_the_visit(http, book, clock):
    appointment = book(days=1)
    after_start(clock, appointment, hours=2)  # still shows the visit, without buttons
    recent = http("GET", link_path(appointment))
    after_start(clock, appointment, hours=24, minutes=1)

    expired = http("GET", link_path(appointment))

    assert recent["statusCode"] == 200 and "Termin tej wizyty już minął" in recent["body"]
    assert "<form" not in recent["body"]
    assert expired["statusCode"] == 410 and "Link wygasł" in expired["body"]
    assert appointment.visit_code not in expired["body"]


@pytest.mark.parametrize("reception_records", [None, "attended", "no_show"])
def test_cancelling_a_visit_that_has_started_gets_a_kind_refusal(http, book, clock, reception_records):
    appointment = book(days=1)
    path = link_path(appointment)
    after_start(clock, appointment, minutes=-30)  # the page is opened just before the visit...
    token = form_token(page_with(http, path, "cancel"), "cancel")
    after_start(clock, appointment, minutes=5)  # ...and the button pressed after it started
    if reception_records:
        appointments.record_outcome(appointments.get(appointment.appointment_id), reception_records)

    response = post(http, path, {"action": "cancel", "csrf": token})

    assert response["statusCode"] == 409
    assert "Termin tej wizyty już minął" in response["body"] and "Wróć do wizyty" in response["body"]
    assert Appointment.get(appointment.appointment_id).status == (reception_records or "booked")
    assert not events_of("SlotFreed")


def test_a_visit_the_clinic_cancelled_is_shown_as_cancelled_without_thanks(http, book):
    appointment = book(days=3)
    appointments.record_outcome(appointment, "cancelled")

    page = http("GET", link_path(appointment))["body"]

    assert "Ta wizyta jest odwołana" in page and "Dziękujemy" not in page and "Proszę o nowy termin" in page


def test_confirming_a_cancelled_visit_explains_why_not(http, book):
    appointment = book(days=3)
    path = link_path(appointment)
    token = form_token(http("GET", path)["body"], "confirm")
    press(http, path, "cancel")

    response = post(http, path, {"action": "confirm", "csrf": token})

    assert response["statusCode"] == 409 and "Ta wizyta jest odwołana" in response["body"]
    assert Appointment.get(appointment.appointment_id).status == "cancelled"


# --- the lookup -----------------------------------------------------------------------------------


def look_up(http, code: str, phone: str, source_ip: str = "203.0.113.7") -> dict:
    token = form_token(http("GET", "/c")["body"])
    return post(http, "/c", {"csrf": token, "code": code, "phone": phone}, source_ip=source_ip)


def without_form_token(html: str) -> str:
    """The page without the values of its fields: the form token, and what was typed (kept)."""
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_lookup_by_code_and_phone_leads_to_the_visit_page(http, book):
    appointment = book(days=3, phone="600 100 200")
    typed_code = f" {appointment.visit_code[:4].lower()}-{appointment.visit_code[4:]} "

    response = look_up(http, typed_code, "+48 600-100-200")

    assert response["statusCode"] == 303
    location = response["headers"]["Location"]
    assert link_signer().resolve("c", location.removeprefix("/c/")) == appointment.appointment_id
    assert http("GET", location)["statusCode"] == 200


def test_the_lookup_page_says_where_the_code_is_and_the_booking_sms_has_it_there(http, book):
    page = unescape(http("GET", "/c")["body"])
    appointment = book(days=3)
    sms = compose("booked", appointment, get_facility(appointment.facility_id), "ref")

    assert ("Kod ma 8 znaków, na przykład K7M2-QX9A. Jest w SMS-ie o umówieniu wizyty i w każdym e-mailu "
            "od przychodni.") in page
    code = appointment.visit_code
    assert f"Kod wizyty: {code[:4]}-{code[4:]}" in sms.text


def test_lookup_answers_the_same_for_a_wrong_phone_and_an_unknown_code(http, book):
    appointment = book(days=3, phone="600 100 200")
    unknown_code = "".join(reversed(appointment.visit_code))

    wrong_phone = look_up(http, appointment.visit_code, "600 100 201")
    no_such_code = look_up(http, unknown_code, "600 100 200")
    malformed_code = look_up(http, "ABC", "600 100 200")

    assert wrong_phone["statusCode"] == no_such_code["statusCode"] == malformed_code["statusCode"] == 200
    assert without_form_token(wrong_phone["body"]) == without_form_token(no_such_code["body"])
    assert without_form_token(wrong_phone["body"]) == without_form_token(malformed_code["body"])
    assert "Nie znaleźliśmy wizyty o tym kodzie i numerze telefonu" in wrong_phone["body"]


def test_lookup_with_a_phone_that_is_not_a_number_asks_again(http, book):
    response = look_up(http, "ABCDEFGH", "12")

    assert response["statusCode"] == 400 and "Sprawdź numer telefonu" in response["body"]
    assert '<form method="post" action="/c">' in response["body"]


def test_lookup_without_its_form_token_is_refused(http, book):
    appointment = book(days=3)

    response = post(http, "/c", {"code": appointment.visit_code, "phone": "600100200"})

    assert response["statusCode"] == 403 and "Location" not in response["headers"]


def test_lookup_is_limited_per_address(http, book):
    codes = [f"ABCDEFG{letter}" for letter in "ABCDEFGHJKM"]  # distinct codes: only the address repeats

    answers = [look_up(http, code, "600 100 200")["statusCode"] for code in codes]

    assert answers == [200] * 10 + [429]
    assert look_up(http, "ABCDEFGH", "600 100 200", source_ip="198.51.100.1")["statusCode"] == 200


def guessed(http, appointment, tries: int = 5) -> None:
    """Someone tries wrong phone numbers against the code, each from another address."""
    for attempt in range(tries):
        look_up(http, appointment.visit_code, f"600 100 3{attempt:02d}", source_ip=f"198.51.100.{attempt}")


def link_messages(appointment) -> list[OutboxItem]:
    return [i for i in OutboxItem.scan() if i.appointment_id == appointment.appointment_id
            and i.message_kind == "visit_link"]


def test_guesses_against_a_code_do_not_lock_its_owner_out_the_link_goes_by_sms(http, book):
    appointment = book(days=3, phone="600 100 200")
    guessed(http, appointment)

    owner = look_up(http, appointment.visit_code, "600 100 200", source_ip="198.51.100.99")

    assert owner["statusCode"] == 200 and "Location" not in owner["headers"]
    assert "wysłaliśmy na ten numer SMS z linkiem do wizyty" in owner["body"]
    [item] = link_messages(appointment)
    gateway = RecordingGateway()
    outbound_sms.deliver(item, gateway)
    [sms] = gateway.sent
    assert sms.to == "+48600100200" and re.search(r"https://odw\.pl/c/\S+", sms.text)
    link = re.search(r"https://odw\.pl(/c/\S+)", sms.text).group(1)
    assert link_signer().resolve("c", link.removeprefix("/c/")) == appointment.appointment_id


def test_once_a_codes_tries_are_used_up_a_guess_learns_nothing_and_sends_nothing(http, book):
    """Enumeration stays as hard as with a lock: after five tries, a wrong phone and the right one
    get the same page, and only the right one makes an SMS (to the visit's own phone)."""
    appointment = book(days=3, phone="600 100 200")
    guessed(http, appointment)

    wrong = look_up(http, appointment.visit_code, "600 100 399", source_ip="198.51.100.98")
    right = look_up(http, appointment.visit_code, "600 100 200", source_ip="198.51.100.99")

    assert wrong["statusCode"] == right["statusCode"] == 200
    assert without_form_token(wrong["body"]) == without_form_token(right["body"])
    assert len(link_messages(appointment)) == 1


def test_the_link_by_sms_goes_once_an_hour_however_often_the_right_phone_is_typed(http, book, clock):
    appointment = book(days=3, phone="600 100 200")
    guessed(http, appointment)

    for attempt in range(3):
        look_up(http, appointment.visit_code, "600 100 200", source_ip=f"203.0.113.{attempt}")
    assert len(link_messages(appointment)) == 1

    clock(hours=1)  # a new window: the code's tries are back, and the page opens directly
    assert look_up(http, appointment.visit_code, "600 100 200")["statusCode"] == 303


def test_after_an_error_the_lookup_keeps_what_was_typed(http, book):
    wrong = look_up(http, "ABCD-EFGH", "600 100 201")
    bad_phone = look_up(http, "ABCD-EFGH", "12")

    for answer, phone in ((wrong, "600 100 201"), (bad_phone, "12")):
        assert 'name="code" value="ABCD-EFGH"' in answer["body"] and f'name="phone" value="{phone}"' in answer["body"]
    assert 'value="&lt;b&gt;"' in look_up(http, "<b>", "600 100 200")["body"]  # escaped, never markup


def test_the_lockout_page_says_until_when_and_whom_to_call_and_offers_no_blocked_form(http, book):
    for letter in "ABCDEFGHJK":  # ten distinct codes from one address
        look_up(http, f"ABCDEFG{letter}", "600 100 200")

    blocked = look_up(http, "ABCDEFGM", "600 100 200")

    window_end = (int(now().timestamp()) // 900 + 1) * 900
    assert blocked["statusCode"] == 429
    assert 0 < int(blocked["headers"]["Retry-After"]) <= window_end - int(now().timestamp()) + 1
    until = datetime.fromtimestamp(window_end, tz=timezone.utc).astimezone(WARSAW)
    assert f"do godz. {until:%H:%M}" in blocked["body"]
    assert 'href="tel:+48221234567"' in blocked["body"]  # the deployment's one clinic
    assert 'action="/c"' not in blocked["body"] and 'href="/c"' not in blocked["body"]


# --- money on the visit page ----------------------------------------------------------------------


def test_a_visit_awaiting_payment_shows_the_amount_the_deadline_and_the_button_to_pay(http, awaiting_payment):
    appointment = awaiting_payment(amount=10000, deadline_hours=2)

    page = http("GET", link_path(appointment))["body"]

    deadline = parse_iso(appointment.payment_deadline).astimezone(WARSAW)
    assert "Wizyta czeka na przedpłatę" in page
    assert f"Zapłać <strong>100 zł {'dziś' if deadline.date() == now().astimezone(WARSAW).date() else 'jutro'} " \
           f"do {deadline:%H:%M}</strong>" in page
    [pay] = re.findall(r'<a class="button primary" href="/p/([^"]+)">Zapłać 100 zł</a>', page)
    assert link_signer().resolve("p", pay) == appointment.appointment_id
    assert "Odwołuję wizytę" in page and "Potwierdzam" not in page


def test_a_visit_cancelled_for_want_of_payment_says_why(http, awaiting_payment):
    appointment = awaiting_payment()
    appointments.cancel(appointment, channel="payment_expired", reason="unpaid")

    page = http("GET", link_path(appointment))["body"]

    assert re.search(r"Wizyta \w+, \d+ \w+( \d{4})?, godz.\u00a0\d\d:\d\d została odwołana, bo przedpłata nie "
                     r"dotarła na czas\.", page)
    assert "Dziękujemy" not in page and "Proszę o nowy termin" in page


def test_a_cancellation_says_the_visit_may_go_to_someone_only_when_someone_waits_for_it(http, book, facility):
    from odwolaj.reserve import entries

    alone = book(days=3, external_id="ALONE", service="Poradnia okulistyczna")
    waited_for = book(days=3, external_id="WAITED")
    entries.join(facility.facility.facility_id, entries.EntryInput.from_payload({
        "referral": "R-1", "patient": {"id": "W-1", "phone": "600 100 999", "pesel": "44051401359"},
        "reason": "I20.8", "category": "stabilny", "planned_date": "2027-06-01", "entered_by": "test",
        "consent": True, "service": "Poradnia kardiologiczna"}))

    for visit in (alone, waited_for):
        press(http, link_path(visit), "cancel")
    pages = {visit.external_id: http("GET", link_path(visit))["body"] for visit in (alone, waited_for)}

    assert "Termin może dostać ktoś, kto czeka na wizytę." in pages["WAITED"]
    assert "kto czeka" not in pages["ALONE"] and "Dziękujemy, że dajesz znać." in pages["ALONE"]


def test_the_cancel_button_opens_a_step_that_asks_the_reason_and_changes_nothing(http, book):
    appointment = book(days=3)
    path = link_path(appointment)
    before = snapshot(appointment)

    visit_page = http("GET", path)["body"]
    step = http("GET", path, query="step=cancel")

    assert '<form method="get"><input type="hidden" name="step" value="cancel">' in visit_page
    assert 'name="reason"' not in visit_page  # the reason never pushes the buttons down
    assert step["statusCode"] == 200 and "Odwołać wizytę?" in step["body"]
    assert step["body"].count('type="radio" name="reason"') == 5 and "Tak, odwołuję wizytę" in step["body"]
    assert f'href="{path}">Nie, zostawiam wizytę' in step["body"]
    assert snapshot(appointment) == before


# --- every page -----------------------------------------------------------------------------------


def test_every_page_sets_the_security_headers(http, book):
    appointment = book(days=3)
    responses = [
        http("GET", link_path(appointment)),
        http("GET", "/c"),
        http("GET", "/c/" + "A" * 18),
        press(http, link_path(appointment), "cancel"),
        look_up(http, "ABCDEFGH", "600 100 200"),
    ]

    for response in responses:
        headers = {k.lower(): v for k, v in response["headers"].items()}
        csp = headers["content-security-policy"]
        for directive in ("default-src 'none'", "style-src 'sha256-", "form-action 'self'",
                          "frame-ancestors 'none'", "base-uri 'none'"):
            assert directive in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
        assert headers["strict-transport-security"].startswith("max-age=")
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "<script" not in response["body"]
