"""Registered OAuth clients: who may ask for a token, with which roles, and their hashed secrets."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from services.kit.auth import Principal, Role
from services.kit.secrets import hash_secret


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
