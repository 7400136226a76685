"""GET/PUT /api/v1/message-templates through the template's route: a facility's own patient SMS
texts, checked by odwolaj.language.message_overrides (English errors, nothing changed on refusal)."""
import json

import pytest

from odwolaj.data.models import Facility
from odwolaj.language.texts import DEFAULTS
from odwolaj.security.facilities import create_facility
from odwolaj_local.apigw import response_body

BOOKED = "$facility: zapisaliśmy Cię na $when, $service. Kod: $code. Odwołanie: $link"


@pytest.fixture
def api(http, facility):
    def call(method: str, body=None, *, key: str | None = None, raw: str | None = None):
        text = raw if raw is not None else ("" if body is None else json.dumps(body))
        response = http(method, "/api/v1/message-templates", body=text,
                        headers={"content-type": "application/json",
                                 "authorization": f"Bearer {key or facility.api_key}"})
        assert response["headers"]["Cache-Control"] == "no-store"
        return response["statusCode"], json.loads(response_body(response))

    return call


def stored(facility) -> dict | None:
    templates = Facility.get(facility.facility.facility_id).message_templates
    return templates.as_dict() if templates else None


def test_the_texts_in_force_are_the_defaults_until_the_facility_sets_its_own(api):
    status, body = api("GET")
    assert status == 200 and body == {"messages": DEFAULTS, "customised": []}


def test_a_text_is_set_then_restored_with_null(api, facility):
    status, body = api("PUT", {"messages": {"booked": BOOKED, "cancelled": "$facility: odwołano $when. Dzięki!"}})
    assert status == 200 and body["customised"] == ["booked", "cancelled"]
    assert body["messages"]["booked"] == BOOKED and body["messages"]["moved"] == DEFAULTS["moved"]
    assert stored(facility) == {"booked": BOOKED, "cancelled": "$facility: odwołano $when. Dzięki!"}
    assert api("GET")[1]["messages"]["booked"] == BOOKED

    status, body = api("PUT", {"messages": {"booked": None}})
    assert status == 200 and body["customised"] == ["cancelled"] and body["messages"]["booked"] == DEFAULTS["booked"]
    assert stored(facility) == {"cancelled": "$facility: odwołano $when. Dzięki!"}


@pytest.mark.parametrize("body,status,field,words", [
    ({"messages": {"booked": "$facility: wizyta $when, $amount $link"}}, 422, "messages.booked", "$amount is not"),
    ({"messages": {"booked": "$facility: wizyta $when."}}, 422, "messages.booked", "must contain $link"),
    ({"messages": {"booked": "$facility: wizyta $when 🙂 $link"}}, 422, "messages.booked", "outside GSM-7"),
    ({"messages": {"reminder_two_way": "$facility: wizyta $when. Odpisz TAK lub NIE. " + "Prosimy o odpowiedź. " * 6
                   + "$link"}}, 422,
     "messages.reminder_two_way", "SMS segments"),
    ({"messages": {"reminder": "$facility: $when $link"}}, 422, "messages.reminder", "unknown message kind"),
    ({"messages": {"booked": ""}}, 422, "messages.booked", "non-empty"),
    ({"messages": {"cancelled": "$facility: ok $when", "booked": "$facility: bez linku"}}, 422, "messages.booked",
     "$link"),
    ({"texts": {}}, 422, "texts", "unknown field"),
    ({}, 422, "messages", "messages must be an object"),
])
def test_a_refused_text_gets_an_english_error_naming_it_and_changes_nothing(api, facility, body, status, field, words):
    api("PUT", {"messages": {"cancelled": "$facility: odwołano $when. Dzięki!"}})
    before = stored(facility)

    got, answer = api("PUT", body)

    assert got == status and answer["error"]["field"] == field and words in answer["error"]["message"]
    assert stored(facility) == before


def test_a_body_that_is_not_json_is_400(api, facility):
    assert api("PUT", raw="{nope")[0] == 400 and stored(facility) is None


def test_one_facility_cannot_touch_anothers_texts(api, facility):
    other = create_facility("Inna Przychodnia", short_name="Inna", phone="+48 22 000 00 00", address="ul. Krótka 1")
    assert api("PUT", {"messages": {"booked": BOOKED}}, key=other.api_key)[0] == 200
    assert stored(facility) is None
    assert api("GET")[1]["customised"] == []


def test_an_unknown_key_gets_401(api, facility):
    assert api("PUT", {"messages": {"booked": BOOKED}}, key="odw_nope")[0] == 401 and stored(facility) is None
