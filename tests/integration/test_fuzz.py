"""Fuzzing, through the template's routes and handlers as API Gateway calls them: the clinic API
with what its own schema (docs/openapi.yaml) generates, valid and invalid (Schemathesis, every
operation), and the patient forms and the provider webhooks with arbitrary fields, bytes and
headers (Hypothesis). Nothing may answer 500 or raise (API Gateway would answer 500).

Marked `fuzz` (minutes): `make test` runs it with 10 examples per operation and mode, or per
target; `make fuzz` with FUZZ_EXAMPLES (default 50) and prints the figures."""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis import GenerationMode

from odwolaj.security.links import link_signer
from odwolaj.usecases import visit_page
from odwolaj_local.template import REPO_ROOT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SCHEMA = schemathesis.openapi.from_path(str(REPO_ROOT / "docs" / "openapi.yaml"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


def fuzz(name: str, strategy: st.SearchStrategy, call: Callable[[object], int]) -> Counter:
    """Send every example; the answers by status. Fails on the first answer >= 500."""
    statuses: Counter = Counter()

    @FUZZ
    @given(strategy)
    def example(value):
        status = call(value)
        statuses[status] += 1
        assert status < 500, (name, value)

    example()
    print(f"\nfuzz {name}: {sum(statuses.values())} requests, answers >= 500: "
          f"{sum(n for s, n in statuses.items() if s >= 500)}, by status {dict(sorted(statuses.items()))}")
    return statuses


# --- the clinic API, from its schema --------------------------------------------------------------


OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_the_clinic_api_never_answers_500_to_what_its_schema_generates(http, facility, operation, mode):
    """Authenticated (the generated Authorization is replaced by the facility's key, so requests
    reach the domain); everything else as generated: path, query, headers, body."""

    def call(case) -> int:
        sent = case.as_transport_kwargs(base_url="https://odw.pl")
        headers = {k: str(v) for k, v in sent["headers"].items() if k.lower() != "authorization"}
        headers["authorization"] = f"Bearer {facility.api_key}"
        body = json.dumps(sent["json"]) if "json" in sent else sent.get("data") or b""
        return http(case.method, urlsplit(sent["url"]).path, query=urlencode(sent.get("params") or {}, doseq=True),
                    headers=headers, body=body)["statusCode"]

    fuzz(f"{operation.method.upper()} {operation.path} ({mode.value})", operation.as_strategy(generation_mode=mode),
         call)


# --- the patient forms and the webhooks -------------------------------------------------------------

FORM_TYPES = ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
              "multipart/form-data", "text/plain", "application/json", ""]
FIELD_NAMES = ["csrf", "action", "reason", "code", "phone", "choice", "Body", "From", "MessageSid", "sms_from",
               "sms_text", "MsgId", "status", "idx"]
texts = st.text(max_size=40) | st.sampled_from(["cancel", "confirm", "rebook", "accept", "decline", "unpaid",
                                                  "not_given", "cannot_attend", "600100200", "+48600100200",
                                                  "１２３", "٦٠٠١٠٠٢٠٠", "ABCDEFGH", "NIE", "TAK"])
fields = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), texts, max_size=25)
raw_bodies = st.binary(max_size=300) | st.sampled_from([b"%", b"a=%ff", b"=&=&", b"\xff\xfe", b"{" * 200])


@st.composite
def posted(draw, csrf_values: list[str]) -> tuple[str, dict[str, str]]:
    """A body and its headers: a form of arbitrary fields (now and then with a genuine form
    token), or arbitrary bytes, under an arbitrary content type."""
    form = draw(fields)
    if csrf_values and draw(st.booleans()):
        form["csrf"] = draw(st.sampled_from(csrf_values))
    body = draw(st.just(urlencode(form).encode()) | raw_bodies)
    headers = {"content-type": draw(st.sampled_from(FORM_TYPES))}
    if draw(st.booleans()):
        headers["origin"] = draw(st.sampled_from(["https://odw.pl", "https://evil.example", "null", ""]))
    return body, headers


def test_the_patient_pages_never_answer_500_to_any_form(http, book):
    appointment = book(days=3)
    visit = f"/c/{link_signer().issue('c', appointment.appointment_id)}"
    paths = ["/c", visit, "/c/" + "A" * 18, "/c/%ff", f"/o/{link_signer().issue('o', '0f' * 8)}",
             f"/p/{link_signer().issue('p', appointment.appointment_id)}", "/o/x", "/p/x"]
    tokens = [*visit_page.form_tokens(appointment.appointment_id).values(), visit_page.lookup_form_token()]
    requests = st.tuples(st.sampled_from(paths), st.sampled_from(["GET", "POST"]), posted(tokens),
                         st.text(max_size=30), st.sampled_from(["203.0.113.7", "198.51.100.1", "2001:db8::1"]))

    def call(request) -> int:
        path, method, (body, headers), query, source_ip = request
        if path.startswith("/p/"):  # the payment page only opens
            method = "GET"
        return http(method, path, query=urlencode({"done": query}), headers=headers,
                    body=body if method == "POST" else b"", source_ip=source_ip)["statusCode"]

    fuzz("patient pages (/c, /c/{token}, /o/{token}, /p/{token})", requests, call)


WEBHOOKS = ["/webhooks/stripe", "/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/smsapi/sms",
            "/webhooks/smsapi/status"]
SIGNATURE_HEADERS = ["stripe-signature", "x-twilio-signature"]


def test_the_provider_webhooks_never_answer_500_to_any_delivery(http, aws):
    signature = st.text(max_size=60) | st.sampled_from(["t=1,v1=00", "t=abc,v1=", "v1=" + "0" * 64, ""])
    json_bodies = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                               lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                           max_size=4),
                               max_leaves=20).map(lambda value: json.dumps(value).encode())
    requests = st.tuples(st.sampled_from(WEBHOOKS), posted([]) | st.tuples(json_bodies, st.just(
        {"content-type": "application/json"})), st.dictionaries(st.sampled_from(SIGNATURE_HEADERS), signature),
        st.sampled_from(["", "key=", "key=wrong", "key=%ff"]))

    def call(request) -> int:
        path, (body, headers), signatures, query = request
        return http("POST", path, query=query, headers=headers | signatures, body=body)["statusCode"]

    fuzz("provider webhooks", requests, call)
