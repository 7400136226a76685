"""Outbound SMS providers behind one small interface; the provider is a deployment parameter."""
from __future__ import annotations

import os
from functools import lru_cache
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutboundSms:
    to: str  # E.164
    text: str
    sender: str | None  # a two-way number or an alphanumeric sender id
    ref: str  # our idempotency key (the outbox id): providers that support one get it


class SmsGateway(Protocol):
    def send(self, message: OutboundSms) -> str:
        """Send; return the provider's message id. Raise ProviderError when it refused."""


class ProviderError(Exception):
    """The provider did not take the message; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class EndUserMessagingGateway:
    """AWS End User Messaging SMS (pinpoint-sms-voice-v2)."""

    def __init__(self, client=None, configuration_set: str | None = None):
        self._client = client
        self.configuration_set = configuration_set

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("pinpoint-sms-voice-v2")
        return self._client

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

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("sns")
        return self._client

    def send(self, message: OutboundSms) -> str:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if message.sender:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": message.sender}
        response = self.client.publish(PhoneNumber=message.to, Message=message.text, MessageAttributes=attributes)
        return response["MessageId"]


@lru_cache(maxsize=1)  # one provider client per warm container
def gateway_from_env() -> SmsGateway:
    provider = os.environ.get("SMS_PROVIDER", "sns")
    if provider == "aws":
        return EndUserMessagingGateway(configuration_set=os.environ.get("SMS_CONFIGURATION_SET") or None)
    if provider == "sns":
        return SnsGateway()
    raise RuntimeError(f"SMS_PROVIDER={provider!r} is not supported (aws, sns)")
