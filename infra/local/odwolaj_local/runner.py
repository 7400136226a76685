"""The local runner: the whole system on loopback, every piece read from template.yaml.

moto (server mode, in this process) stands in for DynamoDB, SNS, SQS, SSM and EventBridge. The
template's HTTP routes are served on 127.0.0.1:$PORT by calling their handlers with the events API
Gateway would build; its stream sources, SNS subscriptions and schedules are driven by the runner
itself. /dev has the tools: the phone view, the events on the bus, the clock. docs/local.md says more.

    python -m odwolaj_local.runner            # or: make dev, odwolaj-local
    Runner(port=0).start() -> base URL; .stop()
"""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from odwolaj_local import demo, devpages, queues
from odwolaj_local.apigw import build_event, match, response_body
from odwolaj_local.aws import REGION, LocalAws, start_moto
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.observe import EventCapture, Phone, sent_mail
from odwolaj_local.polling import Polling, log
from odwolaj_local.scheduler import Scheduler
from odwolaj_local.streams import StreamPoller
from odwolaj_local.stripe_fake import StripeFake
from odwolaj_local.template import application

OFFSET_VARIABLE = "ODWOLAJ_CLOCK_OFFSET_SECONDS"
ACCOUNT = "123456789012"  # moto's default account, in which every resource is created
LOCAL_TWO_WAY_NUMBER = "+48500000000"  # the clinic's number the phone view's replies are sent to


class Functions:
    """The template's functions in this one process. Like a single warm Lambda container per
    function, each handles one event at a time (their module-level state is not thread-safe)."""

    def __init__(self):
        self.names = list(application().functions)
        self._locks = {name: threading.Lock() for name in self.names}
        for name in self.names:  # import now: a broken handler shows at start, and no import races later
            try:
                load_handler(name)
            except Exception as error:
                log.warning("function %s does not load: %s: %s", name, type(error).__name__, error)

    def invoke(self, function: str, event: dict):
        with self._locks[function]:
            return load_handler(function)(event, FakeLambdaContext(function))


def _clock_offset() -> float:
    return float(os.environ.get(OFFSET_VARIABLE, "0") or 0)


def runner_now() -> datetime:
    from odwolaj.core.clock import now

    return now()


def sns_event(topic_arn: str, message: dict) -> dict:
    """An SNS notification as Lambda receives it from a subscription."""
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
        "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": topic_arn, "Subject": None,
                "Message": json.dumps(message),
                "Timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "SignatureVersion": "1", "Signature": "", "SigningCertUrl": "", "UnsubscribeUrl": "",
                "MessageAttributes": {}},
    }]}


