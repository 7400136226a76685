"""The words a patient's reply is read by, grouped by what they do in a sentence, in their folded
form (lower case, no diacritics: "odwołuję" is "odwoluje"), and a forgiving way to look a typed
word up: one slipped or swapped letter is forgiven in a long word, never in a short one, where a
single letter changes the meaning ("moge" and "mogę", but also "tak" and "tam"), nor in the first
letter ("korki" is not "sorki"); a function word is never bent into another ("w takim razie" is
not "w jakim razie").

The groups follow Polish grammar, not a list of answers: a verb of coming or being able says
whether the patient will come and "nie" in front of it says they will not; a verb of cancelling
asks for a cancellation unless it is negated, past or asked about; the nouns of messages turn
"nie chcę" and "rezygnuję z" into an opt-out. odwolaj.language.replies puts them together.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from odwolaj.language.gsm import transliterate


def fold(text: str) -> str:
    """Lower case without diacritics: what a phone without Polish letters would have sent."""
    text = transliterate(unicodedata.normalize("NFC", text)).lower()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _forms(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATION = "nie"
# "nie" mistyped; a bare refusal's only word.
NEGATION_SLIPS = _forms("nei niee nieee ine nie")
YES = _forms("tak tka taak takk takkk yes jasne oczywiscie zgoda naturalnie")
# Acknowledgements: "I read it". Alone, they answer a question that asked whether the patient comes
# (odwolaj.language.replies decides by the message answered); they take no offer and ask nothing.
ACKNOWLEDGEMENTS = _forms("ok okej okey okay oki doki dobrze spoko super git swietnie fajnie rozumiem rozumiemy "
                          "zrozumialam zrozumialem przyjete zanotowane")
ACKNOWLEDGEMENT_PHRASES = (("w", "porzadku"), ("do", "zobaczenia"), ("przyjmuje", "do", "wiadomosci"),
                           ("przyjmujemy", "do", "wiadomosci"))
# Goodbyes close a message and say nothing of the visit ("Dobrze, dziękuję. Do widzenia"); unlike
# "do zobaczenia", they are no acknowledgement on their own.
FAREWELLS = (("do", "widzenia"), ("do", "uslyszenia"))
# Said before "że", these qualify the clause after it ("jasne, że nie", "dobrze, że piszecie"):
# that clause is the answer, not the word.
BEFORE_THAT = _forms("jasne oczywiscie pewnie naturalnie dobrze ok okej spoko")
# Being late is still coming ("ok, ale spóźnię się 10 minut").
LATE = ("spozni", "spoznie", "spoznim", "spoznic")
CONFIRM_VERBS = _forms("potwierdzam potwierdzamy potwierdzic potwierdzenie")
# Verbs of coming, first and third person ("mama przyjdzie", "nie bedzie nas").
COME = _forms(
    "przyjde przyjdziemy przyjdzie przyjada przyjdzie przyjade przyjedziemy przyjedzie dojde dojdziemy "
    "dojdzie dojade dojedziemy dojedzie dotre dotrzemy dotrze pojde pojdziemy pojdzie stawie stawimy "
    "stawi pojawie pojawimy pojawi zjawie zjawimy zjawi przybede ide idziemy idzie pojedziemy pojade przychodze "
    "przychodzimy przyjda dojda dotra pojda dojada"
    # bringing the patient is coming: "przywiozę mamę"
    " przywioze przywieziemy przywiezie przyprowadze przyprowadzimy przyprowadzi"
)
# "bede" is coming ("bede", "bede punktualnie") unless an infinitive or a participle follows it
# ("nie bede placic", "bede musiala"): then it only makes a future tense.
BE_FUTURE = _forms("bede bedziemy")
BE_THIRD = "bedzie"  # "syn bedzie", "nie bedzie mnie"
BE_WHO = _forms("mnie nas go jej ich")
# Infinitives of coming: what "moge", "dam rade", "bede mogla" may be followed by.
COME_INFINITIVES = _forms(
    "przyjsc przyjechac dojsc dojechac dotrzec pojsc isc stawic pojawic zjawic byc przybyc"
)
# Being able (to come): negated, it says the patient will not come, unless another verb follows
# ("nie moge sie dodzwonic", "nie moge zaplacic").
ABLE = _forms("moge mozemy moze mozesz zdaze zdazymy zdazy ogarne ogarniemy mogl mogla mogli mogly")
BE = _forms("bede bedziemy bedzie")
ABLE_PHRASES = (("dam", "rady"), ("dam", "rade"), ("damy", "rady"), ("damy", "rade"), ("da", "rady"),
                ("da", "rade"), ("jestem", "w", "stanie"), ("jestesmy", "w", "stanie"), ("jest", "w", "stanie"),
                ("mam", "jak"), ("mamy", "jak"), ("ma", "jak"))
PARTICIPLES_OF_ABLE = _forms("mogl mogla mogli mogly")
# Verbs of cancelling: stem, then the endings of an act (present, imperative, infinitive, the
# noun of a request) and of a report (past: "odwolalam", "odwolywalam").
CANCEL_STEMS = ("odwol", "zrezygn", "rezygn", "anul", "skasuj", "skasow", "kasuj", "wykresl", "skresl", "odpuszcz",
                "odpusc", "darow")
CANCEL_ACTS = _forms(
    "odwoluje odwolujemy odwoluj odwolujcie odwolac odwolanie odwolania odwolam odwolajcie odwolaj "
    "odwolujesz odwolamy rezygnuje rezygnujemy rezygnacja rezygnacje rezygnowac zrezygnowac zrezygnuje "
    "zrezygnujemy anuluj anuluje anulujemy anulujcie anulowac anulowanie anulowania anulujesz skasuj "
    "zrezygnuj skasujcie skasowac kasujcie kasuje wykreslic wykreslcie wykresl wykreslam wykreslenie skreslic "
    "skreslcie"
)
# Giving the visit up: "odpuszczam", "odpuszczę (sobie)", "odpuśćmy"; read as verbs of cancelling.
GIVE_UP = _forms("odpuszczam odpuszczamy odpuszcze odpuszczymy odpuszcza odpusci odpuscimy odpuscmy odpuscic "
                 "odpuszczac")
CANCEL_ACTS |= GIVE_UP
# "daruję sobie", "sobie darujemy": giving it up too, with "sobie" only ("daruję" alone gives or forgives).
GIVE_UP_ONESELF = _forms("daruje darujemy darujmy darowac")
# Said to the clinic of its messages ("darujcie sobie te SMS-y", "odpuśćcie sobie"): an opt-out.
LEAVE_OFF = _forms("darujcie daruj odpusccie odpusc")
# A visit no longer needed, or given away: a cancellation in other words.
NOT_NEEDED = _forms("nieaktualna nieaktualne nieaktualny niepotrzebna niepotrzebne niepotrzebny")
NEED = _forms("potrzebuje potrzebujemy potrzebny potrzebna")
GIVE_AWAY_VERBS = _forms("zwalniam zwalniamy zwolnic zwolnijcie oddaje oddac oddajcie oddajemy")
GIVE_AWAY_OBJECTS = _forms("termin wizyte wizyty miejsce")
SOMEONE_ELSE = (("komus", "innemu"), ("kogos", "innego"), ("ktos", "inny"), ("innemu", "pacjentowi"),
                ("innej", "osobie"), ("innym", "pacjentom"))
# A reserve-list offer turned down (elsewhere these only say the time does not suit).
REFUSE_WORDS = _forms("odpada pas")
REFUSE_PHRASES = (("nie", "tym", "razem"), ("innym", "razem"))
REFUSE_NEGATED = _forms("skorzystam skorzystamy pasuje odpowiada biore reflektuje chce chcemy")
# An offer taken.
ACCEPT_WORDS = _forms("biore bierzemy wezme wezmiemy reflektuje poprosze chetnie pasuje odpowiada chce chcemy")
# Messages, and the verbs that stop or restart them.
MESSAGE_NOUNS = _forms(
    "sms smsy smsow smsa smsach smsami smsow smsowej smsowa esemesy esemesow wiadomosci wiadomosc przypomnien "
    "przypomnienia przypomnieniami powiadomien powiadomienia powiadomieniami ofert oferty ofertami propozycji "
    "propozycje numer numeru newsletter sms-ow"
)
WANT = _forms("chce chcemy chcialabym chcialbym zycze zyczymy potrzebuje potrzebujemy")
SEND_VERBS = _forms(
    "wysylac przysylac pisac wysylajcie przysylajcie piszcie wysylaj pisz przysylaj dostawac otrzymywac "
    "wysylanie przysylanie pisanie spamowac powiadamiac powiadamiajcie przypominac przypominajcie informowac "
    "informujcie spamujcie spamuj"
)
RECEIVE_VERBS = _forms("dostawac otrzymywac wysylac przysylac wysylanie przysylanie otrzymywanie dostawanie "
                       "powiadamiac przypominac")
OPT_OUT_VERBS = _forms("wypisz wypiszcie wypisac wypiszecie wypisanie niewysylanie niewysylac unsubscribe")
SWITCH_OFF = _forms("wylacz wylaczcie wylaczyc wylaczenie usun usuncie usunac usuniecie")
STOP_SENDING = _forms("przestancie przestan przestac przestanie przestaniecie")
# "dosyć tych SMS-ów": enough of them.
ENOUGH = _forms("dosyc dosc wystarczy koniec")
CONSENT = _forms("zgode zgody zgoda")
CONSENTING = _forms("wyrazam wyrazamy zgadzam zgadzamy")
WITHDRAW_CONSENT = _forms("cofam wycofuje odwoluje odwolac cofnac wycofac")
AGAIN = _forms("znow znowu ponownie ponowne jednak")
# "proszę dalej wysyłać": keep sending, which changes nothing.
STILL = _forms("dalej nadal")
RESTORE = _forms("przywroc przywroccie przywrocic przywrocenie wlacz wlaczcie wlaczyc wznow wznowcie wznowic "
                 "zapiszcie zapisz wroccie wrocic wznowienie wlaczenie")
LISTS = _forms("listy kolejki liste kolejke listy liscie kolejce")
# "nie wiem", "nie rozumiem": the patient is not saying anything about the visit.
NOT_KNOWING = _forms("wiem wiemy rozumiem rozumiemy pamietam pamietamy znam umiem kojarze wiadomo")
NOT_SURE = (("jestem", "pewna"), ("jestem", "pewien"), ("jestem", "pewny"), ("jestem", "przekonana"),
            ("jestem", "przekonany"), ("jestesmy", "pewni"))
HEDGES = _forms("chyba raczej mozliwe prawdopodobnie zobaczymy ewentualnie postaram sprobuje zastanowie "
                "niewykluczone pewnie moze")
CONDITIONALS = _forms("jesli jezeli gdyby jakby gdy jesliby")
QUESTION_WORDS = _forms(
    "czy jak kiedy gdzie co kto ile dlaczego czemu jaki jaka jakie jakiej jakim ktora ktory ktore ktorej "
    "ktorym skad kogo komu"
)
# "jeśli to możliwe", "jeśli można": politeness, not a condition.
POLITE_CONDITIONS = _forms("mozliwe mozna da")
# Who "bedzie" (will be there) may be said of.
PERSONS = _forms("mama tata syn corka maz zona babcia dziadek dziecko wnuk wnuczka brat siostra ojciec matka "
                 "pacjent pacjentka on ona oni mamusia tatus coreczka synek")
# Said to someone else: the reply was meant for another conversation.
VOCATIVES = _forms("kochanie kochana kochany synu corciu coreczko mamo mamusiu tato tatusiu kotku skarbie misiu")
# A booking or a message by mistake: no bare yes or no can be read next to it.
WRONG_PERSON = _forms("pomylka pomylkowo")
# "nie ja", "to nie mój numer": the reply is about who, not about the visit; nothing in it acts.
NOT_ME = (("nie", "ja"), ("nie", "moj"), ("nie", "moja"), ("nie", "moje"), ("nie", "znam"), ("zly", "numer"))
# "nie dotrę na czas": late, not absent.
ON_TIME = (("na", "czas"), ("na", "czasie"), ("punktualnie",), ("na", "godzine"))
STILL_VALID = _forms("aktualna aktualne aktualny")
MISTAKE = (("przez", "pomylke"), ("przez", "przypadek"), ("pomylkowo",), ("niechcacy",), ("omylkowo",))
# Politeness, greetings and signatures' words: what is left of a bare "nie" with them is still bare.
FILLER = _forms(
    "dziekuje dziekujemy dzieki dziekuje dzienki przepraszam przepraszamy pozdrawiam pozdrawiamy pozdrowienia "
    "serdecznie dzien dobry witam prosze niestety bardzo sorry sory sorki ale z powazaniem szanowni panstwo "
    "pani panie juz no hej elo siema halo"
)
# Idioms that refuse or cancel nothing: "nie ma sprawy", "do odwołania" (until further notice).
IDIOMS = (("nie", "ma", "sprawy"), ("nie", "ma", "problemu"), ("nie", "ma", "za", "co"), ("nie", "szkodzi"),
          ("nie", "trzeba"), ("do", "odwolania"))
# Polish first names (and their everyday short forms) and surname endings: a trailing one signs
# the message ("Nie. ewa"), whatever its case.
FIRST_NAMES = _forms(
    "anna maria katarzyna malgorzata agnieszka barbara ewa krystyna elzbieta zofia janina teresa joanna "
    "magdalena monika jadwiga danuta irena halina helena beata aleksandra marta dorota grazyna jolanta "
    "stanislawa iwona karolina bozena urszula justyna renata alicja hanna wanda natalia julia jan andrzej "
    "piotr krzysztof stanislaw tomasz pawel jozef marcin marek michal grzegorz jerzy tadeusz adam lukasz "
    "zbigniew ryszard dariusz henryk mariusz kazimierz wojciech robert mateusz marian rafal jacek janusz "
    "miroslaw maciej slawomir jaroslaw kamil wieslaw roman wladyslaw jakub artur zdzislaw edward mieczyslaw "
    "damian dawid przemyslaw sebastian czeslaw leszek daniel waldemar ola kasia basia gosia asia zosia ania "
    "tomek kuba bartek wojtek franek antek jasia ela ula iza marysia krysia"
)
SURNAME = re.compile(r"[a-z]{2,}(ska|ski|cka|cki|dzka|dzki|wicz|owna|czyk)")
# "tzn.", "to znaczy", "poprawiam": what follows corrects what was written before.
CORRECTIONS = (("tzn",), ("to", "znaczy"), ("znaczy", "sie"), ("poprawiam",), ("sorki", "pomylilam"),
               ("pomylilam", "sie"), ("pomylilem", "sie"))
# A question asking leave for something else: a yes before it depends on the answer.
PERMISSION = _forms("moge mozna mozemy problem ok dobrze przeszkadza")
# Time moved: a counter-proposal (asked about: also "later", "earlier").
OTHER_TIME = _forms("dopiero zamiast przesunac przelozyc przesuniecie przelozenie")
SHIFTED = _forms("pozniej wczesniej")
# Words that end in -c but are not infinitives.
NOT_INFINITIVES = _forms("noc pomoc moc wiec tysiac miesiac zajac")

# "nie mam zamiaru", "nie zamierzam": like "nie chcę", the "nie" reaches the verb after them.
INTENDING = _forms("zamierzam zamierzamy zamiaru planuje planujemy musze musimy")
# "nie jest potrzebna", "nie jest mi już potrzebna": the "nie" before a copula negates what it links.
COPULA = _forms("jest sa byla bylo")
PREDICATE_FILLER = _forms("juz mi nam wcale")
# "będę w pracy", "będę na wyjeździe": being somewhere else is a reason not to come, not a coming.
AWAY = ("prac", "szpit", "wyjazd", "wyjezdz", "delegac", "urlop", "sanatori", "granic", "podroz", "szkol",
        "sluzbow", "wakacj", "wczas", "turnus", "rozjazd", "nock", "dyzur", "zwolnieni", "chorobow", "l4")
# Where one is for a few hours ("w pracy", "na dyżurze"): right now it may only mean "I cannot answer
# now"; it keeps the patient from an offered slot when said of that time ("w czwartek", "wtedy", "do 17").
AWAY_FOR_HOURS = ("prac", "szkol", "dyzur", "nock")
WORKING = ("pracuj", "dyzur")
WHEN = _forms("wtedy jutro pojutrze dzis dzisiaj rano wieczorem wieczora poludnia popoludniu dnia dzien dniu "
              "terminie porze godzinach caly cala poniedzialek poniedzialki wtorek wtorki sroda srode srody czwartek "
              "czwartki piatek piatki sobota sobote niedziela niedziele")
# Obstacles to an offered slot said instead of NIE (odwolaj.language.replies reads them in an offer
# only: to a visit they are asked about, since cancelling one is not undone by a later TAK).
# Acute ones only: a lasting one ("zapalenie stawów", "choruję na serce") is more often why the
# patient waits for the visit.
ILLNESS = ("chor", "zachorow", "przeziebi", "gryp", "covid", "kowid", "goraczk", "angin", "infekcj", "wirus", "ospa",
           "ospe", "ospy", "kwarantann")
LASTING = _forms("przewlekle przewlekla przewlekly na")
# "potrzebuję tej wizyty", "czekam na ten termin", "zależy mi": an illness said next to these is why
# the patient waits, not why they cannot come.
WANTING = _forms("potrzebuje potrzebujemy czekam czekamy czekalam czekalem zalezy")
LYING_ILL = _forms("leze lezy lezymy leza")
# "po operacji", "po udarze": recovering, or already treated.
TREATMENT = ("operac", "zabieg", "udar", "zawal", "wylew", "wypadk")
# "wyjechałam", "wyjeżdżam", "wyjadę": away (not "wyjazd" alone: "wróciłam z wyjazdu").
LEAVING = ("wyjecha", "wyjezdz", "wyjade", "wyjedzi", "wyjedzie")
# "mam (wtedy) dyżur / wyjazd / zabieg": busy at that time.
BUSY_WITH = ("wyjazd", "dyzur", "delegac", "operac", "zabieg")
HAVE = _forms("mam mamy ma")
# "nie ma mnie w Polsce", "nas nie ma".
ABSENT = (("nie", "ma", "mnie"), ("mnie", "nie", "ma"), ("nie", "ma", "nas"), ("nas", "nie", "ma"))
# Seen or helped elsewhere already: "byłam prywatnie", "u innego lekarza", "gdzie indziej".
OTHER = _forms("inny innego innej innym inna innemu")
CARE = ("lekarz", "przychodn", "szpit", "gabine", "poradn", "klinik", "specjalist", "doktor", "osrodk")
SETTLED = ("zalatwil", "zalatwion")
# The past of "być": "byłam chora" is over; "byłam u lekarza" is seen already.
WAS = _forms("bylam bylem byla byl bylismy bylysmy byli byly")
# "u Państwa", "u was": at this clinic, which is no other care.
THIS_CLINIC = _forms("was panstwa pana pani")
# "odpiszę później", "odezwę się", "dam znać": the answer is still to come.
ANSWER_LATER = _forms("odpisze odpiszemy odpowiem odpowiemy oddzwonie oddzwonimy zadzwonie zadzwonimy odezwe "
                      "odezwiemy napisze napiszemy")
# "mamy/syna nie będzie": who is absent, in the genitive.
PERSONS_GENITIVE = _forms("mamy taty syna corki meza zony babci dziadka dziecka wnuka wnuczki brata siostry ojca "
                          "matki mamusi synka")
# Managing to, like being able to: "nie uda mi się przyjść", "nie zdołam", "nie wyrobię się"; also
# the third person plural: "rodzice nie dadzą rady".
MANAGING = (("uda", "mi", "sie"), ("uda", "nam", "sie"), ("uda", "sie"), ("dadza", "rady"), ("dadza", "rade"))
MANAGE = _forms("zdolam zdolamy zdola wyrobie wyrobimy wyrobi zdaza")
# "obawiam się, że nie dam rady", "mam nadzieję, że zdążę": a fear or a hope, like a hedge, decides
# nothing (with "że" after it, the hedge governs the next clause too).
FEARS_AND_HOPES = _forms("obawiam obawiamy boje boimy nadzieje")
# "pytam tylko", "mam pytanie": the patient says they are asking.
ASKING = _forms("pytam pytamy pytanie pytanko")
# "będę zmuszona odwołać": like "będę musiała", a future tense.
FORCED = _forms("zmuszona zmuszony zmuszeni zmuszone")
# What else may be out of date: "numer nieaktualny" is about the patient's contact, not the visit.
CONTACT = _forms("numer numeru telefon telefonu adres adresu mail email link linku")
# Texting shorthand: "bd" (będę), "nwm" (nie wiem).
ABBREVIATIONS = {"bd": ["bede"], "bde": ["bede"], "tk": ["tak"], "nwm": ["nie", "wiem"], "nw": ["nie", "wiem"]}
# Verbs of writing an answer: "napisałam", "odpisuję", "wysłałem".
WRITING = ("napis", "odpis", "pisal", "pisz", "wysla", "wysyl", "odpowiad", "odpowiedz")
# The endings of a verb's past tense ("wypisałam", "wypisaliśmy").
PAST = re.compile(r"(al|ala|alam|alem|ali|aly|alismy|alysmy|alo)$")
# "teraz", "w tej chwili": the moment of writing, not the visit's.
MOMENT = _forms("teraz chwili chwilowo obecnie")
# "nie mam jak dojechać" (no way to get there): followed by a question, it asks for a way, unless
# the lack is of this time ("o tej porze", "tak szybko"): that turns the time down.
MEANS = (("mam", "jak"), ("mamy", "jak"), ("ma", "jak"))
THIS_TIME = _forms("porze godzinie terminie szybko rano wieczorem dzis jutro")

# Function words (pronouns, determiners, prepositions, conjunctions, particles) in their common
# forms. They are known words, so none is bent into a word of the groups above: one letter turns
# "takim" (w takim razie) into "jakim" (a question), "przed" into "przez", "tego" into "mego".
FUNCTION_WORDS = _forms(
    "ten tego temu tym tych tymi tamten tamta tamto tamte tamtego tamtej tamtym tamtych "
    "taki taka takie takiego takiej takiemu takim takimi takich jakiego jakiemu jakimi jakich "
    "ktorego ktoremu ktorymi ktorych kazdy kazda kazde kazdego kazdej kazdym kazdemu kazdych "
    "inny inna inne innego innej innym innemu innych innymi zaden zadna zadne zadnego zadnej zadnym "
    "sama samo sami same samego samej samym samemu samych "
    "moja moje mojego mojej moim moimi moich twoja twoje twojego twojej twoim twoich swoja swoje swojego swojej "
    "swoim swoimi swoich nasza nasze naszego naszej naszym naszych wasza wasze waszego waszej waszym waszych "
    "ciebie tobie toba jego jemu niego niemu niej nich nimi nami wami siebie sobie soba "
    "ktos cos kogos czegos komus czyms kims nikt nic nikogo niczego nikomu niczym wszystko wszyscy wszystkie "
    "wszystkich wszystkim wszystkimi "
    "przed przez przy pod nad miedzy pomiedzy wsrod wedlug podczas oprocz zamiast okolo obok wobec poza spod "
    "albo lub oraz czyli wiec zatem jednak jednakze poniewaz dlatego zeby aby chociaz choc gdyz skoro mimo "
    "jeszcze tylko nawet wlasnie takze rowniez tez teraz potem wtedy zawsze nigdy czasem tutaj tam gdzies "
    "zaraz razem razie tyle bardziej"
)

# Every word the groups above name, so none of them is taken for a slip of another.
ALL_WORDS = frozenset().union(
    *(group for group in dict(globals()).values() if isinstance(group, frozenset)),
    *(phrase for phrases in (ABLE_PHRASES, SOMEONE_ELSE, NOT_SURE, MISTAKE, IDIOMS, ACKNOWLEDGEMENT_PHRASES,
                             MANAGING, MEANS) for phrase in phrases),
    {NEGATION, BE_THIRD, "stop", "start", "z", "do", "wiecej", "mi", "mnie"},
)
# Long enough that one slip cannot turn it into another word of ALL_WORDS.
FUZZY_MIN_LENGTH = 5
# Letters Polish endings are made of ("przyjda", "skorzystac", "odwolam"): a different last one
# is another form of the word, not a slip.
ENDING_LETTERS = frozenset("aeiouycmlsjznwt")


def _collapse(word: str) -> str:
    """'taaak' and 'stopp' as 'tak' and 'stop': repeated letters count once."""
    return re.sub(r"(.)\1+", r"\1", word)


_COLLAPSED = {_collapse(word): word for word in sorted(ALL_WORDS)}


def _one_slip(typed: str, word: str) -> bool:
    """One letter replaced or two neighbours swapped. A replaced last letter counts only when the
    typed one cannot end a Polish word form ('odwolujr'): 'skorzystac' is not 'skorzystam'. A
    replaced first letter never does: Polish words that differ only there are many ('korki' and
    'sorki', 'malej' and 'dalej', 'rodzinie' and 'godzinie')."""
    if len(typed) != len(word) or typed == word:
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, word)) if a != b]
    if len(diff) == 1:
        at = diff[0]
        return 0 < at < len(word) - 1 or (at == len(word) - 1 and typed[at] not in ENDING_LETTERS)
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == word[diff[1]] \
        and typed[diff[1]] == word[diff[0]]


@lru_cache(maxsize=4096)
def known(typed: str) -> str:
    """The lexicon's word for a typed (folded) word, or the word itself when none is near."""
    if typed in ALL_WORDS:
        return typed
    collapsed = _collapse(typed)
    if collapsed in _COLLAPSED:
        return _COLLAPSED[collapsed]
    if len(typed) >= FUZZY_MIN_LENGTH:
        near = sorted(word for word in ALL_WORDS if _one_slip(typed, word))
        if len(near) == 1:
            return near[0]
    spelled = _nasals_spelled(typed)
    return spelled if spelled != typed and spelled in ALL_WORDS else typed


