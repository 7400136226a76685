"""Shared fixtures: one moto server per test session, reset and rebuilt from template.yaml for
every test that asks for `aws`, and the template's handlers invoked as Lambda would."""
from __future__ import annotations

import inspect
import io
import json
import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings

from odwolaj_local.apigw import build_event, match
from odwolaj_local.aws import LocalAws, reset_moto, start_moto
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.template import application

EVENTS_DIR = os.path.join(os.path.dirname(__file__), "events")
# The tests run the functions as the local runner does: missing settings take local defaults
# (odwolaj.core.config), which a deployed function refuses.
os.environ["ODWOLAJ_LOCAL"] = "1"
# The handlers log at the deployed default (template.yaml's LogLevel): a log call that fails only
# at INFO (a reserved key in `extra`) fails a test. The runner alone keeps WARNING, for its terminal.
os.environ.setdefault("LOG_LEVEL", "INFO")
# A handler's module keeps the Powertools logger made when it was first loaded, in this one process
# for the whole run: one loaded by a unit test, before any `aws` fixture, must log as deployed.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME",
                      application().source["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"])
# Property tests judge what the code does, not how fast: on a loaded 2-core machine an example
# can take longer than Hypothesis's 200 ms deadline, which would fail a correct test.
settings.register_profile("odwolaj", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("odwolaj")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright (browser tests, and the e2e walk of docs/local.md)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def moto_endpoint():
    server, endpoint = start_moto()
    yield endpoint
    server.stop()


def _clear_caches() -> None:
    from aws_lambda_powertools.utilities import parameters

    from odwolaj.core.config import settings

    settings.cache_clear()
    parameters.clear_caches()


@pytest.fixture
def aws(moto_endpoint, monkeypatch) -> LocalAws:
    """Given a fresh embedded AWS with everything template.yaml declares."""
    reset_moto(moto_endpoint)
    local = LocalAws(endpoint=moto_endpoint, public_base_url="https://odw.pl")
    local.create_resources()
    # After creation: a user pool's id (what `!Ref` gives a function) is the one moto made.
    for function in local.app.functions:
        for key, value in local.function_environment(function).items():
            monkeypatch.setenv(key, value)
    _clear_caches()
    yield local
    _clear_caches()


@pytest.fixture
def clock(monkeypatch):
    """Move the domain's clock: clock(hours=25) puts 'now' 25 hours ahead."""

    def advance(**delta):
        current = float(os.environ.get("ODWOLAJ_CLOCK_OFFSET_SECONDS", "0"))
        monkeypatch.setenv("ODWOLAJ_CLOCK_OFFSET_SECONDS", str(current + timedelta(**delta).total_seconds()))

    return advance


@pytest.fixture
def facility(aws):
    """A facility with its API key."""
    from odwolaj.security.facilities import create_facility

    return create_facility("Przychodnia Przykładowa", short_name="Przychodnia", phone="+48 22 123 45 67",
                           address="ul. Długa 5, Warszawa")


def in_days(days: float, hour: int = 10) -> datetime:
    moment = datetime.now(timezone.utc) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def book(facility):
    """Book an appointment through the domain: book(days=3, external_id='X')."""
    from odwolaj.appointments import lifecycle as appointments

    def _book(days: float = 3, external_id: str = "HIS-1", phone: str = "600 100 200", email: str | None = None,
              **extra):
        patient = {"id": extra.pop("patient_id", "P-1"), "phone": phone}
        if email:
            patient["email"] = email
        payload = {
            "patient": patient,
            "starts_at": in_days(days).isoformat(),
            "service": "Poradnia kardiologiczna",
            "specialist": "dr Anna Nowak",
            "location": "ul. Długa 5, gab. 12",
            **extra,
        }
        data = appointments.AppointmentInput.from_payload(payload)
        return appointments.upsert(facility.facility.facility_id, external_id, data).appointment

    return _book


@pytest.fixture
def http(aws):
    """Call a route of the template as API Gateway would: http('GET', '/c/abc', headers=..., body=...)."""

    def call(method: str, path: str, *, query: str = "", headers: dict | None = None, body: bytes | str = b"",
             source_ip: str = "203.0.113.7") -> dict:
        found = match(application().routes, method, path)
        assert found, f"no route for {method} {path} in template.yaml"
        route, params = found
        raw = body.encode() if isinstance(body, str) else body
        event = build_event(route, params, method, path, query=query, headers=headers, body=raw,
                            source_ip=source_ip)
        return load_handler(route.function)(event, FakeLambdaContext(route.function))

    return call


def load_event(name: str) -> dict:
    with open(os.path.join(EVENTS_DIR, name), encoding="utf-8") as fh:
        return json.load(fh)


def queue_item(outbox_id: str, message_kind: str, appointment_id: str | None = None, kind: str = "sms", **fields):
    """An outbox item as a change writes it: saved, since the senders record their progress on it
    (odwolaj.messaging.sending)."""
    from odwolaj.data.models import OutboxItem

    item = OutboxItem(outbox_id=outbox_id, kind=kind, message_kind=message_kind, appointment_id=appointment_id,
                      created_at="2030-01-01T00:00:00Z", expires_at=1_900_000_000, **fields)
    item.save()
    return item


class RecordingGateway:
    """An SMS provider that keeps what it was given."""

    name = "recording"
    deduplicates = False

    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)
        return f"m-{len(self.sent)}"


