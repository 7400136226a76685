"""The SMS reply parser: it reads what patients write, and never guesses destructively.

Each destructive class (a reply read as a cancellation, a refusal or an opt-out that was not one,
or as a yes that was a no) has its own traps here, written from the language: negation scope,
questions, hedges and conditions, reports of the past, opt-out phrasing, third persons, politeness,
signatures, typos and emoji. The corpus as a whole is scored in test_reply_corpus.py."""
import pytest
from hypothesis import given, settings, strategies as st

from odwolaj.language.lexicon import fold, known
from odwolaj.language.replies import Context, Intent, parse

REMINDER, BOOKING, OFFER = Context.REMINDER, Context.BOOKING, Context.OFFER
DESTRUCTIVE = {Intent.CANCEL, Intent.DECLINE, Intent.STOP}


@pytest.mark.parametrize("text", [
    "TAK", "tak", "Tak.", "Tak!!!", "potwierdzam", "Potwierdzam.", "tak, dziękuję", "Będę", "przyjdę",
    "TAK PRZYJDĘ", "tka", "Takbede", "Oczywiście, będę", "Tak, mama przyjdzie", "Nie ma sprawy, będę",
    "Tak, nie odwołuję", "Niczego nie odwołuję, będę", "Dzień dobry, potwierdzam wizytę. Pozdrawiam Anna Nowak",
    "Tak, ale spóźnię się kilka minut", "👍",
])
def test_confirmations(text):
    assert parse(text, REMINDER) is Intent.CONFIRM


@pytest.mark.parametrize("text", [
    "nie przyjdę", "Nie przyjde jutro", "odwołuję", "ODWOŁUJĘ", "rezygnuję", "nie mogę", "niemoge",
    "Nie, nie przyjdę", "Tak, odwołuję", "Proszę o odwołanie wizyty.", "Muszę zrezygnować",
    "Chciałabym odwołać wizytę", "Dzień dobry, niestety muszę odwołać wizytę. Przepraszam",
    "mama nie przyjdzie, jest w szpitalu", "Tata nie będzie mógł przyjść", "Nie będzie nas, dzieci chore",
    "Wizyta nieaktualna", "Nie potrzebuję już tej wizyty",
    "Niech ktoś inny skorzysta, ja nie dam rady", "odwolujr", "porsze odwołać", "Rezygnyje", "przepraszam nie bende",
    "nie.nie przyjde", "Odwołuję wizytę 😔", "Nie przyjdę, ale proszę dalej wysyłać przypomnienia",
    "Nie mogę przyjść, czy mogę prosić o inny termin?", "Nie. Jestem chora", "NIE bo pracuje", "Nie przychodzę",
])
def test_cancellations(text):
    assert parse(text, REMINDER) is Intent.CANCEL


@pytest.mark.parametrize("text", ["NIE", "nie", "NIE!", "Nie...", "nei", "nie, dziękuję", "Niestety nie",
                                  "Dzień dobry, nie. Pozdrawiam", "Nie. Dziękuję. Kowalska", "Nie nie", "Nie. ewa",
                                  "nie, dziękuję za przypomnienie"])
def test_a_bare_no_is_a_decline(text):
    assert parse(text, REMINDER) is Intent.DECLINE
    assert parse(text, BOOKING) is Intent.DECLINE  # asked back, never a cancellation


@pytest.mark.parametrize("text", [
    "STOP", "stop", "Stop.", "STOP SMS", "nie wysyłaj mi więcej", "wypisz", "Wypiszcie mnie",
    "nie chcę dostawać SMS-ów",
    "Proszę nie wysyłać mi SMS", "rezygnuję z powiadomień", "Odwołuję zgodę na SMS-y", "nie, nie chcę już SMS",
    "Nie wyrażam zgody na otrzymywanie SMS", "Przestańcie pisać", "nie potrzebuję przypomnień, pamiętam sama",
    "Rezygnuję z przypomnień, na wizytę przyjdę", "prosze mnie wykreslic z listy smsowej", "Dosyć tych SMS-ów",
    "Nie spamujcie", "Odwołuję zgodę", "Nie wyrażam zgody na wysyłanie wiadomości",
])
def test_opt_out_is_stop_and_never_a_cancellation(text):
    assert parse(text, REMINDER) is Intent.STOP
    assert parse(text, BOOKING) is Intent.STOP


