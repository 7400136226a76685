"""What a reply to a campaign SMS means ("Umówić kontrolę? Odpisz TAK, oddzwonimy, albo wybierz
termin: link").

The campaign asks one thing, "shall we call you?", so a reply is read as an answer to an offer (a
bare "ok" only says it was read; "już leczę się prywatnie" is a no) and, beyond it, patients ask
for the call in their own words ("proszę o telefon po 16", "zadzwońcie jutro") or refuse it ("nie
jestem zainteresowana", "proszę nie dzwonić"). CONFIRM is "call me back", DECLINE "no, thank you",
STOP and START are the number's; anything else is UNKNOWN (one help SMS a day).
"""
from __future__ import annotations

import re

from odwolaj.language import lexicon as lx
from odwolaj.language.replies import Context, Intent, parse

# Asking us to call: imperatives and infinitives only; "zadzwonię" (the patient will call) and our
# own "oddzwonimy" (pasted back) ask nothing.
CALL_VERBS = frozenset({"zadzwon", "zadzwoncie", "zadzwonic", "oddzwon", "oddzwoncie", "oddzwonic", "dzwonic",
                        "dzwoncie", "skontaktowac", "skontaktujcie", "kontaktowac"})
CALL_NOUNS = frozenset({"telefon", "telefonu", "kontakt", "kontaktu", "telefonicznie", "telefoniczny"})
REQUEST = frozenset({"prosze", "prosic", "poprosze", "prosimy", "moze", "mozna", "czekam"})
NOT_INTERESTED = (("nie", "jestem", "zainteresowana"), ("nie", "jestem", "zainteresowany"),
                  ("nie", "interesuje"), ("nie", "skorzystam"), ("nie", "trzeba"), ("nie", "teraz"),
                  ("mam", "juz", "swojego", "lekarza"), ("mam", "juz", "lekarza"), ("zmienilam", "przychodnie"),
                  ("zmienilem", "przychodnie"))


def read_campaign_reply(text: str) -> Intent:
    said = parse(text, Context.OFFER)
    if said in (Intent.STOP, Intent.START, Intent.CONFIRM):
        return said  # "Tak, ale nie dzwońcie przed 15" is a yes with a wish
    words = re.findall(r"[a-z0-9]+", lx.fold(text))
    if _asks_for_a_call(words):
        return Intent.CONFIRM  # "Nie mam teraz czasu, proszę zadzwonić za miesiąc"
    if said in (Intent.DECLINE, Intent.CANCEL) or _refuses(words):
        return Intent.DECLINE
    return Intent.UNKNOWN


def _asks_for_a_call(words: list[str]) -> bool:
    for i, word in enumerate(words):
        if _negated(words, i):
            continue
        if word in CALL_VERBS or (word in CALL_NOUNS and REQUEST & set(words[max(0, i - 3):i])):
            return True
    return False


def _refuses(words: list[str]) -> bool:
    """"Proszę nie dzwonić", "nie jestem zainteresowana", "mam już swojego lekarza"."""
    if any(word in CALL_VERBS and _negated(words, i) for i, word in enumerate(words)):
        return True
    return any(words[i:i + len(phrase)] == list(phrase) for phrase in NOT_INTERESTED for i in range(len(words)))


def _negated(words: list[str], i: int) -> bool:
    return lx.NEGATION in words[max(0, i - 2):i]
