"""The SMS reply parser's cost per reply on the hand-written corpus, as a ratio to a baseline in the
same run: folding the same texts (lower case, no diacritics), the least any reader of them does.

    python bench/reply_parser.py [--rounds 7]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from odwolaj.language import lexicon
from odwolaj.language.replies import Context, parse

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "sms_replies.jsonl"


def _timed(work, rows) -> float:
    started = time.perf_counter()
    for row in rows:
        work(row)
    return (time.perf_counter() - started) / len(rows) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    baseline, parsing = [], []
    for _ in range(rounds):  # alternating, so machine noise falls on both alike
        lexicon.known.cache_clear()  # a cold cache each round: the typed words of one reply are new
        parsing.append(_timed(lambda row: parse(row["text"], Context(row["context"])), rows))
        baseline.append(_timed(lambda row: lexicon.fold(row["text"]), rows))
    ratio = statistics.median(p / b for p, b in zip(parsing, baseline))
    print(f"{len(rows)} replies, median of {rounds} rounds: parse {statistics.median(parsing):.0f} µs a reply, "
          f"fold {statistics.median(baseline):.1f} µs a reply; parse = {ratio:.0f}x fold")


if __name__ == "__main__":
    main()
