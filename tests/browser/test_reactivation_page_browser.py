"""The campaign page (/r/{token}) in a real browser (Debian's chromium): on a 360x740 phone its
two quick answers are on the first screen, apart and different; it is accessible (axe) in each
state; without JavaScript a patient takes an open slot, says what they need, or declines."""
from datetime import timedelta

import pytest

from odwolaj.campaigns import drafts, history, launch, records, slots
from odwolaj.core.clock import iso, now
from odwolaj.data.models import Campaign, CampaignMember, FreedSlot
from odwolaj.security.links import link_signer
from tests.browser.test_visit_page_browser import assert_accessible
from tests.campaign_helpers import months_before, warsaw_time, working_day

pytestmark = pytest.mark.browser


@pytest.fixture
def member(facility):
    """Given a cardiology patient away 20 months, a member of a launched campaign, and two open slots."""
    facility_id = facility.facility.facility_id
    today = now().date()
    history.apply_history(facility_id, [records.VisitRecord("P-1", "+48600100200", "V-1", months_before(today, 20),
                                                            "kardiologia", "attended")])
    campaign = drafts.create(facility_id, drafts.DraftInput.from_payload(
        {"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12}))
    campaign.update(actions=[Campaign.status.set("sending"), Campaign.launched_at.set(iso(now()))])
    found = launch.new_member(campaign, "P-1", "18-24", iso(now()))
    found.save()
    day = working_day(3)
    slots.publish(facility_id, [slots.SlotInput("S-1", warsaw_time(day, 10), 20, "Kardiologia", "dr Anna Nowak", None),
                                slots.SlotInput("S-2", warsaw_time(day + timedelta(days=1), 12), 20, "Dermatologia",
                                                None, None)], now())
    return found


def url(site: str, member) -> str:
    return f"{site}/r/{link_signer().issue('r', member.member_id)}"


def test_on_a_small_phone_the_two_quick_answers_are_on_the_first_screen(site, member, chromium):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="pl-PL")
    page = context.new_page()
    page.goto(url(site, member))

    assert page.get_by_role("heading", level=1).inner_text() == "Pora na wizytę kontrolną?"
    call = page.get_by_role("button", name="Proszę o telefon z przychodni").bounding_box()
    decline = page.get_by_role("button", name="Nie, dziękuję").bounding_box()
    assert call["y"] + call["height"] <= 740 and decline["y"] + decline["height"] <= 740
    assert decline["y"] - (call["y"] + call["height"]) >= 16
    colours = page.evaluate("[...document.querySelectorAll('.actions button')].slice(0, 2)"
                            ".map(b => getComputedStyle(b).backgroundColor)")
    assert colours[0] != colours[1]
    assert_accessible(page)
    context.close()


def test_without_javascript_a_patient_takes_an_open_slot_of_their_specialty(site, member, no_js_page):
    page = no_js_page
    page.goto(url(site, member))
    offered = page.locator("#slots-title ~ .actions button")
    assert "Kardiologia" in offered.first.inner_text()  # the patient's own specialty first

    offered.first.click()

    assert page.get_by_role("heading", level=1).inner_text() == "Wizyta jest umówiona"
    assert FreedSlot.get(slots.slot_key(member.facility_id, "S-1")).status == "filled"
    assert CampaignMember.get(member.member_id).response == "booked"


def test_a_patient_says_what_they_need_and_then_declines(site, member, no_js_page, phone_page):
    page = no_js_page
    page.goto(url(site, member))
    page.get_by_label("Do jakiego lekarza?").select_option("kardiologia")
    page.get_by_label("wtorek").check()
    page.get_by_label("po południu (12–16)").check()
    page.get_by_role("button", name="Wyślij").click()

    assert "przekazaliśmy Twoją prośbę" in page.get_by_role("status").inner_text()
    detail = CampaignMember.get(member.member_id).response_detail.as_dict()
    assert detail == {"specialty": "kardiologia", "days": ["wtorek"], "time": "popoludnie", "call_back": False}

    page.get_by_role("button", name="Nie, dziękuję").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dziękujemy za odpowiedź"
    phone_page.goto(url(site, member))
    assert_accessible(phone_page)
