"""Free loopback ports for the processes a test or a benchmark starts."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from contextlib import ExitStack


def free_ports(names: Iterable[str]) -> dict[str, int]:
    """A distinct free loopback port per name: every socket stays bound until all are chosen."""
    with ExitStack() as stack:
        ports = {}
        for name in names:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports[name] = sock.getsockname()[1]
        return ports


def free_port() -> int:
    return free_ports(["port"])["port"]
