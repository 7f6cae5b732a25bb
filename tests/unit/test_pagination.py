import pytest

from services.kit.errors import InvalidInput
from services.kit.pagination import decode_cursor, encode_cursor, page_of


def test_cursor_round_trips_the_sort_key() -> None:
    assert decode_cursor(encode_cursor(["2026-01-01", "abc"])) == ["2026-01-01", "abc"]


@pytest.mark.parametrize("cursor", ["not base64 at all!", "e30", "bnVsbA"])
def test_forged_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(cursor)


def test_page_has_a_next_cursor_only_when_more_rows_exist() -> None:
    full = page_of([1, 2, 3], limit=2, key=lambda row: [row])
    assert full.items == [1, 2] and decode_cursor(full.next_cursor or "") == [2]
    assert page_of([1, 2], limit=2, key=lambda row: [row]).next_cursor is None