@pytest.mark.parametrize("text", ["START", "start", "Proszę znowu wysyłać przypomnienia", "Chcę znów dostawać SMS-y",
                                  "wysłałam STOP przez pomyłkę", "Jednak nie rezygnuję z SMS, proszę wysyłać",
                                  "wysłałem STOP przez przypadek, proszę wysyłać dalej"])
def test_opt_in(text):
    assert parse(text, REMINDER) is Intent.START


# -- each destructive class: replies that must never cancel, decline or opt out ---------------

NOT_REFUSALS = [
    # negation scope: "nie" negates the word after it
    "Nie wiem", "nie wiem czy dam rade", "Nie rozumiem, jaki termin?", "nie pamietam czy sie zapisywalam",
    "nie jestem pewna", "Nie mogę otworzyć strony", "Nie moge sie dodzwonic do rejestracji", "Nie moge znalezc kodu",
    "nie mogę się doczekać 😊", "Nie zapomnij o kluczach", "Nie teraz", "Nie bede placic", "Nie pasuje mi ta godzina",
    "nie odwołuję", "nie rezygnuję", "Nie odwołuję, chciałam tylko zapytać o godzinę", "nie potwierdzam", "nie tak",
    "Nie ja odwołałam", "Nie, to nie ja", "Nie, to nie mój numer", "Nie dotrę na czas, spóźnię się 20 minut",
    # questions, also without a question mark, and indirect ones
    "Czy mogę odwołać?", "czy moge przelozyc wizyte", "Jak odwolac wizyte?",
    "Czy jak odpiszę NIE to wizyta przepadnie?",
    "Mam napisać TAK czy NIE?", "Chciałabym zapytać, czy mogę odwołać", "Co się stanie, jak nie przyjdę?",
    "Dlaczego ktoś odwołał moją wizytę?",
    # hedges and conditions
    "Chyba nie dam rady", "Raczej nie przyjdę", "Może nie przyjdę", "Jak nie dojadę to zadzwonię",
    "Nie przyjdę, jeśli będzie padać", "możliwe, że będę musiała odwołać wizytę", "Odwołam, chyba że mi przejdzie",
    # reports of the past, the instructions echoed
    "Już odwoływałam wczoraj przez telefon, czemu dalej przychodzą sms?", "Wczoraj odwołałam",
    "Potwierdź TAK lub odwołaj NIE",
    # wrong thread, complaints, emoji
    "Kochanie nie będę o 18", "wiadomość do Kasi: nie przyjdę na obiad", "Co za idiotyzm z tymi smsami",
    "👎", "❌", "N", "Pomyłka", "Nie, to pomyłka",
    # a consent to something other than messages is the clinic's matter; a code that did not arrive
    "Odwołuję zgodę na przetwarzanie danych", "Nie wyrażam zgody na przetwarzanie danych", "Nie przychodzi mi kod",
]


@pytest.mark.parametrize("text", NOT_REFUSALS)
@pytest.mark.parametrize("context", [REMINDER, BOOKING])
def test_never_a_cancellation_refusal_or_opt_out(text, context):
    assert parse(text, context) not in DESTRUCTIVE


@pytest.mark.parametrize("text", ["Nie, będę", "nie,bede", "Tak nie wiem", "Tak… chociaż nie wiem",
                                  "Przyjdę, ale nie mogę o 10, może o 11?", "Tak, ale wolałabym inny dzień",
                                  "Tak, ale czy mogę przyjść godzinę później?"])
