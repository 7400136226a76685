"""What a patient meant by an SMS (or e-mail) reply, read the way a clinic worker reads it.

Never a guess: what a worker would not be sure of is UNKNOWN, and the patient is asked. The reply
is split into sentences and clauses. A clause that is a question ("czy mogę odwołać?"), a doubt
("nie wiem, czy dam radę"), a hedge ("chyba nie przyjdę") or part of a condition ("jak nie dojadę,
to zadzwonię") says nothing about the visit. In the other clauses "nie" negates the word after
it: "nie przyjdę", "nie mogę" and "nie dam rady" (when no other verb follows: "nie mogę zapłacić"
is about paying) say the patient will not come; "nie odwołuję" keeps the visit; "nie wiem" is not
a refusal. Verbs of cancelling ask for a cancellation unless negated, past ("odwołałam") or asked
about. The nouns of messages turn "nie chcę", "rezygnuję z", "wypisz" into an opt-out, which is
never a cancellation. Greetings, thanks, apologies, signatures and emoji are wrappers; a text of
ours pasted under the answer is not read. A reply that says two opposite things ("Nie, będę") is
UNKNOWN.

What a bare "NIE" or "TAK" means depends on the message it answers (Context): a question about
coming (a reminder), a message that asked nothing (a booking), or a reserve-list offer. So does an
obstacle said instead of NIE ("jestem chora", "wyjechałam", "już byłam prywatnie"): it declines an
offer, and is only asked about after a message about a visit.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from odwolaj.language import lexicon as lx


class Intent(enum.Enum):
    CONFIRM = "confirm"  # will come / takes the offer
    CANCEL = "cancel"  # says explicitly they will not come, or asks to cancel
    DECLINE = "decline"  # a bare refusal ("NIE", "nie, dziękuję"); a refusal of an offer
    STOP = "stop"  # no more reminders and notes: never a cancellation
    START = "start"  # reminders and notes again
    UNKNOWN = "unclear"


class Context(enum.Enum):
    """The message a reply answers."""

    REMINDER = "reminder"  # asked TAK/NIE about a visit (a reminder, or our question)
    BOOKING = "booking"  # asked nothing (booking, moved, payment link; an e-mail)
    OFFER = "offer"  # a reserve-list offer: TAK takes it, NIE declines it


URL = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.pl/\S*", re.IGNORECASE)
YES_EMOJI = frozenset("👍👌✅✔")
# Sentence ends; a full stop between digits ("12.12", "8.30") is not one.
SENTENCE_END = re.compile(r"[!?;…\n]+|\.+(?!\d)|(?<!\d)\.+")
QUESTION_PREPOSITIONS = frozenset({"o", "w", "na", "do", "od", "po", "za", "z", "u", "dla"})
# How our messages begin after "<clinic>: " (odwolaj.language.texts).
OUR_OPENING = re.compile(r"^\s*[^:]{2,40}:\s*(wizyta|umowiono|zmiana terminu|dziekujemy|zwolnil sie|nie rozumiemy"
                         r"|masz kilka|jestes na liscie|propozycja|nie bedziemy|przypomnienia|termin)\b")
CLOSING = re.compile(r"\b(pozdrawiam|pozdrawiamy|pozdrowienia|z powa[żz]aniem|z wyrazami szacunku)\b",
                     re.IGNORECASE)
# Both answers named as alternatives: the patient repeats our instructions or asks which to send.
OPTIONS = re.compile(r"\b(tak|potwierdz\w*)\b.{0,40}\b(lub|albo|czy)\b.{0,20}\b(nie|odwol\w*)\b"
                     r"|\b(nie|odwol\w*)\b.{0,40}\b(lub|albo|czy)\b.{0,20}\b(tak|potwierdz\w*)\b")
# "Jasne, że nie", "pewnie że będę", "dobrze, że piszecie": the word qualifies the "że" clause,
# which alone answers.
BEFORE_THAT = re.compile(r"\b(?:no\s+)?(?:" + "|".join(sorted(lx.BEFORE_THAT)) + r")[\s,]*\bze\b")
CLAUSE_BREAK = re.compile(r"[,:()]|\b(?:ale|bo|wiec|lecz|chociaz|choc|natomiast)\b")
# "Nie nie, będę", "nie, nie, przyjdę": two noes closed by a break stand alone ("nie, nie przyjdę" does not).
DOUBLED_NO = re.compile(r"\W*nie[\s,.!]+nie\s*[,.!;:\n]")
# "gdybym", "jeślibyśmy": a conditional conjunction with a person's ending is still a condition.
CONDITIONAL_PERSONS = re.compile(r"(gdy|jesli|jezeli|jak)by(m|s|smy|scie)")


@dataclass
class Signals:
    """What the clauses of one reply say."""

    yes: bool = False
    no: bool = False  # a bare "nie"
    reason: bool = False  # more than politeness next to a bare "nie"
    come: bool = False
    confirm: bool = False  # "potwierdzam"
    not_come: bool = False
    cancel: bool = False  # asks for a cancellation, or gives the visit away
    keep: bool = False  # "nie odwołuję"
    unsure: bool = False  # a doubt, hedge, counter-proposal, "nie potwierdzam"
    refuse: bool = False  # turns a time down ("nie skorzystam", "odpada", "nie pasuje")
    accept: bool = False  # "biorę", "chcę", "poproszę"
    stop: bool = False
    start: bool = False
    mistake: bool = False  # "przez pomyłkę"
    leave_list: bool = False  # wants off the waiting list, not off SMS
    elsewhere: bool = False  # meant for someone else, or a wrong number: nothing acts
    by_mistake: bool = False  # "pomyłka": no bare yes or no can be read next to it
    emoji_yes: bool = False
    asked: bool = False  # the reply asks something
    changed_mind: bool = False  # "rozmyśliłam się": which of what was written still holds?
    without_means: bool = False  # "nie mam jak dojechać"
    unnamed_stop: bool = False  # "usuńcie mnie", "wypiszcie mnie": from what, no message noun says
    waiting_list: bool = False  # the reply names the waiting list ("na liście", "z kolejki")
    acknowledged: bool = False  # "ok", "dobrze", "w porządku": a clause that only says it was read
    said_more: bool = False  # a clause beyond politeness that is no acknowledgement ("ok, jestem chora")
    obstacle: bool = False  # ill, in hospital, away, working then, seen elsewhere already ("jestem chora")
    answer_later: bool = False  # "odpiszę później", "odezwę się", "dam znać"
    wanting: bool = False  # "potrzebuję tej wizyty", "czekam na ten termin"
    doubled_no: bool = False  # "Nie nie, …", "nie, nie, …": a no of its own before the rest


def parse(text: str, context: Context = Context.REMINDER) -> Intent:
    return decide(read(text), context)


def decide(s: Signals, context: Context) -> Intent:
    negative = s.cancel or s.not_come
    positive = s.come or s.confirm or (s.yes and s.keep)
    if s.start or (s.stop and s.mistake):
        return Intent.UNKNOWN if negative else Intent.START
    if s.stop and s.by_mistake:
        return Intent.UNKNOWN  # "STOP, pomyłka": which was the mistake?
    if s.stop and s.unnamed_stop and s.waiting_list:
        return Intent.UNKNOWN  # "usuńcie mnie, nie chcę czekać na liście": the list, not the SMS
    if s.stop:
        # "Odwołuję i nie wysyłajcie SMS-ów" asks for two things: ask back rather than pick one.
        return Intent.UNKNOWN if negative else Intent.STOP
    if s.elsewhere or s.leave_list or s.changed_mind:
        return Intent.UNKNOWN
    if s.by_mistake and not s.cancel:
        return Intent.UNKNOWN  # "Nie, to pomyłka"; but "to pomyłka, proszę anulować" asks for it
    if s.without_means and s.asked and not s.cancel:
        return Intent.UNKNOWN  # "Nie mam jak dojechać, jest jakiś autobus?" looks for a way to come
    if negative:
        # "Tak, odwołuję" and "Nie, nie przyjdę" agree with themselves; "przyjdę, nie mogę" does not.
        if positive:
            return Intent.UNKNOWN
        return Intent.DECLINE if context is Context.OFFER else Intent.CANCEL
    if s.no:
        if (positive or s.yes or s.accept) and (s.doubled_no or s.keep) and not (s.unsure or s.asked):
            return Intent.CONFIRM  # "Nie nie, będę", "Nie, nie odwołuję, przyjdę": the no corrects a doubt
        if positive or s.yes or s.accept or s.unsure or s.keep or (s.doubled_no and s.asked):
            return Intent.UNKNOWN
        if s.asked and context is Context.REMINDER:
            return Intent.UNKNOWN  # "Nie, a o której to jest?": a no beside a question cancels nothing yet
        if s.reason and context is Context.REMINDER:
            return Intent.CANCEL  # "Nie, jestem chora" answers "Przyjdziesz?" in full
        return Intent.DECLINE
    if s.refuse:
        return Intent.DECLINE if context is Context.OFFER and not (positive or s.yes or s.accept) else Intent.UNKNOWN
    if s.obstacle and context is Context.OFFER and not (
            positive or s.yes or s.accept or s.emoji_yes or s.unsure or s.asked or s.answer_later or s.wanting):
        # "Niestety jestem chora", "już byłam prywatnie" answer "Chcesz go?" with a no. Declining
        # asks the next patient at once and keeps this one's place (a later TAK still takes a free
        # slot); to a visit the same words are asked about: a cancellation is not undone by a TAK.
        return Intent.DECLINE
    if s.unsure:
        return Intent.UNKNOWN
    if positive:
        return Intent.CONFIRM
    if s.yes or s.accept or s.emoji_yes:
        # A bare yes to a message that asked nothing ("Nie możesz przyjść? Odwołaj") could agree
        # with either half of it.
        return Intent.UNKNOWN if context is Context.BOOKING else Intent.CONFIRM
    if s.acknowledged and not (s.said_more or s.asked) and context is Context.REMINDER:
        # "ok", "dobrze" to "Przyjdziesz?" is a yes. After a message that asked nothing it only
        # says it was read; to an offer it is not taken as a yes either: taking the slot books a
        # visit (and may ask for a prepayment), so a patient who only meant "noted" would hold a
        # visit they do not know of while the next one on the list loses it. The offer's help
        # asks TAK or NIE instead, and the slot stays open meanwhile.
        return Intent.CONFIRM
    return Intent.UNKNOWN


# ---------------------------------------------------------------------------------------------
# Sentences and clauses


def read(text: str) -> Signals:
    signals = Signals()
    text = _signature_removed(_own_message_removed(text or ""))
    if not re.search(r"[^\W\d_]", text):  # emoji, digits, punctuation only
        signals.emoji_yes = any(ch in YES_EMOJI for ch in text)
        return signals
    folded = lx.fold(URL.sub(" ", text))
    folded = re.sub(r"(?<=[a-z])-(?=[a-z])", "", folded)  # "sms-ów"
    folded = re.sub(r"(^|\s)[-–—]+(\s|$)", ", ", folded)  # "NIE - nie będę"
    folded = _corrected(folded)
    folded = BEFORE_THAT.sub(" ", folded)
    signals.doubled_no = bool(DOUBLED_NO.match(folded))
    for sentence, asked in _sentences(folded):
        if OPTIONS.search(sentence):
            continue  # "Potwierdź TAK lub odwołaj NIE": the choice named, not made
        clauses = [words for part in CLAUSE_BREAK.split(sentence) if (words := _words(part))]
        _read_sentence(clauses, asked, signals)
    return signals


def _corrected(folded: str) -> str:
    """"Nie, tzn. tak, biorę": only what follows the last correction counts."""
    words = re.findall(r"[a-z0-9]+", folded)
    for phrase in lx.CORRECTIONS:
        pattern = r"\b" + r"\W+".join(phrase) + r"\b"
        found = list(re.finditer(pattern, folded))
        if found and re.search(r"[a-z]", folded[found[-1].end():]) and len(words) > len(phrase):
            folded = folded[found[-1].end():]
    return folded


def _signature_removed(text: str) -> str:
    """Closings ("Pozdrawiam, Anna") and a trailing signature ("Kowalska", "Ewa Mazur") are not
    part of the answer: a bare "Nie. Kowalska" is still bare."""
    closing = CLOSING.search(text)
    if closing and re.search(r"[^\W\d_]", text[:closing.start()]):
        text = text[:closing.start()]
    last = re.fullmatch(r"(.*[^\W\d_].*?)[.!?,;\n]+\s*([^.!?,;\n]+?)[\s.!?]*", text, re.DOTALL)
    if last:
        names = last.group(2).split()
        if 1 <= len(names) <= 3 and all(_signs(name) for name in names):
            return last.group(1)
    return text


def _signs(word: str) -> bool:
    """A word of a signature: a name, or any capitalised word that is none of the reply's words."""
    folded = lx.fold(word).strip(".-")
    if folded in lx.FIRST_NAMES or lx.SURNAME.fullmatch(folded):
        return True
    return word[:1].isupper() and lx.known(folded) not in lx.ALL_WORDS


