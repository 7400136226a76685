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
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from odwolaj.core.clock import WARSAW
from odwolaj_local import demo, devpages, eventrules, queues
from odwolaj_local.apigw import build_event, match, response_body
from odwolaj_local.aws import REGION, LocalAws, start_moto
from odwolaj_local.failures import FailureKeeper
from odwolaj_local.lambdas import FakeLambdaContext, isolate_request_state, load_handler
from odwolaj_local.mailbox import Mailbox
from odwolaj_local.observe import EventCapture, Phone, sent_mail
from odwolaj_local.polling import Polling, log
from odwolaj_local.scheduler import Scheduler
from odwolaj_local.streams import StreamPoller
from odwolaj_local.stripe_fake import StripeFake
from odwolaj_local.template import application
from odwolaj_local.timejump import Jump, due_indexes, earliest_due

OFFSET_VARIABLE = "ODWOLAJ_CLOCK_OFFSET_SECONDS"
ACCOUNT = "123456789012"  # moto's default account, in which every resource is created
LOCAL_TWO_WAY_NUMBER = "+48500000000"  # the clinic's number the phone view's replies are sent to
STOP_SECONDS = 3.0  # SIGTERM to exit well within 5 s, under load too


class Functions:
    """The template's functions in this one process. Like a single warm Lambda container per
    function, each handles one event at a time (their module-level state is not thread-safe), and
    what Powertools keeps per request is kept per thread (lambdas.isolate_request_state), so
    functions running at the same time never see each other's requests."""

    def __init__(self):
        isolate_request_state()
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


