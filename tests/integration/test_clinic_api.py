"""The clinic API through the template's route (ANY /api/v1/{proxy+}), as API Gateway calls it."""
import io
import json
import os
from contextlib import redirect_stdout
from datetime import timedelta, timezone

import pytest

from odwolaj import cli
from odwolaj.data.models import ApiKey, Appointment, ExternalRef, OutboxItem, Patient
from odwolaj.security.facilities import create_facility
from odwolaj.security.links import link_signer
from odwolaj_local.apigw import response_body
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import in_days, load_event


def payload(days: float = 3, **changes) -> dict:
    body = {
        "patient": {"id": "P-1", "phone": "600 100 200"},
        "starts_at": in_days(days).isoformat(),
        "service": "Poradnia kardiologiczna",
        "specialist": "dr Anna Nowak",
        "location": "ul. Długa 5, gab. 12",
    }
    body.update(changes)
    return body


@pytest.fixture
def key(facility) -> str:
    return facility.api_key


@pytest.fixture
def call(http):
    """call('PUT', 'appointments/HIS-1', key, body) → (status, parsed JSON body, headers)."""

    def _call(method: str, path: str, api_key: str | None, body=None, *, query: str = "", raw: str | None = None):
        headers = {"content-type": "application/json"}
        if api_key is not None:
            headers["authorization"] = f"Bearer {api_key}"
        text = raw if raw is not None else ("" if body is None else json.dumps(body))
        response = http(method, f"/api/v1/{path}", headers=headers, body=text, query=query)
        assert response["headers"]["Content-Type"] == "application/json"
        return response["statusCode"], json.loads(response_body(response)), response["headers"]

    return _call


def stored_state() -> dict:
    """Everything an API write could touch, to prove a refused request wrote nothing."""
    return {model.__name__: sorted(json.dumps(item.serialize(), sort_keys=True)
                                   for item in model.scan())
            for model in (Appointment, ExternalRef, Patient, OutboxItem)}


def outbox_types() -> list[str]:
    return sorted(item.detail_type for item in OutboxItem.scan() if item.kind == "event")


# --------------------------------------------------------------------------------- create / update


def test_create_answers_201_with_the_view_then_a_repeat_answers_200_and_books_once(call, key):
    status, created, headers = call("PUT", "appointments/HIS-1", key, payload())

    assert status == 201
    assert headers["Cache-Control"] == "no-store"
    assert created["external_id"] == "HIS-1" and created["status"] == "booked"
    assert created["patient"] == {"id": "P-1", "phone": "+48600100200"}
    assert created["cancel_link"].startswith("https://odw.pl/c/")
    assert [(entry["event"], entry["channel"]) for entry in created["history"]] == [("booked", "clinic_api")]

    status, again, _ = call("PUT", "appointments/HIS-1", key, payload())

    assert status == 200 and again == created
    assert outbox_types() == ["AppointmentBooked"]


@pytest.mark.parametrize("written", ["600 100 200", "+48600100200", "0048 600-100-200", "600-100-200",
                                     "+48 (600) 100 200"])
def test_a_mobile_number_written_any_common_way_is_stored_in_e164(call, key, written):
    status, view, _ = call("PUT", "appointments/HIS-1", key, payload(patient={"id": "P-1", "phone": written}))

    assert status == 201 and view["patient"]["phone"] == "+48600100200"


def test_a_landline_with_its_area_code_in_brackets_is_accepted(call, key):
    status, view, _ = call("PUT", "appointments/HIS-1", key, payload(patient={"id": "P-1", "phone": "(22) 123 45 67"}))

    assert status == 201 and view["patient"]["phone"] == "+48221234567"


def test_moving_the_time_answers_200_and_emits_appointment_moved(call, key):
    call("PUT", "appointments/HIS-1", key, payload(days=3))

    status, moved, _ = call("PUT", "appointments/HIS-1", key, payload(days=5))

    assert status == 200
    assert moved["starts_at"] == in_days(5).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [(entry["event"], entry["channel"]) for entry in moved["history"]] == [("booked", "clinic_api"),
                                                                                  ("moved", "clinic_api")]
    assert outbox_types() == ["AppointmentBooked", "AppointmentMoved"]


