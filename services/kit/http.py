"""HTTP preconditions: strong ETags from a row version, If-Match required on updates."""

from __future__ import annotations

from services.kit.errors import PreconditionFailed, PreconditionRequired


def etag_of(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, current: int) -> int:
    """The version the caller updates from; 428 without If-Match, 412 when it is stale."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you read.")
    candidates = [tag.strip() for tag in if_match.split(",")]
    if "*" in candidates or etag_of(current) in candidates:
        return current
    raise PreconditionFailed(f"The resource is now at ETag {etag_of(current)}.", current_etag=etag_of(current))