def _own_message_removed(text: str) -> str:
    """A patient who pasted our message under the answer: only the answer counts. Ours starts a
    line with the clinic's name and one of our openings, or carries a link. Pasted above the
    answer (or alone), only what follows it is read."""
    first, *rest = text.split("\n")
    # A quote before the colon is the patient's answer quoting us: 'Nie przyjdę "Przychodnia: …"'.
    if OUR_OPENING.match(lx.fold(first)) and not re.search(r"[\"„”«»]", first.split(":")[0]):
        return _own_message_removed("\n".join(rest)) if rest else ""
    for number, line in enumerate(rest):
        if URL.search(line) or OUR_OPENING.match(lx.fold(line)):
            return "\n".join([first, *rest[:number]])
    return text


def _sentences(folded: str) -> list[tuple[str, bool]]:
    """(sentence, whether it ends with a question mark)."""
    found, start = [], 0
    for match in SENTENCE_END.finditer(folded):
        found.append((folded[start:match.start()], "?" in match.group()))
        start = match.end()
    found.append((folded[start:], False))
    return [(sentence, asked) for sentence, asked in found if sentence.strip()]


def _words(text: str) -> list[str]:
    words: list[str] = []
    for raw in re.findall(r"[a-z0-9]+", text):
        if raw in lx.ABBREVIATIONS:
            words += lx.ABBREVIATIONS[raw]
        else:
            words += [lx.NEGATION] if raw in lx.NEGATION_SLIPS else lx.split_glued(_unswapped(raw))
    return _without_idioms(words)


