"""DynamoDB items as plain Python values, for tables whose attributes are not declared in a model
(the statistics' counters are named by what they count). Numbers come back as int when whole,
else float; string sets as sets. boto3 is imported on first use."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

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


def query_range(table: str, hash_name: str, hash_value: str, range_name: str, first: str,
                last: str) -> list[dict[str, Any]]:
    """Every item of one partition whose sort key is between `first` and `last` (inclusive), in
    order, page after page."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#h = :h AND #r BETWEEN :first AND :last",
        "ExpressionAttributeNames": {"#h": hash_name, "#r": range_name},
        "ExpressionAttributeValues": {":h": {"S": hash_value}, ":first": {"S": first}, ":last": {"S": last}},
    }
    while True:
        page = client("dynamodb").query(**request)
        items += [_decode(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def get(table: str, key: dict[str, str]) -> dict[str, Any] | None:
    """One item by its (string) key, or None."""
    found = client("dynamodb").get_item(TableName=table, Key={name: {"S": value} for name, value in key.items()})
    return _decode(found["Item"]) if "Item" in found else None
