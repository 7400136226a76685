"""Large history and consents files: uploaded to S3, imported in chunks, with a per-row error report.

`POST /api/v1/imports` opens an import and answers with a presigned URL the clinic PUTs the file
to (NDJSON or CSV, one record a line). The upload's S3 event starts the import function, which
reads the file in byte ranges of CHUNK_BYTES, applies every complete line (odwolaj.campaigns.history,
which is idempotent per record) and records where it got to; when its time runs short (less than
two chunks as slow as its slowest yet, and at least MARGIN_SECONDS) it sends itself the rest
through the import queue, so a file of any length (100,000 rows and more) is
imported without a function timing out. A chunk is recorded on the condition that the import is
still where the chunk started, so a repeated message applies nothing twice to the counts (and
nothing at all twice to the patients: the records are idempotent). Rejected rows go to report
parts, joined into one NDJSON report at the end; the first of them are also kept on the import.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from odwolaj.adapters import storage
from odwolaj.campaigns import history, records
from odwolaj.core import validation
from odwolaj.core.clock import iso, now
from odwolaj.core.errors import InvalidInput, NotFound
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import ImportJob

KINDS = ("history", "consents")
FILE_FORMATS = ("ndjson", "csv")
CHUNK_BYTES = 512 * 1024
SAMPLE_ERRORS = 20
MARGIN_SECONDS = 45.0  # the least time left at which the function hands over (more after slow chunks)
RETENTION = timedelta(days=30)
AWAITING_UPLOAD, RUNNING, DONE, FAILED = "awaiting_upload", "running", "done", "failed"


def open_import(facility_id: str, payload: object, at: datetime) -> tuple[ImportJob, str]:
    """A new import and the URL to upload its file to."""
    if not isinstance(payload, dict):
        raise InvalidInput("request body must be a JSON object")
    validation.reject_unknown(payload, ("kind", "format"))
    kind = validation.choice(payload.get("kind"), "kind", KINDS)
    fmt = validation.choice(payload.get("format"), "format", FILE_FORMATS)
    import_id = f"imp_{secrets.token_hex(8)}"
    job = ImportJob(import_id, facility_id=facility_id, kind=kind, format=fmt, status=AWAITING_UPLOAD,
                    object_key=f"uploads/{facility_id}/{import_id}.{fmt}", created_at=iso(at), updated_at=iso(at),
                    expires_at=int((at + RETENTION).timestamp()))
    job.save(condition=ImportJob.import_id.does_not_exist())
    return job, storage.upload_url(job.object_key)


def get(facility_id: str, import_id: str) -> ImportJob:
    try:
        job = ImportJob.get(import_id, consistent_read=True)
    except ImportJob.DoesNotExist:
        raise NotFound("import not found") from None
    if job.facility_id != facility_id:
        raise NotFound("import not found")
    return job


def import_of(object_key: str) -> str | None:
    """The import an uploaded object belongs to (uploads/<facility>/<import>.<format>)."""
    parts = object_key.split("/")
    if len(parts) != 3 or parts[0] != "uploads":
        return None
    return parts[2].rsplit(".", 1)[0]


def run(import_id: str, offset: int, remaining_seconds: Callable[[], float]) -> dict[str, Any] | None:
    """Import chunks from `offset` while time remains; the message that continues the import, or
    None when it is done (or this message was a repeat of one already applied)."""
    job = ImportJob.get(import_id, consistent_read=True)
    if job.status in (DONE, FAILED) or int(job.offset) != offset:
        return None
    total = storage.size(job.object_key)
    if total == 0:  # a client that sent no body (curl's Expect: 100-continue to some servers): say so
        raise InvalidInput("the uploaded file is empty; upload it again with a new import")
    slowest = 0.0
    while True:
        before = remaining_seconds()
        moved = _chunk(job, total)
        if moved is None:
            return None  # another delivery of this message moved the import on
        job = moved
        if int(job.offset) >= total:
            _finish(job)
            return None
        left = remaining_seconds()
        slowest = max(slowest, before - left)
        # A chunk's time depends on the table's answers, not on its size alone (a slow moment, a
        # throttled table): hand over while two chunks as slow as the slowest yet still fit.
        if left < max(MARGIN_SECONDS, 2 * slowest):
            return {"import_id": import_id, "offset": int(job.offset)}


def _chunk(job: ImportJob, total: int) -> ImportJob | None:
    start = int(job.offset)
    raw = storage.read_range(job.object_key, start, CHUNK_BYTES) if start < total else b""
    end = start + len(raw)
    if end < total:  # only complete lines: the rest starts the next chunk
        cut = raw.rfind(b"\n")
        if cut < 0:
            raise InvalidInput(f"a line longer than {CHUNK_BYTES} bytes at byte {start}")
        raw = raw[:cut + 1]
    text = raw.decode("utf-8", errors="replace")
    header, lines = job.header, len(text.splitlines())
    first_line = int(job.lines) + 1  # the file's own line numbers (a CSV's header is line 1)
    if job.format == "csv" and header is None:
        header, _, text = text.lstrip("\ufeff").partition("\n")
        header = header.rstrip("\r")
        first_line += 1
    rows = list(records.lines_of(text, job.format, first_line=first_line, header=header))
    accepted, errors = history.apply_rows(job.facility_id, job.kind, rows)
    part = f"reports/{job.import_id}/part-{start:012d}.ndjson"  # named by its offset: a repeat overwrites it
    if errors:
        storage.write(part, "".join(json.dumps(e.as_dict(), ensure_ascii=False) + "\n" for e in errors).encode())
    sample = json.loads(job.errors_sample or "[]")
    sample = (sample + [e.as_dict() for e in errors])[:SAMPLE_ERRORS]
    moved = conditionally(lambda: job.update(actions=[
        ImportJob.offset.set(start + len(raw)), ImportJob.status.set(RUNNING),
        ImportJob.lines.set(int(job.lines) + lines), ImportJob.rows.set(int(job.rows) + len(rows)),
        ImportJob.accepted.set(int(job.accepted) + accepted),
        ImportJob.rejected.set(int(job.rejected) + len(errors)), ImportJob.chunks.set(int(job.chunks) + 1),
        ImportJob.errors_sample.set(json.dumps(sample, ensure_ascii=False)),
        *([ImportJob.header.set(header)] if header is not None else []),
        *([ImportJob.report_parts.add({part})] if errors else []),
        ImportJob.updated_at.set(iso(now())),
    ], condition=ImportJob.offset == start))
    return job if moved else None


def _finish(job: ImportJob) -> None:
    """Join the report parts (of the chunks that had errors, in file order) into one file."""
    report_key = None
    if job.report_parts:
        report_key = f"reports/{job.import_id}.ndjson"
        storage.write(report_key, b"".join(storage.read(part) for part in sorted(job.report_parts)))
    job.update(actions=[ImportJob.status.set(DONE), ImportJob.finished_at.set(iso(now())),
                        *([ImportJob.report_key.set(report_key)] if report_key else [])])


def fail(import_id: str, reason: str) -> None:
    ImportJob(import_id).update(actions=[ImportJob.status.set(FAILED), ImportJob.failure.set(reason),
                                         ImportJob.finished_at.set(iso(now()))])


def view(job: ImportJob) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "import_id": job.import_id, "kind": job.kind, "format": job.format, "status": job.status,
        "rows": int(job.rows), "accepted": int(job.accepted), "rejected": int(job.rejected),
        "bytes_done": int(job.offset), "errors": json.loads(job.errors_sample or "[]"), "failure": job.failure,
        "created_at": job.created_at, "finished_at": job.finished_at, "error_report_url": None,
    }
    if job.report_key:
        shown["error_report_url"] = storage.download_url(job.report_key)
    return shown
