"""Credit-limit requests to decide, and every decision on a limit as a dated version."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from backoffice.api import Problem
from backoffice.web import Underwriter, Visit, fields, form_key, problem_notice

router = APIRouter(prefix="/credit-limits")

DECISIONS = ("granted", "partially_granted", "refused", "reduced", "withdrawn")


@router.get("", response_class=HTMLResponse)
async def to_decide(visit: Underwriter, cursor: str | None = None) -> HTMLResponse:
    page = await visit.get(
        "/v1/credit-limits", pending="true", cursor=cursor, limit=visit.request.app.state.settings.page_size
    )
    names = await _debtor_names(visit, {item["debtor_id"] for item in page["items"]})
    return visit.page("limits.html", page=page, names=names, first=cursor is None)


async def _debtor_names(visit: Visit, ids: set[str]) -> dict[str, str]:
    """The legal name of each debtor on the page, read at once."""
    ordered = sorted(ids)
    debtors = await asyncio.gather(*(visit.get(f"/v1/debtors/{debtor_id}") for debtor_id in ordered))
    return {debtor_id: debtor["legal_name"] for debtor_id, debtor in zip(ordered, debtors, strict=True)}


async def limit_page(
    visit: Visit,
    limit_id: uuid.UUID,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    problem: Problem | None = None,
) -> HTMLResponse:
    read = await visit.api.call(visit.session, "GET", f"/v1/credit-limits/{limit_id}", now=visit.now)
    debtor = await visit.get(f"/v1/debtors/{read.body['debtor_id']}")
    return visit.page(
        "limit.html",
        status=status,
        limit=read.body,
        version=read.etag,
        debtor=debtor,
        decisions=DECISIONS,
        values=values or {},
        errors=problem.by_field() if problem else {},
        problem=problem_notice(problem) if problem else None,
    )


@router.get("/{limit_id}", response_class=HTMLResponse)
async def limit_file(limit_id: uuid.UUID, visit: Underwriter) -> HTMLResponse:
    return await limit_page(visit, limit_id)


@router.post("/{limit_id}/decision", response_model=None)
async def decide(limit_id: uuid.UUID, visit: Underwriter) -> Response:
    values = await fields(visit.request)
    body = {
        "decision": values.get("decision", ""),
        "amount": values.get("amount") or None,
        "effective_date": values.get("effective_date") or None,
        "reason": values.get("reason", ""),
    }
    try:
        await visit.post(
            f"/v1/credit-limits/{limit_id}/decision",
            body,
            key=await form_key(visit.request),
            if_match=values.get("version") or None,
        )
    except Problem as problem:
        if problem.status == 412:
            return visit.refused(problem, f"/credit-limits/{limit_id}")
        return await limit_page(visit, limit_id, status=problem.status, values=values, problem=problem)
    return visit.done("The decision is recorded as a new version of the limit.", f"/credit-limits/{limit_id}")
