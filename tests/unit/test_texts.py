"""Default message texts: plain Polish, one segment for the reminder, at most two for the rest."""
from datetime import datetime, timezone

import pytest

from odwolaj.language.gsm import is_gsm7, segments
from odwolaj.language.texts import DEFAULTS, EMAILS, MessageContext, render, render_email

LONGEST = MessageContext(
    facility="Przychodnia Zdrowie Plus1",  # 25 characters: the longest short name allowed
    starts_at=datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc),
    link="https://odw.pl/c/" + "A" * 18,
    service="Poradnia kardiologiczna dla dorosłych",
    phone="+48 22 123 45 67",
    code="K7M2-QX9A",
)


def test_the_facility_name_used_here_is_25_characters():
    assert len(LONGEST.facility) == 25


@pytest.mark.parametrize("kind", ["reminder_two_way", "reminder_one_way"])
def test_reminders_fit_one_segment_with_the_link(kind):
    text = render(kind, LONGEST)
    assert is_gsm7(text) and segments(text) == 1, (len(text), text)
    assert LONGEST.link in text


def test_the_booking_message_and_every_visit_email_carry_the_visit_code():
    assert "Kod wizyty: K7M2-QX9A." in render("booked", LONGEST)
    for kind in EMAILS:
        assert "Kod wizyty: K7M2-QX9A" in render_email(kind, LONGEST)[1], kind


@pytest.mark.parametrize("kind", ["help", "question", "clarify"])
def test_every_answer_to_a_reply_asks_tak_or_nie_about_one_visit(kind):
    text = render(kind, LONGEST)
    assert "TAK" in text and "NIE" in text and "sr 02.12 o 10:30" in text
    assert kind != "help" or (LONGEST.link in text and LONGEST.phone in text)


def test_two_way_reminder_asks_for_tak_or_nie_and_one_way_does_not():
    assert "TAK" in render("reminder_two_way", LONGEST) and "NIE" in render("reminder_two_way", LONGEST)
    assert "TAK" not in render("reminder_one_way", LONGEST)


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_every_default_fits_two_segments(kind):
    assert segments(render(kind, LONGEST)) <= 2


def test_time_is_local_to_the_visit_and_dst_safe():
    winter = MessageContext("X", datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc))
    summer = MessageContext("X", datetime(2026, 7, 2, 9, 30, tzinfo=timezone.utc))
    assert winter.when() == "śr 02.12 o 10:30"
    assert summer.when() == "czw 02.07 o 11:30"


def test_a_facility_override_replaces_the_default_and_keeps_diacritics_on_request():
    text = render("cancelled", LONGEST, overrides={"cancelled": "$facility: odwołano $when."},
                  keep_diacritics=True)
    assert text == "Przychodnia Zdrowie Plus1: odwołano śr 02.12 o 10:30."
