"""Stripe's webhook (/webhooks/stripe). The signature is checked on the raw body first with the
SDK (failing closed: no secret, no event), then each event is applied once per event id; the
domain (odwolaj.usecases.payment_webhook) makes the order of delivery irrelevant."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.parameters import stripe_webhook_secret
from odwolaj.core.config import check_environment
from odwolaj.core.errors import Unauthorized
from odwolaj.edge.requests import MalformedRequest, body_text
from odwolaj.usecases import payment_webhook

check_environment()
logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()
apply_once = Once(payment_webhook.apply_event, key="id")


@app.post("/webhooks/stripe")
def stripe_event() -> Response:
    event = app.current_event
    payload = payment_webhook.verified_event(body_text(event), event.headers.get("stripe-signature"),
                                             stripe_webhook_secret())
    result = apply_once(payload)
    logger.info("stripe event", extra=result)
    return Response(200, content_types.APPLICATION_JSON, {"received": True})


@app.exception_handler(Unauthorized)
def forbidden(_error: Unauthorized) -> Response:
    logger.warning("rejected: bad Stripe signature")
    return Response(400, content_types.APPLICATION_JSON, {"error": "signature"})


@app.exception_handler(MalformedRequest)
@app.exception_handler(payment_webhook.MalformedEvent)
def malformed(error: MalformedRequest | payment_webhook.MalformedEvent) -> Response:
    # Signed by Stripe (or not UTF-8) but unreadable: what is wrong, never a value from it.
    logger.warning("rejected: malformed stripe event", extra={"error": error.message})
    return Response(400, content_types.APPLICATION_JSON, {"error": error.code})


@app.exception_handler(Exception)
def failure(error: Exception) -> Response:
    # Unconfigured (no secret: fail closed), Stripe or DynamoDB unreachable: Stripe retries later,
    # and the event's idempotency record was released, so the retry applies it.
    logger.exception("stripe event not applied")
    return Response(500, content_types.APPLICATION_JSON, {"error": "internal"})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    apply_once.register_lambda_context(context)
    return app.resolve(event, context)