def test_a_valid_pesel_is_accepted_and_cer_managed_visits_get_no_reminder(call, key):
    status, view, _ = call("PUT", "appointments/HIS-1", key,
                           payload(days=10, cer_managed=True, patient={"id": "P-1", "phone": "600100200",
                                                                       "pesel": "44051401359"}))

    assert status == 201 and view["cer_managed"] is True
    stored = Appointment.get(next(iter(ExternalRef.scan())).appointment_id)
    assert stored.pesel == "44051401359"
    assert stored.reminder_due_at is None  # the central e-registration reminds these patients


def test_an_ordinary_visit_ten_days_ahead_has_a_reminder_pending(call, key):
    call("PUT", "appointments/HIS-1", key, payload(days=10))

    assert Appointment.get(next(iter(ExternalRef.scan())).appointment_id).reminder_due_at is not None


# --------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("body, status, code, field", [
    (payload(patient={"id": "P-1", "phone": "123"}), 422, "invalid_input", "patient.phone"),
    (payload(patient={"id": "P-1", "phone": "600100200", "pesel": "44051401358"}), 422, "invalid_input",
     "patient.pesel"),
    (payload(starts_at="2030-01-15T10:00:00"), 422, "invalid_input", "starts_at"),
    (payload(colour="blue"), 422, "invalid_input", "colour"),
    (payload(duration_minutes="15"), 422, "invalid_input", "duration_minutes"),
    (payload(cer_managed="yes"), 422, "invalid_input", "cer_managed"),
    (payload(service=None), 422, "invalid_input", "service"),
    ("[1, 2]", 422, "invalid_input", None),
    ('{"patient": ', 400, "malformed_request", None),
    ('{"duration_minutes": NaN}', 400, "malformed_request", None),
    ("", 400, "malformed_request", None),
])
def test_bad_input_gets_a_precise_4xx_and_writes_nothing(call, key, body, status, code, field):
    before = stored_state()

    got, answer, _ = call("PUT", "appointments/HIS-1", key, raw=body if isinstance(body, str) else json.dumps(body))

    assert (got, answer["error"]["code"], answer["error"]["field"]) == (status, code, field)
    assert answer["error"]["message"]
    assert stored_state() == before


def test_a_bad_update_leaves_the_existing_appointment_as_it_was(call, key):
    call("PUT", "appointments/HIS-1", key, payload(days=3))
    before = stored_state()

    status, answer, _ = call("PUT", "appointments/HIS-1", key, payload(days=5, patient={"id": "P-1", "phone": "1"}))

    assert status == 422 and answer["error"]["field"] == "patient.phone"
    assert stored_state() == before


@pytest.fixture
def app_logs(function_logs):
    """What the clinic API's Powertools logger writes, at its most verbose level."""
    return function_logs("ClinicApiFunction")


def test_the_request_body_and_phone_never_reach_the_logs(call, key, app_logs):
    call("PUT", "appointments/HIS-1", key, payload(patient={"id": "P-1", "phone": "600 100 200",
                                                            "pesel": "44051401359"}))
    call("PUT", "appointments/HIS-2", key, payload(patient={"id": "P-1", "phone": "600 100 20"}))

    logs = app_logs.getvalue()
    assert "request refused" in logs  # the logger did write
    assert not any(secret in logs for secret in ("600100200", "600 100 20", "44051401359"))


# --------------------------------------------------------------------------------- keys and facilities


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer odw_not-a-real-key", "Basic dXNlcjpwYXNz",
                                           "odw_no-scheme"])
def test_a_missing_or_unknown_key_gets_401_and_writes_nothing(http, facility, authorization):
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    before = stored_state()

    response = http("PUT", "/api/v1/appointments/HIS-1", headers=headers, body=json.dumps(payload()))

    assert response["statusCode"] == 401
    assert json.loads(response_body(response))["error"]["code"] == "unauthorized"
    assert stored_state() == before


