"""A local stand-in for the parts of Stripe Odwołaj uses, on loopback, for tests and the runner.

- The API (`/v1/...`), as the official SDK calls it when its `api` base address points here:
  create, retrieve and expire a Checkout Session, create a Refund. It checks what Stripe checks
  for those calls (key, currency, payment methods, the 30 min–24 h expiry window, expiring only an
  open session, refunding a payment once), honours `Idempotency-Key` (same key and parameters:
  the first answer again; other parameters: an `idempotency_error`) and records every request the
  SDK sent (`requests`), so tests can assert amounts, currency, methods, expiry, metadata and keys.
- The hosted checkout (`/checkout/<session id>`): a page with "Zapłać" and "Porzuć" buttons (and a
  delayed bank transfer whose result the bank sends later), which sends correctly signed events
  (`checkout.session.completed`, `...async_payment_succeeded/failed`, `...expired`, and
  `charge.refunded` after a refund) to the webhook address, then returns to the success or cancel
  page, as Stripe does.

Events are delivered one at a time, in order, by a thread of their own (Stripe delivers
asynchronously too); a button waits for its event's delivery before redirecting.
"""
from __future__ import annotations

import json
import logging
import queue
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import requests

log = logging.getLogger("odwolaj_local.stripe")

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 3600
METHODS = {"card", "blik", "p24"}
PLN_ONLY = {"blik", "p24"}
API_VERSION = "2025-11-17.clover"


