"""The local runner's pages for newcomers: Warsaw time everywhere, when offers go out, and the one
button that moves the clock to the next morning."""
from datetime import datetime, timedelta, timezone

import pytest

from odwolaj_local import devpages
from odwolaj_local.observe import Captured, Sms
from odwolaj_local.runner import _until_warsaw_hour
from odwolaj_local.stripe_fake import warsaw_time


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("now, morning", [
    (utc(2026, 11, 30, 5, 10), utc(2026, 11, 30, 7, 0)),  # 06:10 in Warsaw (CET): 8:00 today
    (utc(2026, 11, 30, 20, 30), utc(2026, 12, 1, 7, 0)),  # 21:30: 8:00 tomorrow
    (utc(2026, 7, 1, 3, 0), utc(2026, 7, 1, 6, 0)),  # 05:00 in summer (CEST)
    (utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 6, 0)),  # the night the clocks go forward
])
def test_the_next_morning_is_8_00_warsaw_time_whatever_the_season(now, morning):
    assert devpages.next_sending_start(now) == morning
    assert _until_warsaw_hour(now, 8) == morning - now


def test_outside_offer_hours_every_page_says_so_and_offers_the_jump():
    night = devpages.Status(utc(2026, 11, 30, 5, 10)).html()
    day = devpages.Status(utc(2026, 11, 30, 9, 0)).html()

    assert "Runner time <strong>Mon 30 Nov 06:10</strong> Warsaw" in night
    assert "now they wait for the morning" in night and "08:00–20:00 Warsaw time" in night
    assert "<input type=hidden name=to_hour value=8><button>Move the clock to Mon 30 Nov 08:00 (+1 h 50 min)" in night
    assert "Reminders and offers go out now" in day and "to_hour" not in day


def test_the_phone_view_shows_each_message_in_warsaw_time_with_its_link_clickable():
    message = Sms(1, "out", "+48500000001", "Demo: wizyta. Odwolaj: http://127.0.0.1:3000/c/abc", "m-1",
                  "2026-11-30T05:10:00+00:00", "2026-11-30T07:00:00+00:00")

    page = devpages.phone([message], devpages.Status(utc(2026, 11, 30, 5, 11)))

    assert "Mon 30 Nov 06:10<br>→ to +48500000001" in page
    assert "<a href='http://127.0.0.1:3000/c/abc'>http://127.0.0.1:3000/c/abc</a>" in page
    assert "width=device-width, initial-scale=1" in page


def test_events_are_listed_by_when_they_occurred_in_runner_time():
    event = {"detail-type": "SlotFreed", "time": "2026-11-30T05:00:00Z",
             "detail": {"occurred_at": "2026-11-30T07:00:05Z", "data": {}}}

    captured = Captured(1, "2026-11-30T07:00:06Z", "2026-11-30T07:00:06Z", event)

    page = devpages.events([captured], devpages.Status(utc(2026, 11, 30, 7, 1)))

    assert "<td>Mon 30 Nov 08:00</td><td>SlotFreed</td>" in page and "05:00" not in page.split("<h1>")[1]


def test_the_clock_page_and_the_stand_in_show_warsaw_time():
    state = {"now": "2026-11-30T05:10:00+00:00", "offset_seconds": 3600.0,
             "schedules": [{"function": "OfferTimerFunction", "expression": "rate(1 minute)",
                            "next_due": "2026-11-30T05:11:00+00:00", "fired": 3}]}

    page = devpages.clock(state, devpages.Status(utc(2026, 11, 30, 5, 10)))

    assert "Runner time: <strong>Mon 30 Nov 06:10</strong> Warsaw (05:10 UTC)" in page
    assert "<td data-label='next due'>Mon 30 Nov 06:11</td>" in page
    assert warsaw_time(utc(2026, 7, 1, 6, 0).timestamp()).startswith("01.07.2026, 08:00 (czas warszawski")


def test_the_mail_page_has_a_form_to_write_to_the_cancellation_address_only_when_there_is_one():
    status = devpages.Status(utc(2026, 11, 30, 9, 0))

    assert "action=/dev/mail/send" in devpages.mail([], status, "odwolaj@przychodnia.local")
    assert "/dev/mail/send" not in devpages.mail([], status, "")


def test_a_jump_to_an_hour_is_always_forward_and_at_most_a_day():
    now = utc(2026, 11, 30, 7, 0)  # exactly 8:00 in Warsaw: the next 8:00 is tomorrow's
    assert _until_warsaw_hour(now, 8) == timedelta(days=1)
    with pytest.raises(ValueError):
        _until_warsaw_hour(now, 24)