def test_contradictions_and_conditions_are_unclear(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN


@pytest.mark.parametrize("text", ["Nie przyjdę", "odwołuję", "NIE", "nie, dziękuję", "Rezygnuję z wizyty"])
def test_a_refusal_is_never_read_as_a_yes(text):
    for context in Context:
        assert parse(text, context) is not Intent.CONFIRM


def test_an_opt_out_and_a_cancellation_together_are_asked_about():
    assert parse("Odwołuję wizytę i proszę nie wysyłać więcej SMS", REMINDER) is Intent.UNKNOWN


# -- what the message being answered changes ----------------------------------------------------

def test_a_bare_yes_to_a_message_that_asked_nothing_is_unclear():
    assert parse("Tak", BOOKING) is Intent.UNKNOWN and parse("👍", BOOKING) is Intent.UNKNOWN
    assert parse("Dziękuję, będę", BOOKING) is Intent.CONFIRM


def test_a_no_with_a_reason_answers_a_question_in_full_but_is_asked_about_after_a_booking():
    assert parse("Nie, jestem w pracy", REMINDER) is Intent.CANCEL
    assert parse("Nie, jestem w pracy", BOOKING) is Intent.DECLINE


@pytest.mark.parametrize("text", ["Nie przyjdę w tym terminie", "nie dam rady tak szybko", "Nie skorzystam",
                                  "Niestety ten termin odpada", "Nie chcę", "nie tym razem", "NIE"])
def test_any_refusal_of_an_offer_declines_it(text):
    assert parse(text, OFFER) is Intent.DECLINE


@pytest.mark.parametrize("text", ["Biorę", "Tak, chcę", "Poproszę", "Reflektuję", "Tak, zdążę", "Nie, tzn. tak, biorę"])
def test_taking_an_offer(text):
    assert parse(text, OFFER) is Intent.CONFIRM


@pytest.mark.parametrize("text", ["ok", "Może", "Zastanowię się", "Tak, ale mogę dopiero od 15", "Ile to kosztuje?",
                                  "Proszę mnie wykreślić z kolejki"])
def test_offer_replies_that_are_neither(text):
    assert parse(text, OFFER) is Intent.UNKNOWN


# -- the same reply however it is written -------------------------------------------------------

@pytest.mark.parametrize("text, intent", [
    ("Dzień dobry, nie przyjdę. Pozdrawiam, Anna Kowalska", Intent.CANCEL),
    ("Szanowni Państwo, uprzejmie informuję, że nie będę mogła stawić się na wizytę. Z poważaniem H. Nowak",
     Intent.CANCEL),
    ("Dzień dobry\nNie dam rady przyjść\nPrzepraszam\nZofia", Intent.CANCEL),
    ("NIE MOGE PRZYJSC ODWOLUJE", Intent.CANCEL),
    ("nie moge przyjsc\n\nPrzychodnia: Wizyta 12.12 umowiona. Nie mozesz przyjsc? Odwolaj: https://odw.pl/c/X",
     Intent.CANCEL),
    ("TAK\nPrzychodnia: wizyta 12.12 godz. 10:00. Potwierdz TAK lub odwolaj NIE", Intent.CONFIRM),
    ("NIE\nPrzychodnia: wizyta pt 12.12. Przyjdziesz? Odpisz TAK lub NIE. https://odw.pl/c/Ab3", Intent.DECLINE),
])
def test_wrappers_signatures_and_pasted_messages(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text", ["Nie przyjdę, przepraszam", "Proszę o odwołanie wizyty", "Tak, będę",
                                  "nie wiem czy zdążę", "Nie chcę dostawać SMS-ów", "Czy mogę przełożyć?"])
def test_diacritics_and_case_do_not_matter(text):
    for written in (fold(text), text.upper(), text.lower()):
        assert parse(written, REMINDER) is parse(text, REMINDER)


# -- properties ---------------------------------------------------------------------------------

@given(st.text(max_size=300), st.sampled_from(list(Context)))
def test_arbitrary_text_never_raises(text, context):
    assert isinstance(parse(text, context), Intent)


WORDS = ["nie", "tak", "odwołuję", "przyjdę", "mogę", "wizyta", "jutro", "STOP", "będę", "rezygnuję", "sms",
         "proszę", "dziękuję", "mama", "termin", "dam", "rady", "chcę", "NIE", "TAK"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8), st.sampled_from(["czy", "nie wiem czy", "chyba",
                                                                                  "jeśli", "jak"]))
def test_a_question_doubt_hedge_or_condition_never_acts(words, opener):
    """Whatever the words, one clause opened by a question word, a doubt, a hedge or a condition
    decides nothing."""
    text = f"{opener} {' '.join(words)}"
    assert parse(text + "?", REMINDER) not in DESTRUCTIVE
    assert parse(text, REMINDER) not in DESTRUCTIVE


@settings(max_examples=200)
@given(st.sampled_from(["nie przyjdę", "odwołuję wizytę", "tak, będę", "STOP", "NIE"]),
       st.sampled_from(["", "Dzień dobry, ", "Witam. "]), st.sampled_from(["", " Pozdrawiam", ". Dziękuję", " 🙂",
                                                                         ". Anna Nowak", "\nPozdrawiam, Zofia"]))
def test_politeness_and_signatures_never_change_the_answer(core, greeting, closing):
    assert parse(f"{greeting}{core}{closing}", REMINDER) is parse(core, REMINDER)


