"""AWS requests per user-facing operation, through the template's handlers called as API Gateway
would call them, against the embedded AWS (moto, resources from template.yaml)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urlsplit

from aws_calls import CallCounter
from odwolaj_local.apigw import build_event, match
from odwolaj_local.aws import LocalAws, start_moto
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.template import application

PHONE = "600 100 200"
FORM = {"content-type": "application/x-www-form-urlencoded", "host": "odw.pl", "sec-fetch-site": "same-origin"}


_warm: set[str] = set()


def _call(method: str, path: str, *, headers: dict, body: str = "") -> dict:
    route, params = match(application().routes, method, path)
    if route.function not in _warm:
        # Every function has its own Powertools cache on Lambda; here they share one process.
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()
        _warm.add(route.function)
    event = build_event(route, params, method, path, headers=headers, body=body.encode())
    return load_handler(route.function)(event, FakeLambdaContext(route.function))


def _appointment(days: int, specialist: str = "dr Anna Nowak") -> str:
    starts = (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return json.dumps({"patient": {"id": "P-1", "phone": PHONE}, "starts_at": starts.isoformat(),
                       "service": "Poradnia kardiologiczna", "specialist": specialist,
                       "location": "ul. Długa 5, gab. 12"})


def measure(counter: CallCounter) -> list[tuple[str, int, Counter]]:
    """(operation, HTTP status, calls by (service, operation, table logical id or None)) in the
    order a clinic and a patient
    would cause them. The first call of each function fetches its secret from SSM; Powertools
    caches it for the function's later calls."""
    server, endpoint = start_moto()
    try:
        local = LocalAws(endpoint=endpoint, public_base_url="https://odw.pl")
        local.apply_environment()
        local.create_resources()
        logical_ids = {physical: logical for logical, physical in local.physical_names().items()}
        from odwolaj.security.facilities import create_facility
        from odwolaj.usecases import visit_page as visits

        api_key = create_facility("Przychodnia Benchmark", short_name="Benchmark").api_key
        clinic = {"authorization": f"Bearer {api_key}", "content-type": "application/json"}
        results = []

        def run(name: str, method: str, path: str, **kwargs) -> dict:
            with counter.measure() as calls:
                response = _call(method, path, **kwargs)
            results.append((name, response["statusCode"],
                            Counter({(service, operation, logical_ids.get(table)): n
                                     for (service, operation, table), n in calls.items()})))
            return response

        created = run("upsert: create (PUT /api/v1/appointments/{id})", "PUT", "/api/v1/appointments/B-1",
                      headers=clinic, body=_appointment(5))
        run("upsert: update", "PUT", "/api/v1/appointments/B-1", headers=clinic,
            body=_appointment(6, specialist="dr Jan Kowalski"))
        unchanged = run("upsert: unchanged", "PUT", "/api/v1/appointments/B-1", headers=clinic,
                        body=_appointment(6, specialist="dr Jan Kowalski"))
        other = json.loads(run("upsert: create, second visit", "PUT", "/api/v1/appointments/B-2", headers=clinic,
                               body=_appointment(9))["body"])

        path = urlsplit(json.loads(unchanged["body"])["cancel_link"]).path
        appointment_id = visits.open_link(path.rsplit("/", 1)[1]).appointment_id
        run("visit page (GET /c/{token})", "GET", path, headers={"host": "odw.pl"})
        cancel = urlencode({"action": "cancel", "csrf": visits.form_tokens(appointment_id)["cancel"],
                            "reason": "cannot_attend"})
        run("one-click cancellation (POST /c/{token})", "POST", path, headers=FORM, body=cancel)
        run("the same click again", "POST", path, headers=FORM, body=cancel)

        lookup = {"csrf": visits.lookup_form_token(), "phone": PHONE}
        run("lookup, code and phone match (POST /c)", "POST", "/c", headers=FORM,
            body=urlencode({**lookup, "code": other["visit_code"]}))
        run("lookup, no such visit", "POST", "/c", headers=FORM,
            body=urlencode({**lookup, "code": "A" * len(other["visit_code"])}))
        assert created["statusCode"] == 201, created
        return results
    finally:
        server.stop()
