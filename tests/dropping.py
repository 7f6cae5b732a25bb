"""Drop the test run's PostgreSQL databases after the run, in a process of its own.

Each DROP DATABASE waits for a checkpoint: a run's few hundred take about two minutes, which the run need not
wait for. `python -m tests.dropping URL NAME...` drops them one after the other, whoever started it has gone.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg


def drop_later(url: str, names: list[str]) -> None:
    """Hand the names to a detached process that drops them; return at once."""
    if names:
        subprocess.Popen(
            [sys.executable, "-m", "tests.dropping", url, *names],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


async def drop(url: str, names: list[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(drop(sys.argv[1], sys.argv[2:]))
