"""Default message texts: plain Polish that survives transliteration, one segment for the
reminder, at most two for the rest, and the segment counts docs/messages.md states."""
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from odwolaj.language.gsm import is_gsm7, segments, transliterate
from odwolaj.language.texts import DEFAULTS, EMAILS, SMS_WEEKDAYS, MessageContext, render, render_email

LONGEST = MessageContext(
    facility="Przychodnia Zdrowie Plus1",  # 25 characters: the longest short name allowed
    facility_name="Przychodnia Zdrowie Plus sp. z o.o.",  # 35 characters (messages about money)
    starts_at=datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc),  # a Thursday: "czw", the longest day
    link="https://odw.pl/c/" + "A" * 18,
    service="Poradnia kardiologiczna dla dorosłych",
    phone="+48 22 123 45 67",
    code="K7M2-QX9A",
)
MESSAGES_MD = Path(__file__).resolve().parents[2] / "docs" / "messages.md"
# Words that read as another word once their diacritics go (SMS are sent without them).
TRAPS = {"ją": "ja", "mają": "Maja", "płać": "plac", "zająć": "zając", "decyzją": "decyzja", "nią": "nia"}


def test_the_facility_names_and_the_weekday_used_here_are_the_longest_counted():
    assert len(LONGEST.facility) == 25 and len(LONGEST.facility_name) == 35
    assert len(SMS_WEEKDAYS[LONGEST.starts_at.weekday()]) == max(map(len, SMS_WEEKDAYS))


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
    assert "TAK" in text and "NIE" in text and "czw 03.12 o 10:30" in text
    assert kind != "help" or (LONGEST.link in text and LONGEST.phone in text)


def test_two_way_reminder_asks_for_tak_or_nie_and_one_way_does_not():
    assert "TAK" in render("reminder_two_way", LONGEST) and "NIE" in render("reminder_two_way", LONGEST)
    assert "TAK" not in render("reminder_one_way", LONGEST)


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_every_default_fits_two_segments(kind):
    assert segments(render(kind, LONGEST)) <= 2


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_no_default_has_a_word_that_changes_meaning_without_its_diacritics(kind):
    traps = set(DEFAULTS[kind].lower().split()) & set(TRAPS)
    assert not traps, f"{kind}: {sorted(traps)} read as {[TRAPS[word] for word in sorted(traps)]}"


@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_no_default_names_the_payment_provider_or_abbreviates_the_phone_label(kind):
    text = DEFAULTS[kind]
    assert "Stripe" not in text
    assert "Nowy termin: $phone" not in text and "Albo:" not in text  # the phone labelled, no abrupt "Albo:"
    if "$phone" in text:
        assert re.search(r"(Zadzwoń|zadzwoń): \$phone", text), text


def test_only_the_waiting_variant_of_the_cancellation_says_someone_may_get_the_slot():
    assert "kto czeka" not in DEFAULTS["cancelled"] and "inny pacjent" not in DEFAULTS["cancelled"]
    assert "Termin może dostać ktoś, kto czeka na wizytę" in DEFAULTS["cancelled_waiting"]
    assert not any("dostanie inny pacjent" in text for text in DEFAULTS.values())


def test_time_is_local_to_the_visit_and_dst_safe():
    winter = MessageContext("X", datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc))
    summer = MessageContext("X", datetime(2026, 7, 2, 9, 30, tzinfo=timezone.utc))
    assert winter.when() == "śr 02.12 o 10:30"
    assert summer.when() == "czw 02.07 o 11:30"


def test_a_facility_override_replaces_the_default_and_keeps_diacritics_on_request():
    text = render("cancelled", LONGEST, overrides={"cancelled": "$facility: odwołano $when."},
                  keep_diacritics=True)
    assert text == "Przychodnia Zdrowie Plus1: odwołano czw 03.12 o 10:30."


@pytest.mark.parametrize("kind", sorted(EMAILS))
def test_emails_write_dates_in_full_words_without_sms_abbreviations(kind):
    sent_at = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    context = MessageContext(**{**LONGEST.__dict__, "sent_at": sent_at, "amount": 15000,
                                "deadline": datetime(2026, 11, 30, 19, 0, tzinfo=timezone.utc)})
    subject, body = render_email(kind, context)
    assert "czwartek, 3 grudnia, godz. 10:30" in subject and "Termin: czwartek, 3 grudnia, godz. 10:30" in body
    assert not re.search(r"\b(pn|wt|śr|czw|pt|sob|nd) \d\d\.\d\d\b", subject + body)
    assert LONGEST.facility_name in subject and f"Kod wizyty: {LONGEST.code}" in body and "Stripe" not in body


def documented_counts() -> dict[str, tuple[int, int, int]]:
    """kind → (characters, segments as sent, segments with diacritics) from docs/messages.md's tables."""
    found = {}
    for line in MESSAGES_MD.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"`\w+`", cells[0]) and all(c.isdigit() for c in cells[-3:]):
            found[cells[0].strip("`")] = tuple(int(c) for c in cells[-3:])
    return found


def documented_context(kind: str) -> MessageContext:
    from tests.unit.test_payment_texts import LONGEST_PAYMENT
    from tests.unit.test_reserve_texts import LONGEST_RESERVE

    if kind.startswith(("offer", "waitlist", "planned", "exact")):
        return LONGEST_RESERVE
    return LONGEST_PAYMENT if kind.startswith(("payment", "blacklisted")) else LONGEST


def test_docs_state_every_default_and_its_true_segment_counts():
    counts = documented_counts()
    assert set(counts) == set(DEFAULTS), set(counts) ^ set(DEFAULTS)
    for kind, (characters, sent, kept) in counts.items():
        context = documented_context(kind)
        text, with_diacritics = render(kind, context), render(kind, context, keep_diacritics=True)
        assert (len(text), segments(text), segments(with_diacritics)) == (characters, sent, kept), kind
        assert transliterate(with_diacritics) == text
