"""Every extension member a service puts in a problem is in the published Problem schema."""

from __future__ import annotations

import ast
from pathlib import Path

from services.kit import errors
from services.kit.problems import PROBLEM_MEMBERS, PROBLEM_SCHEMA

SERVICES = Path(__file__).resolve().parents[2] / "services"
NOT_MEMBERS = {"code", "headers", "retry_after"}  # retry_after is sent as the Retry-After header


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """Names of the AppError kinds: the kit's, and every class built on one of them, at any depth."""
    known = {name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, Exception)}
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", "") for base in node.bases}
            if node.name not in known and bases & known:
                known.add(node.name)
                grew = True
    return known


def _members_given() -> dict[str, str]:
    trees = {path: ast.parse(path.read_text()) for path in SERVICES.rglob("*.py")}
    kinds = _error_classes(list(trees.values()))
    given: dict[str, str] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in kinds:
                for keyword in node.keywords:
                    if keyword.arg and keyword.arg not in NOT_MEMBERS:
                        given.setdefault(keyword.arg, f"{path.relative_to(SERVICES)}:{node.lineno}")
    return given


def test_every_problem_member_a_service_gives_is_documented() -> None:
    given = _members_given()
    assert {"current_etag", "existing_debtor_id", "errors", "reasons"} <= set(given)  # the finder finds
    undocumented = {name: where for name, where in given.items() if name not in PROBLEM_MEMBERS}
    assert not undocumented, f"document these in kit.problems.PROBLEM_MEMBERS: {undocumented}"


def test_problem_schema_lists_its_members_and_stays_open() -> None:
    assert set(PROBLEM_MEMBERS) <= set(PROBLEM_SCHEMA["properties"])
    assert all(member.get("description") for member in PROBLEM_MEMBERS.values())
    assert PROBLEM_SCHEMA["additionalProperties"] is True