def test_a_revoked_key_gets_401(call, key):
    call("PUT", "appointments/HIS-1", key, payload())
    for item in ApiKey.scan():
        item.update(actions=[ApiKey.revoked.set(True)])

    status, answer, _ = call("GET", "appointments/HIS-1", key)

    assert status == 401 and answer["error"]["code"] == "unauthorized"


def test_a_key_of_one_facility_can_neither_read_nor_change_another_facilitys_appointments(call, key):
    other = create_facility("Przychodnia B", facility_id="fac_b")
    call("PUT", "appointments/SHARED-ID", other.api_key, payload(days=3))
    theirs = Appointment.get(ExternalRef.get("fac_b#SHARED-ID").appointment_id)

    read_status, _, _ = call("GET", "appointments/SHARED-ID", key)
    outcome_status, _, _ = call("POST", "appointments/SHARED-ID/outcome", key, {"outcome": "cancelled"})
    put_status, mine, _ = call("PUT", "appointments/SHARED-ID", key, payload(days=6))
    _, listed, _ = call("GET", "appointments", key,
                        query=f"from={in_days(0):%Y-%m-%d}&to={in_days(20):%Y-%m-%d}")

    assert (read_status, outcome_status, put_status) == (404, 404, 201)
    unchanged = Appointment.get(theirs.appointment_id)
    assert unchanged.serialize() == theirs.serialize()
    assert mine["cancel_link"] != call("GET", "appointments/SHARED-ID", other.api_key)[1]["cancel_link"]
    assert [item["starts_at"] for item in listed["appointments"]] == [mine["starts_at"]]


# --------------------------------------------------------------------------------- reading


def test_the_view_carries_a_working_cancel_link_and_the_visit_code(call, key):
    _, created, _ = call("PUT", "appointments/HIS-1", key, payload())

    status, view, _ = call("GET", "appointments/HIS-1", key)

    assert status == 200 and view == created
    token = view["cancel_link"].rsplit("/", 1)[1]
    appointment_id = link_signer().resolve("c", token)
    assert Appointment.get(appointment_id).external_id == "HIS-1"
    assert view["visit_code"] == Appointment.get(appointment_id).visit_code
    assert view["cancellation"] is None


def test_an_unknown_external_id_is_404(call, key):
    status, answer, _ = call("GET", "appointments/NOPE", key)

    assert status == 404 and answer["error"]["code"] == "not_found"


def test_the_list_is_in_time_order_and_pages_with_a_cursor(call, key):
    for days, external_id in ((5, "C"), (2, "A"), (3, "B"), (40, "LATER")):
        call("PUT", f"appointments/{external_id}", key, payload(days=days))
    query = f"from={in_days(0):%Y-%m-%d}&to={in_days(30):%Y-%m-%d}&limit=2"

    status, first, _ = call("GET", "appointments", key, query=query)
    _, second, _ = call("GET", "appointments", key, query=f"{query}&cursor={first['next_cursor']}")

    assert status == 200
    assert [item["external_id"] for item in first["appointments"]] == ["A", "B"]
    assert [item["external_id"] for item in second["appointments"]] == ["C"]
    assert second["next_cursor"] is None


def test_list_bounds_accept_date_times_with_an_offset(call, key):
    call("PUT", "appointments/A", key, payload(days=2))
    start = (in_days(2) - timedelta(minutes=1)).isoformat()
    end = (in_days(2) + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=1))).isoformat()

    status, listed, _ = call("GET", "appointments", key,
                             query=f"from={start.replace('+', '%2B')}&to={end.replace('+', '%2B')}")

    assert status == 200 and [item["external_id"] for item in listed["appointments"]] == ["A"]