# -- language rules that generalise beyond the corpora ------------------------------------------

@pytest.mark.parametrize("text", ["Gdybym nie mogła, zadzwonię", "gdybyśmy nie dojechali to damy znać",
                                  "Jeślibym nie zdążyła, odwołam", "Jakbym nie dała rady, napiszę"])
def test_a_condition_with_a_persons_ending_decides_nothing(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN


@pytest.mark.parametrize("text", ["Nie mam zamiaru rezygnować", "nie zamierzam odwołać wizyty",
                                  "Nie planuję odwołać", "Nie chcę rezygnować z przypomnień",
                                  "nie chce rezygnowac z sms"])
def test_the_nie_of_an_intention_reaches_the_verb_after_it(text):
    assert parse(text, REMINDER) not in DESTRUCTIVE


@pytest.mark.parametrize("text", ["Wizyta nie jest już potrzebna", "ta wizyta nie jest aktualna",
                                  "Termin nie jest mi już potrzebny", "Nie jest potrzebna, dziękuję"])
def test_nie_before_a_copula_negates_what_it_links(text):
    assert parse(text, REMINDER) is Intent.CANCEL


@pytest.mark.parametrize("text, intent", [
    ("Niestety będę w pracy", Intent.UNKNOWN), ("będę na urlopie", Intent.UNKNOWN),
    ("Nie, będę w delegacji", Intent.CANCEL), ("Nie dam rady, będę poza miastem", Intent.CANCEL),
    ("Będę w czwartek", Intent.CONFIRM), ("będę na pewno", Intent.CONFIRM), ("Będę w przychodni o 9", Intent.CONFIRM),
])
def test_being_somewhere_else_is_not_a_coming(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text", ["Córki nie będzie, ma anginę", "Męża nie będzie", "dziadka nie bedzie"])
def test_an_absent_person_in_the_genitive_will_not_come(text):
    assert parse(text, REMINDER) is Intent.CANCEL


def test_jak_najbardziej_is_a_yes_not_a_question():
    assert parse("Jak najbardziej!", REMINDER) is Intent.CONFIRM
    assert parse("jak najbardziej, biore", OFFER) is Intent.CONFIRM
    assert parse("Jak najbardziej", BOOKING) is Intent.UNKNOWN  # a bare yes to a message that asked nothing


@pytest.mark.parametrize("text", ["Niestety nie mogę otworzyć linku, jaki to termin?", "Niestety, kto to?",
                                  "Niestety nie dostałam skierowania", "Niestety dopiero teraz zobaczyłam"])
def test_regret_alone_does_not_turn_an_offer_down(text):
    """"Niestety" opens refusals, but also problems the patient wants solved."""
    assert parse(text, OFFER) is not Intent.DECLINE


@pytest.mark.parametrize("text, context, intent", [
    ("Nie mam jak dojechać, czy jest jakiś autobus?", REMINDER, Intent.UNKNOWN),
    ("Mama nie ma jak przyjechać. Możecie przysłać transport?", REMINDER, Intent.UNKNOWN),
    ("Nie mam jak dojechać", REMINDER, Intent.CANCEL),
    ("Nie mam jak dojechać tak wcześnie rano", OFFER, Intent.DECLINE),
])
def test_a_lack_of_means_with_a_question_asks_for_a_way(text, context, intent):
    assert parse(text, context) is intent


@pytest.mark.parametrize("text", ["nie moge przysc", "Nie dam rady dojehac", "Nie mgoe przyjść", "nie omge",
                                  "nie przyde", "Tata nie przyjdze"])
def test_a_dropped_or_swapped_letter_in_coming_or_being_able(text):
    assert parse(text, REMINDER) is Intent.CANCEL


@pytest.mark.parametrize("text", ["Nie mogę teraz, oddzwonię", "W tej chwili nie mogę, jestem za kierownicą",
                                  "teraz nie moge pisac, potem"])
def test_not_able_at_the_moment_of_writing_is_not_about_the_visit(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN


@pytest.mark.parametrize("text, intent", [
    ("Nie uda mi się przyjść", Intent.CANCEL), ("niestety nie uda się", Intent.CANCEL),
    ("Nie zdołam dojechać", Intent.CANCEL), ("nie wyrobimy się", Intent.CANCEL),
    ("Uda mi się, będę", Intent.CONFIRM), ("Nie uda mi się zapłacić przez link", Intent.UNKNOWN),
    ("Czy uda się przełożyć?", Intent.UNKNOWN),
])
def test_managing_to_is_read_like_being_able_to(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text, intent", [
    ("Proszę mnie wypisać z wizyty", Intent.CANCEL), ("wypiszcie mnie z tego terminu", Intent.CANCEL),
    ("Wypiszcie mnie z wizyty i z SMS-ów", Intent.UNKNOWN), ("wypiszcie mnie", Intent.STOP),
])
def test_opting_out_of_a_visit_is_cancelling_it(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text, intent", [
    ("Wypisuję się z SMS-ów", Intent.STOP), ("wypisujemy się", Intent.STOP), ("Proszę mnie wypisać", Intent.STOP),
    ("Nie wypisujcie mnie", Intent.UNKNOWN), ("proszę mnie nie wypisywać z przypomnień", Intent.UNKNOWN),
    ("Wypisałam się już wczoraj", Intent.UNKNOWN),
])
def test_every_form_of_opting_out_and_its_negation(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text", ["Obawiam się, że nie zdążę", "Boję się że nie dam rady dojechać",
                                  "Mam nadzieję, że zdążę", "Nie nie, ja tylko pytam", "Mam pytanie: nie mogę?"])
