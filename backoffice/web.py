"""What every page shares: templates, the signed-in person, CSRF, notices, and the answers to problems."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from backoffice import formats
from backoffice.api import Problem, SuiteApi
from backoffice.sessions import Session, Sessions
from services.kit.auth import Role
from services.kit.clock import wall_clock
from services.kit.logs import note_caller

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # .html autoescaped
templates.env.filters.update(
    money=formats.money, day=formats.day, moment=formats.moment, words=formats.words, days_left=formats.days_left
)


def cookie_name(secure: bool) -> str:
    # __Host-: the browser keeps it only if Secure, for this host, on path / (no subdomain can set it).
    return "__Host-backoffice" if secure else "backoffice"


class LoginRequired(Exception):
    """No live session: the person is sent to the login page, then back."""

    def __init__(self, back_to: str) -> None:
        self.back_to = back_to


class NotAllowed(Exception):
    """The person's roles do not allow this page."""


class CsrfRefused(Exception):
    """A form without this session's CSRF token: refused, nothing sent to the suite."""


@dataclass
class Visit:
    """One request of a signed-in person: their session, the API, the time."""

    request: Request
    session: Session
    api: SuiteApi
    now: datetime

    async def get(self, path: str, **params: Any) -> Any:
        return await self.api.get(self.session, path, now=self.now, **params)

    async def post(self, path: str, body: Any = None, *, key: str | None = None, if_match: str | None = None) -> Any:
        answer = await self.api.call(
            self.session, "POST", path, now=self.now, body=body, idempotency_key=key, if_match=if_match
        )
        return answer.body

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context |= {
            "person": self.session.person,
            "csrf": self.session.csrf,
            "notices": self.session.told(),
            "form_key": lambda: uuid.uuid4().hex,
            "Role": Role,
        }
        return templates.TemplateResponse(self.request, name, context, status_code=status)

    def refused(self, problem: Problem, to: str) -> RedirectResponse:
        """A refusal told on the page shown next (a 412: the record as it is now)."""
        self.session.tell("warning", problem_notice(problem))
        return RedirectResponse(to, status_code=303)

    def done(self, text: str, to: str) -> RedirectResponse:
        """After a change: say what was done and show the page again (a reload sends nothing twice)."""
        self.session.tell("done", text)
        return RedirectResponse(to, status_code=303)


def visit_for(*roles: Role) -> Callable[[Request], Awaitable[Visit]]:
    """A dependency: the signed-in person's visit, if one of their roles allows the page (admin always does)."""

    async def visit(request: Request) -> Visit:
        state = request.app.state
        now = wall_clock(state.clock).now()
        sessions: Sessions = state.sessions
        session = sessions.get(request.cookies.get(cookie_name(state.settings.secure_cookies)), now=now)
        if session is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(back if request.method == "GET" else "/")
        note_caller(session.person.login)
        if roles and not session.person.may(*roles, Role.ADMIN):
            raise NotAllowed
        if request.method == "POST":
            form = await request.form()
            given = str(form.get("csrf", ""))
            if not hmac.compare_digest(given.encode(), session.csrf.encode()):
                raise CsrfRefused
        return Visit(request, session, state.api, now)

    return visit


Handler = Annotated[Visit, Depends(visit_for(Role.CLAIMS_HANDLER))]
Underwriter = Annotated[Visit, Depends(visit_for(Role.UNDERWRITER))]
Anyone = Annotated[Visit, Depends(visit_for())]


async def fields(request: Request) -> dict[str, str]:
    """The form's text fields, trimmed (the CSRF token and the idempotency key aside)."""
    form = await request.form()
    return {
        name: value.strip()
        for name, value in form.items()
        if isinstance(value, str) and name not in ("csrf", "idempotency_key")
    }


async def form_key(request: Request) -> str:
    """The key the page put in the form: a second submit of the same form is the same request to the suite."""
    given = str((await request.form()).get("idempotency_key", ""))
    return given if 8 <= len(given) <= 64 and given.isalnum() else secrets.token_hex(16)


def problem_notice(problem: Problem) -> str:
    if problem.status == 412:
        return "Someone else changed this record since you opened it: it is shown as it is now. Check, then try again."
    return problem.message


def login_redirect(back_to: str) -> Response:
    return RedirectResponse(f"/login?next={quote(back_to, safe='/')}", status_code=303)
