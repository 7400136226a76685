"""Campaign SMS: one text per band of inactivity (the seed's 12-18, 18-24 and over 24 months), the
follow-up, the rebook nudge, and the answers to replies. Plain, pressure-free Polish, written with
diacritics here and sent transliterated to GSM-7 in one 160-character segment with the clinic's
short name (at most 25 characters) and the link. A facility may replace each text
(PUT /api/v1/campaign-settings); `check` holds a replacement to the same rules.

`$action` is what the patient can do: from a two-way number "reply TAK and we call back, or pick a
date"; from an alphanumeric sender (no replies possible) only the link.
"""
from __future__ import annotations

from string import Template

from odwolaj.core.errors import InvalidInput
from odwolaj.language.gsm import is_gsm7, segments, transliterate

BANDS = ("12-18", "18-24", "24+")
FOLLOW_UP = "followup"
REBOOK = "rebook"
# The kinds a facility may rewrite: the first touch of each band, the follow-up, the rebook nudge.
EDITABLE = (*BANDS, FOLLOW_UP, REBOOK)

DEFAULTS: dict[str, str] = {
    "12-18": "$facility: minął już rok od ostatniej wizyty. Umówić kontrolę? $action $link",
    "18-24": "$facility: przypominamy o zalecanych badaniach kontrolnych. $action $link",
    "24+": "$facility: pomożemy umówić wizytę po długiej przerwie. $action $link",
    FOLLOW_UP: "$facility: przypominamy, chętnie pomożemy umówić wizytę. $action $link",
    REBOOK: "$facility: wizyta odwołana. Potrzebujesz nowego terminu? $action $link",
    # Answers to replies (not editable; no link needed).
    "campaign_callback": "$facility: dziękujemy, zadzwonimy do Ciebie w godzinach pracy rejestracji.",
    "campaign_declined": "$facility: dziękujemy za odpowiedź. Nie wyślemy już wiadomości w tej sprawie.",
    "campaign_stopped": "$facility: nie będziemy wysyłać zaproszeń na wizyty. Przypomnienia o umówionych "
                        "wizytach nadal dotrą.",
    "campaign_help": "$facility: odpisz TAK, a zadzwonimy, albo wybierz termin: $link "
                     "Nie chcesz takich wiadomości? Odpisz STOP.",
}
ACTION_TWO_WAY = "Odpisz TAK, oddzwonimy, albo wybierz termin:"
ACTION_ONE_WAY = "Wybierz termin lub poproś o telefon:"
# What a check renders a facility's text with: the longest name and a link of the deployment's length.
LONGEST_NAME = "X" * 25


def render(kind: str, *, facility: str, link: str = "", two_way: bool = True,
           overrides: dict[str, str] | None = None) -> str:
    """The text of one campaign message, transliterated for GSM-7."""
    template = (overrides or {}).get(kind) if kind in EDITABLE else None
    text = Template(template or DEFAULTS[kind]).safe_substitute(
        facility=facility, link=link, action=ACTION_TWO_WAY if two_way else ACTION_ONE_WAY)
    return transliterate(text)


def check(kind: str, template: object, sample_link: str) -> str:
    """A facility's text for `kind`, or InvalidInput: it names the clinic ($facility), carries the
    link ($link) and fits one GSM-7 segment with the longest name, both actions and `sample_link`."""
    field = f"messages.{kind}"
    if kind not in EDITABLE:
        raise InvalidInput(f"unknown message {kind!r}; editable: {', '.join(EDITABLE)}", field=field)
    if not isinstance(template, str) or not template.strip():
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    for placeholder in ("$facility", "$link"):
        if placeholder not in template:
            raise InvalidInput(f"{field} must contain {placeholder} (the clinic's name and the patient's link)",
                               field=field)
    for two_way in (True, False):
        text = render(kind, facility=LONGEST_NAME, link=sample_link, two_way=two_way, overrides={kind: template})
        if not is_gsm7(text):
            raise InvalidInput(f"{field} has characters outside GSM-7 even after transliteration", field=field)
        if segments(text) != 1:
            raise InvalidInput(f"{field} must fit one SMS (160 characters) with a 25-character clinic name, "
                               f"the link and $action; it takes {len(text)}", field=field)
    return template.strip()
