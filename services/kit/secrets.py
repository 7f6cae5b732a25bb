"""Secrets and passwords stored as salted scrypt hashes, checked in constant time on a few warmed threads."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_N, _R, _P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    """A salted scrypt hash, as stored in the clients and users files."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


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