def test_a_fear_a_hope_or_a_said_question_decides_nothing(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN


@pytest.mark.parametrize("text", ["Chciałam odwołać, ale się rozmyśliłam", "Rozmyśliłem się, nie odwołujcie",
                                  "rezygnuję... a jednak się rozmyśliłam"])
def test_a_changed_mind_is_asked_about(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN


def test_a_stated_question_does_not_hide_a_refusal_next_to_it():
    assert parse("Nie przyjdę. Mam pytanie, czy dostanę nowy termin?", REMINDER) is Intent.CANCEL


@pytest.mark.parametrize("text, intent", [
    ("Nie przyjdę o 9 tylko o 10", Intent.UNKNOWN), ("nie przyjdę sama tylko z córką", Intent.UNKNOWN),
    ("Nie będę na czas", Intent.UNKNOWN), ("nie zdążę na godzinę, będę 10 min później", Intent.UNKNOWN),
])
def test_a_refused_detail_is_not_a_refused_visit(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text", ["Jej nie będzie", "go nie bedzie w tym dniu", "Rodzice nie dadzą rady",
                                  "Dzieci nie przyjdą, ospa", "oni nie dotrą"])
def test_third_persons_in_every_number_and_case(text):
    assert parse(text, REMINDER) is Intent.CANCEL


@pytest.mark.parametrize("text, context, intent", [
    ("Gabinet Pod Lipami: wizyta wt 3.06 godz. 8:15 umowiona. Nie mozesz przyjsc? Odwolaj: https://odw.pl/c/Q7",
     BOOKING, Intent.UNKNOWN),
    ("Gabinet Pod Lipami: wizyta wt 3.06 godz. 8:15. Przyjdziesz? Odpisz TAK lub NIE.\nnie dojade", REMINDER,
     Intent.CANCEL),
    ("Gabinet Pod Lipami: zwolnil sie termin wt 3.06 o 8:15. Chcesz go? Odpisz TAK lub NIE\n\nbiore!", OFFER,
     Intent.CONFIRM),
    ('Odwołuję "Gabinet Pod Lipami: wizyta wt 3.06 godz. 8:15. Przyjdziesz? Odpisz TAK lub NIE."', REMINDER,
     Intent.CANCEL),
])
def test_our_message_pasted_above_the_answer_or_alone_is_not_read(text, context, intent):
    assert parse(text, context) is intent


@pytest.mark.parametrize("text", ["Nie chcę już czekać na liście, proszę mnie usunąć",
                                  "usuńcie mnie, nie chcę stać w kolejce"])
def test_leaving_the_waiting_list_in_the_locative_is_not_an_opt_out(text):
    assert parse(text, OFFER) is Intent.UNKNOWN


@pytest.mark.parametrize("text", ["Nie napisałam NIE", "Wysłałem nie, a chodziło mi o coś innego",
                                  "nie odpisuje nie bo nie wiem"])
def test_a_no_reported_or_refused_is_not_said(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN
    assert parse(text, OFFER) is Intent.UNKNOWN


@pytest.mark.parametrize("text, intent", [
    ("Nie będę już mogła przyjść", Intent.CANCEL), ("mama nie będzie niestety mogła", Intent.CANCEL),
    ("Będę jednak mogła przyjść", Intent.CONFIRM), ("nie bede chyba mogl", Intent.UNKNOWN),
])
def test_a_word_between_bede_and_mogla_does_not_cut_the_negation(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text, intent", [
    ("nie bd", Intent.CANCEL), ("nie bd mogla", Intent.CANCEL), ("bd", Intent.CONFIRM), ("tk", Intent.CONFIRM),
    ("nwm", Intent.UNKNOWN), ("nw czy zdaze", Intent.UNKNOWN),
])
def test_texting_shorthand(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text, intent", [
    ("Przywiozę mamę na 10", Intent.CONFIRM), ("tata nie przyjdzie sam, przyprowadzę go", Intent.UNKNOWN),
    ("Nie przywiozę syna, jest chory", Intent.CANCEL),
])
def test_bringing_the_patient_is_coming(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text", ["Nie wykluczam, że odwołam", "nie wykluczone ze nie dojade",
                                  "Nie gwarantuję, że będę", "Nie mówiłam, że nie przyjdę"])
