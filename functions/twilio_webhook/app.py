"""POST /webhooks/twilio/sms: an inbound SMS from Twilio. The signature is checked on the raw
form first (failing closed), then the message is handled once per MessageSid."""
import base64

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, event_source

from odwolaj.config import settings
from odwolaj.idempotency import Once
from odwolaj.inbound import handle_payload
from odwolaj.signing import twilio_auth_token
from odwolaj.twilio import form_params, is_valid

logger = Logger()
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


handle_once = Once(handle_payload, key="message_id")


def _answer(status: int, body: str = EMPTY_TWIML) -> dict:
    return {"statusCode": status, "headers": {"content-type": "text/xml"}, "body": body}


@logger.inject_lambda_context
@event_source(data_class=APIGatewayProxyEventV2)
def lambda_handler(event: APIGatewayProxyEventV2, context):
    body = event.body or ""
    if event.is_base64_encoded:
        body = base64.b64decode(body).decode("utf-8")
    params = form_params(body)
    # Twilio signs the public URL it called: rebuild it exactly (custom domain, path, query).
    url = settings().public_base_url + event.raw_path + (f"?{event.raw_query_string}" if event.raw_query_string else "")
    if not is_valid(twilio_auth_token(), url, params, event.headers.get("x-twilio-signature")):
        logger.warning("rejected: bad Twilio signature")
        return _answer(403, "")
    message_id = (params.get("MessageSid") or params.get("SmsSid") or [""])[0]
    if not message_id:
        return _answer(400, "")
    handle_once.config.register_lambda_context(context)
    result = handle_once({"sender": params.get("From", [""])[0], "text": params.get("Body", [""])[0],
                          "message_id": message_id})
    logger.info("inbound sms", extra={"message_id": message_id, "outcome": result["outcome"]})
    return _answer(200)
