"""Replies to a campaign SMS ("Umówić kontrolę? Odpisz TAK, oddzwonimy"): a call asked for in the
patient's own words is a yes, "not interested" or "do not call" a no, an acknowledgement nothing.
The phrasings below are in no corpus; tests/corpus/sms_replies_campaign.jsonl is scored at the end."""
import pytest

from odwolaj.language.campaign_replies import read_campaign_reply
from odwolaj.language.replies import Intent
from tests.reply_corpus import campaign_readings, swapped

CALLBACK, DECLINED, STOP, UNCLEAR = Intent.CONFIRM, Intent.DECLINE, Intent.STOP, Intent.UNKNOWN


@pytest.mark.parametrize("text, intent", [
    ("Prosze o telefon w czwartek", CALLBACK),
    ("Poprosze o kontakt telefoniczny, dziekuje", CALLBACK),
    ("zadzwon pan po 14", CALLBACK),
    ("Dzien dobry. Czy moglibyscie oddzwonic jutro przed poludniem? Pozdrawiam, Halina", CALLBACK),
    ("Teraz nie moge, prosze zadzwonic w poniedzialek", CALLBACK),  # a no to now, a yes to the call
    ("Tak, ale nie dzwoncie przed 15", CALLBACK),  # a yes with a wish
    ("Zadzwonię jutro do rejestracji", UNCLEAR),  # the patient calls: nothing asked of reception
    ("Proszę już do mnie nie dzwonić", DECLINED),
    ("Nie jestem zainteresowana ta oferta", DECLINED),
    ("Dziekuje, mam juz lekarza w innej przychodni", DECLINED),
    ("nie, dzieki", DECLINED),
    ("Spoko", UNCLEAR),  # read, not a request for a call
    ("A czy to jest platne?", UNCLEAR),
    ("STOP, nie chce takich smsow", STOP),
    ("Nie dzwoncie, nie piszcie. STOP", STOP),
])
def test_a_campaign_reply_in_the_patient_s_words(text, intent):
    assert read_campaign_reply(text) is intent


@pytest.mark.parametrize("pasted", [
    "ok\n\nPrzychodnia: minal juz rok od ostatniej wizyty. Umowic kontrole? Odpisz TAK, oddzwonimy, albo "
    "wybierz termin: https://odw.pl/k/abc",
])
def test_our_own_message_pasted_back_asks_for_no_call(pasted):
    assert read_campaign_reply(pasted) is UNCLEAR


def test_the_campaign_corpus_reads_at_least_95_percent_and_never_swaps_yes_and_no():
    readings = campaign_readings()
    assert swapped(readings) == []
    assert sum(label == read for label, read, _ in readings) / len(readings) >= 0.95, [
        r for r in readings if r[0] != r[1]]
