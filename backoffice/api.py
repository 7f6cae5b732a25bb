"""The suite's public API as the back office calls it: through the gateway, with a token naming the person."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from backoffice.sessions import Session

log = logging.getLogger("credit_claims.backoffice")

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PERSON = "urn:credit-claims:token-type:person"
RENEW_BEFORE = timedelta(seconds=60)


@dataclass
class Problem(Exception):
    """An RFC 9457 problem the API answered: shown to the person, next to the field it names."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return str(self.body.get("code", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("detail") or self.body.get("title") or f"The suite answered {self.status}.")

    def by_field(self) -> dict[str, str]:
        """Each invalid field's message, by the field's name (the last part of its location); a rule that names one
        field or parameter, its detail there."""
        fields: dict[str, str] = {}
        for member in ("field", "parameter"):
            if isinstance(self.body.get(member), str):
                fields[self.body[member]] = self.message
        for error in self.body.get("errors") or []:
            loc = [str(part) for part in error.get("loc", []) if not str(part).isdigit()]
            if loc and loc[-1] not in ("body", "query"):
                fields.setdefault(loc[-1], str(error.get("msg", "")).removeprefix("Value error, "))
        return fields


class SessionEnded(Exception):
    """The gateway no longer gives this person a token: they log in again."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    etag: str | None


class SuiteApi:
    """One shared HTTP client to the gateway; each call made as the session's person."""

    def __init__(self, client: httpx.AsyncClient, *, client_id: str, client_secret: str) -> None:
        self.client = client
        credentials = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
        self._basic = "Basic " + base64.b64encode(credentials).decode()

    async def _token(self, session: Session, *, now: datetime) -> str:
        """The session's gateway token, renewed by token exchange a minute before it expires."""
        if session.token and session.token_expires and session.token_expires - now > RENEW_BEFORE:
            return session.token
        form = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": session.person.login,
            "subject_token_type": PERSON,
            "scope": " ".join(sorted(session.person.roles)),
        }
        answer = await self.client.post("/oauth/token", data=form, headers={"Authorization": self._basic})
        if answer.status_code != 200:
            log.warning("token exchange refused for a person (%s %s)", answer.status_code, _code(answer))
            raise SessionEnded
        issued = answer.json()
        session.token, session.token_expires = issued["access_token"], now + timedelta(seconds=issued["expires_in"])
        return session.token

    async def call(
        self,
        session: Session,
        method: str,
        path: str,
        *,
        now: datetime,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        if_match: str | None = None,
    ) -> Answer:
        """The API's answer; a problem (4xx, 5xx) raised as `Problem`."""
        headers = {"Authorization": f"Bearer {await self._token(session, now=now)}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if if_match:
            headers["If-Match"] = if_match
        clean = {name: value for name, value in (params or {}).items() if value not in (None, "")}
        answer = await self.client.request(method, path, params=clean, json=body, headers=headers)
        if answer.status_code == 401:
            session.token = None
            raise SessionEnded
        content = answer.json() if answer.content and "json" in answer.headers.get("content-type", "") else None
        if answer.status_code >= 400:
            raise Problem(answer.status_code, content if isinstance(content, dict) else {})
        return Answer(answer.status_code, content, answer.headers.get("etag"))

    async def get(self, session: Session, path: str, *, now: datetime, **params: Any) -> Any:
        return (await self.call(session, "GET", path, now=now, params=params)).body


def _code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code", ""))
    except ValueError:
        return ""