def test_what_a_negated_verb_or_a_hedge_governs_is_not_said(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN


@pytest.mark.parametrize("text", ["Potwierdzam rezygnację", "potwierdzam odwolanie wizyty",
                                  "Będę zmuszony odwołać wizytę", "niestety bede zmuszona zrezygnowac"])
def test_confirming_a_cancellation_or_being_forced_to_cancel_cancels(text):
    assert parse(text, REMINDER) is Intent.CANCEL
    assert parse("Potwierdzam nie odwołuję", REMINDER) is Intent.CONFIRM


@pytest.mark.parametrize("text, intent", [
    ("rezygnuję z tej oferty, dziękuję", Intent.DECLINE), ("Rezygnuję z tej propozycji", Intent.DECLINE),
    ("Nie chcę takich propozycji", Intent.STOP), ("Rezygnuję z ofert", Intent.STOP),
])
def test_this_one_offer_is_declined_the_offers_are_stopped(text, intent):
    assert parse(text, OFFER) is intent
    assert parse("Nie chcę tej propozycji", OFFER) is not Intent.STOP


@pytest.mark.parametrize("text, intent", [
    ("Numer nieaktualny", Intent.UNKNOWN), ("ten telefon jest już nieaktualny", Intent.UNKNOWN),
    ("Adres e-mail nieaktualny", Intent.UNKNOWN), ("Termin nieaktualny", Intent.CANCEL),
])
def test_out_of_date_contact_details_are_not_an_out_of_date_visit(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("typed", ["takim", "takiej", "takie", "przed", "tamtej", "swojej", "wszystkim"])
def test_function_words_are_never_bent_into_other_words(typed):
    assert known(typed) == typed  # "takim" is not "jakim", "przed" is not "przez"
    assert parse("W takim razie odwołujemy wizytę", REMINDER) is Intent.CANCEL
    assert parse("to w takim razie nie przyjedziemy", REMINDER) is Intent.CANCEL


@pytest.mark.parametrize("typed, word", [("korki", "korki"), ("malej", "malej"), ("rodzinie", "rodzinie"),
                                         ("dowoluje", "odwoluje"), ("rezygnyjemy", "rezygnujemy")])
def test_a_replaced_first_letter_is_another_word_not_a_slip(typed, word):
    assert known(typed) == word


@pytest.mark.parametrize("text", ["Okej, dziękuję bardzo", "spoko, do zobaczenia", "W porządku, pozdrawiam serdecznie",
                                  "oki, dzięki", "Przyjęte, dziękuję", "dobrze dobrze", "Świetnie, dziękuję"])
def test_a_bare_acknowledgement_answers_a_reminder_only(text):
    assert parse(text, REMINDER) is Intent.CONFIRM
    assert parse(text, BOOKING) is Intent.UNKNOWN  # it asked nothing: "read", nothing more
    assert parse(text, OFFER) is Intent.UNKNOWN  # taking a slot books a visit: it needs a yes


@pytest.mark.parametrize("text, context, intent", [
    ("Ok, nie mogę przyjść", REMINDER, Intent.CANCEL), ("Dobrze, odwołujemy", REMINDER, Intent.CANCEL),
    ("Okej, a jak zaparkować?", REMINDER, Intent.UNKNOWN), ("Oki, ale nie wiem czy zdążę", REMINDER, Intent.UNKNOWN),
    ("Ok, jestem chora", REMINDER, Intent.UNKNOWN), ("ok stop", REMINDER, Intent.STOP),
    ("Nie ok", REMINDER, Intent.UNKNOWN),
    ("Ok. Czy mogę przyjść z psem?", REMINDER, Intent.UNKNOWN), ("Okej, ale odpada", OFFER, Intent.DECLINE),
    ("Okej, spóźnię się kwadrans", REMINDER, Intent.CONFIRM),  # late is still coming
])
def test_an_acknowledgement_never_outweighs_what_is_said_next_to_it(text, context, intent):
    assert parse(text, context) is intent


@pytest.mark.parametrize("text, context, intent", [
    ("Dobrze, dziękuję. Do widzenia", REMINDER, Intent.CONFIRM), ("Ok. Do uslyszenia!", REMINDER, Intent.CONFIRM),
    ("Do widzenia", REMINDER, Intent.UNKNOWN),  # a goodbye alone says nothing of the visit
    ("Do widzenia, nie będę", REMINDER, Intent.CANCEL), ("Dobrze, do widzenia", OFFER, Intent.UNKNOWN),
])
def test_a_goodbye_is_politeness_wherever_it_stands(text, context, intent):
    assert parse(text, context) is intent


@pytest.mark.parametrize("text, context, intent", [
    ("Pewnie, że nie", REMINDER, Intent.DECLINE), ("Oczywiście, że nie przyjdę", REMINDER, Intent.CANCEL),
    ("Oczywiście że nie", OFFER, Intent.DECLINE), ("Jasne że przyjedziemy", REMINDER, Intent.CONFIRM),
    ("Dobrze, że przypominacie", REMINDER, Intent.UNKNOWN),
])
def test_a_yes_word_before_ze_only_qualifies_the_clause_after_it(text, context, intent):
    assert parse(text, context) is intent


def test_pewnie_alone_is_sure_and_a_hedge_only_before_what_it_doubts():
    assert parse("Pewnie, dziękuję", REMINDER) is Intent.CONFIRM
    assert parse("Pewnie", BOOKING) is Intent.UNKNOWN
    assert parse("pewnie nie zdążę", REMINDER) is Intent.UNKNOWN


@pytest.mark.parametrize("text, context, intent", [
    ("Odpuszczamy wizytę", REMINDER, Intent.CANCEL), ("mama sobie daruje", REMINDER, Intent.CANCEL),
    ("Muszę odpuścić, przepraszam", REMINDER, Intent.CANCEL), ("darujmy sobie tę wizytę", BOOKING, Intent.CANCEL),
    ("tym razem odpuszczamy", OFFER, Intent.DECLINE), ("Nie, daruję sobie", OFFER, Intent.DECLINE),
])
def test_giving_the_visit_up_cancels_it_and_declines_an_offer(text, context, intent):
    assert parse(text, context) is intent


@pytest.mark.parametrize("text", ["Nie odpuszczę tej wizyty", "Odpuszczałam już raz", "Nie chcę odpuszczać",
                                  "Czy mogę odpuścić?", "Daruje mu to", "Odpuszczę, chyba że się poprawi",
                                  "Może sobie daruję"])
def test_giving_up_negated_past_asked_hedged_or_without_sobie_decides_nothing(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN
    assert parse("Nie odpuszczę, przyjadę", REMINDER) is Intent.CONFIRM


@pytest.mark.parametrize("text, intent", [
    ("odpuśćcie sobie przypomnienia", Intent.STOP), ("Darujcie sobie te wiadomości", Intent.STOP),
    ("Darujcie sobie", Intent.UNKNOWN),
    # "te SMS-y" and "tę propozycję" fold alike ("te"): which of them is given up is asked.
    ("Odpuszczę sobie te SMS-y", Intent.UNKNOWN),
])
def test_the_messages_let_go_is_an_opt_out(text, intent):
    assert parse(text, REMINDER) is intent


@pytest.mark.parametrize("text", ["Będzie mi głupio jak nie przyjdę", "Mama się zmartwi jak nie dojedziemy",
                                  "Nie daruję sobie jak nie zdążę"])
def test_jak_nie_in_the_middle_of_a_clause_is_a_condition(text):
    assert parse(text, REMINDER) is Intent.UNKNOWN