def _until_warsaw_hour(now: datetime, hour: int) -> timedelta:
    """From `now` to the next time it is hour:00 in Warsaw."""
    if not 0 <= hour <= 23:
        raise ValueError("an hour of the day")
    local = now.astimezone(WARSAW)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target = (local + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return target.astimezone(timezone.utc) - now.astimezone(timezone.utc)


def _clock_offset() -> float:
    return float(os.environ.get(OFFSET_VARIABLE, "0") or 0)


def runner_now() -> datetime:
    from odwolaj.core.clock import now

    return now()


def set_runner_clock(moment: datetime) -> None:
    """The runner's clock (the domain's, in every handler) reads `moment` now; never backwards."""
    if moment > runner_now():
        os.environ[OFFSET_VARIABLE] = str((moment - datetime.now(timezone.utc)).total_seconds())


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
        self.capture = EventCapture(self.aws, names["EventBus"], runner_now)
        rules = eventrules.start(self.aws, self.app, self.functions.invoke)  # bus → functions (moto fires none)
        self.phone = Phone(runner_now)
        self.phone.listen()
        # The template's SES receipt rule (cancellation by e-mail), run by /dev/mail.
        self.mailbox = Mailbox(self.aws, self.app.mail_receipts[0], self.functions.invoke) \
            if self.app.mail_receipts else None
        if self.seed:
            self.demo = demo.seed(self.base_url)
            self.demo_path = demo.write(self.demo)
        self.failures = FailureKeeper(self.aws, self.app, self.functions.invoke)
        streams = self.aws.client("dynamodbstreams")
        pollers = [StreamPoller(source, self.aws.stream_arn(source.table), streams, self.functions.invoke,
                                on_failure=self.failures.stream_failed)
                   for source in self.app.streams]
        sqs = self.aws.client("sqs")
        queue_pollers = [queues.QueuePoller(source, sqs, self.functions.invoke) for source in queues.sources(self.aws)]
        self.scheduler = Scheduler(self.app.schedules, self.failures.invoke_async, runner_now)
        dynamodb, indexes = self.aws.client("dynamodb"), due_indexes(self.app, names)
        self.jump = Jump(now=runner_now, set_clock=set_runner_clock, fire_due=self.scheduler.fire_due,
                         next_firing=self.scheduler.next_firing,
                         due_after=lambda after: earliest_due(dynamodb, indexes, after),
                         settle=lambda: [poller.catch_up() for poller in pollers])
        ticker = _Ticker(self)
        server = threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True)
        self._threads = [self.capture, *rules, *pollers, *queue_pollers, ticker, server]
        for thread in self._threads:
            thread.start()
        return self.base_url

    def stop(self, within: float = STOP_SECONDS) -> None:
        """Stop everything, within `within` seconds however busy: requests and deliveries still
        running are abandoned (their threads are daemons), as Lambda abandons them at shutdown."""
        deadline = time.monotonic() + within
        self.stripe.stop()  # first: no Stripe event is then on its way to a stopping server
        for thread in self._threads:
            if hasattr(thread, "stop"):
                thread.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.moto.stop()

    def fire_schedules(self) -> list[str]:
        return [entry.name for entry in self.scheduler.fire_due()]

    # -- HTTP ------------------------------------------------------------------------------------
    def handle(self, request: "_RequestHandler") -> None:
        started = time.monotonic()
        try:
            label, answer = self._answer(request)
        except BadRequest as error:  # what API Gateway answers to a request it cannot read
            label, answer = f"{request.command} (unreadable)", _json(400, {"message": f"Bad Request: {error}"})
        except Exception as error:  # the runner's own failure: still an answer, never a dropped connection
            label, answer = f"{request.command} (failed)", _json(500, {"message": "Internal Server Error"})
            log.warning("%s raised %s", label, type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        try:
            _write(request, answer)
        except OSError:  # the client hung up first
            return
        # The route key, never the raw path: paths carry tokens, queries may carry phone numbers.
        log.info("%s → %s in %.0f ms", label, answer.get("statusCode"), (time.monotonic() - started) * 1000)

    def _answer(self, request: "_RequestHandler") -> tuple[str, dict]:
        url = urlsplit(request.path)
        body = _read_body(request)
        if url.path == "/dev" or url.path.startswith("/dev/"):
            label = f"{request.command} {url.path}"
            try:
                return label, self.dev(request.command, url.path, url.query, request.headers, body)
            except Exception as error:
                log.warning("%s raised %s", label, type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
                return label, _json(500, {"message": "Internal Server Error"})
        found = match(self.app.routes, request.command, url.path)
        if found is None:
            return f"{request.command} (unmatched)", _json(404, {"message": "Not Found"})
        route, params = found
        event = build_event(route, params, request.command, url.path, query=url.query,
                            headers=dict(request.headers.items()), body=body, source_ip=request.client_address[0])
        return route.route_key, self._invoke_route(route.function, event)

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
        status = devpages.Status(runner_now())
        if (method, path) == ("GET", "/dev"):
            return _html(200, devpages.index(self.demo, status, self.stripe.base_url))
        if (method, path) == ("GET", "/dev/phone"):
            if params.get("format") == "json":
                sent = [m for m in self.phone.records() if params.get("phone") in (None, m.phone)]
                return _json(*devpages.json_items(sent, {k: v for k, v in params.items() if k != "phone"},
                                                  "messages"))
            return _html(200, devpages.phone(self.phone.messages(), status))
        if (method, path) == ("POST", "/dev/phone/reply"):
            return self.reply(_form(headers, body), wants_json=_wants_json(headers))
        if (method, path) == ("GET", "/dev/mail"):
            return _html(200, self.mail_page(status))
        if (method, path) == ("POST", "/dev/mail/send"):
            return self.receive_mail(_form(headers, body), status)
        if (method, path) == ("GET", "/dev/events"):
            captured = self.capture.records()
            if params.get("format") == "json":
                # Unpaged, the events alone as before (EventBridge's shape); paged, with their cursor.
                return _json(*devpages.json_items(captured, params, "events", unpaged=lambda c: c.event))
            return _html(200, devpages.events(captured, status))
        if (method, path) == ("GET", "/dev/failed"):
            return _html(200, devpages.failed(self.failures.listed(), status))
        if (method, path) == ("POST", "/dev/failed/redrive"):
            outcomes = self.failures.redrive()
            if "json" in headers.get("accept", "") + headers.get("content-type", ""):
                return _json(200, {function: vars(outcome) for function, outcome in outcomes.items()})
            return _html(200, devpages.failed(self.failures.listed(), status, outcomes))
        if (method, path) == ("GET", "/dev/clock"):
            state = self.clock_state()
            return _json(200, state) if params.get("format") == "json" else _html(200, devpages.clock(state, status))
        if (method, path) == ("POST", "/dev/clock"):
            return self.advance(_form(headers, body), wants_json=_wants_json(headers))
        return _json(404, {"message": "Not Found"})

    def clock_state(self) -> dict:
        return devpages.clock_state(runner_now(), _clock_offset(), self.scheduler.entries)

    def advance(self, form: dict, *, wants_json: bool) -> dict:
        """Move the clock forward by `advance_minutes` / `advance_hours`, or to the next time it is
        `to_hour`:00 in Warsaw (the button outside offer hours: to_hour=8)."""
        try:
            if form.get("to_hour") not in (None, ""):
                delta = _until_warsaw_hour(runner_now(), int(form["to_hour"]))
            else:
                delta = timedelta(minutes=float(form.get("advance_minutes") or 0),
                                  hours=float(form.get("advance_hours") or 0))
        except (TypeError, ValueError):
            delta = timedelta(0)
        if delta <= timedelta(0):
            return _json(400, {"message": "give advance_minutes or advance_hours (a positive number), "
                                          "or to_hour (0 to 23, Warsaw time)"})
        fired = self.jump.to(runner_now() + delta)
        log.info("clock advanced by %s; fired %d schedule(s)", delta, len(fired))
        if wants_json:
            return _json(200, {**self.clock_state(), "fired": fired})
        return {"statusCode": 303, "headers": {"location": "/dev/clock"}, "body": ""}

    def mail_page(self, status: devpages.Status, notice: str = "") -> str:
        address = self.mailbox.address if self.mailbox else ""
        return devpages.mail(sent_mail(ACCOUNT, REGION), status, address, notice)

    def receive_mail(self, form: dict, status: devpages.Status) -> dict:
        """An e-mail to the cancellation address, typed on /dev/mail: stored and handed to the
        function as the template's SES receipt rule would."""
        sender, text = str(form.get("from", "")).strip(), str(form.get("text", "")).strip()
        if self.mailbox is None:
            return _html(501, self.mail_page(status, "The template has no SES receipt rule."))
        if "@" not in sender or not text:
            return _html(400, self.mail_page(status, "A sender's address and a text are needed."))
        try:
            self.mailbox.receive(sender, str(form.get("subject", "")).strip(), text)
        except Exception as error:
            log.warning("%s raised %s", self.mailbox.rule.function, type(error).__name__)
            return _html(500, self.mail_page(status, f"{self.mailbox.rule.function} failed."))
        return {"statusCode": 303, "headers": {"location": "/dev/mail"}, "body": ""}

    def reply(self, form: dict, *, wants_json: bool = False) -> dict:
        """A reply typed on the phone view: delivered as AWS End User Messaging two-way SMS arrive,
        an SNS notification to the functions the template subscribes to the inbound topic. JSON
        requests get the reply's place in the phone's record instead of a redirect."""
        sender, text = str(form.get("from", "")).strip(), str(form.get("text", "")).strip()
        if not sender or not text:
            return _html(400, devpages.phone(self.phone.messages(), devpages.Status(runner_now()),
                                             "Both 'from' and 'text' are needed."))
        if not self.app.subscriptions:
            return _html(501, devpages.phone(self.phone.messages(), devpages.Status(runner_now()),
                                             "Inbound SMS is not yet wired in template.yaml."))
        message_id = str(uuid.uuid4())
        self.phone.record_reply(sender, text, message_id)
        names = self.aws.physical_names()
        message = {"originationNumber": sender, "destinationNumber": LOCAL_TWO_WAY_NUMBER,
                   "messageKeyword": "KEYWORD_123456789012", "messageBody": text,
                   "inboundMessageId": message_id, "previousPublishedMessageId": ""}
        for subscription in self.app.subscriptions:
            topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{names[subscription.topic]}"
            try:  # SNS invokes asynchronously: retried, then kept for a redrive
                self.failures.invoke_async(subscription.function, sns_event(topic_arn, message))
            except Exception as error:
                log.warning("%s raised %s", subscription.function, type(error).__name__)
                return _html(500, devpages.phone(self.phone.messages(), devpages.Status(runner_now()),
                                                 f"{subscription.function} failed; kept on /dev/failed."))
        if wants_json:
            [recorded] = [m for m in self.phone.records() if m.message_id == message_id]
            return _json(200, recorded.as_json())
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


def _wants_json(headers) -> bool:
    return "json" in headers.get("content-type", "") + headers.get("accept", "")


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


class BadRequest(Exception):
    pass


MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    text = request.headers.get("content-length") or "0"
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_BODY_BYTES:
        raise BadRequest("Content-Length must be a whole number of bytes, at most 10 MB")
    return request.rfile.read(int(text)) if int(text) else b""


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
    block_on_close = False  # stopping does not wait for requests in flight (their threads are daemons)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that announces a body and never sends it does not hold a thread forever

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
    # Waiting in short steps: a signal delivered to another thread only sets a flag, which a main
    # thread blocked without a timeout would not look at until something else woke it.
    while not stopping.wait(0.25):
        pass
    log.info("stopping")
    stopper = threading.Thread(target=runner.stop, name="stop", daemon=True)
    stopper.start()
    stopper.join(STOP_SECONDS + 1)
    log.info("stopped" if not stopper.is_alive() else "not stopped in time (a server still draining): exiting")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not a normal interpreter exit: a request or delivery still running on a daemon thread may hold
    # a lock that the interpreter's finalization then waits for, forever (seen under load).
    os._exit(0)


if __name__ == "__main__":
    main()
