"""A facility's own SMS texts: the one check both the clinic API and the console use."""
from dataclasses import replace

import pytest

from odwolaj.core.errors import InvalidInput
from odwolaj.language import message_overrides
from odwolaj.language.gsm import is_gsm7, segments
from odwolaj.language.message_overrides import LONGEST, OverrideRefused, budget, changed, check, view
from odwolaj.language.texts import DEFAULTS, render

LINK = "https://odw.pl/c/" + "x" * 18

GOOD = [
    ("booked", "$facility: zapisaliśmy Cię na $when, $service. Kod: $code. Odwołanie: $link"),
    ("booked", "$facility_name: wizyta $day o $time. Nie możesz przyjść? $link"),
    ("cancelled", "$facility: odwołaliśmy wizytę $when. Dziękujemy! Pytania? $contact"),
    ("reminder_two_way", "$facility: wizyta $when. Będziesz? Odpisz TAK lub NIE. $link"),
    ("payment_link", "$facility_name: wizyta $when, kod $code. Zapłać $amount $deadline: $link"),
    ("blacklisted", "$facility: do $until wizyty opłacasz z góry. Tel. $phone"),
    ("waitlist_joined", "$facility: jesteś na liście ($service), miejsce $position, termin: $forecast."),
    ("offer_one_way", "$facility: wolny termin $day o $time. Wybierz: $link"),
    ("offer_taken", "$facility: termin $when jest już zajęty. Czekasz dalej."),
    # Polish letters and typographic punctuation transliterate to GSM-7; $$ is a dollar sign.
    ("started", "$facility: „znów” wysyłamy przypomnienia – dziękujemy… Koszt: 0 $$"),
    ("stopped", "  $facility: nie wyślemy przypomnień. Cofniesz to, pisząc START.  "),
    ("offer_two_way", "$facility: wolny termin $day o $time ($service). Bierzesz? TAK/NIE albo $link"),
]

BAD = [
    # (kind, text, reason, detail)
    ("bookd", "$facility: $link", "unknown_kind", ""),
    ("booked", "", "empty", ""),
    ("booked", "   ", "empty", ""),
    ("booked", 12, "empty", ""),
    ("booked", "$facility: wizyta $when, $amount. $link", "unknown_placeholder", "amount"),
    ("booked", "$facility: wizyta $kiedy. $link", "unknown_placeholder", "kiedy"),
    ("booked", "$facility: wizyta ${when}, $pesel $link", "unknown_placeholder", "pesel"),
    ("waitlist_joined", "$facility: miejsce $position, wizyta $when.", "unknown_placeholder", "when"),
    ("waitlist_joined", "$facility: miejsce $position, $code.", "unknown_placeholder", "code"),
    ("offer_taken", "$facility: termin $when zajęty: $link", "unknown_placeholder", "link"),
    ("cancelled", "$facility: odwołano. Zadzwoń: $phone, $link", "unknown_placeholder", "link"),
    ("booked", "$facility: umówiono wizytę $when.", "missing_placeholder", "link"),
    ("reminder_one_way", "$facility: wizyta $when. Odwołaj, jeśli nie przyjdziesz.", "missing_placeholder", "link"),
    ("payment_link", "$facility_name: wizyta $when, zapłać $deadline: $link", "missing_placeholder", "amount"),
    ("payment_link", "$facility_name: wizyta $when, zapłać $amount: $link", "missing_placeholder", "deadline"),
    ("blacklisted", "$facility: każdą wizytę opłacasz z góry.", "missing_placeholder", "until"),
    ("booked", "Wizyta $when, $service. $link", "missing_placeholder", "facility"),
    ("booked", "$facility: wizyta $when 🙂 $link", "not_gsm7", "🙂"),
    ("booked", "$facility: Přijďte $when $link", "not_gsm7", "ďř"),
    ("booked", "$facility: визит $when $link", "not_gsm7", "визт"),
    ("booked", "$facility: koszt 100$ $link", "invalid", ""),
    # A two-way message that no longer says what to reply gets no replies.
    ("reminder_two_way", "$facility: wizyta $when. Będziesz? $link", "missing_reply_word", "NIE"),
    ("reminder_two_way", "$facility: wizyta $when. Odpisz TAK, jeśli będziesz. $link", "missing_reply_word", "NIE"),
    ("offer_two_way", "$facility: termin $day o $time. Odpisz tak albo nie: $link", "missing_reply_word", "NIE"),
    ("stopped", "$facility: nie wyślemy przypomnień.", "missing_reply_word", "START"),
    ("booked", "$facility: " + "bardzo długi tekst " * 60 + "$link", "too_long", "1000"),
    ("reminder_two_way", "$facility: wizyta $when. Przyjdziesz? Odpisz TAK lub NIE. Odwołując wizytę, "
                         "zwalniasz termin dla innych pacjentów czekających. $link", "too_many_segments", "1"),
    ("booked", "$facility: " + "wizyta $when, $service, kod $code. " * 4 + "$link", "too_many_segments", "2"),
]


