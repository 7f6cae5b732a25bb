"""The token signing key pair: `python -m deploy.keys DIR` makes it once (never committed)."""

from __future__ import annotations

import sys
from pathlib import Path

from services.kit.auth import generate_key_pair


def ensure_keys(directory: Path) -> tuple[Path, Path]:
    """(private, public) PEM files in directory, made if missing."""
    private, public = directory / "jwt-private.pem", directory / "jwt-public.pem"
    if not (private.exists() and public.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_key_pair()
        private.write_text(private_pem)
        private.chmod(0o600)
        public.write_text(public_pem)
    return private, public


if __name__ == "__main__":
    ensure_keys(Path(sys.argv[1]))
