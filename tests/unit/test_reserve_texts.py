"""Reserve-list messages: the offer says what taking the slot costs when it must be prepaid, and
their length with the longest values."""
from dataclasses import replace

import pytest

from odwolaj.language.gsm import is_gsm7, segments
from odwolaj.language.texts import DEFAULTS, render
from tests.unit.test_texts import LONGEST

LONGEST_RESERVE = replace(LONGEST, link="https://odw.pl/o/" + "A" * 18, position=1234,
                          forecast="tydzień od 15 września 2027", amount=1_234_567)
RESERVE = sorted(kind for kind in DEFAULTS if kind.startswith(("offer", "waitlist", "planned", "exact")))


@pytest.mark.parametrize("kind", RESERVE)
def test_reserve_messages_fit_two_segments_with_the_longest_values(kind):
    text = render(kind, LONGEST_RESERVE)
    assert is_gsm7(text) and segments(text) <= 2, (len(text), text)


@pytest.mark.parametrize("kind", ["offer_two_way", "offer_one_way"])
def test_an_offer_that_must_be_prepaid_says_how_much_and_the_plain_one_says_nothing(kind):
    assert "Przedpłata: 12345,67 zł." in render(f"{kind}_prepaid", LONGEST_RESERVE, keep_diacritics=True)
    assert "zł" not in render(kind, LONGEST_RESERVE, keep_diacritics=True)
