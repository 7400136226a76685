"""Outbound SMS providers behind one small interface; the provider is a deployment parameter."""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlencode

from odwolaj.adapters import aws
from odwolaj.adapters.parameters import secret
from odwolaj.core.config import settings


@dataclass(frozen=True)
class OutboundSms:
    to: str  # E.164
    text: str
    sender: str | None  # a two-way number or an alphanumeric sender id
    ref: str  # our idempotency key (the outbox id): providers that support one get it


class SmsGateway(Protocol):
    name: str  # recorded with each delivery, so a report can be matched to its provider

    def send(self, message: OutboundSms) -> str:
        """Send; return the provider's message id. Raise ProviderError when it refused."""


class ProviderError(Exception):
    """The provider did not take the message; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class EndUserMessagingGateway:
    """AWS End User Messaging SMS (pinpoint-sms-voice-v2)."""

    name = "aws"

    def __init__(self, client=None, configuration_set: str | None = None):
        self._client = client
        self.configuration_set = configuration_set

    @property
    def client(self):
        return self._client or aws.client("pinpoint-sms-voice-v2")

    def send(self, message: OutboundSms) -> str:
        from botocore.exceptions import ClientError

        request = {
            "DestinationPhoneNumber": message.to,
            "MessageBody": message.text,
            "MessageType": "TRANSACTIONAL",
            "Context": {"ref": message.ref},  # comes back in delivery reports
        }
        if message.sender:
            request["OriginationIdentity"] = message.sender
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            return self.client.send_text_message(**request)["MessageId"]
        except ClientError as error:
            code = error.response["Error"]["Code"]
            raise ProviderError(code, retryable=code in _RETRYABLE_AWS_ERRORS) from None


_RETRYABLE_AWS_ERRORS = {"ThrottlingException", "InternalServerException", "ServiceQuotaExceededException"}


class SnsGateway:
    """Amazon SNS direct publish to a phone number. The local runner uses it: moto records each
    message, and the local phone view shows them."""

    name = "sns"

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        return self._client or aws.client("sns")

    def send(self, message: OutboundSms) -> str:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if message.sender:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": message.sender}
        response = self.client.publish(PhoneNumber=message.to, Message=message.text, MessageAttributes=attributes)
        return response["MessageId"]


def _post_form(url: str, form: dict[str, str], headers: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
    """POST a form over HTTPS with the standard library (no HTTP client package in the layer)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST",
                                     headers={"content-type": "application/x-www-form-urlencoded", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:  # connection refused, timeout, TLS
        raise ProviderError(type(error).__name__, retryable=True) from None


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class TwilioGateway:
    """Twilio Programmable Messaging (Messages resource)."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, status_callback: str | None = None,
                 base_url: str = "https://api.twilio.com"):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.status_callback, self.base_url = status_callback, base_url.rstrip("/")

    def send(self, message: OutboundSms) -> str:
        form = {"To": message.to, "Body": message.text}
        if message.sender and message.sender.startswith("MG"):
            form["MessagingServiceSid"] = message.sender
        elif message.sender:
            form["From"] = message.sender
        if self.status_callback:
            form["StatusCallback"] = self.status_callback  # delivery reports: /webhooks/twilio/status
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        status, body = _post_form(f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json", form,
                                  {"authorization": f"Basic {credentials}"})
        if status not in (200, 201):
            raise ProviderError(f"twilio {status}", retryable=_retryable_status(status))
        return json.loads(body)["sid"]


class SmsApiGateway:
    """SMSAPI.pl. `idx` with `check_idx` makes SMSAPI itself refuse a second message with the same
    reference: a second line of defence against sending twice."""

    name = "smsapi"

    def __init__(self, token: str, *, base_url: str = "https://api.smsapi.pl"):
        self.token, self.base_url = token, base_url.rstrip("/")

    def send(self, message: OutboundSms) -> str:
        form = {"to": message.to.lstrip("+"), "message": message.text, "format": "json", "encoding": "utf-8",
                "idx": message.ref[:255], "check_idx": "1"}
        if message.sender:
            form["from"] = message.sender
        status, body = _post_form(f"{self.base_url}/sms.do", form, {"authorization": f"Bearer {self.token}"})
        if status != 200:
            raise ProviderError(f"smsapi {status}", retryable=_retryable_status(status))
        answer = json.loads(body)
        if "error" in answer:
            # 8: service error, 201/202: system errors on their side; the rest are about the request.
            raise ProviderError(f"smsapi error {answer['error']}", retryable=answer["error"] in (8, 201, 202))
        return str(answer["list"][0]["id"])


@lru_cache(maxsize=1)  # one provider client per warm container
def gateway_from_env() -> SmsGateway:
    provider = os.environ.get("SMS_PROVIDER", "sns")
    if provider == "aws":
        return EndUserMessagingGateway(configuration_set=os.environ.get("SMS_CONFIGURATION_SET") or None)
    if provider == "sns":
        return SnsGateway()
    if provider == "twilio":
        return TwilioGateway(os.environ["TWILIO_ACCOUNT_SID"], secret(os.environ["TWILIO_AUTH_TOKEN_PARAM"]),
                             status_callback=f"{settings().public_base_url}/webhooks/twilio/status")
    if provider == "smsapi":
        return SmsApiGateway(secret(os.environ["SMSAPI_TOKEN_PARAM"]))
    raise RuntimeError(f"SMS_PROVIDER={provider!r} is not supported (aws, sns, twilio, smsapi)")
