"""What a patient meant by an SMS reply.

Forgiving by design: case, diacritics, punctuation, spacing, common words and small typos are
all understood. Anything unclear is UNKNOWN, never a guess: a wrong guess could cancel a visit.
"""
from __future__ import annotations

import enum
import re
import unicodedata

from odwolaj.language.gsm import transliterate


class Intent(enum.Enum):
    CONFIRM = "confirm"  # TAK: I will come / I accept the offer
    CANCEL = "cancel"  # NIE: cancel the visit / decline the offer
    STOP = "stop"  # no more non-essential messages
    START = "start"  # non-essential messages again
    UNKNOWN = "unknown"


_WORDS = {
    Intent.CONFIRM: {"tak", "t", "potwierdzam", "potwierdzam wizyte", "bede", "przyjde", "ok", "okej",
                     "jasne", "oczywiscie", "zgoda", "biore", "przyjmuje", "akceptuje", "tak bede",
                     "tak przyjde", "yes", "y"},
    Intent.CANCEL: {"nie", "n", "odwoluje", "odwolaj", "odwolac", "rezygnuje", "nie przyjde", "nie bede",
                    "nie moge", "nie dam rady", "anuluj", "anuluje", "nie biore", "no"},
    Intent.STOP: {"stop", "stopp", "wypisz", "nie wysylaj", "koniec", "rezygnuje z sms"},
    Intent.START: {"start", "wznow", "zapisz"},
}
_LOOKUP = {phrase: intent for intent, phrases in _WORDS.items() for phrase in phrases}
_PHRASES_LONGEST_FIRST = sorted((p for p in _LOOKUP if len(p) > 3), key=len, reverse=True)
# One-letter slips of the two answers that matter most ("tka", "nei", "taak").
_TYPOS = {"tka": Intent.CONFIRM, "taak": Intent.CONFIRM, "takk": Intent.CONFIRM, "atk": Intent.CONFIRM,
          "nei": Intent.CANCEL, "niee": Intent.CANCEL, "ine": Intent.CANCEL}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = transliterate(text).lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def parse(text: str) -> Intent:
    words = normalize(text)
    if not words:
        return Intent.UNKNOWN
    if words in _LOOKUP:
        return _LOOKUP[words]
    if words in _TYPOS:
        return _TYPOS[words]
    # Longest phrase first, so "nie wysylaj mi" is STOP and "nie przyjde jutro" is CANCEL.
    for phrase in _PHRASES_LONGEST_FIRST:
        if words.startswith(phrase + " "):
            return _LOOKUP[phrase]
    # "Tak, dziękuję" or "Nie, jestem chory": a clear first word decides, unless the rest says the
    # opposite ("tak, nie mogę" is contradictory and stays unknown).
    first, *rest = words.split(" ")
    opposite = {"tak": "nie", "nie": "tak"}.get(first)
    if opposite and opposite not in rest:
        return _LOOKUP[first]
    return Intent.UNKNOWN
