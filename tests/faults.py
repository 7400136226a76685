"""Fault injection for the tests: make any AWS call (every botocore client in the process: DynamoDB
through PynamoDB, SNS as the SMS provider, SES, EventBridge, SSM, S3) or any call to Stripe (the
local stand-in) fail at a chosen point, the way its caller sees a failure once the SDK's own retries
are spent; and drive the asynchronous parts (streams, schedules, webhooks, replies) the way AWS and
the providers do, retries included.

    faults = Faults(stripe_fake)          # installs itself; `with faults.armed(point, kind): ...`
    faults.recording() -> [Call(...)]     # the calls a clean run makes: the fault points

A point is the index of a call in a run (service and operation recorded with it). Kinds:

- before the request reaches the service (nothing happened): THROTTLED, SERVER_ERROR (a 5xx),
  CONNECTION_RESET (no connection);
- after the service did the work and its answer was lost (the hardest case): TIMEOUT_AFTER.

The botocore patch sits on BaseClient._make_api_call, which every client (cached or not) goes
through: a `before-send` hook would fire per HTTP attempt, below botocore's retries, and could not
express "the request was processed, then the answer lost". Stripe calls are faulted in the stand-in
itself: before (an answer 500 without processing) or after (processed, then the connection dropped).
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import botocore.client
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

_real_sleep = time.sleep  # the suite makes time.sleep instant (back-off waits); Lambda's retry delays are real
THROTTLED, SERVER_ERROR, CONNECTION_RESET, TIMEOUT_AFTER = "throttled", "5xx", "connection reset", "timeout after"
BEFORE = (THROTTLED, SERVER_ERROR, CONNECTION_RESET)
# Calls that are not ours to fault: Lambda's own stream poller (the pump below plays it).
NOT_OURS = frozenset({"dynamodbstreams"})
# Operations that change something: where a lost answer differs from a refused request.
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem", "Publish",
                    "PutEvents", "SendEmail", "SendRawEmail", "SendTextMessage", "SendMessage",
                    "POST /v1/checkout/sessions", "POST /v1/refunds", "POST /v1/checkout/sessions/*/expire"})


@dataclass(frozen=True)
class Call:
    service: str
    operation: str

    @property
    def writes(self) -> bool:
        return self.operation in WRITES

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


class _DropConnection(Exception):
    """Raised in the Stripe stand-in after it did the work: its server then closes the connection."""


@dataclass
class Faults:
    stripe_fake: object | None = None
    calls: list[Call] = field(default_factory=list)
    _point: int | None = None
    _kind: str | None = None
    _recording: bool = False
    fired: list[Call] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()

    # -- installing ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def installed(self) -> Iterator["Faults"]:
        original = botocore.client.BaseClient._make_api_call
        faults = self

        def make_api_call(client, operation_name, api_params):
            service = client.meta.service_model.service_name
            if service in NOT_OURS:
                return original(client, operation_name, api_params)
            return faults._call(Call(service, operation_name), lambda: original(client, operation_name, api_params),
                                client.meta.endpoint_url)

        botocore.client.BaseClient._make_api_call = make_api_call
        stripe_api = None
        if self.stripe_fake is not None:
            stripe_api = self.stripe_fake.api

            def api(method, path, headers, params):
                operation = f"{method} {_path_shape(path)}"
                return faults._call(Call("stripe", operation), lambda: stripe_api(method, path, headers, params),
                                    None)

            self.stripe_fake.api = api
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original
            if stripe_api is not None:
                self.stripe_fake.api = stripe_api

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        """Record the calls of a clean run: each is a fault point."""
        with self._lock:
            self.calls, self._recording, self._point = [], True, None
        try:
            yield self.calls
        finally:
            self._recording = False

    @contextlib.contextmanager
    def armed(self, point: int, kind: str) -> Iterator["Faults"]:
        """Fail the `point`-th call (0-based) of what runs inside, once, with `kind`."""
        with self._lock:
            self.calls, self._recording, self._point, self._kind, self.fired = [], True, point, kind, []
        try:
            yield self
        finally:
            self._recording, self._point = False, None

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The test's own look-ups inside a run: neither points nor faulted."""
        with self._lock:
            was, self._recording = self._recording, False
        try:
            yield
        finally:
            self._recording = was

    # -- failing -------------------------------------------------------------------------------
    def _call(self, call: Call, proceed: Callable[[], object], endpoint: str | None):
        with self._lock:
            if not self._recording:
                index = None
            else:
                index = len(self.calls)
                self.calls.append(call)
            fail = index is not None and index == self._point
            if fail:
                self.fired.append(call)
        if not fail:
            return proceed()
        kind = self._kind
        if kind in BEFORE:
            raise _refusal(call, kind, endpoint)
        proceed()  # the service did it; the answer is lost
        if call.service == "stripe":
            raise _DropConnection(str(call))
        raise ReadTimeoutError(endpoint_url=endpoint or "https://aws.example")