def _unswapped(typed: str) -> str:
    """"mgoe", "moeg": two neighbours swapped in a short "mogę". The lexicon forgives no slip in a
    short word, since a replaced letter there makes another word; no swap of these makes one."""
    if len(typed) != 4 or typed in lx.ALL_WORDS:
        return typed
    for k in range(3):
        swapped = typed[:k] + typed[k + 1] + typed[k] + typed[k + 2:]
        if swapped in lx.ABLE:
            return swapped
    return typed


def _without_idioms(words: list[str]) -> list[str]:
    """"nie ma sprawy", "nie trzeba", "do odwołania": words that refuse or cancel nothing."""
    for i in range(len(words)):
        length = _phrase_at(words, i, lx.IDIOMS)
        if length:
            return words[:i] + _without_idioms(words[i + length:])
    return words


def _read_sentence(clauses: list[list[str]], asked: bool, s: Signals) -> None:
    # With a question mark, the last clause is a question, and so is the whole sentence unless
    # that clause starts with a question word ("Nie mogę przyjść, czy mogę prosić o inny termin?").
    if asked and clauses and not _starts_question(clauses[-1]):
        _read_question(sum(clauses, []), s)
        return
    if any(_conditional(clause) for clause in clauses):
        return  # "jak nie dojadę, to zadzwonię", "nie przyjdę, chyba że…": nothing decided yet
    hedged = False
    for clause in clauses:
        if _starts_question(clause):
            _read_question(clause, s)
        elif hedged and clause[0] in ("ze", "iz"):
            # "możliwe, że będę musiała odwołać": the hedge governs what follows it; so does a
            # negated verb: "nie gwarantuję, że będę", "nie mówiłam, że nie przyjdę"
            continue
        else:
            unsure = s.unsure
            s.unsure = False
            _read_clause(clause, s)
            hedged, s.unsure = s.unsure or clause[0] == lx.NEGATION, unsure or s.unsure


