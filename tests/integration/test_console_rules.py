"""The manager's prepayment rules and offer strategy in the console (issue 15, point 3), through the
template's handler on moto: validated as the clinic API validates (the same domain code), refused
forms keep what was typed and change nothing, each change audited, reception refused, CSRF."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from odwolaj.data.models import AuditEntry, Facility
from odwolaj.payments.rules import facility_rules
from odwolaj.reserve.settings import get_strategy
from odwolaj.security.facilities import create_facility
from tests.console_helpers import csrf_of, location, signed_in_manager, signed_in_reception

RULES = "/panel/ustawienia/przedplaty"
SPECIALIST = "/panel/ustawienia/przedplaty/specjalista"
STRATEGY = "/panel/ustawienia/propozycje"
FACILITY_FORM = {"mode": "optional", "kind": "deposit", "amount": "50", "first_visit_mandatory": "tak",
                 "blacklist_mandatory": "tak", "deadline_mode": "after_booking", "deadline_hours_after_booking": "24",
                 "deadline_hours_before_visit": "12", "deadline_hour": "20:00", "deadline_booking_cutoff": "21:00",
                 "blacklist_auto": "tak", "blacklist_no_shows": "2", "blacklist_within_months": "6",
                 "blacklist_days": "90"}


@pytest.fixture
def facility_id(aws):
    return create_facility("Przychodnia A", short_name="A").facility.facility_id


@pytest.fixture
def signed_in_as(facility_id, http):
    return signed_in_manager(http, facility_id)


@pytest.fixture
def signed_in(signed_in_as):
    return signed_in_as[0]


@pytest.fixture
def manager(signed_in_as):
    return signed_in_as[1]


def settings_entries(facility_id: str) -> list[AuditEntry]:
    return [e for e in AuditEntry.query(facility_id) if e.action == "settings_changed"]


def test_the_facility_s_rules_are_saved_as_the_api_would_and_audited(signed_in, facility_id, manager):
    page = signed_in.get(RULES)
    assert page["statusCode"] == 200 and "Zasady całej przychodni" in page["body"]

    saved = signed_in.submit(RULES, FACILITY_FORM)

    assert location(saved) == RULES + "?ok=zapisano"
    rules = facility_rules(Facility.get(facility_id))
    assert (rules.mode, rules.kind, rules.amount, rules.first_visit_mandatory) == ("optional", "deposit", 5000, True)
    # after_booking reads its two numbers and the cut-off; the stale 20:00 of the first mode is left out.
    assert rules.deadline.to_dict() == {"mode": "after_booking", "hours_after_booking": 24, "hours_before_visit": 12,
                                        "booking_cutoff": "21:00"}
    assert rules.blacklist.to_dict() == {"no_shows": 2, "within_months": 6, "days": 90}
    [entry] = settings_entries(facility_id)
    assert (entry.actor, entry.subject) == (manager.sub, "payment_rules")
    detail = json.loads(entry.detail)
    assert detail["mode"] == {"from": "none", "to": "optional"} and detail["amount"] == {"from": None, "to": 5000}
    log = unescape(signed_in.get("/panel/dziennik")["body"])
    assert "przedpłaty" in log and 'tryb: "none" → "optional"' in log and "termin płatności › godzina" in log
    # The same form again changes nothing and writes no second entry.
    signed_in.submit(RULES, FACILITY_FORM)
    assert len(settings_entries(facility_id)) == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"amount": "sto"}, "wpisz kwotę w złotych"),
    ({"mode": "mandatory", "amount": ""}, "Kwota przedpłaty"),
    ({"deadline_mode": "before_visit", "deadline_hours_before_visit": ""}, "Liczba godzin przed wizytą"),
    ({"deadline_mode": "by_hour", "deadline_hour": "25:00"}, "wpisz godzinę jako GG:MM"),
    ({"deadline_booking_cutoff": "9"}, "od której nie przyjmujemy"),
    ({"blacklist_days": "1000"}, "na ile dni, od 1 do 730"),
    ({"mode": "zawsze"}, "Wybierz, czy przedpłata"),
])
def test_a_refused_rule_keeps_what_was_typed_and_changes_nothing(signed_in, facility_id, change, message):
    before = Facility.get(facility_id).payment_rules

    refused = signed_in.submit(RULES, {**FACILITY_FORM, **change})

    assert refused["statusCode"] == 400 and message in refused["body"]
    assert 'role="alert"' in refused["body"]
    # The field is marked: a control as invalid, a group of choices as described by the problem.
    assert 'aria-invalid="true"' in refused["body"] or 'fieldset class="field" aria-describedby="problem"' in refused[
        "body"]
    for name, value in {**FACILITY_FORM, **change}.items():
        if name.startswith(("amount", "deadline_h", "blacklist_d")) and value:
            assert f'value="{value}"' in refused["body"]
    assert Facility.get(facility_id).payment_rules == before and not settings_entries(facility_id)


def test_a_specialist_s_own_rules_keep_the_rest_of_the_facility_s_and_can_be_removed(signed_in, facility_id):
    signed_in.submit(RULES, {**FACILITY_FORM, "mode": "none", "first_visit_mandatory": ""})
    form = {"specialist": "dr Anna Nowak", "action": "save", "mode": "mandatory", "kind": "", "amount": "120",
            "first_visit_mandatory": "", "own_deadline": "tak", "deadline_mode": "before_visit",
            "deadline_hours_before_visit": "48"}

    saved = signed_in.submit(SPECIALIST, form, page=RULES)

    assert location(saved) == SPECIALIST + "?kto=dr%20Anna%20Nowak&ok=zapisano"
    rules = facility_rules(Facility.get(facility_id))
    assert rules.specialists == {"dr Anna Nowak": {"mode": "mandatory", "amount": 12000,
                                                   "deadline": {"mode": "before_visit", "hours_before_visit": 48}}}
    own = rules.for_specialist("dr Anna Nowak")
    assert (own.mode, own.kind, own.amount) == ("mandatory", "deposit", 12000)  # kind from the facility
    shown = signed_in.get(SPECIALIST, query="kto=dr%20Anna%20Nowak")
    assert 'value="120"' in shown["body"] and "Usuń własne zasady" in shown["body"]
    # Entries of the same second sort by their random suffix: found by what they say, not by place.
    [latest] = [e for e in settings_entries(facility_id) if "specialists.dr Anna Nowak" in json.loads(e.detail)]
    assert latest.subject == "payment_rules"
    assert json.loads(latest.detail)["specialists.dr Anna Nowak"]["to"]["mode"] == "mandatory"

    wrong = signed_in.submit(SPECIALIST, {**form, "deadline_hours_before_visit": "dużo"}, page=RULES)
    assert wrong["statusCode"] == 400 and "Liczba godzin przed wizytą" in wrong["body"]
    assert 'value="dużo"' in wrong["body"]
    own_deadline = facility_rules(Facility.get(facility_id)).specialists["dr Anna Nowak"]["deadline"]
    assert own_deadline["hours_before_visit"] == 48

    removed = signed_in.submit(SPECIALIST, {"specialist": "dr Anna Nowak", "action": "remove"}, page=RULES)
    assert location(removed).startswith(SPECIALIST)
    assert facility_rules(Facility.get(facility_id)).specialists == {}


def test_the_offer_strategy_is_validated_by_its_bounds_and_audited(signed_in, facility_id):
    page = signed_in.get(STRATEGY)
    form = dict(re.findall(r'name="([a-z_]+)" value="(\d+)"', page["body"]))
    assert form["hold_minutes"] == "10"

    wrong = signed_in.submit(STRATEGY, {**form, "mode": "waves", "hold_minutes": "3"})
    assert wrong["statusCode"] == 400 and "od 5 do 60" in wrong["body"] and 'value="3"' in wrong["body"]
    assert Facility.get(facility_id).offer_strategy is None

    saved = signed_in.submit(STRATEGY, {**form, "mode": "sequential", "hold_minutes": "20"})
    assert location(saved) == STRATEGY + "?ok=zapisano"
    strategy = get_strategy(facility_id)
    assert (strategy.mode, strategy.hold_minutes) == ("sequential", 20)
    [entry] = settings_entries(facility_id)
    assert json.loads(entry.detail) == {"hold_minutes": {"from": 10, "to": 20},
                                        "mode": {"from": "waves", "to": "sequential"}}


def test_reception_cannot_read_or_change_the_rules(facility_id, http):
    browser = signed_in_reception(http, facility_id)
    token = csrf_of(browser.get("/panel")["body"])
    for path in (RULES, STRATEGY, "/panel/ustawienia/wiadomosci", "/panel/ustawienia/sms"):
        assert browser.get(path)["statusCode"] == 403
    assert browser.get(SPECIALIST, query="kto=dr%20X")["statusCode"] == 403
    assert browser.post(RULES, {"csrf": token, **FACILITY_FORM})["statusCode"] == 403
    assert browser.post(STRATEGY, {"csrf": token, "mode": "sequential"})["statusCode"] == 403
    assert Facility.get(facility_id).payment_rules is None and not settings_entries(facility_id)


def test_a_form_without_the_token_or_from_another_site_changes_nothing(signed_in, facility_id):
    token = csrf_of(signed_in.get(RULES)["body"])
    assert signed_in.post(RULES, FACILITY_FORM)["statusCode"] == 403
    other_site = signed_in.post(RULES, {"csrf": token, **FACILITY_FORM},
                                headers={"sec-fetch-site": "cross-site", "origin": "https://evil.example"})
    assert other_site["statusCode"] == 403
    assert Facility.get(facility_id).payment_rules is None and not settings_entries(facility_id)


def test_the_campaign_texts_are_checked_as_through_the_api_kept_when_wrong_and_audited(signed_in, facility_id):
    texts = "/panel/ustawienia/wiadomosci"
    page = signed_in.get(texts)
    assert page["statusCode"] == 200 and "Puste: tekst domyślny" in page["body"]
    no_link = "$facility: zapraszamy na kontrolę, zadzwoń do nas."

    wrong = signed_in.submit(texts, {"text_12-18": no_link, "nudge_days": "7"})

    assert wrong["statusCode"] == 400 and "musi zawierać $facility" in wrong["body"]
    assert re.search(r'<textarea id="f-text_12-18" name="text_12-18"[^>]*aria-invalid="true"[^>]*>'
                     + re.escape(no_link), wrong["body"])
    assert Facility.get(facility_id).campaign_settings is None
    too_late = signed_in.submit(texts, {"nudge_enabled": "tak", "nudge_days": "90"})
    assert too_late["statusCode"] == 400 and "od 1 do 60" in too_late["body"]

    own = "$facility: minal rok od wizyty. $action $link"
    saved = signed_in.submit(texts, {"text_12-18": own, "nudge_enabled": "tak", "nudge_days": "10"})

    assert location(saved) == texts + "?ok=zapisano"
    stored = Facility.get(facility_id).campaign_settings.as_dict()
    assert stored["messages"] == {"12-18": own} and stored["rebook_nudge"] == {"enabled": True, "days": 10}
    [entry] = settings_entries(facility_id)
    assert entry.subject == "campaign_settings" and json.loads(entry.detail)["messages.12-18"]["to"] == own
    back = signed_in.submit(texts, {"text_12-18": "", "nudge_enabled": "tak", "nudge_days": "10"})
    assert location(back) == texts + "?ok=zapisano" and Facility.get(facility_id).campaign_settings.as_dict()[
        "messages"] == {}
