"""Registered OAuth clients: who may ask for a token, with which roles, and their hashed secrets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from services.kit.auth import Principal, Role

_N, _R, _P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    """A salted scrypt hash, as stored in the clients file."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


async def hashing_threads(count: int, warm_with: str) -> ThreadPoolExecutor:
    """The threads that check secrets, each warmed once: scrypt takes 16 MiB, which a thread's allocator keeps, so
    the same few threads doing every check keep the process at its size whatever the burst."""
    pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="secrets")
    ready = threading.Barrier(count)

    def warm() -> bool:
        ready.wait(timeout=30)  # warm-ups on each thread, not all on the first
        # Twice: the first 16 MiB is mapped and given back, which makes the allocator keep the next in its arena.
        return secret_matches("warm-up", warm_with) or secret_matches("warm-up", warm_with)

    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, warm) for _ in range(count)))
    return pool


def secret_matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            secret.encode(), salt=base64.urlsafe_b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client_id: str
    secret_hash: str
    roles: frozenset[Role]
    insured_id: str | None = None
    acts_for: frozenset[Role] = frozenset()
    """The back-office roles this client may ask a token for on a person's behalf (token exchange): the back
    office's web application, which logs its people in itself."""

    def principal(self) -> Principal:
        return Principal(client_id=self.client_id, roles=self.roles, insured_id=self.insured_id)


def load_clients(path: Path | None) -> dict[str, RegisteredClient]:
    if path is None:
        return {}
    clients: dict[str, RegisteredClient] = {}
    for entry in json.loads(path.read_text()):
        roles = frozenset(Role(role) for role in entry["roles"])
        acts_for = frozenset(Role(role) for role in entry.get("acts_for", []))
        if Role.INSURED in roles and not entry.get("insured_id"):
            raise ValueError(f"client {entry['client_id']} has the insured role but no insured_id")
        if Role.INSURED in acts_for:
            raise ValueError(f"client {entry['client_id']} may act for back-office people only, never an insured")
        clients[entry["client_id"]] = RegisteredClient(
            client_id=entry["client_id"],
            secret_hash=entry["secret_hash"],
            roles=roles,
            insured_id=entry.get("insured_id"),
            acts_for=acts_for,
        )
    return clients


if __name__ == "__main__":
    # python -m gateway.clients SECRET  → the hash to put in the clients file
    print(hash_secret(sys.argv[1]))
