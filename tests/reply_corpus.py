"""How odwolaj.language.replies reads the hand-written SMS corpora (tests/corpus/sms_replies.jsonl,
sms_replies_fresh.jsonl, sms_replies_s6.jsonl and sms_replies_s7.jsonl): agreement, destructive
misreads (as tests/corpus/README.md "Scoring" defines them), agreement per context and the
confusion matrix, for each whole corpus and for the first corpus's held-out 30 % (a fixed random
split: the parser's first rules were written looking at the other 70 % only). The fresh, s6 and s7
corpora were written before their writers read the parser. Replies to campaign SMS
(sms_replies_campaign.jsonl) are read by odwolaj.language.campaign_replies, and scored against
their reading as a reminder's answer, as they were read before.

    .venv/bin/python -m tests.reply_corpus [--errors]

tests/unit/test_reply_corpus.py asserts the targets on the same numbers.
"""
from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from odwolaj.language.campaign_replies import read_campaign_reply
from odwolaj.language.replies import Context, Intent, parse

CORPUS = Path(__file__).resolve().parent / "corpus" / "sms_replies.jsonl"
FRESH = CORPUS.with_name("sms_replies_fresh.jsonl")
S6 = CORPUS.with_name("sms_replies_s6.jsonl")
S7 = CORPUS.with_name("sms_replies_s7.jsonl")
CAMPAIGN = CORPUS.with_name("sms_replies_campaign.jsonl")
# What a campaign reply does (odwolaj.campaigns.replies), by the intent read.
CAMPAIGN_ANSWERS = {Intent.CONFIRM: "callback", Intent.DECLINE: "declined", Intent.CANCEL: "declined",
                    Intent.STOP: "stop"}
SEED, HELD_OUT = 1111, 0.3
INTENTS = ("confirm", "cancel", "decline", "stop", "start", "unclear")


def rows(corpus: Path = CORPUS) -> list[dict]:
    with corpus.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def held_out(all_rows: list[dict]) -> list[dict]:
    chosen = set(random.Random(SEED).sample(range(len(all_rows)), round(HELD_OUT * len(all_rows))))
    return [row for i, row in enumerate(all_rows) if i in chosen]


def destructive(context: str, label: str, predicted: str) -> bool:
    """Takes a visit, an offer or the reminders away from a patient who did not ask, or keeps a
    slot the patient gave up (a cancel/decline swap in a reminder counts too)."""
    if predicted == label:
        return False
    return (predicted in ("cancel", "stop") or (predicted == "decline" and context in ("reminder", "offer"))
            or (predicted == "confirm" and label in ("cancel", "decline")))


@dataclass
class Score:
    lines: int = 0
    agreed: int = 0
    destructive: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    confusion: Counter = field(default_factory=Counter)  # (label, predicted) -> lines
    per_context: Counter = field(default_factory=Counter)  # (context, agreed) -> lines

    @property
    def agreement(self) -> float:
        return self.agreed / self.lines if self.lines else 0.0


def score(lines: list[dict]) -> Score:
    result = Score()
    for row in lines:
        predicted = parse(row["text"], Context(row["context"])).value
        result.lines += 1
        result.confusion[(row["intent"], predicted)] += 1
        result.per_context[(row["context"], predicted == row["intent"])] += 1
        if predicted == row["intent"]:
            result.agreed += 1
            continue
        error = {**row, "predicted": predicted}
        result.errors.append(error)
        if destructive(row["context"], row["intent"], predicted):
            result.destructive.append(error)
    return result


def report(name: str, result: Score, *, errors: bool) -> None:
    print(f"{name}: {result.lines} lines, agreement {result.agreement:.1%}, destructive misreads "
          f"{len(result.destructive)}")
    for context in ("reminder", "booking", "offer"):
        agreed, total = result.per_context[(context, True)], result.per_context[(context, True)] + \
            result.per_context[(context, False)]
        if total:
            print(f"  {context:<9} {agreed}/{total} = {agreed / total:.1%}")
    print("  label \\ read " + "".join(f"{i:>9}" for i in INTENTS))
    for label in INTENTS:
        print(f"  {label:<13}" + "".join(f"{result.confusion[(label, p)]:>9}" for p in INTENTS))
    if errors:
        for error in result.errors:
            mark = "DESTRUCTIVE " if error in result.destructive else ""
            print(f"  {mark}{error['context']}: {error['intent']} read as {error['predicted']}: {error['text']!r}")
    print()


def campaign_readings(reader=read_campaign_reply) -> list[tuple[str, str, str]]:
    """(label, what the reply does, text) for each line of the campaign corpus."""
    return [(row["intent"], CAMPAIGN_ANSWERS.get(reader(row["text"]), "unclear"), row["text"])
            for row in rows(CAMPAIGN)]


def swapped(readings: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """A call-back read as a no or the reverse, or a STOP missed or imagined."""
    return [r for r in readings if {r[0], r[1]} == {"callback", "declined"} or (r[0] == "stop") != (r[1] == "stop")]


def report_campaign(errors: bool) -> None:
    for name, reader in (("read as a campaign reply", read_campaign_reply),
                         ("read as a reminder's answer (before)", parse)):
        readings = campaign_readings(reader)
        agreed = sum(label == read for label, read, _ in readings)
        print(f"Campaign corpus ({CAMPAIGN.name}), {name}: {agreed}/{len(readings)} = {agreed / len(readings):.1%}, "
              f"yes/no swapped or STOP misread {len(swapped(readings))}")
        for label, read, text in readings if errors else ():
            if label != read:
                print(f"  {label} read as {read}: {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true", help="list every line read differently from its label")
    args = parser.parse_args()
    everything = rows()
    report("Whole corpus", score(everything), errors=args.errors)
    report(f"Held-out {HELD_OUT:.0%} (seed {SEED})", score(held_out(everything)), errors=args.errors)
    report(f"Fresh corpus ({FRESH.name})", score(rows(FRESH)), errors=args.errors)
    report(f"S6 corpus ({S6.name})", score(rows(S6)), errors=args.errors)
    report(f"S7 corpus ({S7.name})", score(rows(S7)), errors=args.errors)
    report_campaign(args.errors)


if __name__ == "__main__":
    main()
