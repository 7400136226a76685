"""SMS segment counting and transliteration."""
from hypothesis import given, strategies as st

from odwolaj.language.gsm import is_gsm7, segments, septets, transliterate


def test_polish_text_becomes_gsm7():
    text = transliterate("Zażółć gęślą jaźń — „Łódź” …")
    assert text == 'Zazolc gesla jazn - "Lodz" ...'
    assert is_gsm7(text)


def test_gsm7_limits():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_extension_characters_take_two_septets():
    assert septets("€[]") == 6
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2


def test_one_diacritic_turns_the_message_into_ucs2():
    assert segments("ą" + "a" * 69) == 1
    assert segments("ą" + "a" * 70) == 2
    assert segments("ą" * 134) == 2
    assert segments("ą" * 135) == 3


def test_an_emoji_counts_twice_in_ucs2():
    assert segments("🙂" * 35) == 1
    assert segments("🙂" * 36) == 2


@given(st.text(alphabet="aąbcćdeęfghijklłmnńoóprsśtuwyzźżAĄĆĘŁŃÓŚŹŻ .,!?-", max_size=400))
def test_transliterated_polish_is_always_gsm7_and_never_longer(text):
    out = transliterate(text)
    assert is_gsm7(out)
    assert segments(out) <= max(segments(text), 1) or not text
