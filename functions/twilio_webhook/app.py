"""Twilio's webhooks: inbound SMS (/webhooks/twilio/sms) and delivery reports
(/webhooks/twilio/status). The signature is checked on the raw form first, failing closed;
an inbound message is handled once per MessageSid."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.parameters import twilio_auth_token
from odwolaj.adapters.twilio import form_params, is_valid
from odwolaj.core.config import settings
from odwolaj.messaging import deliveries
from odwolaj.messaging.inbound_sms import handle_payload

logger = Logger()
app = APIGatewayHttpResolver()
handle_once = Once(handle_payload, key="message_id")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class Forbidden(Exception):
    pass


def signed_form() -> dict[str, str]:
    event = app.current_event
    body = event.decoded_body or ""
    params = form_params(body)
    # Twilio signs the public URL it called: rebuild it exactly (custom domain, path, query).
    url = settings().public_base_url + event.raw_path + (f"?{event.raw_query_string}" if event.raw_query_string else "")
    if not is_valid(twilio_auth_token(), url, params, event.headers.get("x-twilio-signature")):
        raise Forbidden()
    return {name: values[0] for name, values in params.items()}


@app.exception_handler(Forbidden)
def forbidden(_error):
    logger.warning("rejected: bad Twilio signature")
    return Response(403, "text/plain", "")


@app.post("/webhooks/twilio/sms")
def inbound_sms():
    form = signed_form()
    message_id = form.get("MessageSid") or form.get("SmsSid")
    if not message_id:
        return Response(400, "text/plain", "missing MessageSid")
    result = handle_once({"sender": form.get("From", ""), "text": form.get("Body", ""), "message_id": message_id})
    logger.info("inbound sms", extra={"message_id": message_id, "outcome": result["outcome"]})
    return Response(200, "text/xml", EMPTY_TWIML)


@app.post("/webhooks/twilio/status")
def delivery_report():
    form = signed_form()
    applied = deliveries.report(form.get("MessageSid", ""), deliveries.TWILIO.get(form.get("MessageStatus", "")),
                                form.get("ErrorCode"))
    logger.info("delivery report", extra={"message_id": form.get("MessageSid"), "applied": applied})
    return Response(204, "text/plain", "")


@logger.inject_lambda_context
def lambda_handler(event, context):
    handle_once.register_lambda_context(context)
    return app.resolve(event, context)
