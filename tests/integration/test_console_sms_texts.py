"""The manager's "SMS-y do pacjentów" page (issue 15, point 3: message overrides), through the
template's handler on moto: checked by the same code as PUT /api/v1/message-templates, a refused
text keeps what was typed and changes nothing, each change audited from → to, "Przywróć domyślny"
clears, reception refused, CSRF."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from odwolaj.data.models import AuditEntry, Facility
from odwolaj.language.texts import DEFAULTS
from odwolaj.security.facilities import create_facility
from tests.console_helpers import csrf_of, location, signed_in_reception
from tests.integration.test_console_rules import manager, signed_in, signed_in_as  # noqa: F401 (for this facility)

PAGE = "/panel/ustawienia/sms"
OWN = "$facility: zapisaliśmy Cię na $when, $service. Kod: $code. Odwołanie: $link"


@pytest.fixture
def facility_id(aws):
    return create_facility("Przychodnia Zdrowie Plus", short_name="Zdrowie Plus",
                           phone="+48 22 123 45 67").facility.facility_id


def stored(facility_id: str) -> dict | None:
    templates = Facility.get(facility_id).message_templates
    return templates.as_dict() if templates else None


def entries(facility_id: str) -> list[AuditEntry]:
    return [e for e in AuditEntry.query(facility_id) if e.action == "settings_changed"]


def test_the_page_shows_each_kind_s_default_and_a_preview_with_a_sample_visit(signed_in):
    page = signed_in.get(PAGE)
    body = unescape(page["body"])
    assert page["statusCode"] == 200 and "SMS-y do pacjentów" in body
    for kind, default in DEFAULTS.items():
        assert f'id="{kind}"' in page["body"] and default in body
    # The preview is what the patient reads: the facility's name, a sample visit, no diacritics.
    assert re.search(r"Zdrowie Plus: umowiono wizyte \w+ \d\d\.\d\d o 10:30, Poradnia kardiologiczna\. "
                     r"Kod wizyty: K7M2-QX9A", body)
    assert "Zdrowie Plus: wizyta " in body and "1 SMS" in body


def test_a_text_is_saved_audited_from_to_used_in_the_preview_and_restored(signed_in, facility_id, manager):
    saved = signed_in.submit(PAGE, {"kind": "booked", "text_booked": OWN, "action": "save"})

    assert location(saved) == PAGE + "?ok=booked#booked"
    assert stored(facility_id) == {"booked": OWN}
    [entry] = entries(facility_id)
    assert (entry.actor, entry.subject) == (manager.sub, "message_templates")
    assert json.loads(entry.detail) == {"booked": {"from": None, "to": OWN}}
    page = unescape(signed_in.get(PAGE, query="ok=booked")["body"])
    assert "Zapisano: Umówienie wizyty." in page and "Zdrowie Plus: zapisalismy Cie na " in page
    assert "Umówienie wizyty – własny tekst" in page and "Przywróć domyślny" in page
    log = unescape(signed_in.get("/panel/dziennik")["body"])
    assert "SMS-y do pacjentów" in log and f'Umówienie wizyty: null → "{OWN}"' in log
    # The same text again changes nothing; the default's own text is no override.
    signed_in.submit(PAGE, {"kind": "booked", "text_booked": OWN, "action": "save"})
    signed_in.submit(PAGE, {"kind": "moved", "text_moved": DEFAULTS["moved"], "action": "save"})
    assert len(entries(facility_id)) == 1 and stored(facility_id) == {"booked": OWN}

    restored = signed_in.submit(PAGE, {"kind": "booked", "text_booked": "cokolwiek", "action": "restore"})

    assert location(restored) == PAGE + "?ok=booked#booked" and stored(facility_id) == {}
    # Entries of the same second sort by their random suffix: compared as a set, not by place.
    assert sorted(e.detail for e in entries(facility_id)) == sorted(
        json.dumps({"booked": change}, ensure_ascii=False, sort_keys=True)
        for change in ({"from": None, "to": OWN}, {"from": OWN, "to": None}))


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("booked", "$facility: wizyta $when, $amount. $link", "nie zna pola $amount"),
    ("booked", "$facility: umówiono wizytę $when.", "musi zawierać $link (link dla pacjenta)"),
    ("payment_link", "$facility_name: wizyta $when, zapłać $deadline: $link", "musi zawierać $amount"),
    ("booked", "Wizyta $when. $link", "nazwę przychodni"),
    ("booked", "$facility: wizyta $when 🙂 $link", "nie da się wysłać SMS-em: 🙂"),
    ("reminder_two_way", "$facility: wizyta $when. Odpisz TAK lub NIE. " + "Prosimy o odpowiedź. " * 6 + "$link",
     "zajmie więcej SMS-ów niż tekst domyślny (1)"),
    ("reminder_two_way", "$facility: wizyta $when. Będziesz? $link", "musi prosić o odpowiedź NIE"),
    ("booked", "$facility: koszt 100$ $link", "wpisz jako $$"),
    ("booked", "", "Wpisz tekst albo wybierz"),
    ("nieznany", "$facility: $link", "Nie ma takiej wiadomości"),
])
def test_a_refused_text_keeps_what_was_typed_says_why_in_polish_and_changes_nothing(signed_in, facility_id, kind,
                                                                                    text, message):
    signed_in.submit(PAGE, {"kind": "cancelled", "text_cancelled": "$facility: odwołano $when.", "action": "save"})
    before = stored(facility_id)

    refused = signed_in.submit(PAGE, {"kind": kind, f"text_{kind}": text, "action": "save"})

    assert refused["statusCode"] == 400
    assert message in unescape(refused["body"]) and 'role="alert"' in refused["body"]
    if kind in DEFAULTS:
        assert re.search(rf'<details class="card" id="{kind}" open>', refused["body"])
        assert re.search(rf'<textarea id="f-text_{kind}" name="text_{kind}"[^>]*aria-invalid="true"[^>]*>'
                         + re.escape(text) + "</textarea>", unescape(refused["body"]))
    assert stored(facility_id) == before and len(entries(facility_id)) == 1


def test_reception_cannot_read_or_change_the_texts(facility_id, http):
    browser = signed_in_reception(http, facility_id)
    token = csrf_of(browser.get("/panel")["body"])

    assert browser.get(PAGE)["statusCode"] == 403
    assert browser.post(PAGE, {"csrf": token, "kind": "booked", "text_booked": OWN, "action": "save"})[
        "statusCode"] == 403
    assert stored(facility_id) is None and not entries(facility_id)


def test_a_form_without_the_token_or_from_another_site_changes_nothing(signed_in, facility_id):
    token = csrf_of(signed_in.get(PAGE)["body"])
    form = {"kind": "booked", "text_booked": OWN, "action": "save"}
    assert signed_in.post(PAGE, form)["statusCode"] == 403
    other_site = signed_in.post(PAGE, {"csrf": token, **form},
                                headers={"sec-fetch-site": "cross-site", "origin": "https://evil.example"})
    assert other_site["statusCode"] == 403
    assert stored(facility_id) is None and not entries(facility_id)