def _starts_question(clause: list[str]) -> bool:
    """"czy…", "a gdzie…", "o której…": a question word first (after "a" or a preposition)."""
    start = clause[1:] if clause[:1] in (["a"], ["i"], ["to"]) else clause
    if start[:1] and start[0] in QUESTION_PREPOSITIONS:
        start = start[1:]
    if start[:2] in (["jak", "najbardziej"], ["co", "za"]):
        return False
    return bool(start) and start[0] in lx.QUESTION_WORDS


def _conditional(clause: list[str]) -> bool:
    """"jeśli…", "jak nie…", "w razie…", "chyba że…" (not "jeśli to możliwe", a politeness)."""
    if any(_has_phrase(clause, phrase) for phrase in (("chyba", "ze"), ("w", "razie"), ("o", "ile"), ("jak", "nie"))):
        return True  # "jak nie" also mid-clause: "będzie mi głupio jak nie przyjdę" is an "if"
    for i, word in enumerate(clause):
        if word in lx.CONDITIONALS or CONDITIONAL_PERSONS.fullmatch(word):
            return not any(w in lx.POLITE_CONDITIONS for w in clause[i + 1:i + 4])
    start = clause[1:] if clause[:1] in (["a"], ["i"], ["to"]) else clause
    return start[:1] == ["jak"] and start[1:2] != ["najbardziej"]


def _read_question(words: list[str], s: Signals) -> None:
    """A question decides nothing, but "STOP przez pomyłkę?" still says it was a mistake, and one
    that asks leave ("czy mogę godzinę później?", "czy to problem?") makes a yes before it depend
    on the answer."""
    s.asked = True
    if _has_phrase(words, ("przez", "pomylke")):
        s.mistake = True
    if any(w in lx.PERMISSION for w in words[:4]) or _counter_proposal(words) or any(w in lx.SHIFTED for w in words):
        s.unsure = True


def _has_phrase(words: list[str], phrase: tuple[str, ...]) -> bool:
    return any(_phrase_at(words, i, (phrase,)) for i in range(len(words)))