@pytest.fixture
def stripe_fake(aws, monkeypatch):
    """Given the local stand-in for Stripe's API, the SDK pointed at it by STRIPE_API_BASE, and its
    webhook secret the one in the parameter store (events are not delivered: tests post them)."""
    from odwolaj.adapters import stripe_api
    from odwolaj_local.stripe_fake import StripeFake

    fake = StripeFake(webhook_secret=aws.stripe_webhook_secret, now=lambda: _domain_now().timestamp())
    monkeypatch.setenv("STRIPE_API_BASE", fake.start())
    stripe_api._client.cache_clear()
    yield fake
    fake.stop()
    stripe_api._client.cache_clear()


def _domain_now():
    from odwolaj.core.clock import now

    return now()


@pytest.fixture
def awaiting_payment(book):
    """Book a visit that must be prepaid: awaiting_payment(amount=5000, deadline_hours=20, days=3)."""
    from odwolaj.appointments import lifecycle as appointments
    from odwolaj.core.clock import iso, now
    from odwolaj.data.models import Appointment

    def _awaiting(amount: int = 5000, deadline_hours: float = 20, days: float = 3, mode: str = "mandatory",
                  status: str = "awaiting_payment", **extra):
        appointment = book(days=days, **extra)
        deadline = iso(now() + timedelta(hours=deadline_hours))
        appointment.update(actions=[
            Appointment.status.set(status), Appointment.version.add(1),
            Appointment.payment_mode.set(mode), Appointment.payment_amount.set(amount),
            Appointment.payment_kind.set("full"), Appointment.payment_deadline.set(deadline),
            *([Appointment.payment_shard.set("p00"), Appointment.payment_due_at.set(deadline)]
              if status == "awaiting_payment" else []),
        ])
        return appointments.get(appointment.appointment_id)

    return _awaiting


@pytest.fixture
def throttle_next(monkeypatch):
    """throttle_next(table=None): the next DynamoDB transaction (the next one writing to `table`,
    when named) fails as a throttled one does, at the real call to DynamoDB; the others go through.
    Returns the list that receives what the failed one tried to write."""
    from botocore.exceptions import ClientError
    from pynamodb.connection import Connection
    from pynamodb.exceptions import TransactWriteError

    real = Connection.transact_write_items
    armed: list[str | None] = []
    failed: list[dict] = []

    def transact_write_items(self, *args, **kwargs):
        if armed and not failed and (armed[0] is None or armed[0] in json.dumps(kwargs, default=str)):
            failed.append(kwargs)
            error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate of requests exceeds"}},
                                "TransactWriteItems")
            raise TransactWriteError("Failed to write transaction items", cause=error)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", transact_write_items)

    def arm(table: str | None = None) -> list[dict]:
        armed.append(table)
        return failed

    return arm


@pytest.fixture
def function_logs(aws, monkeypatch):
    """What a function's Powertools logger writes, at its most verbose level:
    `function_logs("ConsoleFunction")` gives the text written from then on."""
    changed = []

    def capture(function: str) -> io.StringIO:
        logger = inspect.unwrap(load_handler(function)).__globals__["logger"]  # under Tracer's wrapper
        written = io.StringIO()
        monkeypatch.setattr(logger.registered_handler, "stream", written)
        changed.append((logger, logger.log_level))
        logger.setLevel("DEBUG")
        return written

    yield capture
    for logger, level in changed:
        logger.setLevel(level)
