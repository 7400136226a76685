"""POST /webhooks/smsapi/sms: an inbound SMS from SMSAPI.pl. SMSAPI does not sign callbacks, so
the callback URL carries a secret key (checked first, failing closed); each message is handled
once per its MsgId. SMSAPI expects the body "OK"."""
import base64
import hmac
import os
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2, event_source

from odwolaj.idempotency import Once
from odwolaj.inbound import handle_payload
from odwolaj.signing import secret

logger = Logger()
handle_once = Once(handle_payload, key="message_id")


def _answer(status: int, body: str) -> dict:
    return {"statusCode": status, "headers": {"content-type": "text/plain"}, "body": body}


@logger.inject_lambda_context
@event_source(data_class=APIGatewayProxyEventV2)
def lambda_handler(event: APIGatewayProxyEventV2, context):
    expected = secret(os.environ["SMSAPI_CALLBACK_KEY_PARAM"])
    if len(expected) < 16:
        raise RuntimeError("the SMSAPI callback key is missing or too short")  # fail closed
    given = (event.query_string_parameters or {}).get("key", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning("rejected: bad SMSAPI callback key")
        return _answer(403, "")
    body = event.body or ""
    if event.is_base64_encoded:
        body = base64.b64decode(body).decode("utf-8")
    form = {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}
    if not form.get("MsgId") or not form.get("sms_from"):
        return _answer(400, "missing MsgId or sms_from")
    handle_once.config.register_lambda_context(context)
    # SMSAPI writes numbers without the plus ("48600100200").
    sender = "+" + form["sms_from"] if form["sms_from"].isdigit() and len(form["sms_from"]) > 9 else form["sms_from"]
    result = handle_once({"sender": sender, "text": form.get("sms_text", ""), "message_id": form["MsgId"]})
    logger.info("inbound sms", extra={"message_id": form["MsgId"], "outcome": result["outcome"]})
    return _answer(200, "OK")
