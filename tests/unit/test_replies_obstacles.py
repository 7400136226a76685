"""An obstacle said instead of NIE ("jestem chora", "wyjechałam", "już byłam prywatnie").

To a reserve-list offer it is a refusal: declining asks the next patient at once and keeps this
one's place, and a later TAK still takes the slot while it is free. Hedged, asked, conditional,
over, deferred or next to a yes it decides nothing. To a visit (a reminder, a booking) the same
words are only asked about: a cancellation is not undone by a later TAK.

The phrasings here are in no corpus (tests/corpus); the corpora are scored in test_reply_corpus.py.
"""
import pytest

from odwolaj.language.replies import Context, Intent, parse

REMINDER, BOOKING, OFFER = Context.REMINDER, Context.BOOKING, Context.OFFER

OBSTACLES = [
    "Niestety choruję, dziękuję za wiadomość",
    "lezymy z grypa cala rodzina",
    "Dzien dobry. Corka ma goraczke od wczoraj. Pozdrawiam",
    "jestem od tygodnia w szpitalu",
    "Tata leży w szpitalu na kardiologii",
    "Jestem po operacji kolana, nie chodzę",
    "wyjechalismy do rodziny, dziekujemy",
    "Jestem w sanatorium do 15 grudnia",
    "przebywam na wczasach",
    "w piatek pracuje do 20",
    "Wtedy jestem w pracy, dziękuję",
    "mam wtedy delegacje",
    "Już byłam u ortopedy prywatnie",
    "Dziekuje, mam juz wizyte w innej poradni",
    "juz po zabiegu, zrobili mi w innym szpitalu",
    "Syn był już u innego specjalisty, dziękujemy",
    "nas nie ma w kraju do lutego",
]


@pytest.mark.parametrize("text", OBSTACLES)
def test_an_obstacle_declines_an_offer(text):
    assert parse(text, OFFER) is Intent.DECLINE


@pytest.mark.parametrize("context", [REMINDER, BOOKING])
@pytest.mark.parametrize("text", OBSTACLES)
def test_the_same_obstacle_to_a_visit_is_asked_about_never_a_cancellation(text, context):
    assert parse(text, context) is Intent.UNKNOWN


@pytest.mark.parametrize("text, intent", [
    # next to a yes
    ("Mam grypę, ale do wtorku wydobrzeję, biorę", Intent.CONFIRM),
    ("jestem w szpitalu, ale w piatek wychodze, tak", Intent.CONFIRM),
    ("Jestem chory, ale mimo to przyjdę", Intent.CONFIRM),
    ("Pracuję w czwartek, ale wezmę wolne, chętnie", Intent.CONFIRM),
    # over
    ("Bylam w sanatorium, teraz moge", Intent.CONFIRM),
    ("Byłem chory, już jestem zdrowy", Intent.UNKNOWN),
    ("wrocilam z urlopu", Intent.UNKNOWN),
    ("Nie jestem już w szpitalu", Intent.UNKNOWN),
    # asked
    ("Jestem w szpitalu do środy, kiedy jest ten termin?", Intent.UNKNOWN),
    ("czy z grypa moge przyjsc?", Intent.UNKNOWN),
    # conditional
    ("Jeżeli nie wyjadę, to biorę", Intent.UNKNOWN),
    ("gdybym nie byla chora to bym przyszla", Intent.UNKNOWN),
    # hedged or not knowing
    ("chyba bede na urlopie", Intent.UNKNOWN),
    ("nie wiem czy nie bede w pracy", Intent.UNKNOWN),
    # deferred
    ("Jestem na urlopie, odezwę się po powrocie", Intent.UNKNOWN),
    ("W szpitalu jestem, dam znać", Intent.UNKNOWN),
    # at work right now, not said of the offered time
    ("Jestem teraz w pracy", Intent.UNKNOWN),
    # the illness is why the patient waits
    ("Jestem przewlekle chora i bardzo czekam na wizytę", Intent.UNKNOWN),
    # at this clinic, not elsewhere; or not already
    ("Byłam już u Państwa w zeszłym roku", Intent.UNKNOWN),
    ("Bylam u lekarza rodzinnego i dal skierowanie", Intent.UNKNOWN),
])
def test_an_obstacle_that_is_hedged_asked_conditional_over_or_next_to_a_yes_declines_nothing(text, intent):
    assert parse(text, OFFER) is intent


@pytest.mark.parametrize("text", [
    "nie nie, przyjde jak zawsze", "Nie, nie - będę", "NIE NIE!! Bede", "nie, nie. Przyjdziemy oboje",
    "Nie, nie odwołuję, będę na 10",
])
def test_a_doubled_no_that_corrects_into_a_yes_confirms(text):
    assert parse(text, REMINDER) is Intent.CONFIRM


@pytest.mark.parametrize("text, intent", [
    ("Nie, nie przyjdę, przepraszam", Intent.CANCEL),
    ("nie nie dojade", Intent.CANCEL),
    ("Nie nie, nie dam rady", Intent.CANCEL),
    ("Nie, przyjdę", Intent.UNKNOWN),  # one comma from "nie przyjdę"
    ("nie nie, kiedy to?", Intent.UNKNOWN),  # a doubled no before a question may be either
    ("Nie nie. Dziękuję", Intent.DECLINE),
])
def test_a_no_that_does_not_correct_itself_keeps_its_reading(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text, context, intent", [
    ("Pracuję, ale mogę się zwolnić", REMINDER, Intent.UNKNOWN),  # takes time off work, frees no slot
    ("Moge sie zwolnic, biore", OFFER, Intent.CONFIRM),
    ("Zwalniam ten termin, dziękuję", REMINDER, Intent.CANCEL),
    ("Będę na wakacjach", REMINDER, Intent.UNKNOWN),  # away, not coming
])
def test_freeing_oneself_or_being_away_is_not_about_the_slot(text, context, intent):
    assert parse(text, context) is intent


@pytest.mark.parametrize("text, intent", [
    ("Nie, a o ktorej to jest?", Intent.UNKNOWN),  # a no beside a question: not yet a cancellation
    ("nie... a co to za wizyta?", Intent.UNKNOWN),
    ("Nie. Gdzie to jest?", Intent.UNKNOWN),
    ("Nie. Dziekuje, do widzenia", Intent.CANCEL),  # politeness is no question
    ("Nie przyjde. Moge prosic o inny termin?", Intent.CANCEL),  # said in full, then asks for another
])
def test_a_bare_no_beside_a_question_to_a_reminder_cancels_nothing(text, intent):
    assert parse(text, REMINDER) is intent
