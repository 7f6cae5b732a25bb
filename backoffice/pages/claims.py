"""A claim file and what a claims handler does on it: procedure, créance, indemnity, recovery."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from backoffice.api import Problem
from backoffice.formats import money
from backoffice.web import Handler, Visit, fields, form_key, problem_notice

router = APIRouter(prefix="/claims")

PROCEDURES = ("sauvegarde", "sauvegarde_acceleree", "redressement_judiciaire", "liquidation_judiciaire")
EVENTS = ("opening", "extension", "conversion", "plan_adopted", "plan_resolution", "closure", "reversed_on_appeal")


async def _or_none(read: Any) -> Any:
    try:
        return await read
    except Problem as problem:
        if problem.status in (404, 409):
            return None
        raise


async def claim_page(
    visit: Visit,
    claim_id: uuid.UUID,
    *,
    status: int = 200,
    form: str | None = None,
    values: dict[str, str] | None = None,
    problem: Problem | None = None,
) -> HTMLResponse:
    """The claim file; after a refused form, that form again with its values and the API's reasons by field."""
    url = f"/v1/claims/{claim_id}"
    read = await visit.api.call(visit.session, "GET", url, now=visit.now)
    claim = read.body
    timeline, collection, debtor, procedure, indemnity = await asyncio.gather(
        visit.get(f"{url}/timeline"),
        _or_none(visit.get(f"{url}/collection")),
        visit.get(f"/v1/debtors/{claim['debtor_id']}"),
        visit.get(f"/v1/debtors/{claim['debtor_id']}/procedure"),
        _or_none(visit.get(f"{url}/indemnity")),
    )
    return visit.page(
        "claim.html",
        status=status,
        claim=claim,
        version=read.etag,
        timeline=timeline,
        collection=collection,
        debtor=debtor,
        procedure=procedure,
        indemnity=indemnity,
        today=collection["as_of"] if collection else None,
        procedures=PROCEDURES,
        events=EVENTS,
        form=form,
        values=values or {},
        errors=problem.by_field() if problem else {},
        problem=problem_notice(problem) if problem else None,
    )


async def _refused(visit: Visit, claim_id: uuid.UUID, form: str, values: dict[str, str], problem: Problem) -> Response:
    """A stale record is shown anew; any other refusal shows the form again with the reasons."""
    if problem.status == 412:
        return visit.refused(problem, f"/claims/{claim_id}")
    return await claim_page(visit, claim_id, status=problem.status, form=form, values=values, problem=problem)


@router.get("/{claim_id}", response_class=HTMLResponse)
async def claim_file(claim_id: uuid.UUID, visit: Handler) -> HTMLResponse:
    return await claim_page(visit, claim_id)


@router.post("/{claim_id}/procedure-events", response_model=None)
async def procedure_event(claim_id: uuid.UUID, visit: Handler) -> Response:
    values = await fields(visit.request)
    body = {name: values.get(name) or None for name in ("procedure", "event", "judgment_date", "publication_date")}
    body["court"] = values.get("court") or None
    debtor_id = (await visit.get(f"/v1/claims/{claim_id}"))["debtor_id"]
    try:
        await visit.post(f"/v1/debtors/{debtor_id}/procedure-events", body, key=await form_key(visit.request))
    except Problem as problem:
        return await _refused(visit, claim_id, "procedure", values, problem)
    return visit.done("The judgment is recorded on the debtor's procedure.", f"/claims/{claim_id}")


@router.post("/{claim_id}/creance", response_model=None)
async def file_creance(claim_id: uuid.UUID, visit: Handler) -> Response:
    values = await fields(visit.request)
    body = {name: values.get(name, "") for name in ("filed_on", "amount", "court_officer")}
    try:
        await visit.post(
            f"/v1/claims/{claim_id}/creance-filings",
            body,
            key=await form_key(visit.request),
            if_match=values.get("version") or None,
        )
    except Problem as problem:
        return await _refused(visit, claim_id, "creance", values, problem)
    return visit.done("The créance filing is recorded.", f"/claims/{claim_id}")


@router.get("/{claim_id}/indemnity", response_class=HTMLResponse)
async def indemnity_to_confirm(claim_id: uuid.UUID, visit: Handler) -> Response:
    claim = await visit.get(f"/v1/claims/{claim_id}")
    try:
        preview = await visit.get(f"/v1/claims/{claim_id}/indemnity-preview")
    except Problem as problem:
        return visit.refused(problem, f"/claims/{claim_id}")
    return visit.page("indemnity.html", claim=claim, preview=preview, error=None)


@router.post("/{claim_id}/indemnity", response_model=None)
async def pay_indemnity(claim_id: uuid.UUID, visit: Handler) -> Response:
    values = await fields(visit.request)
    if values.get("confirm") != "yes":
        claim = await visit.get(f"/v1/claims/{claim_id}")
        preview = await visit.get(f"/v1/claims/{claim_id}/indemnity-preview")
        error = "Tick the box to confirm the payment."
        return visit.page("indemnity.html", status=422, claim=claim, preview=preview, error=error)
    try:
        paid = await visit.post(f"/v1/claims/{claim_id}/indemnity", key=await form_key(visit.request))
    except Problem as problem:
        return visit.refused(problem, f"/claims/{claim_id}")
    return visit.done(f"Indemnity paid: {money(paid['amount'], paid['currency'])}.", f"/claims/{claim_id}")


@router.get("/{claim_id}/recovery", response_class=HTMLResponse)
async def recovery_to_confirm(
    claim_id: uuid.UUID, visit: Handler, amount: str = "", received_on: str = "", origin: str = "court_officer"
) -> HTMLResponse:
    """The recovery entered, and its split shown before it is saved."""
    claim = await visit.get(f"/v1/claims/{claim_id}")
    values = {"amount": amount, "received_on": received_on, "origin": origin}
    split, problem = None, None
    if amount or received_on:
        try:
            split = await visit.get(f"/v1/claims/{claim_id}/recovery-split", amount=amount, received_on=received_on)
        except Problem as refused:
            problem = refused
    return visit.page(
        "recovery.html",
        status=problem.status if problem else 200,
        claim=claim,
        values=values,
        split=split,
        errors=problem.by_field() if problem else {},
        problem=problem_notice(problem) if problem else None,
    )


@router.post("/{claim_id}/recovery", response_model=None)
async def record_recovery(claim_id: uuid.UUID, visit: Handler) -> Response:
    values = await fields(visit.request)
    body = {name: values.get(name, "") for name in ("amount", "received_on", "origin")}
    try:
        recorded = await visit.post(f"/v1/claims/{claim_id}/recoveries", body, key=await form_key(visit.request))
    except Problem as problem:
        return visit.refused(problem, f"/claims/{claim_id}")
    currency = (await visit.get(f"/v1/claims/{claim_id}"))["currency"]
    shares = (
        f"insurer {money(recorded['insurer_share'], currency)}, insured {money(recorded['insured_share'], currency)}"
    )
    return visit.done(f"Recovery of {money(recorded['amount'], currency)} recorded ({shares}).", f"/claims/{claim_id}")
