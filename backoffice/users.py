"""The people who may log in to the back office: the embedded store (a JSON file of scrypt hashes).

`python -m backoffice.users LOGIN "Full Name" ROLE[,ROLE] PASSWORD` prints the entry to add to the file.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from services.kit.auth import BACK_OFFICE, Role
from services.kit.secrets import hash_secret

LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


@dataclass(frozen=True, slots=True)
class Person:
    login: str
    name: str
    roles: frozenset[Role]
    password_hash: str

    def may(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


def load_people(path: Path | None) -> dict[str, Person]:
    """The users file, checked: a login as the gateway accepts it, back-office roles only."""
    if path is None:
        return {}
    people: dict[str, Person] = {}
    for entry in json.loads(path.read_text()):
        login = entry["login"]
        roles = frozenset(Role(role) for role in entry["roles"])
        if not LOGIN.fullmatch(login):
            raise ValueError(f"login {login!r}: lower-case letters, digits and . _ @ - only")
        if not roles or not roles <= set(BACK_OFFICE):
            raise ValueError(f"person {login}: roles must be among {', '.join(BACK_OFFICE)}")
        people[login] = Person(login, entry["name"], roles, entry["password_hash"])
    return people


def entry(login: str, name: str, roles: str, password: str) -> dict[str, object]:
    return {"login": login, "name": name, "roles": roles.split(","), "password_hash": hash_secret(password)}


if __name__ == "__main__":
    print(json.dumps(entry(*sys.argv[1:5]), indent=1))
