"""The Stripe adapter: the official SDK's `StripeClient`, nothing hand-rolled.

The SDK is imported on first use only: it is large (and imports aiohttp/httpx eagerly when they are
installed), and only the payment paths need it. The secret key comes from the parameter store.
`STRIPE_API_BASE` points the SDK at another address (the local stand-in, tests); it is unset on
AWS, where the SDK's default (https://api.stripe.com) applies.
"""
from __future__ import annotations

import os
from functools import lru_cache

from odwolaj.adapters.parameters import stripe_secret_key
from odwolaj.core.errors import Conflict, PaymentUnavailable

NETWORK_RETRIES = 2  # the SDK retries with the same idempotency key, so a retry never doubles


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str | None):
    import stripe

    return stripe.StripeClient(api_key, base_addresses={"api": api_base} if api_base else None,
                               max_network_retries=NETWORK_RETRIES)


def client():
    key = stripe_secret_key()
    if not key:
        raise PaymentUnavailable("the Stripe secret key parameter is empty")
    return _client(key, os.environ.get("STRIPE_API_BASE") or None)


def _call(operation):
    import stripe

    try:
        return operation(client().v1)
    except stripe.IdempotencyError:
        # The key was used with other parameters: a racing request of ours got there first.
        raise Conflict("another request opened this payment attempt") from None
    except stripe.StripeError as error:
        raise PaymentUnavailable(f"Stripe refused the request: {type(error).__name__}") from error


def create_checkout_session(params: dict, *, idempotency_key: str):
    return _call(lambda v1: v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key}))


def retrieve_checkout_session(session_id: str):
    return _call(lambda v1: v1.checkout.sessions.retrieve(session_id))


def expire_checkout_session(session_id: str) -> bool:
    """Expire a session that is still open; False when it is not open any more (paid, waiting
    for the bank, or already expired), which Stripe answers with an invalid-request error."""
    import stripe

    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError:
        return False
    except stripe.StripeError as error:
        raise PaymentUnavailable(f"Stripe refused the request: {type(error).__name__}") from error
    return True


def refund(payment_intent: str, *, idempotency_key: str, metadata: dict[str, str]):
    return _call(lambda v1: v1.refunds.create({"payment_intent": payment_intent, "metadata": metadata},
                                              {"idempotency_key": idempotency_key}))
