"""The embedded DynamoDB behaves like the real one where the app relies on it: a failed transaction
leaves nothing behind, in the table or in its stream, and stream readers keep reading; and the
runner keeps every event that reaches the bus."""
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from odwolaj_local import devpages
from odwolaj_local.observe import EventCapture


def stream_reader(aws, table: str):
    """Follows a table's stream as the runner's poller does (NextShardIterator); returns a read()."""
    client = aws.client("dynamodbstreams")
    arn = aws.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    [shard] = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = [client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]]

    def read() -> list[str]:
        response = client.get_records(ShardIterator=iterator[0])
        iterator[0] = response["NextShardIterator"]
        return [r["dynamodb"]["Keys"]["outbox_id"]["S"] for r in response["Records"]]

    return read


def put(table: str, outbox_id: str, condition: str | None = None) -> dict:
    item = {"Put": {"TableName": table, "Item": {"outbox_id": {"S": outbox_id}, "kind": {"S": "event"},
                                                   "created_at": {"S": "2026-11-25T00:00:00Z"},
                                                   "expires_at": {"N": "0"}}}}
    if condition:
        item["Put"]["ConditionExpression"] = condition
    return item


def test_a_failed_transaction_streams_nothing_and_the_stream_goes_on(aws):
    table = aws.physical_names()["OutboxTable"]
    dynamodb = aws.client("dynamodb")
    read = stream_reader(aws, table)
    dynamodb.transact_write_items(TransactItems=[put(table, "first")])
    assert read() == ["first"]

    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[
            put(table, "phantom"),
            put(table, "first", condition="attribute_not_exists(outbox_id)"),  # fails: exists
        ])

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"outbox_id": {"S": "phantom"}})
    dynamodb.transact_write_items(TransactItems=[put(table, "after")])
    assert read() == ["after"]


def test_the_runner_keeps_every_event_on_the_bus_and_pages_them_past_five_hundred(aws):
    bus = aws.physical_names()["EventBus"]
    capture = EventCapture(aws, bus, lambda: datetime(2027, 1, 11, 9, 0, tzinfo=timezone.utc))
    events = aws.client("events")
    for batch in range(53):  # 530 events, ten per call (EventBridge's limit)
        events.put_events(Entries=[{"Source": "odwolaj", "DetailType": "Probe", "EventBusName": bus,
                                    "Detail": f'{{"n": {batch * 10 + i}}}'} for i in range(10)])
    capture.poll_once()

    captured = capture.records()
    assert [c.seq for c in captured] == list(range(1, 531))
    assert sorted(c.event["detail"]["n"] for c in captured) == list(range(530))
    assert {c.runner_time for c in captured} == {"2027-01-11T09:00:00Z"}
    first = devpages.json_items(captured, {"after": "0"}, "events")[1]
    rest = devpages.json_items(captured, {"after": str(first["next_after"])}, "events")[1]
    assert (len(first["events"]), first["has_more"], len(rest["events"]), rest["has_more"]) == (500, True, 30, False)
    assert [e["seq"] for e in first["events"] + rest["events"]] == list(range(1, 531))
    status = devpages.Status(datetime(2027, 1, 11, 9, 0, tzinfo=timezone.utc))
    assert "The newest 500 of 530." in devpages.events(captured, status)


@pytest.mark.parametrize("warsaw_time", [(23, 50), (10, 0)])
def test_the_demo_s_visit_about_to_start_is_on_today_s_board_at_any_hour(aws, facility, monkeypatch, warsaw_time):
    """docs/console.md: DEMO-D1 is under "Dziś". Seeded at 23:50 Warsaw, "20 minutes from now" is
    tomorrow; the demo keeps it today."""
    from odwolaj.appointments.store import get_by_external
    from odwolaj.core.clock import WARSAW, parse_iso
    from odwolaj_local import demo
    from tests.reserve_helpers import set_now, warsaw

    set_now(monkeypatch, warsaw(0, *warsaw_time))
    demo._board(facility.facility.facility_id)
    starts = parse_iso(get_by_external(facility.facility.facility_id, "DEMO-D1").starts_at).astimezone(WARSAW)
    assert starts.date() == warsaw(0, *warsaw_time).astimezone(WARSAW).date()
    assert starts >= warsaw(0, *warsaw_time) - timedelta(minutes=5)
