"""SMSAPI.pl's callbacks: inbound SMS (/webhooks/smsapi/sms) and delivery reports
(/webhooks/smsapi/status). SMSAPI does not sign callbacks, so the callback URLs carry a secret
key, checked first and failing closed. SMSAPI expects the body "OK"."""
import hmac
import os
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.parameters import secret
from odwolaj.messaging import deliveries
from odwolaj.messaging.inbound_sms import handle_payload

logger = Logger()
app = APIGatewayHttpResolver()
handle_once = Once(handle_payload, key="message_id")


class Forbidden(Exception):
    pass


def keyed_form() -> dict[str, str]:
    expected = secret(os.environ["SMSAPI_CALLBACK_KEY_PARAM"])
    if len(expected) < 16:
        raise RuntimeError("the SMSAPI callback key is missing or too short")  # fail closed
    event = app.current_event
    given = (event.query_string_parameters or {}).get("key", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden()
    body = event.decoded_body or ""
    return {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}


@app.exception_handler(Forbidden)
def forbidden(_error):
    logger.warning("rejected: bad SMSAPI callback key")
    return Response(403, "text/plain", "")


@app.post("/webhooks/smsapi/sms")
def inbound_sms():
    form = keyed_form()
    if not form.get("MsgId") or not form.get("sms_from"):
        return Response(400, "text/plain", "missing MsgId or sms_from")
    # SMSAPI writes numbers without the plus ("48600100200").
    sender = "+" + form["sms_from"] if form["sms_from"].isdigit() and len(form["sms_from"]) > 9 else form["sms_from"]
    result = handle_once({"sender": sender, "text": form.get("sms_text", ""), "message_id": form["MsgId"]})
    logger.info("inbound sms", extra={"message_id": form["MsgId"], "outcome": result["outcome"]})
    return Response(200, "text/plain", "OK")


@app.post("/webhooks/smsapi/status")
def delivery_reports():
    form = keyed_form()
    # One callback may carry several reports: comma-separated, position by position.
    for message_id, status in zip(form.get("MsgId", "").split(","), form.get("status", "").split(",")):
        applied = deliveries.report(message_id, deliveries.SMSAPI.get(status))
        logger.info("delivery report", extra={"message_id": message_id, "applied": applied})
    return Response(200, "text/plain", "OK")


@logger.inject_lambda_context
def lambda_handler(event, context):
    handle_once.register_lambda_context(context)
    return app.resolve(event, context)