def _nasals_spelled(typed: str) -> str:
    """'bende', 'przyjdom': a nasal vowel written as it sounds."""
    return re.sub(r"o[nm](?=[^aeiouy]|$)", "a", re.sub(r"e[nm](?=[^aeiouy]|$)", "e", typed))


def split_glued(typed: str) -> list[str]:
    """'niemoge', 'nieprzyjde', 'takbede': a missing space after "nie" or "tak"."""
    for prefix in (NEGATION, "tak"):
        rest = typed[len(prefix):]
        if typed.startswith(prefix) and len(rest) >= 3 and typed not in ALL_WORDS and known(rest) in ALL_WORDS:
            return [prefix, known(rest)]
    return [known(typed)]


def is_infinitive(word: str) -> bool:
    return len(word) >= 4 and word.endswith("c") and word not in NOT_INFINITIVES


def is_participle(word: str) -> bool:
    """'musiala', 'mial', 'czekali': after "bede" they make a future tense, not a coming."""
    return bool(re.fullmatch(r"[a-z]{2,}(l|la|li|ly|lo)", word))


def cancel_report(word: str) -> bool:
    """A verb of cancelling in the past ('odwolalam', 'odwolywalam', 'zrezygnowal'): a report."""
    return word.startswith(CANCEL_STEMS) and bool(re.search(r"(al|ala|alam|alem|ali|aly|alismy|alo|ane|ana"
                                                            r"|any|ani)$", word)) and word not in CANCEL_ACTS