@pytest.mark.parametrize("query, field", [
    ("", "from"),
    ("from=2030-01-01", "to"),
    ("from=2030-01-01&to=2030-02-15", "to"),
    ("from=2030-02-01&to=2030-01-01", "to"),
    ("from=2030-01-01T00:00:00&to=2030-01-02", "from"),
    ("from=2030-13-01&to=2030-01-02", "from"),
    ("from=2030-01-01&to=2030-01-02&limit=0", "limit"),
    ("from=2030-01-01&to=2030-01-02&cursor=%25%25", "cursor"),
    ("from=2030-01-01&to=2030-01-02&status=booked", "status"),
])
def test_a_bad_list_query_is_422(call, key, query, field):
    status, answer, _ = call("GET", "appointments", key, query=query)

    assert (status, answer["error"]["field"]) == (422, field)


def test_a_month_of_31_days_may_be_listed(call, key):
    status, _, _ = call("GET", "appointments", key, query="from=2030-01-01&to=2030-01-31")

    assert status == 200


# --------------------------------------------------------------------------------- outcomes


def test_a_no_show_before_the_visit_is_409_and_changes_nothing(call, key):
    call("PUT", "appointments/HIS-1", key, payload(days=1))
    before = stored_state()

    status, answer, _ = call("POST", "appointments/HIS-1/outcome", key, {"outcome": "no_show"})

    assert status == 409
    assert answer["error"]["code"] == "invalid_transition" and answer["error"]["current_status"] == "future"
    assert stored_state() == before


def test_a_no_show_after_the_visit_is_recorded_once(call, key, clock):
    call("PUT", "appointments/HIS-1", key, payload(days=1))
    clock(days=2)

    status, first, _ = call("POST", "appointments/HIS-1/outcome", key, {"outcome": "no_show"})
    again_status, again, _ = call("POST", "appointments/HIS-1/outcome", key, {"outcome": "no_show"})

    assert (status, again_status) == (200, 200)
    assert first["status"] == "no_show" and again == first
    assert [entry["event"] for entry in first["history"]] == ["booked", "no_show"]
    assert outbox_types().count("AppointmentNoShow") == 1


def test_reception_cancels_with_a_reason_and_the_slot_is_freed(call, key):
    call("PUT", "appointments/HIS-1", key, payload(days=2))

    status, view, _ = call("POST", "appointments/HIS-1/outcome", key,
                           {"outcome": "cancelled", "reason": "feel_better"})

    assert status == 200 and view["status"] == "cancelled"
    assert view["cancellation"]["channel"] == "reception" and view["cancellation"]["reason"] == "feel_better"
    assert view["cancellation"]["lead_time_minutes"] > 24 * 60
    assert "SlotFreed" in outbox_types()
    attended, answer, _ = call("POST", "appointments/HIS-1/outcome", key, {"outcome": "attended"})
    assert attended == 409 and answer["error"]["current_status"] == "cancelled"


@pytest.mark.parametrize("body, field", [
    ({"outcome": "maybe"}, "outcome"),
    ({}, "outcome"),
    ({"outcome": "attended", "reason": "other"}, "reason"),
    ({"outcome": "cancelled", "reason": "bored"}, "reason"),
    ({"outcome": "cancelled", "note": "x"}, "note"),
])
def test_a_bad_outcome_is_422_and_changes_nothing(call, key, body, field):
    call("PUT", "appointments/HIS-1", key, payload(days=2))
    before = stored_state()

    status, answer, _ = call("POST", "appointments/HIS-1/outcome", key, body)

    assert (status, answer["error"]["field"]) == (422, field)
    assert stored_state() == before


# --------------------------------------------------------------------------------- routing


