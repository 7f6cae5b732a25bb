"""A debtor: its identifiers, the limits in force on it, its exposure and its collective procedure."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from backoffice.api import Problem
from backoffice.web import Anyone

router = APIRouter(prefix="/debtors")


@router.get("", response_class=HTMLResponse)
async def search(visit: Anyone, siren: str = "", name: str = "") -> HTMLResponse:
    found, problem = None, None
    if siren or name:
        try:
            found = await visit.get("/v1/debtors", siren=siren, name=name, limit=50)
        except Problem as refused:
            problem = refused
    return visit.page(
        "debtors.html",
        status=problem.status if problem else 200,
        found=found,
        values={"siren": siren, "name": name},
        errors=problem.by_field() if problem else {},
        problem=problem.message if problem else None,
    )


@router.get("/{debtor_id}", response_class=HTMLResponse)
async def debtor_file(debtor_id: uuid.UUID, visit: Anyone) -> HTMLResponse:
    url = f"/v1/debtors/{debtor_id}"
    debtor, exposure, procedure, limits = await asyncio.gather(
        visit.get(url),
        visit.get(f"{url}/exposure"),
        visit.get(f"{url}/procedure"),
        visit.get("/v1/credit-limits", debtor_id=str(debtor_id), limit=100),
    )
    return visit.page("debtor.html", debtor=debtor, exposure=exposure, procedure=procedure, limits=limits["items"])