def _refusal(call: Call, kind: str, endpoint: str | None) -> Exception:
    if call.service == "stripe":
        return _StripeRefusal(kind)
    if kind == CONNECTION_RESET:
        return EndpointConnectionError(endpoint_url=endpoint or "https://aws.example")
    code, status = {THROTTLED: ("ThrottlingException", 400), SERVER_ERROR: ("InternalServerError", 500)}[kind]
    return ClientError({"Error": {"Code": code, "Message": f"injected: {kind}"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, call.operation)


class _StripeRefusal(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def _path_shape(path: str) -> str:
    """/v1/checkout/sessions/cs_test_123/expire → /v1/checkout/sessions/*/expire: one point per kind of call."""
    parts = path.split("/")
    return "/".join("*" if part.startswith(("cs_", "pi_", "re_", "ch_")) else part for part in parts)


def stripe_answers_faults(fake) -> None:
    """Let the Stripe stand-in's HTTP server turn an injected refusal into a 500 or a 429 and a lost
    answer into a dropped connection, as Stripe's edge does."""
    from odwolaj_local import stripe_fake as module

    handler = module._Handler
    if getattr(handler, "faults_answered", False):
        return
    original = handler._handle

    def _handle(self):
        try:
            original(self)
        except _StripeRefusal as refusal:
            status = 429 if refusal.kind == THROTTLED else 500
            body = json.dumps({"error": {"type": "api_error", "message": f"injected: {refusal.kind}"}}).encode()
            if refusal.kind == CONNECTION_RESET:
                self.close_connection = True
                return
            self._answer(status, body, "application/json")
        except _DropConnection:
            self.close_connection = True

    handler._handle = _handle
    handler.do_GET = handler.do_POST = handler.do_DELETE = _handle
    handler.faults_answered = True


class Driver:
    """Plays AWS and the outside world around the handlers, retries included: the stream event
    sources (Lambda's poller: the runner's own, retrying failed records), scheduled and other
    asynchronous invocations (Lambda retries twice), a patient's request (the patient tries again
    after an error page) and Stripe's webhook (Stripe retries until a 2xx)."""

    def __init__(self, aws):
        from odwolaj_local.streams import StreamPoller
        from odwolaj_local.template import application

        self.dropped: list[tuple[str, int]] = []  # (function, records) given up after the retries
        self.retries = 0  # attempts after a first one failed, in every actor
        streams = aws.client("dynamodbstreams")
        self.dynamodb = aws.client("dynamodb")
        self.pollers = [StreamPoller(source, aws.stream_arn(source.table), streams, self.invoke,
                                     retry_wait=lambda attempt: 0.0, on_failure=self._dropped)
                        for source in application().streams]

    @staticmethod
    def invoke(function: str, event: dict):
        from odwolaj_local.lambdas import FakeLambdaContext, load_handler

        return load_handler(function)(event, FakeLambdaContext(function))

    def _dropped(self, source, shard_id: str, batch: list[dict], attempts: int) -> None:
        self.dropped.append((source.function, len(batch)))

    def settle(self, rounds: int = 100) -> None:
        """Deliver every stream record until nothing new comes (each source retries its failures)."""
        for _ in range(rounds):
            delivered = sum(poller.poll_once() for poller in self.pollers)  # each batch retried until done
            self.retries += sum(poller.retried for poller in self.pollers)
            for poller in self.pollers:
                poller.retried = 0
            if not delivered:
                return
        raise AssertionError("the streams did not settle")

    def until(self, attempt: Callable[[], object], done: Callable[[object], bool], tries: int = 6):
        """An actor that tries again while `done` says no (or the attempt raises): a patient, Stripe,
        Lambda's asynchronous retries."""
        last: object = None
        for number in range(tries):
            if number:
                self.retries += 1
                self._wait_out_in_progress()
            try:
                last = attempt()
            except Exception as error:  # what Lambda would see as the invocation failing
                last = error
                continue
            if done(last):
                return last
        raise AssertionError(f"still failing after {tries} tries: {last!r}")

    def run_async(self, function: str, event: dict):
        """An asynchronous invocation (a schedule, SNS): Lambda retries a failed one twice."""
        return self.until(lambda: self.invoke(function, event), lambda _result: True, tries=3)

    def _wait_out_in_progress(self) -> None:
        """A real retry comes seconds to minutes after a failure (a patient, Stripe's back-off,
        Lambda's asynchronous retries a minute apart): by then an idempotency record the failed
        attempt left in progress has expired with its invocation (Powertools). Here the retry
        waits for that, in real time (Powertools reads the wall clock); other retries come at once."""
        items = self.dynamodb.scan(TableName=os.environ["IDEMPOTENCY_TABLE"], FilterExpression="#s = :p",
                                   ExpressionAttributeNames={"#s": "status"},
                                   ExpressionAttributeValues={":p": {"S": "INPROGRESS"}})["Items"]
        ends = [int(item["in_progress_expiration"]["N"]) / 1000 for item in items if "in_progress_expiration" in item]
        if ends:
            _real_sleep(max(0.0, max(ends) - time.time()) + 0.1)
