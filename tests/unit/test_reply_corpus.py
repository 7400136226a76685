"""The reply parser on the hand-written SMS corpora (tests/corpus): no destructive misread at all and
at least 95 % agreement, on each whole corpus, on the first corpus's held-out 30 % and in each
context of each. The figures and the confusion matrices: `python -m tests.reply_corpus`."""
import pytest

from tests.reply_corpus import CORPUS, FRESH, S6, S7, destructive, held_out, rows, score

TARGET = 0.95


@pytest.mark.parametrize("part", ["whole", "held_out", "fresh", "s6", "s7"])
def test_no_destructive_misread_and_95_percent_agreement(part):
    lines = {"whole": rows, "held_out": lambda: held_out(rows()), "fresh": lambda: rows(FRESH),
             "s6": lambda: rows(S6), "s7": lambda: rows(S7)}[part]()
    result = score(lines)
    assert [(e["context"], e["intent"], e["predicted"], e["text"]) for e in result.destructive] == []
    assert result.agreement >= TARGET, result.errors


@pytest.mark.parametrize("corpus", [CORPUS, FRESH, S6, S7], ids=lambda path: path.name)
@pytest.mark.parametrize("context", ["reminder", "booking", "offer"])
def test_agreement_in_each_context(corpus, context):
    result = score([row for row in rows(corpus) if row["context"] == context])
    assert result.agreement >= TARGET, result.errors


def test_the_corpora_are_the_ones_described():
    assert len(rows()) >= 650 and len(held_out(rows())) == round(0.3 * len(rows()))
    assert len(rows(FRESH)) >= 300 and len(rows(S6)) >= 150 and len(rows(S7)) >= 90


@pytest.mark.parametrize("context, label, predicted, harmful", [
    ("reminder", "unclear", "cancel", True), ("booking", "decline", "cancel", True),
    ("reminder", "cancel", "decline", True),  # a swap counts, though the visit ends the same
    ("booking", "unclear", "decline", False),  # after a booking a bare no is only asked about
    ("offer", "unclear", "decline", True), ("reminder", "start", "stop", True),
    ("reminder", "cancel", "confirm", True), ("reminder", "cancel", "unclear", False),
    ("reminder", "unclear", "confirm", False),
])
def test_what_counts_as_destructive(context, label, predicted, harmful):
    assert destructive(context, label, predicted) is harmful
