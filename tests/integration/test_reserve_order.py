"""The first candidates of a long list are found by a short index query, not by reading the list."""
from __future__ import annotations

import pytest

from odwolaj.data.models import WaitingEntry
from odwolaj.reserve.order import first_eligible
from tests.reserve_helpers import set_now, warsaw
from tests.reserve_population import populate, slot


def dynamodb_requests(model) -> list[tuple[str, int]]:
    """(operation, items returned) of every request the model's client makes from now on."""
    seen: list[tuple[str, int]] = []
    client = model._get_connection().connection.client

    def record(http_response, parsed, model, **_kwargs):
        seen.append((model.name, parsed.get("Count", len(parsed.get("Items", [])))))

    client.meta.events.register("after-call.dynamodb", record)
    return seen


@pytest.mark.parametrize("size", [300, 3000])
def test_the_first_candidates_cost_the_same_reads_for_a_short_and_a_long_list(facility, monkeypatch, size):
    at = warsaw(1, 11)
    set_now(monkeypatch, at)
    facility_id = facility.facility.facility_id
    everyone = populate(facility_id, size, at)
    freed = slot(facility_id, warsaw(3, 10), at)
    expected = [e.entry_id for e in sorted(everyone, key=lambda e: e.queue_rank) if e.specialist is None][:5]
    requests = dynamodb_requests(WaitingEntry)

    found = first_eligible(freed, 5, at)

    assert [e.entry_id for e in found.found] == expected
    # Two requests, however long the list: the index's head, and the candidates' flags it does not project.
    assert [operation for operation, _ in requests] == ["Query", "BatchGetItem"]
    assert sum(items for _, items in requests) <= 10


def test_a_patient_who_replied_stop_to_an_offer_is_passed_over_and_keeps_the_place(facility, monkeypatch):
    at = warsaw(1, 11)
    set_now(monkeypatch, at)
    facility_id = facility.facility.facility_id
    everyone = sorted(populate(facility_id, 30, at), key=lambda e: e.queue_rank)
    head = [e for e in everyone if e.specialist is None]
    WaitingEntry(head[0].entry_id).update(actions=[WaitingEntry.offers_stopped_at.set("2027-01-01T10:00:00Z")])

    found = first_eligible(slot(facility_id, warsaw(3, 10), at), 3, at)

    assert [e.entry_id for e in found.found] == [e.entry_id for e in head[1:4]]
    assert WaitingEntry.get(head[0].entry_id).queue  # still on the list, in its place
