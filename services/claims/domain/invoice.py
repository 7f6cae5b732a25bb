"""Which invoice a number names, however it is written."""

from __future__ import annotations

import unicodedata

# Variation selectors change a glyph, not the character (Mongolian, standard, supplement).
_VARIATION_SELECTORS = ((0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


def _shown(char: str) -> bool:
    """Whether a character shows in a number: not a format character (zero-width, tags) nor a variation selector."""
    code = ord(char)
    if any(low <= code <= high for low, high in _VARIATION_SELECTORS):
        return False
    return unicodedata.category(char) != "Cf"


def invoice_key(number: str) -> str:
    """The invoice a number names: the same whatever its case, width, spacing or invisible marks ("X-1 ", "x-1",
    "X-1\u00a0", "X-1" followed by a tag or a variation selector)."""
    shown = "".join(char for char in unicodedata.normalize("NFKC", number) if char.isascii() or _shown(char))
    return " ".join(shown.split()).casefold()
