"""The embedded DynamoDB behaves like the real one where the app relies on it: a failed transaction
leaves nothing behind, in the table or in its stream, and stream readers keep reading."""
import pytest
from botocore.exceptions import ClientError


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