class Runner:
    def __init__(self, port: int = 3000, *, seed: bool = True):
        self.port = port
        self.seed = seed
        self.base_url = ""
        self.demo: dict = {}
        self._threads: list = []

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> str:
        self.httpd = _HttpServer(("127.0.0.1", self.port), _RequestHandler)
        self.httpd.daemon_threads = True
        self.httpd.runner = self
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.moto, endpoint = start_moto()
        self.aws = LocalAws(endpoint, public_base_url=self.base_url)
        self.aws.create_resources()
        self.aws.apply_environment()
        # Stripe: a local stand-in for its API and hosted checkout, on Stripe's clock (the runner's,
        # so a fast-forwarded clock gives sessions the expiry Stripe would); its events go, signed,
        # to the real /webhooks/stripe route.
        self.stripe = StripeFake(webhook_url=f"{self.base_url}/webhooks/stripe",
                                 webhook_secret=self.aws.stripe_webhook_secret, now=lambda: runner_now().timestamp())
        os.environ["STRIPE_API_BASE"] = self.stripe.start()
        _clear_caches()
        self.app = application()
        _warn_about_undriven_events(self.app)
        self.functions = Functions()
        names = self.aws.physical_names()
        self.capture = EventCapture(self.aws, names["EventBus"])
        self.phone = Phone(ACCOUNT, REGION)
        if self.seed:
            self.demo = demo.seed(self.base_url)
            self.demo_path = demo.write(self.demo)
        streams = self.aws.client("dynamodbstreams")
        pollers = [StreamPoller(source, self.aws.stream_arn(source.table), streams, self.functions.invoke)
                   for source in self.app.streams]
        sqs = self.aws.client("sqs")
        pollers += [queues.QueuePoller(source, sqs, self.functions.invoke) for source in queues.sources(self.aws)]
        self.scheduler = Scheduler(self.app.schedules, self.functions.invoke, runner_now)
        ticker = _Ticker(self)
        server = threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True)
        self._threads = [self.capture, *pollers, ticker, server]
        for thread in self._threads:
            thread.start()
        return self.base_url

    def stop(self) -> None:
        self.stripe.stop()  # first: no Stripe event is then on its way to a stopping server
        for thread in self._threads:
            if hasattr(thread, "stop"):
                thread.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.moto.stop()

    def fire_schedules(self) -> list[str]:
        return [entry.name for entry in self.scheduler.fire_due()]

    # -- HTTP ------------------------------------------------------------------------------------
    def handle(self, request: "_RequestHandler") -> None:
        started = time.monotonic()
        url = urlsplit(request.path)
        length = int(request.headers.get("content-length") or 0)
        body = request.rfile.read(length) if length else b""
        if url.path == "/dev" or url.path.startswith("/dev/"):
            label = url.path
            try:
                answer = self.dev(request.command, url.path, url.query, request.headers, body)
            except Exception as error:
                log.warning("%s %s raised %s", request.command, label, type(error).__name__,
                            exc_info=log.isEnabledFor(logging.DEBUG))
                answer = _json(500, {"message": "Internal Server Error"})
        else:
            found = match(self.app.routes, request.command, url.path)
            if found is None:
                label, answer = "unmatched", _json(404, {"message": "Not Found"})
            else:
                route, params = found
                label = route.route_key
                event = build_event(route, params, request.command, url.path, query=url.query,
                                    headers=dict(request.headers.items()), body=body,
                                    source_ip=request.client_address[0])
                answer = self._invoke_route(route.function, event)
        _write(request, answer)
        # The route key, never the raw path: paths carry tokens, queries may carry phone numbers.
        log.info("%s %s → %s in %.0f ms", request.command, label, answer.get("statusCode"),
                 (time.monotonic() - started) * 1000)

    def _invoke_route(self, function: str, event: dict) -> dict:
        try:
            result = self.functions.invoke(function, event)
        except Exception as error:  # what API Gateway answers when the function fails
            log.warning("%s raised %s", function, type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
            return _json(500, {"message": "Internal Server Error"})
        if isinstance(result, dict) and "statusCode" in result:
            return result
        # Payload format 2.0: anything else is a 200 JSON answer of that value.
        return _json(200, result)

    def dev(self, method: str, path: str, query: str, headers, body: bytes) -> dict:
        params = dict(parse_qsl(query))
        if (method, path) == ("GET", "/dev"):
            return _html(200, devpages.index(self.demo))
        if (method, path) == ("GET", "/dev/phone"):
            return _html(200, devpages.phone(self.phone.messages()))
        if (method, path) == ("POST", "/dev/phone/reply"):
            return self.reply(_form(headers, body))
        if (method, path) == ("GET", "/dev/mail"):
            return _html(200, devpages.mail(sent_mail(ACCOUNT, REGION)))
        if (method, path) == ("GET", "/dev/events"):
            captured = self.capture.newest_first()
            return _json(200, captured) if params.get("format") == "json" else _html(200, devpages.events(captured))
        if (method, path) == ("GET", "/dev/clock"):
            state = self.clock_state()
            return _json(200, state) if params.get("format") == "json" else _html(200, devpages.clock(state))
        if (method, path) == ("POST", "/dev/clock"):
            return self.advance(_form(headers, body), wants_json="json" in (headers.get("content-type", "")
                                                                            + headers.get("accept", "")))
        return _json(404, {"message": "Not Found"})

    def clock_state(self) -> dict:
        return devpages.clock_state(runner_now(), _clock_offset(), self.scheduler.entries)

    def advance(self, form: dict, *, wants_json: bool) -> dict:
        try:
            delta = timedelta(minutes=float(form.get("advance_minutes") or 0),
                              hours=float(form.get("advance_hours") or 0))
        except (TypeError, ValueError):
            delta = timedelta(0)
        if delta <= timedelta(0):
            return _json(400, {"message": "give advance_minutes or advance_hours, a positive number"})
        os.environ[OFFSET_VARIABLE] = str(_clock_offset() + delta.total_seconds())
        fired = self.fire_schedules()
        log.info("clock advanced by %s; fired %d schedule(s)", delta, len(fired))
        if wants_json:
            return _json(200, {**self.clock_state(), "fired": fired})
        return {"statusCode": 303, "headers": {"location": "/dev/clock"}, "body": ""}

    def reply(self, form: dict) -> dict:
        """A reply typed on the phone view: delivered as AWS End User Messaging two-way SMS arrive,
        an SNS notification to the functions the template subscribes to the inbound topic."""
        sender, text = str(form.get("from", "")).strip(), str(form.get("text", "")).strip()
        if not sender or not text:
            return _html(400, devpages.phone(self.phone.messages(), "Both 'from' and 'text' are needed."))
        if not self.app.subscriptions:
            return _html(501, devpages.phone(self.phone.messages(), "Inbound SMS is not yet wired in template.yaml."))
        message_id = str(uuid.uuid4())
        self.phone.record_reply(sender, text, message_id)
        names = self.aws.physical_names()
        message = {"originationNumber": sender, "destinationNumber": LOCAL_TWO_WAY_NUMBER,
                   "messageKeyword": "KEYWORD_123456789012", "messageBody": text,
                   "inboundMessageId": message_id, "previousPublishedMessageId": ""}
        for subscription in self.app.subscriptions:
            topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{names[subscription.topic]}"
            try:
                self.functions.invoke(subscription.function, sns_event(topic_arn, message))
            except Exception as error:
                log.warning("%s raised %s", subscription.function, type(error).__name__)
                return _html(500, devpages.phone(self.phone.messages(), f"{subscription.function} failed."))
        return {"statusCode": 303, "headers": {"location": "/dev/phone"}, "body": ""}


DRIVEN_EVENT_TYPES = {"HttpApi", "DynamoDB", "SNS", "Schedule", "ScheduleV2", "SQS", "S3", "EventBridgeRule"}


def _warn_about_undriven_events(app) -> None:
    """Say so at start when the template has an event source this runner cannot deliver yet."""
    for logical_id, resource in app.source["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] not in DRIVEN_EVENT_TYPES:
                log.warning("%s: %s events are not delivered by the local runner", logical_id, event["Type"])


def _clear_caches() -> None:
    """Settings and SSM values are cached per process; the environment was just set."""
    from aws_lambda_powertools.utilities import parameters

    from odwolaj.core.config import settings

    settings.cache_clear()
    parameters.clear_caches()


def _json(status: int, body: object) -> dict:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def _html(status: int, body: str) -> dict:
    return {"statusCode": status, "headers": {"content-type": "text/html; charset=utf-8"}, "body": body}


def _form(headers, body: bytes) -> dict:
    text = body.decode("utf-8", "replace")
    if "json" in headers.get("content-type", ""):
        try:
            parsed = json.loads(text or "{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return dict(parse_qsl(text))


def _write(request: BaseHTTPRequestHandler, answer: dict) -> None:
    payload = response_body(answer)
    request.send_response(int(answer.get("statusCode", 200)))
    headers = {k.lower(): str(v) for k, v in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(str(v) for v in values)
    headers.pop("content-length", None)
    for name, value in headers.items():
        request.send_header(name, value)
    for cookie in answer.get("cookies") or []:
        request.send_header("set-cookie", cookie)
    request.send_header("content-length", str(len(payload)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(payload)


class _Ticker(Polling):
    def __init__(self, runner: Runner):
        super().__init__("scheduler", 1.0)
        self.runner = runner

    def poll_once(self) -> None:
        self.runner.fire_schedules()


class _HttpServer(ThreadingHTTPServer):
    # API Gateway takes bursts of concurrent connections; the default backlog (5) would reset them.
    request_queue_size = 128


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        self.server.runner.handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format, *args) -> None:  # the default logs raw paths (tokens); handle() logs
        pass


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    runner = Runner(port=int(os.environ.get("PORT", "3000")))
    runner.start()
    if runner.seed:
        print(demo.banner(runner.demo, runner.demo_path), flush=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    stopping.wait()
    log.info("stopping")
    runner.stop()


if __name__ == "__main__":
    main()