def _phrase_at(words: list[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    """The length of the phrase of `phrases` that starts at words[i], or 0."""
    for phrase in phrases:
        if tuple(words[i:i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _negated(words: list[str], i: int) -> bool:
    """"nie przyjdę"; through a copula: "nie jest (mi) (już) potrzebna"."""
    if i > 0 and words[i - 1] == lx.NEGATION:
        return True
    if i < 2 or not (words[i - 1] in lx.COPULA or words[i - 1] in lx.PREDICATE_FILLER):
        return False
    before = [w for w in words[max(0, i - 4):i] if w not in lx.PREDICATE_FILLER]
    return len(before) >= 2 and before[-1] in lx.COPULA and before[-2] == lx.NEGATION


def _modal_negated(words: list[str], i: int) -> bool:
    """"nie mogę odwołać", "nie chcę rezygnować", "nie mam zamiaru rezygnować": the "nie" of a
    modal verb up to three words before reaches the verb at i."""
    return any(words[j] == lx.NEGATION and (words[j + 1] in lx.ABLE | lx.WANT | lx.INTENDING
                                            or words[j + 1:j + 3] == ["mam", "zamiaru"])
               for j in range(max(0, i - 3), i - 1))


# ---------------------------------------------------------------------------------------------
# One clause


def _read_clause(words: list[str], s: Signals) -> None:
    if "czy" in words[1:]:
        # "Chciałabym zapytać, czy mogę odwołać", "dam znać, czy przyjdę": what follows "czy" is asked.
        _read_question(words[words.index("czy"):], s)
        words = words[:words.index("czy")]
    if words[0] in lx.VOCATIVES or _has_phrase(words, ("wiadomosc", "do")):
        s.elsewhere = True
    s.waiting_list = s.waiting_list or _about_waiting_list(words)
    if any(w.startswith("rozmysl") for w in words):
        s.changed_mind = True
    if any(_phrase_at(words, i, lx.MISTAKE) for i in range(len(words))):
        s.mistake = True
    elif any(w in lx.WRONG_PERSON for w in words):
        s.by_mistake = True
    if any(_has_phrase(words, p) for p in lx.NOT_ME):
        s.elsewhere = True
    if words[:2] == ["moze", "byc"]:
        return  # "Może być": fine by me
    said = [w for w in _without_farewells(_without_thanks(words)) if w not in lx.FILLER]
    if said == ["pewnie"]:
        s.yes = True  # "No pewnie!": sure (a hedge only before what it doubts: "pewnie nie zdążę")
        return
    if said and _acknowledges(said):
        s.acknowledged = True
        return
    s.said_more = s.said_more or bool(said) and not any(w.startswith(lx.LATE) for w in said)
    # "nie wykluczam" hedges as "niewykluczone" does; "nie może" is no "może".
    hedged = any(((w in lx.HEDGES or w in lx.FEARS_AND_HOPES) and not (w == "moze" and _negated(words, i)))
                 or (w.startswith("wyklucz") and _negated(words, i)) for i, w in enumerate(words))
    doubting = any(w in lx.NOT_KNOWING and _negated(words, i) for i, w in enumerate(words)) or any(
        _phrase_at(words, i, lx.NOT_SURE) and _negated(words, i) for i in range(len(words)))
    if hedged or doubting or lx.ASKING & set(words) or _contrasted(words):
        # "chyba nie dam rady", "nie wiem, czy zdążę", "pytam tylko", "nie o 10, tylko o 11":
        # nothing else here counts
        s.unsure = True
        return
    s.answer_later = s.answer_later or bool(lx.ANSWER_LATER & set(words)) or _has_phrase(words, ("dam", "znac"))
    s.wanting = s.wanting or any(w in lx.WANTING and not _negated(words, i) for i, w in enumerate(words))
    s.obstacle = s.obstacle or _seen_elsewhere(words) or any(_unwell_or_away(words, i) for i in range(len(words)))
    used = _opt_out(words, s)
    if used:
        # "Odwołuję i nie wysyłajcie SMS-ów": the rest of the clause is still read.
        for i in range(len(words)):
            if i not in used and words[i] != lx.NEGATION:
                _read_word(words, i, s)
        return
    if _counter_proposal(words):
        s.unsure = True
    bare_no = any(w == lx.NEGATION and _bare_no(words, i) for i, w in enumerate(words))
    if s.no and not bare_no and any(w not in lx.FILLER for w in _without_thanks(words)):
        s.reason = True  # "Nie. Jestem chora": more than politeness after a bare no
    s.no = s.no or bare_no
    i = 0
    while i < len(words):
        i = _read_word(words, i, s)


def _acknowledges(words: list[str]) -> bool:
    """"ok", "oki doki", "w porządku", "dobrze, do zobaczenia": acknowledgements only."""
    i = 0
    while i < len(words):
        length = _phrase_at(words, i, lx.ACKNOWLEDGEMENT_PHRASES)
        if not length and words[i] not in lx.ACKNOWLEDGEMENTS:
            return False
        i += max(length, 1)
    return True


def _contrasted(words: list[str]) -> bool:
    """"nie o 10, tylko o 11", "nie przyjdę sama, tylko z mamą": the "nie" refuses a detail that
    "tylko" replaces, not the visit."""
    return lx.NEGATION in words and "tylko" in words[words.index(lx.NEGATION) + 2:-1]


def _bare_no(words: list[str], i: int) -> bool:
    """A "nie" that negates no word after it: the answer itself ("Nie.", "nie, dziękuję za SMS"),
    unless it is quoted: after a verb of writing in the past or negated ("napisałam NIE", "nie
    odpisuję NIE") it reports or refuses the word, it does not say it."""
    writing = words[i - 1] if i > 0 else ""
    if writing.startswith(lx.WRITING) and (lx.PAST.search(writing) or _negated(words, i - 1)):
        return False
    rest = _without_thanks(words[i + 1:])
    return all(w in lx.FILLER for w in rest) or rest[:1] == [lx.NEGATION]


def _without_thanks(words: list[str]) -> list[str]:
    """"dziękuję za przypomnienie": thanks for anything is politeness, not a reason."""
    for i, word in enumerate(words):
        if word in ("dziekuje", "dziekujemy", "dzieki") and words[i + 1:i + 2] == ["za"]:
            return words[:i + 1]
    return words


def _without_farewells(words: list[str]) -> list[str]:
    """"…, do widzenia": a goodbye is politeness wherever it stands."""
    kept, i = [], 0
    while i < len(words):
        length = _phrase_at(words, i, lx.FAREWELLS)
        if not length:
            kept.append(words[i])
        i += max(length, 1)
    return kept


def _counter_proposal(words: list[str]) -> bool:
    """"dopiero od 15", "wolałabym inny dzień", "zamiast": yes, but not to this time."""
    other_time = any(w.startswith("inn") and words[i + 1:i + 2] and words[i + 1].startswith(("dzien", "dni", "termin",
                                                                                             "godzin"))
                     for i, w in enumerate(words))
    return other_time or any(w in lx.OTHER_TIME or w.startswith("wolal") for w in words)


def _opt_out(words: list[str], s: Signals) -> set[int]:
    """STOP and START in their many forms; the positions of the words that said it."""
    # "tej propozycji", "tego terminu": this one offer, not the messages.
    nouns = any(w in lx.MESSAGE_NOUNS and words[j - 1:j] not in (["tej"], ["tego"], ["ta"])
                for j, w in enumerate(words))
    waiting_list = _about_waiting_list(words) and not nouns
    used: set[int] = set()
    for i, word in enumerate(words):
        negated = _negated(words, i)
        following = words[i + 1:i + 4]
        receive = any(w in lx.RECEIVE_VERBS and not _negated(words, j) for j, w in enumerate(following, i + 1)
                      ) and not any(w in lx.STILL or w in lx.STOP_SENDING for w in words)
        if word == "stop":
            s.stop = True
        elif word == "start" or (word in lx.RESTORE and (nouns or word.startswith("wzn")) and not negated):
            s.start = True
        elif not negated and (_opts_out(word) or (word in lx.SWITCH_OFF and (nouns or "mnie" in words))):
            if waiting_list:
                s.leave_list = True
            else:
                # "wypiszcie mnie z wizyty": it is the visit they leave (and both are asked about).
                s.cancel = s.cancel or any(w.startswith(("wizyt", "termin")) for w in words[i + 1:i + 5])
                s.stop = s.stop or nouns or not s.cancel
                s.unnamed_stop = s.unnamed_stop or not nouns
        elif word in lx.STOP_SENDING and any(w in lx.SEND_VERBS for w in following):
            s.stop = True
        elif (word in lx.ENOUGH or (word in lx.LEAVE_OFF and not negated)) and nouns:
            s.stop = True  # "dosyć tych SMS-ów", "darujcie sobie te SMS-y"
        elif (word in lx.GIVE_UP or word in lx.GIVE_UP_ONESELF) and nouns and not negated:
            # "odpuszczę sobie te SMS-y" and "tę propozycję" fold alike: which one is given up is asked.
            s.stop = s.cancel = True
        elif negated and (word in lx.SEND_VERBS or (word in lx.WANT and nouns and not _wants_other_verb(following))):
            s.stop = True
        elif negated and word in lx.CONSENTING and (nouns or _consent_to_messages(following)):
            s.stop = True  # "nie wyrażam zgody", "nie zgadzam się na SMS"
        elif word in lx.WITHDRAW_CONSENT and _consent_to_messages(following):
            s.stop = True
        elif word in lx.CANCEL_ACTS and following[:1] == ["z"] and not (negated or _modal_negated(words, i)) and (
                nouns or waiting_list):
            if nouns:
                s.stop = True  # "rezygnuję z powiadomień", "wykreślcie mnie z listy SMS-owej"
            else:
                s.leave_list = True
        elif not negated and (word in lx.WANT | {"prosze", "poprosze"} or word in lx.AGAIN) and receive:
            s.start = True
        else:
            continue
        used.add(i)
    return used


def _opts_out(word: str) -> bool:
    """"wypisz", "wypisuję się", "wypiszcie": every present or asking form of the verb; a past
    one ("wypisałam się") reports what was done."""
    return word in lx.OPT_OUT_VERBS or (word.startswith("wypis") and not lx.PAST.search(word))


def _wants_other_verb(following: list[str]) -> bool:
    """"nie chcę rezygnować z SMS-ów": the wish is about the verb after it, read on its own."""
    return bool(following) and lx.is_infinitive(following[0]) and following[0] not in lx.SEND_VERBS


def _consent_to_messages(words: list[str]) -> bool:
    """"zgodę", "zgodę na SMS-y", but not "zgodę na przetwarzanie danych": a consent to something
    else is the clinic's matter, not an opt-out."""
    at = next((i for i, w in enumerate(words) if w in lx.CONSENT), None)
    if at is None:
        return False
    if words[at + 1:at + 2] != ["na"]:
        return True
    return any(w in lx.MESSAGE_NOUNS or w in lx.RECEIVE_VERBS for w in words[at + 2:])


def _about_waiting_list(words: list[str]) -> bool:
    """"z listy", "na liście", "w kolejce": the waiting list in any case."""
    return any(w in lx.LISTS for w in words)


def _read_word(words: list[str], i: int, s: Signals) -> int:
    """Read words[i] (with the "nie" before it); the index of the next word to read."""
    negated = _negated(words, i)
    word = words[i]
    able = _phrase_at(words, i, lx.ABLE_PHRASES) or _phrase_at(words, i, lx.MANAGING)
    if negated and _phrase_at(words, i, lx.MEANS) and not lx.THIS_TIME & set(words):
        s.without_means = True
    if able or word in lx.ABLE or word in lx.MANAGE:
        if word in lx.PARTICIPLES_OF_ABLE:
            be = next((j for j in range(i - 1, max(-1, i - 4), -1) if words[j] in lx.BE), None)
            if be is not None:
                negated = _negated(words, be)  # "nie będę (już) mogła": the "nie" before "będę"
        _able(words, i + max(able, 1), negated, s)
        return i + max(able, 1)
    if word in lx.BE and any(w in lx.PARTICIPLES_OF_ABLE for w in words[i + 1:i + 4]):
        return i + 1  # "(nie) będę (już) mogła …", "tata nie będzie mógł …": read with "mogła"
    if word in lx.BE_FUTURE:
        following = words[i + 1] if i + 1 < len(words) else ""
        if (lx.is_infinitive(following) and following not in lx.COME_INFINITIVES) or lx.is_participle(following) \
                or following in lx.FORCED:
            return i + 2  # "nie będę płacić", "będę musiała", "będę zmuszona": a future tense, not a coming
        if _away(words[i + 1:i + 4]):
            return i + 1  # "będę w pracy": a reason not to come, not a coming
        _come(negated, s, words)
    elif word == lx.BE_THIRD:
        subject = words[i - 2] if negated and i > 1 else words[i - 1] if i > 0 and not negated else ""
        if words[i + 1:i + 2] and words[i + 1] in lx.BE_WHO or subject in lx.PERSONS or (
                negated and subject in lx.PERSONS_GENITIVE | lx.BE_WHO):
            _come(negated, s)  # "nie będzie nas", "syn będzie", "syna nie będzie"
    elif word in lx.COME or _one_letter_short(word, lx.COME):
        _come(negated, s, words)
    elif word in lx.YES or words[i:i + 2] == ["jak", "najbardziej"]:
        s.yes = s.yes or not negated  # "nie tak" is not a yes
    elif word in lx.CONFIRM_VERBS:
        if negated:
            s.unsure = True
        elif not any(w in lx.CANCEL_ACTS and not _negated(words, j) for j, w in enumerate(words[i + 1:i + 3], i + 1)):
            s.confirm = True  # but "potwierdzam odwołanie/rezygnację" confirms the cancellation
    elif word in lx.CANCEL_ACTS or lx.cancel_report(word) or (word in lx.GIVE_UP_ONESELF
                                                                 and "sobie" in words[max(0, i - 2):i + 2]):
        _cancel_verb(words, i, negated, s)
    elif ((word in lx.NOT_NEEDED and not negated) or (word in lx.STILL_VALID and negated)) \
            and not lx.CONTACT & set(words):
        s.cancel = True  # "wizyta nieaktualna", "już nie aktualne"; not "numer nieaktualny"
    elif word in lx.NEED and negated:
        s.cancel = True  # "nie potrzebuję już tej wizyty" (of messages it is an opt-out, read above)
    elif word in lx.WANT and negated and any(w.startswith("wizyt") for w in words[i + 1:i + 3]):
        s.cancel = True  # "nie chcę tej wizyty"
    elif word in lx.GIVE_AWAY_VERBS and not negated and "sie" not in words[i - 1:i + 2] and (
            i + 1 == len(words) or any(w in lx.GIVE_AWAY_OBJECTS or w == "dla" for w in words[i + 1:i + 4])):
        s.cancel = True  # not "mogę się zwolnić (z pracy)": that frees the patient, not the slot
    elif _phrase_at(words, i, lx.SOMEONE_ELSE):
        s.cancel = True  # "niech ktoś inny skorzysta", "proszę oddać termin komuś innemu"
    elif (word in lx.REFUSE_WORDS and not negated) or _phrase_at(words, i - 1 if negated else i, lx.REFUSE_PHRASES):
        s.refuse = True
    elif negated and word in lx.REFUSE_NEGATED and (word not in lx.WANT or _nothing_after(words, i)):
        s.refuse = True  # "nie skorzystam", "nie pasuje", a bare "nie chcę"
    elif word in lx.ACCEPT_WORDS and not negated and (word not in lx.WANT | {"poprosze"} or _nothing_after(words, i)):
        s.accept = True
    return i + 1


def _away(words: list[str]) -> bool:
    """"w pracy", "na wyjeździe", "poza domem": (will be) somewhere other than the visit."""
    return words[:1] == ["poza"] or (words[:1] in (["w"], ["we"], ["na"], ["za"]) and any(
        w.startswith(lx.AWAY) for w in words[1:3]))


def _unwell_or_away(words: list[str], i: int) -> bool:
    """"jestem chora", "leżę w szpitalu", "wyjechałam", "nie ma mnie w Polsce", "w czwartek pracuję";
    not denied ("nie jestem chora") nor over ("byłam w szpitalu")."""
    if _phrase_at(words, i, lx.ABSENT):
        return True
    if lx.NEGATION in words[max(0, i - 3):i] or lx.WAS & set(words[:i]):
        return False
    return _unwell(words, i) or _elsewhere_then(words, i)


def _unwell(words: list[str], i: int) -> bool:
    """"choruję", "leżę", "mam gorączkę", "po operacji"; not a lasting illness ("przewlekle chora")."""
    word = words[i]
    if word.startswith(lx.ILLNESS):
        return not lx.LASTING & set(words[max(0, i - 1):i + 2])
    return word in lx.LYING_ILL or (word == "po" and any(w.startswith(lx.TREATMENT) for w in words[i + 1:i + 2]))


def _elsewhere_then(words: list[str], i: int) -> bool:
    """"wyjechałam", "za granicą", "mam wtedy dyżur", "w czwartek pracuję": away when the slot is."""
    word, before = words[i], words[i - 1] if i else ""
    if word.startswith(lx.LEAVING) or (word.startswith("zagranic") and before not in ("z", "ze")):
        return True
    if word.startswith(lx.BUSY_WITH) and lx.HAVE & set(words[max(0, i - 3):i]):
        return True
    return (_away(words[i:]) or word.startswith(lx.WORKING)) and (not _for_hours(words[i:i + 3]) or _then(words))


def _for_hours(words: list[str]) -> bool:
    """"w pracy", "pracuję", "na dyżurze": somewhere for a few hours."""
    return any(w.startswith(lx.AWAY_FOR_HOURS) or w.startswith(lx.WORKING) for w in words)


def _then(words: list[str]) -> bool:
    """"w czwartek", "wtedy", "do 17", "będę": said of the offered time, not of the moment of writing."""
    return bool((lx.WHEN | lx.BE_FUTURE) & set(words)) or any(w.isdigit() for w in words)


def _seen_elsewhere(words: list[str]) -> bool:
    """"byłam już prywatnie", "u innego lekarza", "gdzie indziej", "sprawa załatwiona": the offered
    slot is no longer needed."""
    for i, word in enumerate(words):
        if lx.NEGATION in words[max(0, i - 3):i]:
            continue
        if word == "prywatnie" or word.startswith(lx.SETTLED) or words[i:i + 2] == ["gdzie", "indziej"] or (
                words[i:i + 3] == ["juz", "po", "wszystkim"]) or _been_already(words, i) or (
                word in lx.OTHER and any(w.startswith(lx.CARE) for w in words[i + 1:i + 3])) or (
                word in lx.WAS and "juz" in words and "u" in words[i + 1:i + 3]
                and not lx.THIS_CLINIC & set(words[i + 1:i + 4])):
            return True
    return False


def _been_already(words: list[str], i: int) -> bool:
    """"już byłam", "byłem już, dziękuję": been (to a doctor) already, said with nothing after it."""
    rest = [w for w in words[i + 1:] if w != "juz"]
    return words[i] in lx.WAS and "juz" in words[max(0, i - 1):i + 2] and all(w in lx.FILLER for w in rest)


def _nothing_after(words: list[str], i: int) -> bool:
    """"chcę", "poproszę" alone (or "chcę ten termin"), not "chcę odwołać", "poproszę o telefon"."""
    return all(w in lx.FILLER | {"go", "ten", "tego", "termin", "terminu", "tak", "juz"} for w in words[i + 1:])


def _able(words: list[str], after: int, negated: bool, s: Signals) -> None:
    """"(nie) mogę", "(nie) dam rady", "(nie) zdążę": about coming, unless another verb follows."""
    for word in words[after:after + 4]:
        if word in lx.COME_INFINITIVES or _one_letter_short(word, lx.COME_INFINITIVES):
            _come(negated, s, words)
            return
        if lx.is_infinitive(word) or word in lx.CANCEL_ACTS:
            return  # "nie mogę zapłacić", "nie mogę odwołać": about something else
    if negated and lx.MOMENT & set(words):
        s.unsure = True  # "nie mogę teraz, oddzwonię": this moment (to talk), not the visit's
    elif negated or words[after:after + 1] != ["sie"]:
        _come(negated, s, words)  # "nie zdążę na czas" is late, not absent


@lru_cache(maxsize=4096)
def _one_letter_short(typed: str, words: frozenset[str]) -> bool:
    """"przysc", "przyde": a long word with one letter dropped (the lexicon forgives only a
    replaced or swapped one)."""
    return len(typed) >= 5 and any(len(word) == len(typed) + 1 and any(
        word[:k] + word[k + 1:] == typed for k in range(len(word))) for word in words)


def _come(negated: bool, s: Signals, words: list[str] | None = None) -> None:
    if words and any(_has_phrase(words, phrase) for phrase in lx.ON_TIME) and negated:
        s.unsure = True  # "nie dotrę na czas": late, not absent
    elif negated:
        s.not_come = True
    else:
        s.come = True


def _cancel_verb(words: list[str], i: int, negated: bool, s: Signals) -> None:
    if lx.cancel_report(words[i]) or any(w in lx.CONSENT for w in words[i + 1:i + 3]):
        return  # "odwołałam wczoraj": a report; "odwołuję zgodę na …": a consent, not the visit
    if negated or _modal_negated(words, i) or {"nic", "niczego"} & set(words[max(0, i - 3):i]):
        s.keep = True  # "nie odwołuję", "niczego nie odwołuję", "nie mogę odwołać"
        return
    if words[i].startswith(("wykresl", "skresl")) and _about_waiting_list(words[i:]):
        s.leave_list = True
        return
    s.cancel = True
