"""Stripe's webhook (/webhooks/stripe). The signature is checked on the raw body first with the
SDK (failing closed: no secret, no event), then each event is applied once per event id; the
domain (odwolaj.usecases.payment_webhook) makes the order of delivery irrelevant."""
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.parameters import stripe_webhook_secret
from odwolaj.core.errors import Unauthorized
from odwolaj.usecases import payment_webhook

logger = Logger()
app = APIGatewayHttpResolver()
apply_once = Once(payment_webhook.apply_event, key="id")


@app.post("/webhooks/stripe")
def stripe_event() -> Response:
    event = app.current_event
    payload = payment_webhook.verified_event(event.decoded_body or "", event.headers.get("stripe-signature"),
                                             stripe_webhook_secret())
    result = apply_once(payload)
    logger.info("stripe event", extra=result)
    return Response(200, content_types.APPLICATION_JSON, {"received": True})


@app.exception_handler(Unauthorized)
def forbidden(_error: Unauthorized) -> Response:
    logger.warning("rejected: bad Stripe signature")
    return Response(400, content_types.APPLICATION_JSON, {"error": "signature"})


@app.exception_handler(Exception)
def failure(error: Exception) -> Response:
    # Unconfigured (no secret: fail closed), Stripe or DynamoDB unreachable: Stripe retries later,
    # and the event's idempotency record was released, so the retry applies it.
    logger.exception("stripe event not applied")
    return Response(500, content_types.APPLICATION_JSON, {"error": "internal"})


@logger.inject_lambda_context
def lambda_handler(event, context):
    apply_once.register_lambda_context(context)
    return app.resolve(event, context)
