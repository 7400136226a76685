"""How the visit page writes dates and phone numbers for a Polish patient."""
from datetime import datetime, timezone

import pytest

from odwolaj.language.polish import tel_href, visit_time


@pytest.mark.parametrize("utc, expected", [
    (datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc), "wtorek, 1 grudnia 2026, godz. 10:30"),  # CET, +1
    (datetime(2026, 7, 5, 6, 5, tzinfo=timezone.utc), "niedziela, 5 lipca 2026, godz. 08:05"),  # CEST, +2
    (datetime(2026, 3, 28, 23, 15, tzinfo=timezone.utc), "niedziela, 29 marca 2026, godz. 00:15"),  # next day
])
def test_visit_time_is_in_warsaw_time_in_polish_words(utc, expected):
    assert visit_time(utc) == expected


@pytest.mark.parametrize("shown, href", [
    ("+48 22 123 45 67", "tel:+48221234567"),
    ("22 123-45-67", "tel:221234567"),
    ("(22) 123 45 67 wew. 12", "tel:221234567"),
])
def test_a_phone_number_becomes_a_tappable_link(shown, href):
    assert tel_href(shown) == href
