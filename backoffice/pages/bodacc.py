"""BODACC: a file of open-data records uploaded, sent to the suite in batches, and what became of each."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from backoffice.api import Problem
from backoffice.web import Handler, form_key

router = APIRouter(prefix="/bodacc")

BATCH = 10_000  # the API's largest batch
MAX_FILE = 64 * 1024 * 1024


def records_in(raw: bytes) -> list[dict[str, Any]]:
    """The records of an open-data export: a JSON array, one JSON object, or JSON Lines."""
    text = raw.decode("utf-8-sig")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
    records = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(record, dict) for record in records):
        raise ValueError("each record must be a JSON object")
    return records


@router.get("", response_class=HTMLResponse)
async def upload_form(visit: Handler) -> HTMLResponse:
    return visit.page("bodacc.html", report=None, error=None)


@router.post("", response_class=HTMLResponse)
async def upload(visit: Handler) -> HTMLResponse:
    form = await visit.request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return visit.page("bodacc.html", status=422, report=None, error="Choose a file of BODACC records.")
    raw = await upload.read(MAX_FILE + 1)
    if len(raw) > MAX_FILE:
        return visit.page("bodacc.html", status=413, report=None, error="The file is over 64 MiB: split it.")
    try:
        records = records_in(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        error = f"The file is not BODACC open-data records in JSON: {exc}."
        return visit.page("bodacc.html", status=422, report=None, error=error)
    key = await form_key(visit.request)
    report: dict[str, Any] = {"received": 0, "recorded": 0, "duplicates": 0, "unknown_debtor": 0, "ignored": 0}
    details: list[dict[str, str]] = []
    try:
        for start in range(0, len(records), BATCH):
            # One key per batch of this upload: the same file sent twice by a double click is one ingestion.
            batch = records[start : start + BATCH]
            answer = await visit.post("/v1/procedure-announcements", batch, key=f"{key}{start}")
            for name in report:
                report[name] += answer[name]
            details += answer["ignored_details"]
    except Problem as problem:
        return visit.page("bodacc.html", status=problem.status, report=None, error=problem.message)
    return visit.page("bodacc.html", report=report, details=details, filename=upload.filename, error=None)