@dataclass
class Recorded:
    """One API request as the SDK sent it."""

    method: str
    path: str
    headers: dict[str, str]
    params: dict

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": kind, "message": message, "param": param, "code": code}}


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """`a[b][0][c]=x` (how the SDK encodes nested parameters) back into dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


@dataclass
class StripeFake:
    webhook_url: str | None = None
    webhook_secret: str | None = None
    now: Callable[[], float] = time.time  # Stripe's clock; the runner passes its movable one
    api_key_prefix: str = "sk_test_"
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.RLock()
        self._idempotent: dict[str, tuple[str, str, int, dict]] = {}
        self._charges: dict[str, dict] = {}  # by payment intent
        self._deliveries: queue.Queue = queue.Queue()
        self._stopping = False
        self.base_url = ""

    # -- life cycle ----------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # stopping does not wait for a checkout page in flight
        self._httpd.fake = self
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._threads = [threading.Thread(target=self._httpd.serve_forever, name="stripe-fake", daemon=True),
                         threading.Thread(target=self._deliver_forever, name="stripe-events", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self.base_url

    def stop(self) -> None:
        """Quick: an event still being delivered is dropped (its thread is a daemon), as a process
        that stops would drop it."""
        self._stopping = True
        self._deliveries.put(None)
        self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=1)

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # -- the API -------------------------------------------------------------------------------
    def api(self, method: str, path: str, headers: dict[str, str], params: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(Recorded(method, path, headers, params))
            if not headers.get("authorization", "").startswith(f"Bearer {self.api_key_prefix}"):
                return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
            key = headers.get("idempotency-key") if method == "POST" else None
            fingerprint = json.dumps(params, sort_keys=True)
            if key and key in self._idempotent:
                first_path, first_params, status, body = self._idempotent[key]
                if (first_path, first_params) != (path, fingerprint):
                    return 400, {"error": {"type": "idempotency_error", "message": (
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        "first used with.")}}
                return status, body
            try:
                status, body = 200, self._route(method, path, params)
            except StripeError as error:
                status, body = error.status, error.body
            if key:
                self._idempotent[key] = (path, fingerprint, status, body)
            return status, body

    def _route(self, method: str, path: str, params: dict) -> dict:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self._create_session(params)
        found = re.fullmatch(r"/v1/checkout/sessions/([\w]+)(/expire)?", path)
        if found:
            session = self._session(found.group(1))
            if method == "GET" and not found.group(2):
                return session
            if method == "POST" and found.group(2):
                if session["status"] != "open":
                    raise StripeError(400, "invalid_request_error",
                                      'Only Checkout Sessions with a status in ["open"] can be expired.')
                return self._close(session, "expired")
        if (method, path) == ("POST", "/v1/refunds"):
            return self._refund(params)
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _session(self, session_id: str) -> dict:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise StripeError(404, "invalid_request_error", f"No such checkout.session: '{session_id}'",
                              param="session", code="resource_missing") from None

    def _create_session(self, params: dict) -> dict:
        if params.get("mode") != "payment":
            raise StripeError(400, "invalid_request_error", "mode must be payment here", param="mode")
        items = params.get("line_items") or []
        if len(items) != 1 or "price_data" not in items[0]:
            raise StripeError(400, "invalid_request_error", "one line item with price_data", param="line_items")
        price = items[0]["price_data"]
        currency, amount = price.get("currency"), int(price.get("unit_amount", "0"))
        quantity = int(items[0].get("quantity", "1"))
        if amount <= 0:
            raise StripeError(400, "invalid_request_error", "unit_amount must be positive",
                              param="line_items[0][price_data][unit_amount]")
        methods = params.get("payment_method_types") or ["card"]
        if not set(methods) <= METHODS:
            raise StripeError(400, "invalid_request_error", "unsupported payment method", param="payment_method_types")
        if set(methods) & PLN_ONLY and currency != "pln":
            raise StripeError(400, "invalid_request_error", "blik and p24 need currency pln",
                              param="payment_method_types")
        created = int(self.now())
        expires_at = int(params.get("expires_at", created + MAX_EXPIRY))
        if not created + MIN_EXPIRY <= expires_at <= created + MAX_EXPIRY:
            raise StripeError(400, "invalid_request_error",
                              "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                              "Checkout Session creation.", param="expires_at")
        session_id = _new_id("cs")
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment", "livemode": False,
            "amount_total": amount * quantity, "currency": currency, "created": created, "expires_at": expires_at,
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata") or {},
            "payment_intent": None, "payment_method_types": methods, "payment_status": "unpaid",
            "status": "open", "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "locale": params.get("locale"), "url": f"{self.base_url}/checkout/{session_id}",
            "_payment_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
            "_line_item": items[0],
        }
        self.sessions[session_id] = session
        return self._public(session)

    @staticmethod
    def _public(session: dict) -> dict:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def _close(self, session: dict, status: str) -> dict:
        session["status"], session["url"] = status, None
        return self._public(session)

    def _refund(self, params: dict) -> dict:
        charge = self._charges.get(params.get("payment_intent", ""))
        if charge is None:
            raise StripeError(404, "invalid_request_error", "No such payment_intent", param="payment_intent",
                              code="resource_missing")
        if charge["refunded"]:
            raise StripeError(400, "invalid_request_error", "Charge has already been refunded.",
                              code="charge_already_refunded")
        amount = int(params.get("amount", charge["amount"]))
        refund = {"id": _new_id("re"), "object": "refund", "amount": amount, "currency": charge["currency"],
                  "payment_intent": charge["payment_intent"], "charge": charge["id"], "status": "succeeded",
                  "metadata": params.get("metadata") or {}, "reason": params.get("reason"), "created": int(self.now())}
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self._send("charge.refunded", dict(charge))
        return refund

    # -- what the hosted checkout's buttons (and tests) do ---------------------------------------
    def pay(self, session_id: str, *, delayed: bool = False) -> dict:
        """The patient pays. `delayed`: a bank transfer (Przelewy24) whose result comes later."""
        with self._lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise StripeError(400, "invalid_request_error", "this Checkout Session is no longer open")
            intent = _new_id("pi")
            session["payment_intent"] = intent
            session["payment_status"] = "unpaid" if delayed else "paid"
            self._close(session, "complete")
            if not delayed:
                self._charge(session)
            return self._send("checkout.session.completed", self._public(session))

    def bank_result(self, session_id: str, *, succeeded: bool) -> dict:
        """The bank's answer to a delayed payment."""
        with self._lock:
            session = self._session(session_id)
            if session["status"] != "complete" or session["payment_status"] != "unpaid":
                raise StripeError(400, "invalid_request_error", "no payment is waiting for the bank")
            if succeeded:
                session["payment_status"] = "paid"
                self._charge(session)
            kind = "succeeded" if succeeded else "failed"
            return self._send(f"checkout.session.async_payment_{kind}", self._public(session))

    def abandon(self, session_id: str) -> dict:
        with self._lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise StripeError(400, "invalid_request_error", "this Checkout Session is no longer open")
            return self._send("checkout.session.expired", self._close(session, "expired"))

    def dashboard_refund(self, payment_intent: str) -> dict:
        """The clinic refunds a payment in full in Stripe's dashboard (no idempotency key of ours)."""
        with self._lock:
            charge = self._charges[payment_intent]
            charge["amount_refunded"], charge["refunded"] = charge["amount"], True
            return self._send("charge.refunded", dict(charge))

    def _charge(self, session: dict) -> None:
        intent = session["payment_intent"]
        self._charges[intent] = {
            "id": _new_id("ch"), "object": "charge", "amount": session["amount_total"], "amount_refunded": 0,
            "currency": session["currency"], "payment_intent": intent, "refunded": False, "paid": True,
            "metadata": session["_payment_intent_metadata"],
        }

    # -- events --------------------------------------------------------------------------------
    def event(self, kind: str, obj: dict) -> dict:
        return {"id": _new_id("evt"), "object": "event", "api_version": API_VERSION, "created": int(self.now()),
                "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                "type": kind, "data": {"object": obj}}

    def sign(self, payload: str, *, timestamp: int | None = None) -> str:
        import stripe

        return stripe.WebhookSignature.generate_signature_header(payload, self.webhook_secret,
                                                                 timestamp=timestamp)

    def _send(self, kind: str, obj: dict) -> dict:
        event = self.event(kind, obj)
        self.events.append(event)
        if self.webhook_url:
            done = threading.Event()
            self._deliveries.put((event, done))
            event["_delivered"] = done
        return event

    def wait_delivered(self, event: dict, timeout: float = 15.0) -> None:
        done = event.get("_delivered")
        if done is not None:
            done.wait(timeout)

    def _deliver_forever(self) -> None:
        while True:
            item = self._deliveries.get()
            if item is None:
                return
            event, done = item
            payload = json.dumps({k: v for k, v in event.items() if not k.startswith("_")})
            # Stripe signs with its own (real) time, whatever the app's clock says.
            headers = {"content-type": "application/json",
                       "stripe-signature": self.sign(payload, timestamp=int(time.time()))}
            for attempt in range(3):  # Stripe retries failed deliveries (for days; here, briefly)
                try:
                    status = requests.post(self.webhook_url, data=payload.encode(), headers=headers,
                                           timeout=30).status_code
                except requests.RequestException as error:
                    status = type(error).__name__
                log.info("stripe event %s → %s", event["type"], status)
                if status == 200 or self._stopping:
                    break
                time.sleep(0.5 * (attempt + 1))
            done.set()

    # -- the hosted checkout page --------------------------------------------------------------
    def checkout_page(self, session_id: str) -> str:
        """The hosted checkout, on a phone as on a desktop; times in Warsaw time, as patients read them."""
        session = self._session(session_id)
        amount = f"{session['amount_total'] / 100:.2f}".replace(".", ",")
        expires = warsaw_time(session["expires_at"])
        base = f"/checkout/{escape(session_id)}"
        if session["status"] == "open":
            actions = (
                f'<form method="post" action="{base}/pay"><button class="main">Zapłać / Pay</button></form>'
                f'<form method="post" action="{base}/pay?delayed=1"><button>Przelew Przelewy24 (bank potwierdzi '
                "później) / Bank transfer, confirmed later</button></form>"
                f'<form method="post" action="{base}/abandon"><button>Porzuć / Abandon</button></form>')
        elif session["status"] == "complete" and session["payment_status"] == "unpaid":
            actions = (
                "<p><strong>Przelew czeka na bank / The transfer waits for the bank.</strong></p>"
                f'<form method="post" action="{base}/bank?ok=1"><button class="main">Bank potwierdza / '
                "Bank confirms</button></form>"
                f'<form method="post" action="{base}/bank?ok=0"><button>Bank odrzuca / Bank declines</button></form>')
        else:
            actions = (f"<p>Sesja / session: {escape(session['status'])}, płatność / payment: "
                       f"{escape(session['payment_status'])}.</p>")
        product = session["_line_item"]["price_data"].get("product_data", {}).get("name", "")
        return _stand_in_page("Stripe Checkout (lokalnie)", (
            f"<h1>{escape(amount)} {escape(session['currency'].upper())}</h1>"
            + (f"<p>{escape(product)}</p>" if product else "")
            + f"<p>Metody / methods: {escape(', '.join(session['payment_method_types']))}</p>"
            f"<p>Ważna do / valid until: {escape(expires)}</p>{actions}"
            f"<p><a href='/'>Wszystkie sesje / all sessions</a></p>"))

    def index_page(self) -> str:
        """Every session, newest first: where a transfer waiting for the bank can be confirmed."""
        rows = "".join(
            f"<li><a href='/checkout/{escape(s['id'])}'>{escape(s['id'])}</a>: "
            f"{s['amount_total'] / 100:.2f} {escape(s['currency'].upper())}, {escape(s['status'])}, "
            f"{escape(s['payment_status'])}"
            + (" <strong>(czeka na bank / waits for the bank)</strong>"
               if s["status"] == "complete" and s["payment_status"] == "unpaid" else "")
            + f", {escape(warsaw_time(s['created']))}</li>"
            for s in reversed(list(self.sessions.values())))
        return _stand_in_page("Stripe (lokalnie): sesje", (
            "<h1>Sesje płatności / Checkout Sessions</h1>"
            + (f"<ul>{rows}</ul>" if rows else "<p>Brak / none yet.</p>")))

    def checkout_action(self, session_id: str, action: str, query: dict) -> str:
        """Run a button; the address to send the browser to."""
        session = self._session(session_id)
        if action == "pay":
            event = self.pay(session_id, delayed=query.get("delayed") == "1")
            target = session["success_url"]
        elif action == "bank":
            event = self.bank_result(session_id, succeeded=query.get("ok") == "1")
            target = f"/checkout/{session_id}"
        else:
            event = self.abandon(session_id)
            target = session["cancel_url"]
        self.wait_delivered(event)
        return (target or f"/checkout/{session_id}").replace("{CHECKOUT_SESSION_ID}", session_id)


WARSAW = ZoneInfo("Europe/Warsaw")
_STYLE = ("body{font:1.2rem/1.5 system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:.5rem 1rem}"
          "header{border-bottom:3px solid #635bff;font-weight:700;padding:.5rem 0}h1{margin:.75rem 0}"
          "button{display:block;width:100%;font:inherit;margin:.9rem 0;padding:.6rem;border:2px solid #333;"
          "border-radius:.4rem;background:#fff;color:#111}button.main{background:#635bff;border-color:#635bff;color:#fff}"
          "li{margin:.4rem 0;overflow-wrap:anywhere}:focus-visible{outline:3px solid #111;outline-offset:3px}")


def warsaw_time(timestamp: float) -> str:
    """'30.11.2026, 08:43 (czas warszawski / Warsaw time)'."""
    return f"{datetime.fromtimestamp(timestamp, WARSAW):%d.%m.%Y, %H:%M} (czas warszawski / Warsaw time)"


def _stand_in_page(title: str, body: str) -> str:
    return ('<!doctype html><html lang="pl"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
            "<header>Lokalna atrapa Stripe Checkout / local stand-in for Stripe Checkout</header>"
            f"<main>{body}</main></body></html>")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes, content_type: str, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        if location:
            self.send_header("location", location)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        fake: StripeFake = self.server.fake
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path.startswith("/v1/"):
            params = decode_form(parse_qsl(raw if self.command == "POST" else url.query, keep_blank_values=True))
            status, body = fake.api(self.command, url.path, headers, params)
            self._answer(status, json.dumps(body).encode(), "application/json")
            return
        found = re.fullmatch(r"/checkout/(\w+)(?:/(pay|bank|abandon))?", url.path)
        try:
            if found and self.command == "GET" and not found.group(2):
                self._answer(200, fake.checkout_page(found.group(1)).encode(), "text/html; charset=utf-8")
                return
            if url.path == "/" and self.command == "GET":
                self._answer(200, fake.index_page().encode(), "text/html; charset=utf-8")
                return
            if found and self.command == "POST" and found.group(2):
                target = fake.checkout_action(found.group(1), found.group(2), dict(parse_qsl(url.query)))
                self._answer(303, b"", "text/plain", location=target)
                return
        except StripeError as error:
            self._answer(error.status, escape(str(error)).encode(), "text/plain; charset=utf-8")
            return
        self._answer(404, b"not found", "text/plain")

    do_GET = do_POST = do_DELETE = _handle

    def log_message(self, format, *args) -> None:
        pass
