"""GET /api/v1/stats answers what docs/openapi.yaml says, with the dashboard's numbers; the
backfill (odwolaj-admin rebuild-stats) gives back the live figures from the records alone, and a
live event arriving after it counts nothing twice."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from pynamodb.expressions.operand import Path as DynamoPath

from odwolaj import cli
from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import WARSAW, now
from odwolaj.data.models import StatsItem
from odwolaj.reserve import claims, entries, offers
from odwolaj.reserve.entries import EntryInput
from odwolaj.stats import definitions, report
from odwolaj.stats.figures import Period
from tests.reserve_helpers import entry_payload, set_now, warsaw
from tests.stats_helpers import deliver, outbox_events

DOC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def at_noon(monkeypatch, aws):
    set_now(monkeypatch, warsaw(1, 11))


@pytest.fixture
def clinic_history(facility, book, at_noon, clock):
    """Given a facility's few days: visits booked, one confirmed then moved, cancellations on the
    page and by SMS, a waiting patient taking the freed slot, another struck off, an attended visit
    and a no-show; all their events counted."""
    facility_id = facility.facility.facility_id
    first = entries.join(facility_id, EntryInput.from_payload(entry_payload(1, category="pilny")))
    entries.join(facility_id, EntryInput.from_payload(entry_payload(2)))
    a = book(external_id="A", starts_at=warsaw(2, 9).isoformat(), phone="600 000 001", patient_id="P1")
    b = book(external_id="B", starts_at=warsaw(3, 10).isoformat(), phone="600 000 002", patient_id="P2")
    c = book(external_id="C", starts_at=warsaw(3, 12).isoformat(), phone="600 000 003", patient_id="P3")
    appointments.confirm(a, channel="sms")
    book(external_id="A", starts_at=warsaw(2, 11).isoformat(), phone="600 000 001", patient_id="P1")  # moved
    appointments.cancel(b, channel="web", reason="cannot_attend")
    offers.offer_freed_slot(b.appointment_id)
    clock(minutes=7)
    [offer] = [o for o in offers.Offer.scan() if o.entry_id == first.entry_id]
    claims.accept(offer, channel="sms")
    entries.strike_off(entries.get(facility_id, entry_payload_id(facility_id, 2)), "patient_resigned")
    appointments.cancel(c, channel="sms", reason="feel_better")
    clock(hours=24)
    appointments.record_outcome(appointments.get(a.appointment_id), "attended")
    deliver(outbox_events())
    return facility


def entry_payload_id(facility_id: str, number: int) -> str:
    return entries.entry_key(facility_id, entry_payload(number)["referral"])


def week() -> tuple[str, str]:
    today = now().astimezone(WARSAW).date()
    return (today - timedelta(days=3)).isoformat(), (today + timedelta(days=5)).isoformat()


def stats(http, facility, **query) -> dict:
    first, last = week()
    params = {"from": first, "to": last, **query}
    answer = http("GET", "/api/v1/stats", query="&".join(f"{k}={v}" for k, v in params.items()),
                  headers={"authorization": f"Bearer {facility.api_key}"})
    assert answer["statusCode"] == 200, answer["body"]
    return json.loads(answer["body"])


def test_the_api_answers_the_documented_figures(clinic_history, http):
    body = stats(http, clinic_history)
    schema = {**DOC["components"]["schemas"]["Stats"], "components": DOC["components"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)
    issue_keys = ("visits_due", "attended", "no_shows", "no_show_rate", "cancellations", "late_cancellations",
                  "cancellations_by_channel", "slots_freed", "slots_offered", "slots_filled", "fill_rate",
                  "median_minutes_to_fill", "offers_per_fill")
    assert set(issue_keys) <= set(body)
    # three booked, one more booked by the offer; two cancelled; the moved one attended
    assert (body["visits_booked"], body["cancellations"], body["visits_due"], body["attended"]) == (4, 2, 2, 1)
    assert body["cancellations_by_channel"]["web"] == 1 and body["cancellations_by_channel"]["sms"] == 1
    assert (body["slots_freed"], body["slots_offered"], body["slots_filled"], body["fill_rate"]) == (2, 1, 1, 0.5)
    # The first wave asks both waiting patients at once (odwolaj.reserve.strategy): two offers, one fill.
    assert 6.9 <= body["median_minutes_to_fill"] <= 7.1 and body["offers_per_fill"] == 2
    assert body["waiting_list"]["left_with_visit"] == 1 and body["waiting_list"]["struck_off"]["patient_resigned"] == 1
    assert body["confirmed"] == 0  # confirmed, then moved: to be confirmed again


def test_every_figure_is_defined_in_the_document_as_in_the_console(clinic_history, http):
    schema = DOC["components"]["schemas"]
    properties = schema["Stats"]["properties"] | schema["WaitingListStats"]["properties"]
    renamed = {"waiting_list_joined": "joined"}
    for kpi in definitions.KPIS:
        key = renamed.get(kpi.key, kpi.key)
        assert key in properties, kpi.key
        assert properties[key]["description"] == kpi.english, kpi.key


def test_the_api_refuses_bad_parameters_in_english(clinic_history, http):
    auth = {"authorization": f"Bearer {clinic_history.api_key}"}
    for query, field in (("to=2030-01-01", "from"), ("from=2030-01-01&to=2029-01-01", "to"),
                         ("from=2030-01-01&to=2031-06-01", "to"), ("from=1.1.2030&to=2030-01-31", "from"),
                         ("from=2030-01-01&to=2030-01-31&facility=x", "facility"),
                         ("from=2030-01-01&to=2030-01-31&service=a&specialist=b", "specialist")):
        answer = http("GET", "/api/v1/stats", query=query, headers=auth)
        assert answer["statusCode"] == 422, query
        assert json.loads(answer["body"])["error"]["field"] == field


def test_the_api_and_the_console_show_the_same_numbers(clinic_history, http):
    body = stats(http, clinic_history, service="Poradnia kardiologiczna")
    first, last = week()
    figures = report.figures_for(clinic_history.facility,
                                 Period(*(report.date.fromisoformat(d) for d in (first, last))),
                                 report.scope_of("Poradnia kardiologiczna"))
    assert body == json.loads(json.dumps(figures.as_json()))


def test_the_backfill_gives_back_the_live_figures_and_a_late_event_counts_nothing(clinic_history, http, monkeypatch,
                                                                                 capsys):
    live = stats(http, clinic_history)
    facility_id = clinic_history.facility.facility_id
    for item in StatsItem.scan():  # lose everything the consumer counted
        item.delete()
    assert stats(http, clinic_history)["visits_booked"] == 0

    first, last = week()
    assert cli.main(["rebuild-stats", "--facility-id", facility_id, "--from", first, "--to", last]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["events"] > 10 and printed["day_items"] > 0

    rebuilt = stats(http, clinic_history)
    # No record keeps these; records keep times to the second, the live events to the microsecond.
    kept_live, to_the_second = {"reminders_sent", "opt_outs"}, {"median_minutes_to_fill", "p90_minutes_to_fill"}
    assert {k: v for k, v in rebuilt.items() if k not in kept_live | to_the_second} == \
        {k: v for k, v in live.items() if k not in kept_live | to_the_second}
    assert all(abs(rebuilt[k] - live[k]) <= 0.2 for k in to_the_second)
    deliver(outbox_events())  # every live event again, after the rebuild
    assert stats(http, clinic_history) == rebuilt


def test_the_backfill_keeps_what_only_the_live_count_knows(clinic_history, http):
    facility_id = clinic_history.facility.facility_id
    first, last = week()
    day = (now().astimezone(WARSAW).date() + timedelta(days=2)).isoformat()
    StatsItem(facility_id, f"all#{day}").update(actions=[DynamoPath(["reminders_sent"]).add(3)])
    before = stats(http, clinic_history)["reminders_sent"]
    cli.main(["rebuild-stats", "--facility-id", facility_id, "--from", first, "--to", last])
    assert stats(http, clinic_history)["reminders_sent"] == before >= 3
