"""Prepayment messages: the deadline in words (Polish genitive, local time), the amount, and their
length with the longest values."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from odwolaj.language.gsm import is_gsm7, segments
from odwolaj.language.texts import MessageContext, render, render_email
from tests.unit.test_texts import LONGEST

# The longest deadline in words: Wednesday (śr) in October.
LONGEST_PAYMENT = replace(LONGEST, link="https://odw.pl/p/" + "A" * 18, amount=1_234_567,
                          deadline=datetime(2026, 10, 28, 18, 59, tzinfo=timezone.utc),
                          until=datetime(2027, 10, 31, 21, 0, tzinfo=timezone.utc))


def test_the_deadline_is_said_in_words_in_local_time():
    winter = MessageContext("X", LONGEST.starts_at, deadline=datetime(2026, 11, 25, 19, 0, tzinfo=timezone.utc))
    summer = MessageContext("X", LONGEST.starts_at, deadline=datetime(2026, 6, 1, 18, 0, tzinfo=timezone.utc))
    assert winter.deadline_words() == "do środy 25 listopada, godz. 20:00"
    assert summer.deadline_words() == "do poniedziałku 1 czerwca, godz. 20:00"


@pytest.mark.parametrize("grosze, words", [(15000, "150 zł"), (15050, "150,50 zł"), (5, "0,05 zł")])
def test_the_amount_is_in_zloty(grosze, words):
    assert MessageContext("X", LONGEST.starts_at, amount=grosze).amount_words() == words


@pytest.mark.parametrize("kind", ["payment_link", "payment_optional", "payment_expired", "blacklisted",
                                  "blacklisted_no_shows"])
def test_payment_messages_fit_two_segments_with_the_longest_values(kind):
    text = render(kind, LONGEST_PAYMENT)
    assert is_gsm7(text) and segments(text) <= 2, (len(text), text)


def test_the_payment_link_message_carries_link_amount_and_deadline():
    text = render("payment_link", LONGEST_PAYMENT, keep_diacritics=True)
    assert LONGEST_PAYMENT.link in text and "12345,67 zł" in text
    assert "do środy 28 października, godz. 19:59" in text


def test_the_blacklist_messages_say_until_which_day_in_local_time():
    # 23:30 UTC on 30 November is already 1 December in Warsaw.
    context = MessageContext("X", LONGEST.starts_at, until=datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc))
    assert context.until_words() == "1 grudnia 2026"
    assert "do 1 grudnia 2026" in render("blacklisted", context, keep_diacritics=True)


def test_the_payment_email_names_the_clinics_phone_only_when_it_has_one():
    at = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    with_phone = MessageContext(facility="Przychodnia Zdrowie", starts_at=at, phone="+48 22 123 45 67", amount=15000,
                                deadline=at, link="https://odw.pl/p/x")
    without = replace(with_phone, phone="")

    assert "Pytania: Przychodnia Zdrowie, tel. +48 22 123 45 67\n" in render_email("payment_link", with_phone)[1]
    assert "Pytania: Przychodnia Zdrowie\n" in render_email("payment_link", without)[1]
    assert "tel." not in render_email("payment_optional", without)[1]
