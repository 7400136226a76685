"""What a call to a message provider (an SMS gateway, SES) can end in, told apart by whether the
message may have gone out, since that decides whether trying again could send it twice:

- ProviderError, retryable or not: the provider answered and did not take it, or the request never
  reached it (connection refused, connect timeout). Nothing went out; trying again is safe.
- OutcomeUnknown: the request was sent and the answer lost (read timeout, connection reset). The
  provider may have taken it.
- AlreadyAccepted: the provider says it took a message with our reference before (SMSAPI's idx).

Calls are bounded: CONNECT_SECONDS and READ_SECONDS each, and botocore does not retry on its own
(it would resend after a lost answer); odwolaj.messaging.sending decides what to try again.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

CONNECT_SECONDS = 3.0
READ_SECONDS = 5.0
CALL_SECONDS = CONNECT_SECONDS + READ_SECONDS  # the longest one provider call can take


class ProviderError(Exception):
    """The provider did not take the message; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class OutcomeUnknown(ProviderError):
    """The request went out and its answer was lost: the provider may have taken the message."""

    def __init__(self, message: str):
        super().__init__(message, retryable=True)


class AlreadyAccepted(ProviderError):
    """The provider took a message with this reference before (it deduplicates by our reference)."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


# Answers from an AWS service that mean "not now" (nothing was taken), as opposed to "never".
RETRYABLE_AWS_ERRORS = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                                  "InternalServerException", "InternalFailure", "ServiceUnavailable",
                                  "ServiceQuotaExceededException", "RequestTimeout"})


def from_botocore(error: Exception) -> ProviderError:
    """The ProviderError for an exception a botocore call raised."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ProxyConnectionError,
    )

    if isinstance(error, ClientError):  # the service answered: it did not take it
        code = str(error.response.get("Error", {}).get("Code", "ClientError"))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return ProviderError(code, retryable=code in RETRYABLE_AWS_ERRORS or status >= 500)
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError)):
        return ProviderError(type(error).__name__, retryable=True)  # never connected: nothing was sent
    return OutcomeUnknown(type(error).__name__)  # read timeout, connection closed: sent, answer lost


@lru_cache(maxsize=None)
def sending_client(service: str) -> Any:
    """A boto3 client for sending messages: bounded calls, no retries of its own."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS,
                                               retries={"total_max_attempts": 1, "mode": "standard"}))
