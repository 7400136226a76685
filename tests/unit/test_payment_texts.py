"""Prepayment messages: the deadline in words (Polish genitive, local time; "dziś do 11:25" in an
SMS), the amount, what identifies them as the clinic's own (full name, visit, code), and their
length with the longest values."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from odwolaj.language.gsm import is_gsm7, segments
from odwolaj.language.texts import DEFAULTS, MessageContext, render, render_email
from tests.unit.test_texts import LONGEST

# The longest deadline in words: Wednesday (śr) in October, a week after the message is sent.
LONGEST_PAYMENT = replace(LONGEST, link="https://odw.pl/p/" + "A" * 18, amount=1_234_567,
                          starts_at=datetime(2026, 10, 29, 9, 30, tzinfo=timezone.utc),
                          sent_at=datetime(2026, 10, 21, 9, 0, tzinfo=timezone.utc),
                          deadline=datetime(2026, 10, 28, 18, 59, tzinfo=timezone.utc),
                          until=datetime(2027, 10, 31, 21, 0, tzinfo=timezone.utc))
MONEY = sorted(kind for kind in DEFAULTS if kind.startswith("payment_"))


def test_the_deadline_is_said_in_words_in_local_time():
    winter = MessageContext("X", LONGEST.starts_at, deadline=datetime(2026, 11, 25, 19, 0, tzinfo=timezone.utc))
    summer = MessageContext("X", LONGEST.starts_at, deadline=datetime(2026, 6, 1, 18, 0, tzinfo=timezone.utc))
    assert winter.deadline_words() == "do środy 25 listopada, godz. 20:00"
    assert summer.deadline_words() == "do poniedziałku 1 czerwca, godz. 20:00"


@pytest.mark.parametrize("sent, words", [
    (datetime(2026, 11, 30, 10, 15, tzinfo=timezone.utc), "dziś do 11:25"),
    (datetime(2026, 11, 29, 22, 0, tzinfo=timezone.utc), "jutro do 11:25"),  # 23:00 in Warsaw, the day before
    (datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc), "do poniedziałku 30 listopada, godz. 11:25"),
])
def test_an_sms_says_a_near_deadline_as_today_or_tomorrow_at_a_clock_time(sent, words):
    context = MessageContext("X", LONGEST.starts_at, sent_at=sent, deadline=datetime(2026, 11, 30, 10, 25,
                                                                                      tzinfo=timezone.utc))
    assert context.deadline_words(relative=True) == words
    assert f" {words}" in render("payment_link", context, keep_diacritics=True)


@pytest.mark.parametrize("grosze, words", [(15000, "150 zł"), (15050, "150,50 zł"), (5, "0,05 zł")])
def test_the_amount_is_in_zloty(grosze, words):
    assert MessageContext("X", LONGEST.starts_at, amount=grosze).amount_words() == words


@pytest.mark.parametrize("kind", MONEY + ["blacklisted", "blacklisted_no_shows"])
def test_payment_messages_fit_two_segments_with_the_longest_values(kind):
    text = render(kind, LONGEST_PAYMENT)
    assert is_gsm7(text) and segments(text) <= 2, (len(text), text)


@pytest.mark.parametrize("kind", MONEY)
def test_a_message_about_money_names_the_clinic_in_full_the_visit_and_its_code(kind):
    """So it cannot pass for a "dopłata" phishing SMS: a short sender, a link and a demand."""
    text = render(kind, LONGEST_PAYMENT, keep_diacritics=True)
    assert text.startswith(LONGEST_PAYMENT.facility_name + ": ")
    assert "czw 29.10 o 10:30" in text and f"kod {LONGEST_PAYMENT.code}" in text
    if "$amount" in DEFAULTS[kind]:
        assert "12345,67 zł" in text


def test_the_payment_link_message_carries_link_amount_and_deadline():
    text = render("payment_link", LONGEST_PAYMENT, keep_diacritics=True)
    assert LONGEST_PAYMENT.link in text and "12345,67 zł" in text
    assert "do środy 28 października, godz. 19:59" in text and "Bez wpłaty wizyta zostanie odwołana." in text


def test_a_slot_held_for_payment_says_until_when_and_what_happens_without_it():
    context = replace(LONGEST_PAYMENT, sent_at=datetime(2026, 10, 28, 18, 49, tzinfo=timezone.utc))
    text = render("payment_claim", context, keep_diacritics=True)
    assert "trzymamy dla Ciebie termin" in text and "dziś do 19:59" in text
    assert "Bez wpłaty zostajesz na liście na swoim miejscu." in text


def test_a_transfer_still_under_way_after_the_deadline_is_told_both_outcomes():
    text = render("payment_expired_transfer", LONGEST_PAYMENT, keep_diacritics=True)
    assert "przywrócimy wizytę, jeśli termin będzie wolny" in text and "zwrócimy całą kwotę" in text
    assert "Nic nie" not in text


def test_the_blacklist_messages_say_until_which_day_in_local_time():
    # 23:30 UTC on 30 November is already 1 December in Warsaw.
    context = MessageContext("X", LONGEST.starts_at, until=datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc))
    assert context.until_words() == "1 grudnia 2026"
    assert "do 1 grudnia 2026" in render("blacklisted", context, keep_diacritics=True)


def test_the_payment_email_names_the_clinics_phone_only_when_it_has_one():
    at = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    with_phone = MessageContext(facility="Zdrowie", facility_name="Przychodnia Zdrowie", starts_at=at,
                                phone="+48 22 123 45 67", amount=15000, deadline=at, link="https://odw.pl/p/x")
    without = replace(with_phone, phone="")

    assert "Pytania: Przychodnia Zdrowie, tel. +48 22 123 45 67\n" in render_email("payment_link", with_phone)[1]
    assert "Pytania: Przychodnia Zdrowie\n" in render_email("payment_link", without)[1]
    assert "tel." not in render_email("payment_optional", without)[1]


def test_the_receipt_email_thanks_with_the_amount_and_the_link_to_the_visit():
    subject, body = render_email("payment_received", replace(LONGEST_PAYMENT, link="https://odw.pl/c/x"))
    assert subject.startswith("Potwierdzenie wpłaty za wizytę: czwartek, 29 października, godz. 10:30")
    assert "otrzymaliśmy Twoją wpłatę 12345,67 zł" in body and "https://odw.pl/c/x" in body
