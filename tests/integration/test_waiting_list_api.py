"""The waiting list through the clinic API (the template's route), answers checked against
docs/openapi.yaml; a refused request writes nothing."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import now
from odwolaj.data.models import OutboxItem, WaitingEntry
from odwolaj.reserve import claims, offers
from odwolaj_local.apigw import response_body
from tests.reserve_helpers import entry_payload, set_now, warsaw
from tests.unit.test_openapi import schema_for

DOC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
ITEM = "/api/v1/waiting-list/{entry_id}"


@pytest.fixture
def call(http, facility, monkeypatch):
    set_now(monkeypatch, warsaw(1, 11))

    def _call(method: str, path: str, body=None, *, query: str = "", template: str | None = None):
        headers = {"content-type": "application/json", "authorization": f"Bearer {facility.api_key}"}
        raw = body if isinstance(body, str) else "" if body is None else json.dumps(body)
        response = http(method, f"/api/v1/{path}", headers=headers, body=raw, query=query)
        answer = json.loads(response_body(response))
        if template:
            errors = [e.message for e in schema_for(DOC, template, method.lower(), response["statusCode"])
                      .iter_errors(answer)]
            assert not errors, (method, path, errors)
        return response["statusCode"], answer

    return _call


def test_enter_read_list_change_and_strike_off(call):
    status, created = call("POST", "waiting-list", entry_payload(1), template="/api/v1/waiting-list")
    assert status == 201 and created["list_number"] == 1 and created["position"] == 1
    call("POST", "waiting-list", entry_payload(2, category="pilny"), template="/api/v1/waiting-list")
    entry_path = f"waiting-list/{created['entry_id']}"

    status, listed = call("GET", "waiting-list", query="service=Poradnia+kardiologiczna",
                          template="/api/v1/waiting-list")
    assert status == 200 and [e["list_number"] for e in listed["entries"]] == [2, 1]

    status, read = call("GET", entry_path, template=ITEM)
    assert (status, read["position"]) == (200, 2)

    later = (now() + timedelta(days=90)).date().isoformat()
    status, changed = call("PATCH", entry_path, {"planned_date": later}, template=ITEM)
    assert (status, changed["planned_date"], changed["short_notice"]) == (200, later, False)
    status, changed = call("PATCH", entry_path, {"short_notice": True}, template=ITEM)
    assert (status, changed["short_notice"]) == (200, True)
    status, refused = call("PATCH", entry_path, {"short_notice": "tak"})
    assert (status, refused["error"]["field"]) == (422, "short_notice")
    assert call("GET", entry_path)[1]["short_notice"] is True

    status, struck = call("POST", f"{entry_path}/strike-off", {"reason": "service_performed", "by": "dr X"},
                          template=ITEM + "/strike-off")
    assert status == 200 and struck["status"] == "struck_off" and struck["strike_off"]["reason"] == "service_performed"
    status, kept = call("GET", entry_path, template=ITEM)
    assert (status, kept["status"], kept["position"]) == (200, "struck_off", None)


def test_the_list_pages_with_a_cursor_and_positions_count_from_its_head(call):
    for number in range(1, 6):
        call("POST", "waiting-list", entry_payload(number, category="pilny" if number == 4 else "stabilny"))
    pages, cursor = [], None
    while True:
        query = "service=Poradnia+kardiologiczna&limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = call("GET", "waiting-list", query=query, template="/api/v1/waiting-list")
        assert status == 200
        pages.append([(e["position"], e["list_number"]) for e in page["entries"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # The urgent entry first (NFZ order), then the order of entry; a position is the place in the whole list.
    assert pages == [[(1, 4), (2, 1)], [(3, 2), (4, 3)], [(5, 5)]]

    status, whole = call("GET", "waiting-list", query="service=Poradnia+kardiologiczna")
    assert whole["next_cursor"] is None and len(whole["entries"]) == 5


@pytest.mark.parametrize("cursor", ["bm90LWEtcmFuaw", "%%%", "MSMyMDMwLTAxLTAxVDAwOjAwOjAwWiMx"])
def test_a_cursor_the_api_did_not_give_is_422(call, cursor):
    call("POST", "waiting-list", entry_payload(1))
    status, answer = call("GET", "waiting-list", query=f"service=Poradnia+kardiologiczna&cursor={cursor}",
                          template="/api/v1/waiting-list")
    assert (status, answer["error"]["field"]) == (422, "cursor")


@pytest.mark.parametrize("body, status, code, field", [
    (entry_payload(1, consent=False), 422, "invalid_input", "consent"),
    ({**entry_payload(1), "consent": "yes"}, 422, "invalid_input", "consent"),
    (entry_payload(1, extra=1), 422, "invalid_input", "extra"),
    ("{not json", 400, "malformed_request", None),
])
def test_a_refused_entry_writes_nothing(call, body, status, code, field):
    answered, answer = call("POST", "waiting-list", body, template="/api/v1/waiting-list")
    assert (answered, answer["error"]["code"], answer["error"]["field"]) == (status, code, field)
    assert list(WaitingEntry.scan()) == [] and list(OutboxItem.scan()) == []


def test_the_same_referral_twice_is_a_conflict(call):
    call("POST", "waiting-list", entry_payload(1))
    status, answer = call("POST", "waiting-list", entry_payload(1, service="Poradnia okulistyczna"),
                          template="/api/v1/waiting-list")
    assert (status, answer["error"]["code"], answer["error"]["field"]) == (409, "duplicate_referral", "referral")


def test_another_facility_cannot_see_an_entry(call, http):
    from odwolaj.security.facilities import create_facility

    _, created = call("POST", "waiting-list", entry_payload(1))
    other = create_facility("Inna", short_name="Inna")
    response = http("GET", f"/api/v1/waiting-list/{created['entry_id']}",
                    headers={"authorization": f"Bearer {other.api_key}"})
    assert response["statusCode"] == 404


def test_a_no_show_recorded_through_the_api_strikes_off_the_entry_the_visit_came_from(call, book, monkeypatch):
    _, created = call("POST", "waiting-list", entry_payload(1))
    visit = book(external_id="HIS-9", starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(visit, channel="web")
    offers.offer_freed_slot(visit.appointment_id)
    [offer] = list(offers.Offer.scan())
    booking = appointments.get(claims.accept(offer, channel="sms").appointment_id)
    set_now(monkeypatch, warsaw(3, 11))

    status, answer = call("POST", f"appointments/{booking.external_id}/outcome", {"outcome": "no_show"},
                          template="/api/v1/appointments/{external_id}/outcome")

    assert (status, answer["status"]) == (200, "no_show")
    _, entry = call("GET", f"waiting-list/{created['entry_id']}")
    assert entry["status"] == "struck_off" and entry["strike_off"]["reason"] == "no_show"


def test_a_facility_sets_its_offer_strategy_and_bad_values_are_refused(call):
    status, default = call("GET", "offer-strategy", template="/api/v1/offer-strategy")
    assert (status, default["mode"], default["wave_size"], default["grace_minutes"]) == (200, "waves", 8, 5)

    status, saved = call("PUT", "offer-strategy", {"mode": "sequential", "wave_size": 4},
                         template="/api/v1/offer-strategy")
    assert (status, saved["mode"], saved["wave_size"], saved["hold_minutes"]) == (200, "sequential", 4, 10)

    for body, field in (({"mode": "random"}, "mode"), ({"hold_minutes": 1}, "hold_minutes"),
                        ({"wave_size": 50}, "wave_size"), ({"grace_minutes": 31}, "grace_minutes"),
                        ({"wave_growth_percent": True}, "wave_growth_percent"), ({"speed": 1}, "speed")):
        status, refused = call("PUT", "offer-strategy", body, template="/api/v1/offer-strategy")
        assert (status, refused["error"]["field"]) == (422, field)
    assert call("GET", "offer-strategy")[1]["wave_size"] == 4
