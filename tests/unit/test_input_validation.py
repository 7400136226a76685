"""What the clinic API accepts, without AWS: the appointment body, the outcome body, list queries."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from odwolaj.appointments.inputs import AppointmentInput
from odwolaj.core.errors import InvalidInput
from odwolaj.edge import api


def valid(**changes) -> dict:
    body = {
        "patient": {"id": "P-1", "phone": "600 100 200"},
        "starts_at": "2030-01-15T10:00:00+01:00",
        "service": "Poradnia kardiologiczna",
    }
    body.update(changes)
    return body


def field_of(payload) -> str | None:
    with pytest.raises(InvalidInput) as refused:
        AppointmentInput.from_payload(payload)
    assert refused.value.message
    return refused.value.field


def test_a_minimal_body_gets_defaults_and_utc():
    data = AppointmentInput.from_payload(valid())

    assert data.phone == "+48600100200"
    assert data.starts_at == datetime(2030, 1, 15, 9, 0, tzinfo=timezone.utc)
    assert (data.duration_minutes, data.cer_managed, data.pesel, data.specialist) == (15, False, None, None)


def test_every_optional_field_is_read():
    data = AppointmentInput.from_payload(valid(
        patient={"id": " P-1 ", "phone": "0048 600-100-200", "email": "jan@example.pl", "pesel": "02270803624"},
        duration_minutes=30, specialist="dr Anna Nowak", location="gab. 12", cer_managed=True,
        starts_at="2030-01-15T09:00:00Z",
    ))

    assert (data.patient_id, data.phone, data.email, data.pesel) == ("P-1", "+48600100200", "jan@example.pl",
                                                                    "02270803624")
    assert (data.duration_minutes, data.specialist, data.location, data.cer_managed) == (30, "dr Anna Nowak",
                                                                                        "gab. 12", True)


@pytest.mark.parametrize("phone", ["600 100 200", "+48600100200", "0048 600-100-200", "+48 600 100 200",
                                   "600-100-200", "(22) 123 45 67", "22 123 45 67"])
def test_common_polish_ways_of_writing_a_number_are_accepted(phone):
    assert AppointmentInput.from_payload(valid(patient={"id": "P", "phone": phone})).phone.startswith("+48")


@pytest.mark.parametrize("payload, field", [
    ([], None),
    ("text", None),
    (valid(patient="P-1"), "patient"),
    (valid(patient={"id": "P-1", "phone": "600100200", "name": "Jan"}), "patient"),
    (valid(patient={"phone": "600100200"}), "patient.id"),
    (valid(patient={"id": "", "phone": "600100200"}), "patient.id"),
    (valid(patient={"id": "P-1"}), "patient.phone"),
    (valid(patient={"id": "P-1", "phone": "12 34"}), "patient.phone"),
    (valid(patient={"id": "P-1", "phone": 600100200}), "patient.phone"),
    (valid(patient={"id": "P-1", "phone": "600100200", "pesel": "02270803629"}), "patient.pesel"),
    (valid(patient={"id": "P-1", "phone": "600100200", "pesel": "0227080362"}), "patient.pesel"),
    (valid(patient={"id": "P-1", "phone": "600100200", "pesel": 2270803628}), "patient.pesel"),
    (valid(patient={"id": "P-1", "phone": "600100200", "email": "not-mail"}), "patient.email"),
    (valid(starts_at="2030-01-15T10:00:00"), "starts_at"),
    (valid(starts_at="15.01.2030 10:00"), "starts_at"),
    (valid(starts_at=1893492000), "starts_at"),
    (valid(service=""), "service"),
    (valid(service="x" * 121), "service"),
    (valid(duration_minutes=True), "duration_minutes"),
    (valid(duration_minutes=4), "duration_minutes"),
    (valid(duration_minutes=15.5), "duration_minutes"),
    (valid(cer_managed=1), "cer_managed"),
    (valid(specialist=7), "specialist"),
    (valid(extra=1), "extra"),
])
def test_each_bad_field_is_named(payload, field):
    assert field_of(payload) == field


def test_a_pesel_with_an_impossible_birth_date_is_refused():
    # checksum matches, but month 13 of the 1900s does not exist
    first_ten = "0213080362"
    from odwolaj.core.pesel import checksum_digit

    pesel = first_ten + str(checksum_digit(first_ten))
    assert field_of(valid(patient={"id": "P", "phone": "600100200", "pesel": pesel})) == "patient.pesel"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
field_names = st.sampled_from(["patient", "starts_at", "service", "duration_minutes", "specialist", "location",
                               "cer_managed", "id", "phone", "email", "pesel"]) | st.text(max_size=8)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_is_accepted_or_refused_with_invalid_input_only(payload):
    try:
        AppointmentInput.from_payload(payload)
    except InvalidInput:
        pass


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(field_names, json_values, max_size=8),
       st.dictionaries(st.sampled_from(["id", "phone", "email", "pesel"]), json_values, max_size=4))
def test_almost_right_bodies_are_accepted_or_refused_with_invalid_input_only(body, patient):
    try:
        AppointmentInput.from_payload({**body, "patient": patient} if body.get("patient") is not None else body)
    except InvalidInput:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | json_values.map(json.dumps))
def test_any_request_body_is_parsed_or_refused_with_invalid_input_only(text):
    try:
        assert isinstance(api.json_object(text), dict)
    except InvalidInput:
        pass


# --------------------------------------------------------------------------------- other API input


@pytest.mark.parametrize("body, expected", [
    ({"outcome": "attended"}, ("attended", "not_given")),
    ({"outcome": "no_show"}, ("no_show", "not_given")),
    ({"outcome": "cancelled", "reason": "cannot_attend"}, ("cancelled", "cannot_attend")),
])
def test_outcome_bodies(body, expected):
    assert api.outcome_from_payload(body) == expected


@pytest.mark.parametrize("text, status", [("{", 400), ("", 400), ("[Infinity]", 400), ("null", 422), ("3", 422)])
def test_malformed_json_is_400_and_json_that_is_not_an_object_is_422(text, status):
    with pytest.raises(InvalidInput) as refused:
        api.json_object(text)
    assert api.http_status(refused.value) == status


def test_a_date_range_covers_whole_polish_days():
    start, end = api.list_range({"from": "2030-07-01", "to": "2030-07-31"})

    assert start == datetime(2030, 6, 30, 22, 0, tzinfo=timezone.utc)  # midnight in Warsaw, summer time
    assert end == datetime(2030, 7, 31, 21, 59, 59, tzinfo=timezone.utc)


def test_a_range_over_31_days_is_refused():
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(InvalidInput, match="31 days"):
        api.list_range({"from": start.isoformat(), "to": (start + timedelta(days=31, seconds=1)).isoformat()})


def test_a_cursor_round_trips_and_a_forged_one_is_refused():
    from odwolaj.data.models import Appointment

    item = Appointment(appointment_id="0123456789abcdef", starts_at="2030-01-15T09:00:00Z")

    assert api.decode_cursor({"cursor": api.encode_cursor(item)}) == ("2030-01-15T09:00:00Z", "0123456789abcdef")
    with pytest.raises(InvalidInput):
        api.decode_cursor({"cursor": api.encode_cursor(item)[:-3]})
