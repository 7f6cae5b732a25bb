"""The shape new code copies, checked on every run: short functions, repositories owned by the unit of work,
tenant checks in one place (the layering itself is import-linter's, in `make lint`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONGEST_FUNCTION = 60


def sources(*folders: str) -> Iterator[tuple[str, ast.Module]]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), filename=str(path))


def calls_named(tree: ast.Module, suffix: str) -> list[int]:
    """The lines calling a name or attribute ending with the suffix."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name.endswith(suffix):
                found.append(node.lineno)
    return found


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = [
        f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, tree in sources("services", "gateway")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert long == []


def test_only_a_unit_of_work_builds_a_repository() -> None:
    built = [
        f"{path}:{line}"
        for path, tree in sources("services", "gateway")
        if "/adapters/" not in path
        for line in calls_named(tree, "Repository")
    ]
    assert built == []


def test_tenant_checks_are_made_by_repositories_alone() -> None:
    checked = [
        f"{path}:{line}"
        for path, tree in sources("services", "gateway")
        if "/adapters/" not in path and not path.endswith("kit/auth.py")
        for line in [*calls_named(tree, "may_see"), *calls_named(tree, "ensure_sees")]
    ]
    assert checked == []


def test_lists_are_scoped_to_the_caller_by_repositories_alone() -> None:
    scoped = [
        f"{path}:{node.lineno}"
        for path, tree in sources("services", "gateway")
        if "/adapters/" not in path and not path.endswith("kit/auth.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "scope_insured_id"
    ]
    assert scoped == []
