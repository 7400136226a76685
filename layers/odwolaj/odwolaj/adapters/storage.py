"""S3 for imports: a presigned upload for the clinic, reading a file in byte ranges, writing the
error report and a presigned link to it. The bucket's name comes from the environment."""
from __future__ import annotations

import os
from datetime import timedelta

from odwolaj.adapters import aws

UPLOAD_LIFETIME = timedelta(hours=1)
REPORT_LINK_LIFETIME = timedelta(hours=1)


def bucket() -> str:
    try:
        return os.environ["IMPORT_BUCKET"]
    except KeyError:
        raise RuntimeError("IMPORT_BUCKET is not set: the function's template entry must pass it") from None


def upload_url(key: str) -> str:
    """A URL the clinic PUTs the file to (no credentials of its own needed)."""
    return aws.client("s3").generate_presigned_url("put_object", Params={"Bucket": bucket(), "Key": key},
                                                   ExpiresIn=int(UPLOAD_LIFETIME.total_seconds()))


def download_url(key: str) -> str:
    return aws.client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket(), "Key": key},
                                                   ExpiresIn=int(REPORT_LINK_LIFETIME.total_seconds()))


def size(key: str) -> int:
    return int(aws.client("s3").head_object(Bucket=bucket(), Key=key)["ContentLength"])


def read_range(key: str, start: int, length: int) -> bytes:
    answer = aws.client("s3").get_object(Bucket=bucket(), Key=key, Range=f"bytes={start}-{start + length - 1}")
    return answer["Body"].read()


def read(key: str) -> bytes:
    return aws.client("s3").get_object(Bucket=bucket(), Key=key)["Body"].read()


def write(key: str, body: bytes, content_type: str = "application/x-ndjson") -> None:
    aws.client("s3").put_object(Bucket=bucket(), Key=key, Body=body, ContentType=content_type)
