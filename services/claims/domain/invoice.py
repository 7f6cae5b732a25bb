"""Which invoice a number names, however it is written."""

from __future__ import annotations

import unicodedata


def invoice_key(number: str) -> str:
    """The invoice a number names: the same whatever its case, width or spacing ("X-1 ", "x-1", "X-1\u00a0")."""
    return " ".join(unicodedata.normalize("NFKC", number).split()).casefold()