@pytest.mark.parametrize("kind,text", GOOD)
def test_a_good_override_is_kept_stripped(kind, text):
    assert check(kind, text, LINK) == text.strip()


@pytest.mark.parametrize("kind,text,reason,detail", BAD)
def test_a_bad_override_is_refused_with_its_reason_and_field(kind, text, reason, detail):
    with pytest.raises(OverrideRefused) as refused:
        check(kind, text, LINK)
    assert (refused.value.reason, refused.value.field) == (reason, f"messages.{kind}")
    if detail:
        assert set(detail) <= set(refused.value.detail) if reason == "not_gsm7" else refused.value.detail == detail
    assert isinstance(refused.value, InvalidInput)  # the API's 422


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_every_default_passes_its_own_check(kind):
    assert check(kind, DEFAULTS[kind], LINK) == DEFAULTS[kind]


def test_the_budget_is_what_the_default_takes_with_the_longest_values():
    # One segment for the reminder with the docs' 35-character link; two for a payment link.
    assert budget("reminder_two_way", LINK) == 1
    assert budget("payment_link", LINK) == 2
    longest = replace(LONGEST, link=LINK)
    text = check("reminder_two_way", "$facility: wizyta $when. Przyjdziesz? Odpisz TAK lub NIE. " + "x" * 30
                 + " $link", LINK)
    rendered = render("reminder_two_way", longest, overrides={"reminder_two_way": text})
    assert segments(rendered) == 1 and is_gsm7(rendered)


def test_an_override_that_fits_only_without_the_longest_values_is_refused():
    # 160 characters with a short name and link, but not with a 25-character name.
    text = "$facility: wizyta $when. Przyjdziesz? Odpisz TAK lub NIE. Odwołując, zwalniasz termin dla innych. " \
           "Dzięki! $link"
    short = render("reminder_two_way", replace(LONGEST, facility="Przychodnia", link="https://odw.pl/c/x"),
                   overrides={"reminder_two_way": text})
    assert segments(short) == 1
    with pytest.raises(OverrideRefused, match="SMS segments"):
        check("reminder_two_way", text, LINK)


def test_changed_sets_clears_and_restores_by_the_default_text():
    current = {"booked": "$facility: stary tekst $link", "cancelled": "$facility: odwołano $when."}
    after = changed(current, {"messages": {"booked": None, "cancelled": DEFAULTS["cancelled"],
                                           "confirmed": " $facility: OK $when $link "}}, LINK)
    assert after == {"confirmed": "$facility: OK $when $link"}
    assert current == {"booked": "$facility: stary tekst $link", "cancelled": "$facility: odwołano $when."}


@pytest.mark.parametrize("payload,field", [
    ([], None), ({}, "messages"), ({"messages": "x"}, "messages"), ({"texts": {}}, "texts"),
    ({"messages": {"nope": None}}, "messages.nope"),
    ({"messages": {"booked": "$facility: ok $link", "moved": "$facility: bez linku"}}, "messages.moved"),
])
def test_changed_refuses_a_bad_body_whole(payload, field):
    with pytest.raises(InvalidInput) as refused:
        changed({}, payload, LINK)
    assert refused.value.field == field


def test_the_view_shows_every_kind_in_force_and_which_are_the_facilitys():
    shown = view({"booked": "$facility: własny $link"})
    assert shown["customised"] == ["booked"] and set(shown["messages"]) == set(DEFAULTS)
    assert shown["messages"]["booked"] == "$facility: własny $link"
    assert shown["messages"]["moved"] == DEFAULTS["moved"]


def test_allowed_follows_what_each_sender_fills():
    assert "link" not in message_overrides.allowed("cancelled")
    assert {"position", "forecast"} <= message_overrides.allowed("exact_date")
    assert "when" not in message_overrides.allowed("exact_date")
    assert {"when", "day", "time", "link"} <= message_overrides.allowed("offer_help")
    assert "amount" in message_overrides.allowed("offer_two_way_prepaid")
