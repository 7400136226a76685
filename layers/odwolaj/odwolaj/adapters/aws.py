"""AWS clients, built on first use and kept for the life of a warm container. boto3 is imported
here, when a client is first needed, so a handler whose path calls no AWS service other than
DynamoDB (through PynamoDB) never pays for it at cold start."""
from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)
