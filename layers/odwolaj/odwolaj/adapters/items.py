"""DynamoDB items as plain Python values, for tables whose attributes are not declared in a model
(the statistics' counters are named by what they count). Numbers come back as int when whole,
else float; string sets as sets. boto3 is imported on first use."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from odwolaj.adapters.aws import client


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _decode(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: _plain(deserializer.deserialize(value)) for name, value in item.items()}


def _pages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item a Query answers, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        page = client("dynamodb").query(**request)
        items += [_decode(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def query_range(table: str, hash_name: str, hash_value: str, range_name: str, first: str,
                last: str) -> list[dict[str, Any]]:
    """Every item of one partition whose sort key is between `first` and `last` (inclusive), in order."""
    return _pages({
        "TableName": table,
        "KeyConditionExpression": "#h = :h AND #r BETWEEN :first AND :last",
        "ExpressionAttributeNames": {"#h": hash_name, "#r": range_name},
        "ExpressionAttributeValues": {":h": {"S": hash_value}, ":first": {"S": first}, ":last": {"S": last}},
    })


def get(table: str, key: dict[str, str]) -> dict[str, Any] | None:
    """One item by its (string) key, or None."""
    found = client("dynamodb").get_item(TableName=table, Key={name: {"S": value} for name, value in key.items()})
    return _decode(found["Item"]) if "Item" in found else None


def partition(table: str, hash_name: str, hash_value: str) -> list[dict[str, Any]]:
    """Every item of one partition (for batch jobs, never a request path)."""
    return _pages({"TableName": table, "KeyConditionExpression": "#h = :h",
                   "ExpressionAttributeNames": {"#h": hash_name},
                   "ExpressionAttributeValues": {":h": {"S": hash_value}}})


def _encode(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()

    def exact(value: Any) -> Any:  # DynamoDB numbers are decimals: floats go through their text
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, list):
            return [exact(v) for v in value]
        return value

    return {name: serializer.serialize(exact(value)) for name, value in item.items() if value is not None}


def write_many(table: str, puts: list[dict[str, Any]], deletes: Sequence[dict[str, str]] = ()) -> int:
    """Put and delete items in batches of 25, retrying what DynamoDB left unprocessed; requests made."""
    requests = [{"PutRequest": {"Item": _encode(item)}} for item in puts]
    requests += [{"DeleteRequest": {"Key": {k: {"S": v} for k, v in key.items()}}} for key in deletes]
    made = 0
    while requests:
        batch, requests = requests[:25], requests[25:]
        while batch:
            made += 1
            answer = client("dynamodb").batch_write_item(RequestItems={table: batch})
            batch = answer.get("UnprocessedItems", {}).get(table, [])
    return made
