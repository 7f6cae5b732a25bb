"""The worklist: claims needing action, nearest deadline first, filtered and paged by the suite."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backoffice.web import Anyone
from services.kit.auth import Role

router = APIRouter()

ACTIONS = (
    "creance_to_file",
    "creance_deadline_unknown",
    "forclusion_relief_to_ask",
    "waiting_period_ends",
    "indemnity_to_pay",
    "dispute_to_resolve",
    "collection_duties_to_meet",
    "collection:send_reminder",
    "collection:send_formal_notice",
    "collection:request_injonction_de_payer",
)
STATUSES = ("open", "insolvency", "indemnifiable", "forfeited")


@router.get("/", response_class=HTMLResponse, response_model=None)
async def worklist(
    visit: Anyone,
    action: str | None = None,
    insured_id: str | None = None,
    status: str | None = None,
    within_days: int = 60,
    cursor: str | None = None,
) -> Response:
    if not visit.session.person.may(Role.CLAIMS_HANDLER, Role.ADMIN):
        return RedirectResponse("/credit-limits", status_code=303)  # an underwriter's work starts there
    filters = {"action": action, "insured_id": insured_id, "status": status, "within_days": within_days}
    page = await visit.get("/v1/worklist", **filters, cursor=cursor, limit=visit.request.app.state.settings.page_size)
    query = urlencode({name: value for name, value in filters.items() if value not in (None, "")})
    return visit.page(
        "worklist.html",
        page=page,
        filters=filters,
        query=query,
        actions=ACTIONS,
        statuses=STATUSES,
        first=cursor is None,
    )
