"""The reply parser on the hand-written SMS corpus (tests/corpus): no destructive misread at all and
at least 95 % agreement, on the whole corpus, on the held-out 30 % and in each context. The
figures and the confusion matrix: `python -m tests.reply_corpus`."""
import pytest

from tests.reply_corpus import destructive, held_out, rows, score

TARGET = 0.95


@pytest.mark.parametrize("part", ["whole", "held_out"])
def test_no_destructive_misread_and_95_percent_agreement(part):
    lines = rows() if part == "whole" else held_out(rows())
    result = score(lines)
    assert [(e["context"], e["intent"], e["predicted"], e["text"]) for e in result.destructive] == []
    assert result.agreement >= TARGET, result.errors


@pytest.mark.parametrize("context", ["reminder", "booking", "offer"])
def test_agreement_in_each_context(context):
    result = score([row for row in rows() if row["context"] == context])
    assert result.agreement >= TARGET


def test_the_corpus_is_the_one_described():
    assert len(rows()) >= 650 and len(held_out(rows())) == round(0.3 * len(rows()))


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
