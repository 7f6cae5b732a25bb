"""Login and logout: each person as themselves, failures throttled, the session in an HttpOnly cookie."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backoffice.users import Person
from backoffice.web import Anyone, cookie_name, templates
from services.kit.clock import wall_clock
from services.kit.errors import TooManyRequests
from services.kit.secrets import secret_matches

router = APIRouter()
LOGIN_CSRF = "backoffice_login"
MAX_FIELD = 1024


def _back_to(value: str | None) -> str:
    """Only a path of this site: never an address elsewhere (`//host`, `/\\host`, `https:`)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def _login_page(request: Request, *, back_to: str, status: int = 200, error: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    context: dict[str, Any] = {"login_csrf": token, "next": back_to, "error": error}
    page = templates.TemplateResponse(request, "login.html", context, status_code=status)
    page.set_cookie(
        LOGIN_CSRF,
        token,
        httponly=True,
        secure=request.app.state.settings.secure_cookies,
        samesite="strict",
        path="/login",
        max_age=3600,
    )
    return page


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, back_to=_back_to(next))


async def _checked(request: Request, login: str, password: str) -> Person | None:
    """The person if the password is theirs; an unknown login costs the same hash as a wrong password."""
    state = request.app.state
    person: Person | None = state.people.get(login)
    stored = person.password_hash if person is not None else state.dummy_hash
    loop = asyncio.get_running_loop()
    matches = await loop.run_in_executor(state.hashing, secret_matches, password, stored)
    return person if matches and person is not None else None


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    form = await request.form()
    login, password = str(form.get("login", "")).strip().lower(), str(form.get("password", ""))
    back_to = _back_to(str(form.get("next", "/")))
    given, expected = str(form.get("login_csrf", "")), request.cookies.get(LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _login_page(request, back_to=back_to, status=403, error="The form expired. Please log in again.")
    if not login or not password or len(login) > MAX_FIELD or len(password) > MAX_FIELD:
        return _login_page(request, back_to=back_to, status=422, error="Enter your login and password.")
    state = request.app.state
    address = request.client.host if request.client else "unknown"
    try:
        with state.failed_logins.attempt(client_id=login, address=address) as attempt:
            person = await _checked(request, login, password)
            attempt.failed = person is None
    except TooManyRequests as exc:
        return _login_page(request, back_to=back_to, status=429, error=exc.detail)
    if person is None:
        return _login_page(request, back_to=back_to, status=401, error="Wrong login or password.")
    session_id, _ = state.sessions.open(person, now=wall_clock(state.clock).now())
    response = RedirectResponse(back_to, status_code=303)
    secure = state.settings.secure_cookies
    response.set_cookie(cookie_name(secure), session_id, httponly=True, secure=secure, samesite="strict", path="/")
    response.delete_cookie(LOGIN_CSRF, path="/login")
    return response


@router.post("/logout")
async def logout(visit: Anyone) -> RedirectResponse:
    state = visit.request.app.state
    name = cookie_name(state.settings.secure_cookies)
    state.sessions.close(visit.request.cookies.get(name))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(name, path="/", secure=state.settings.secure_cookies, httponly=True, samesite="strict")
    return response
