"""The payment link (/p/{token}): the official SDK against the local Stripe stand-in, which checks
and records every request it sends (amount, currency, methods, expiry, metadata, idempotency key)."""
from datetime import timedelta
from threading import Thread

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import now, parse_iso
from odwolaj.data.models import Appointment, OutboxItem, Payment
from odwolaj.payments import checkout
from odwolaj.security.links import link_signer

SESSIONS = "/v1/checkout/sessions"


def pay_path(appointment) -> str:
    return f"/p/{link_signer().issue('p', appointment.appointment_id)}"


def open_link(http, appointment, query: str = "") -> dict:
    return http("GET", pay_path(appointment), query=query)


def creates(fake) -> list:
    return fake.requests_to("POST", SESSIONS)


def test_the_link_opens_a_checkout_session_in_pln_until_the_deadline_and_redirects_to_it(
        http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment(amount=12_350, deadline_hours=20)

    answer = open_link(http, appointment)

    assert answer["statusCode"] == 303
    [request] = creates(stripe_fake)
    session = stripe_fake.sessions[answer["headers"]["Location"].rsplit("/", 1)[1]]
    params = request.params
    assert params["line_items"] == [{"quantity": "1", "price_data": {
        "currency": "pln", "unit_amount": "12350",
        "product_data": {"name": "Opłata za wizytę: Poradnia kardiologiczna"}}}]
    assert params["payment_method_types"] == ["card", "blik", "p24"]
    assert int(params["expires_at"]) == int(parse_iso(appointment.payment_deadline).timestamp())
    assert params["metadata"] == params["payment_intent_data"]["metadata"] == {
        "appointment_id": appointment.appointment_id, "facility_id": appointment.facility_id,
        "external_id": "HIS-1", "attempt": "1"}
    assert params["client_reference_id"] == appointment.appointment_id
    assert params["success_url"].endswith(f"{pay_path(appointment)}?s=ok")
    assert request.idempotency_key == f"odwolaj-checkout-{appointment.appointment_id}-1"
    assert request.headers["authorization"].startswith("Bearer sk_test_")
    assert session["status"] == "open" and session["amount_total"] == 12_350
    assert "+48" not in str(params) and "600100200" not in str(params)  # no contact data goes to Stripe
    stored = Payment.get(appointment.appointment_id)
    assert (stored.status, stored.attempt, stored.session_id) == ("pending", 1, session["id"])


def test_opening_the_link_again_reuses_the_open_session(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    first = open_link(http, appointment)["headers"]["Location"]

    second = open_link(http, appointment)["headers"]["Location"]

    assert first == second and len(creates(stripe_fake)) == 1


def test_concurrent_first_clicks_make_one_payable_session(http, stripe_fake, awaiting_payment):
    """Given two requests racing for the first session, both patients' tabs get the same one."""
    appointment = awaiting_payment()
    locations = []
    threads = [Thread(target=lambda: locations.append(open_link(http, appointment)["headers"]["Location"]))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(locations)) == 1
    assert [s["status"] for s in stripe_fake.sessions.values()].count("open") == 1


def test_a_deadline_beyond_stripes_24_hours_gets_a_24_hour_session_and_the_next_one_after_it(
        http, stripe_fake, awaiting_payment, clock):
    appointment = awaiting_payment(deadline_hours=60, days=5)
    open_link(http, appointment)
    first = creates(stripe_fake)[0]
    created = now()
    assert timedelta(hours=23) < timedelta(seconds=int(first.params["expires_at"]) - created.timestamp()) \
        <= timedelta(hours=24)

    clock(hours=24)  # that session is over (Stripe would send checkout.session.expired)
    open_link(http, appointment)

    second = creates(stripe_fake)[1]
    assert second.idempotency_key.endswith("-2") and second.params["metadata"]["attempt"] == "2"


def test_a_deadline_sooner_than_30_minutes_gets_stripes_shortest_session(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment(deadline_hours=0.25)

    assert open_link(http, appointment)["statusCode"] == 303
    expires = int(creates(stripe_fake)[0].params["expires_at"])
    assert 30 * 60 < expires - now().timestamp() <= 35 * 60  # the app enforces the deadline itself


def test_session_expiry_always_fits_stripes_window():
    start = now()
    for minutes in (-60, 0, 10, 29, 31, 45, 600, 23 * 60, 24 * 60, 30 * 24 * 60):
        deadline = start + timedelta(minutes=minutes)
        expires = checkout.session_expiry(deadline, start)
        assert start + timedelta(minutes=30) < expires < start + timedelta(hours=24), minutes
        if timedelta(minutes=33) <= deadline - start <= timedelta(hours=23, minutes=40):
            assert expires == deadline


def test_returning_from_stripe_shows_a_polish_page_and_calls_stripe_no_more(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    open_link(http, appointment)

    back = open_link(http, appointment, query="s=back")
    done = open_link(http, appointment, query="s=ok")

    assert back["statusCode"] == 200 and "Płatność nie została dokończona" in back["body"]
    assert f'href="{pay_path(appointment)}"' in back["body"] and "Zapłać <strong>" in back["body"]
    assert done["statusCode"] == 200 and "Sprawdzamy płatność" in done["body"]
    assert "przyjęta" not in done["body"] and "Stripe" not in done["body"] + back["body"]
    assert len(stripe_fake.requests) == 1


def test_paid_cancelled_expired_and_unknown_links_get_a_page_and_change_nothing(
        http, stripe_fake, awaiting_payment, clock):
    paid = awaiting_payment(external_id="PAID")
    Payment(**checkout.record_for(paid, now()).attribute_values).save()
    Payment(paid.appointment_id).update(actions=[Payment.status.set("paid")])
    cancelled = awaiting_payment(external_id="CANCELLED")
    appointments.cancel(cancelled, channel="web")
    late = awaiting_payment(external_id="LATE", deadline_hours=1)
    free = awaiting_payment(external_id="FREE", mode="optional", status="booked", amount=0)
    clock(hours=2)
    outbox_before = OutboxItem.count()

    answers = {name: open_link(http, item) for name, item in
               (("paid", paid), ("cancelled", cancelled), ("late", late), ("free", free))}
    unknown = http("GET", "/p/AAAAAAAAAAAAAAAAAA")
    wrong_purpose = http("GET", f"/p/{link_signer().issue('c', paid.appointment_id)}")

    assert (answers["paid"]["statusCode"], answers["cancelled"]["statusCode"], answers["late"]["statusCode"],
            answers["free"]["statusCode"]) == (200, 409, 410, 200)
    assert "już opłacona" in answers["paid"]["body"]
    assert "odwołana" in answers["cancelled"]["body"]
    assert "Termin płatności minął" in answers["late"]["body"]
    assert "nie wymaga opłaty" in answers["free"]["body"]
    assert unknown["statusCode"] == wrong_purpose["statusCode"] == 404
    assert stripe_fake.requests == [] and OutboxItem.count() == outbox_before
    assert Appointment.get(late.appointment_id).status == "awaiting_payment"  # the sweep decides, not the link


def test_an_optional_payment_of_a_booked_visit_can_be_paid(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment(mode="optional", status="booked", amount=3000)

    assert open_link(http, appointment)["statusCode"] == 303
    assert creates(stripe_fake)[0].params["line_items"][0]["price_data"]["unit_amount"] == "3000"


def test_stripe_unreachable_gives_a_try_again_page_and_records_no_session(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    stripe_fake.stop()

    answer = open_link(http, appointment)

    assert answer["statusCode"] == 503 and "chwilowo nie działają" in answer["body"]
    assert Payment.get(appointment.appointment_id).session_id is None


def test_expire_open_session_expires_it_at_stripe_and_marks_the_payment_expired(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    session_id = open_link(http, appointment)["headers"]["Location"].rsplit("/", 1)[1]

    assert checkout.expire_open_session(appointment.appointment_id) is True

    assert stripe_fake.sessions[session_id]["status"] == "expired"
    assert stripe_fake.requests_to("POST", f"{SESSIONS}/{session_id}/expire")
    assert Payment.get(appointment.appointment_id).status == "expired"
    assert checkout.expire_open_session(appointment.appointment_id) is False  # again: nothing to do


def test_expire_open_session_is_a_no_op_without_a_payment_or_a_session(stripe_fake, awaiting_payment, book):
    never_opened = awaiting_payment()
    no_payment = book(external_id="PLAIN")

    assert checkout.expire_open_session(never_opened.appointment_id) is False
    assert checkout.expire_open_session(no_payment.appointment_id) is False
    assert stripe_fake.requests == []


def test_expire_open_session_leaves_a_paid_payment_alone(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    open_link(http, appointment)
    Payment(appointment.appointment_id).update(actions=[Payment.status.set("paid")])

    assert checkout.expire_open_session(appointment.appointment_id) is False
    assert Payment.get(appointment.appointment_id).status == "paid" and stripe_fake.requests_to("POST", SESSIONS)
    assert not [r for r in stripe_fake.requests if r.path.endswith("/expire")]
