"""The local Stripe stand-in refuses what Stripe refuses for the calls we make, so a test against
it can fail: the SDK's own requests, on loopback."""
import time

import pytest
import stripe


@pytest.fixture
def client(stripe_fake, aws):
    return stripe.StripeClient(aws.stripe_secret_key, base_addresses={"api": stripe_fake.base_url},
                               max_network_retries=0)


def params(**changes) -> dict:
    return {"mode": "payment", "payment_method_types": ["card", "blik", "p24"],
            "line_items": [{"quantity": 1, "price_data": {"currency": "pln", "unit_amount": 5000,
                                                           "product_data": {"name": "Wizyta"}}}],
            "expires_at": int(time.time()) + 3600, **changes}


@pytest.mark.parametrize("expires_in", [29 * 60, 25 * 3600])
def test_an_expiry_outside_30_minutes_to_24_hours_is_refused(client, expires_in):
    with pytest.raises(stripe.InvalidRequestError, match="expires_at"):
        client.v1.checkout.sessions.create(params(expires_at=int(time.time()) + expires_in))


def test_blik_and_p24_need_pln(client):
    bad = params()
    bad["line_items"][0]["price_data"]["currency"] = "eur"
    with pytest.raises(stripe.InvalidRequestError, match="pln"):
        client.v1.checkout.sessions.create(bad)


def test_an_idempotency_key_answers_the_same_session_and_refuses_other_parameters(client, stripe_fake):
    first = client.v1.checkout.sessions.create(params(), {"idempotency_key": "k-1"})
    again = client.v1.checkout.sessions.create(params(expires_at=first.expires_at), {"idempotency_key": "k-1"})

    assert again.id == first.id and len(stripe_fake.sessions) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params(expires_at=first.expires_at + 60), {"idempotency_key": "k-1"})


def test_only_an_open_session_can_be_expired_and_a_payment_refunded_once(client, stripe_fake):
    session = client.v1.checkout.sessions.create(params())
    stripe_fake.pay(session.id)

    with pytest.raises(stripe.InvalidRequestError, match="open"):
        client.v1.checkout.sessions.expire(session.id)
    intent = stripe_fake.sessions[session.id]["payment_intent"]
    assert client.v1.refunds.create({"payment_intent": intent}).status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError, match="already been refunded"):
        client.v1.refunds.create({"payment_intent": intent})


def test_a_wrong_key_is_refused(stripe_fake):
    other = stripe.StripeClient("sk_live_wrong", base_addresses={"api": stripe_fake.base_url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        other.v1.checkout.sessions.retrieve("cs_x")
