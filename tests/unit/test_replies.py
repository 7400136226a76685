"""The SMS reply parser: forgiving, never guessing, never raising."""
import pytest
from hypothesis import given, strategies as st

from odwolaj.language.replies import Intent, parse


@pytest.mark.parametrize("text", ["TAK", "tak", "Tak.", "T", " t ", "Tak!!!", "potwierdzam", "Potwierdzam.",
                                  "tak, dziękuję", "Będę", "przyjdę", "TAK PRZYJDĘ", "tka", "OK"])
def test_confirmations(text):
    assert parse(text) is Intent.CONFIRM


@pytest.mark.parametrize("text", ["NIE", "nie", "NIE!", "N", "nie przyjdę", "Nie przyjde jutro", "odwołuję",
                                  "ODWOŁUJĘ", "rezygnuję", "Nie, jestem chory", "nie mogę", "nei"])
def test_cancellations(text):
    assert parse(text) is Intent.CANCEL


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop.", "nie wysyłaj mi więcej", "wypisz"])
def test_opt_out(text):
    assert parse(text) is Intent.STOP


@pytest.mark.parametrize("text", ["START", "start"])
def test_opt_in(text):
    assert parse(text) is Intent.START


@pytest.mark.parametrize("text", ["", "   ", "?", "a kiedy jest wizyta", "tak, nie mogę", "nie tak",
                                  "tomorrow", "123", "Dzień dobry"])
def test_anything_unclear_is_unknown(text):
    assert parse(text) is Intent.UNKNOWN


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text):
    assert isinstance(parse(text), Intent)