def test_an_unknown_path_is_a_json_404_and_a_wrong_method_a_405(call, key):
    missing, answer, _ = call("GET", "patients/1", key)
    wrong, refused, headers = call("DELETE", "appointments/HIS-1", key)

    assert missing == 404 and answer["error"]["code"] == "not_found"
    assert wrong == 405 and refused["error"]["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET, PUT"


def test_a_recorded_api_gateway_event_with_a_base64_body_is_served(aws, key):
    event = load_event("clinic_api_put_appointment.json")
    event["headers"]["authorization"] = f"Bearer {key}"

    response = load_handler("ClinicApiFunction")(event, FakeLambdaContext("ClinicApiFunction"))

    assert response["statusCode"] == 201
    view = json.loads(response_body(response))
    assert (view["external_id"], view["patient"]["phone"]) == ("HIS-7731", "+48600100200")
    assert view["starts_at"] == "2030-01-15T09:00:00Z"


def test_an_unexpected_failure_is_a_json_500_without_details(aws, call, key, book):
    from aws_lambda_powertools.utilities import parameters

    book(external_id="HIS-1")
    aws.client("ssm").delete_parameter(Name=os.environ["LINK_SECRET_PARAM"])  # the link secret is gone
    parameters.clear_caches()

    status, answer, _ = call("GET", "appointments/HIS-1", key)

    assert status == 500
    assert answer == {"error": {"code": "internal", "message": "internal error; the request may be retried",
                                "field": None}}

# --------------------------------------------------------------------------------- admin command


def run_admin(*argv: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(list(argv)) == 0
    return json.loads(out.getvalue())


def test_the_admin_command_creates_a_facility_whose_key_works_on_the_api(aws, call):
    created = run_admin("create-facility", "--name", "Przychodnia Zdrowie", "--short-name", "Zdrowie",
                        "--phone", "+48 22 123 45 67", "--address", "ul. Krótka 1, Kraków")

    status, _, _ = call("PUT", "appointments/HIS-1", created["api_key"], payload())

    assert status == 201
    assert ExternalRef.get(f"{created['facility_id']}#HIS-1")
    assert created["api_key"] not in json.dumps([item.serialize() for item in ApiKey.scan()])


def test_the_admin_command_issues_another_key_for_an_existing_facility(aws, call):
    created = run_admin("create-facility", "--name", "Przychodnia Zdrowie")

    issued = run_admin("issue-key", "--facility-id", created["facility_id"], "--label", "HIS")

    assert issued["facility_id"] == created["facility_id"] and issued["api_key"] != created["api_key"]
    assert call("GET", "appointments/NONE", issued["api_key"])[0] == 404  # authenticated, nothing there


def test_the_admin_command_refuses_a_key_for_an_unknown_facility(aws, capsys):
    assert cli.main(["issue-key", "--facility-id", "fac_missing"]) == 2
    assert capsys.readouterr().out == ""


def test_the_admin_command_finds_a_deployed_stacks_tables(aws, monkeypatch):
    tables = {logical_id: {"Type": "AWS::DynamoDB::Table", "Properties": {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}]}}
        for logical_id, key in (("FacilitiesTable", "facility_id"), ("ApiKeysTable", "key_hash"))}
    aws.client("cloudformation").create_stack(StackName="odwolaj-prod",
                                               TemplateBody=json.dumps({"Resources": tables}))
    monkeypatch.delenv("FACILITIES_TABLE")
    monkeypatch.delenv("API_KEYS_TABLE")

    created = run_admin("--stack", "odwolaj-prod", "create-facility", "--name", "Przychodnia Zdrowie")

    stack = aws.client("cloudformation").describe_stack_resources(StackName="odwolaj-prod")["StackResources"]
    names = {resource["LogicalResourceId"]: resource["PhysicalResourceId"] for resource in stack}
    stored = aws.client("dynamodb").get_item(TableName=names["FacilitiesTable"],
                                             Key={"facility_id": {"S": created["facility_id"]}})
    assert stored["Item"]["name"]["S"] == "Przychodnia Zdrowie"


def test_the_admin_command_says_what_it_needs_without_tables(aws, monkeypatch, capsys):
    monkeypatch.delenv("FACILITIES_TABLE")

    assert cli.main(["create-facility", "--name", "X"]) == 2
    assert "--stack or set FACILITIES_TABLE" in capsys.readouterr().err
    assert cli.main(["--stack", "no-such-stack", "create-facility", "--name", "X"]) == 2
