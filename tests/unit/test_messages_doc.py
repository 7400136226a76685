"""docs/messages.md's length tables stay true: every row `kind` | … | characters | segments as
sent | segments with diacritics is what the default text renders to with the longest values the
doc names (a 25-character facility, a 35-character link, a 37-character service; the payment
tables' amount and deadline; the reserve table's place and planned week)."""
import re
from dataclasses import replace
from pathlib import Path

import pytest

from odwolaj.language.gsm import segments
from odwolaj.language.texts import DEFAULTS, render
from tests.unit.test_payment_texts import LONGEST_PAYMENT
from tests.unit.test_texts import LONGEST

DOC = Path(__file__).resolve().parents[2] / "docs" / "messages.md"
CONTEXTS = {
    "Texts": LONGEST,
    "Prepayment messages (booking side)": LONGEST_PAYMENT,
    "Prepayment messages (Stripe side)": replace(LONGEST_PAYMENT, link=LONGEST.link),
    # A four-digit place on the list and the longest planned week.
    "Reserve-list messages": replace(LONGEST, link="https://odw.pl/o/" + "A" * 18,
                                     position=1234, forecast="tydzień od 15 września 2027"),
}
ROW = re.compile(r"^\| `(\w+)` \|(?:[^|]*\|)*? (\d+) \| (\d+) \| (\d+) \|\s*$")


def rows() -> list[tuple[str, str, int, int, int]]:
    found, section = [], ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        match = ROW.match(line)
        if match and match.group(1) in DEFAULTS:
            kind, chars, sent, kept = match.groups()
            found.append((section, kind, int(chars), int(sent), int(kept)))
    return found


def test_the_doc_lists_every_visit_text_and_the_new_reply_texts():
    listed = {kind for _, kind, *_ in rows()}
    assert {"booked", "help", "question", "clarify", "stopped", "started", "offer_help"} <= listed


@pytest.mark.parametrize("section, kind, chars, sent, kept", rows())
def test_each_row_is_what_the_text_renders_to(section, kind, chars, sent, kept):
    context = CONTEXTS[section]
    text = render(kind, context)
    assert (len(text), segments(text), segments(render(kind, context, keep_diacritics=True))) == (chars, sent, kept)
