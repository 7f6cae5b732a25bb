"""Run the whole suite on this machine: migrate the SQLite databases, start the six processes.

`make run` calls `python -m deploy.local`; tests and benchmarks use `Suite` to start
real processes on ports and databases of their own.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from deploy.keys import ensure_keys
from services.kit.settings import PROJECT_ROOT

SERVICES = ("policies", "debtors", "claims", "webhooks")
APPS = ("gateway", "backoffice")  # the processes outside services/
DEV_CLIENTS = PROJECT_ROOT / "deploy" / "dev-clients.json"
DEV_PEOPLE = PROJECT_ROOT / "deploy" / "dev-people.json"
DEV_BACKOFFICE_SECRET = "backoffice-secret"  # the back office's client secret in dev-clients.json (never in production)
DEMO_PEOPLE = {"claire.martin": "claims handler", "paul.bernard": "underwriter", "nadia.roux": "admin"}
PROCESSES = ("gateway", "policies", "debtors", "claims", "webhooks", "backoffice")
"""In the order of their ports: `make run` gives them PORT_BASE (8000 by default) and the five ports after it."""
DEMO_CREDENTIALS = {
    "demo-insured": "insured of INS-ACME",
    "demo-insured-beta": "insured of INS-BETA",
    "demo-underwriter": "underwriter",
    "demo-handler": "claims_handler",
    "demo-admin": "admin",
}


@dataclass
class Suite:
    """The processes of the suite, on loopback ports: the back office too when it has a port."""

    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: ports_from(8000))
    database_urls: Mapping[str, str] = field(default_factory=dict)
    keys_dir: Path = PROJECT_ROOT / "var" / "keys"
    clients_file: Path = DEV_CLIENTS
    extra_env: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    """Each process writes <name>.log there; without it, to this process's output, each line after its name."""
    migrate_on_start: bool = False
    """Each service brings its own database to head as it starts (in parallel, no extra interpreter)."""
    sandbox_offset_days: int | None = None
    """Sandbox mode: business time runs this many days from the real date, and an admin moves it forward."""
    sandbox_state_file: Path | None = None
    internal_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def subscribers(self, publisher: str) -> dict[str, list[str]]:
        """Who receives each event a service publishes: the other services, and the partners' webhooks."""
        to = {name: f"{self.url(name)}/internal/events" for name in ("claims", "debtors", "webhooks")}
        if publisher == "claims":
            return {
                "claim.opened.v1": [to["debtors"], to["webhooks"]],
                "claim.closed.v1": [to["debtors"]],
                "claim.rejected.v1": [to["webhooks"]],
                "claim.status_changed.v1": [to["webhooks"]],
                "claim.deadline_approaching.v1": [to["webhooks"]],
                "claim.indemnified.v1": [to["webhooks"]],
                "claim.recovery_shared.v1": [to["webhooks"]],
            }
        return {
            "debtor.procedure_changed.v1": [to["claims"], to["webhooks"]],
            "credit_limit.decided.v1": [to["webhooks"]],
        }

    def environment(self) -> dict[str, str]:
        private, public = ensure_keys(self.keys_dir)
        env = dict(os.environ)
        for service in SERVICES:
            prefix = service.upper()
            env[f"{prefix}_JWT_PUBLIC_KEY_FILE"] = str(public)
            if service in self.database_urls:
                env[f"{prefix}_DATABASE_URL"] = self.database_urls[service]
            env[f"GATEWAY_{prefix}_URL"] = self.url(service)
            env[f"{prefix}_INTERNAL_TOKEN"] = self.internal_token
        env["DEBTORS_POLICIES_URL"] = env["CLAIMS_POLICIES_URL"] = self.url("policies")
        env["CLAIMS_DEBTORS_URL"] = self.url("debtors")
        env["CLAIMS_SUBSCRIBERS"] = json.dumps(self.subscribers("claims"))
        env["DEBTORS_SUBSCRIBERS"] = json.dumps(self.subscribers("debtors"))
        if self.migrate_on_start:
            env.update({f"{service.upper()}_MIGRATE_ON_START": "true" for service in SERVICES})
        if self.sandbox_offset_days is not None:
            for prefix in (*(service.upper() for service in SERVICES), "GATEWAY"):
                env[f"{prefix}_SANDBOX"] = "true"
                env[f"{prefix}_SANDBOX_OFFSET_DAYS"] = str(self.sandbox_offset_days)
            env["GATEWAY_INTERNAL_TOKEN"] = self.internal_token
            if self.sandbox_state_file is not None:
                env["GATEWAY_SANDBOX_STATE_FILE"] = str(self.sandbox_state_file)
        env["GATEWAY_JWT_PRIVATE_KEY_FILE"] = str(private)
        env["GATEWAY_CLIENTS_FILE"] = str(self.clients_file)
        if "backoffice" in self.ports:
            env["BACKOFFICE_GATEWAY_URL"] = self.url("gateway")
            env["BACKOFFICE_USERS_FILE"] = str(DEV_PEOPLE)
            env["BACKOFFICE_CLIENT_SECRET"] = DEV_BACKOFFICE_SECRET
            env["BACKOFFICE_SECURE_COOKIES"] = "false"  # plain http on loopback
        env.update(self.extra_env)
        return env

    def migrate(self) -> None:
        env = self.environment()
        (PROJECT_ROOT / "var").mkdir(exist_ok=True)
        for service in SERVICES:
            subprocess.run(
                [sys.executable, "-m", "alembic", "-n", service, "upgrade", "head"],
                cwd=PROJECT_ROOT,
                env=env,
                check=True,
                capture_output=True,
            )

    def start(self, *names: str) -> None:
        env = self.environment()
        for name in names or self.names():
            self.start_copy(name, port=self.ports[name], env=env)

    def start_copy(self, name: str, *, port: int, env: dict[str, str], key: str | None = None) -> None:
        """One process of `name` on `port`; `key` names it among several copies of one service (replicas)."""
        key = key or name
        target = f"{name}.main:create_app" if name in APPS else f"services.{name}.main:create_app"
        output = open(self.log_dir / f"{key}.log", "ab") if self.log_dir else subprocess.PIPE  # noqa: SIM115
        self.processes[key] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                target,
                "--factory",
                "--host",
                self.host,
                "--port",
                str(port),
                "--no-access-log",  # each app writes its own access line (request id, caller, duration)
                "--log-level",
                "warning",
                # Every caller is on loopback here: a forwarding header would be the caller's word, not a
                # proxy's (behind a real proxy, FORWARDED_ALLOW_IPS names it).
                *(["--no-proxy-headers"] if name == "gateway" else []),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if self.log_dir is None:
            _prefix_lines(key, self.processes[key])

    def names(self) -> tuple[str, ...]:
        return (*SERVICES, "gateway", *(["backoffice"] if "backoffice" in self.ports else []))

    def wait_ready(self, timeout: float = 20.0) -> float:
        """Seconds until the gateway's /readyz says every service is ready (and the back office's, when started)."""
        started = time.monotonic()
        front = [name for name in ("gateway", "backoffice") if name in self.processes] or ["gateway"]
        while time.monotonic() - started < timeout:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
            try:
                if all(httpx.get(f"{self.url(name)}/readyz", timeout=1.0).status_code == 200 for name in front):
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the suite was not ready within {timeout} s")

    def stop(self, *names: str, sig: int = signal.SIGTERM) -> None:
        for name in names or list(self.processes):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            if process.poll() is None:
                process.send_signal(sig)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


_WRITING = threading.Lock()
_NAME_WIDTH = max(len(name) for name in PROCESSES)


def _prefix_lines(name: str, process: subprocess.Popen[bytes]) -> None:
    """Copy a process's output to ours, each line after the process's name (one line is never cut by another)."""

    def copy() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            with _WRITING:
                sys.stdout.write(f"{name:<{_NAME_WIDTH}} | {line}\n")
                sys.stdout.flush()

    threading.Thread(target=copy, name=f"output of {name}", daemon=True).start()


def ports_from(base: int) -> dict[str, int]:
    """The suite's ports: the gateway's is `base`, the others follow in order."""
    return {name: base + offset for offset, name in enumerate(PROCESSES)}


def ports_taken(host: str, ports: Mapping[str, int]) -> list[str]:
    """Each port another program already listens on, as uvicorn would find it when it binds."""
    taken = []
    for name, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                probe.bind((host, port))
            except OSError:
                taken.append(f"{port} ({name})")
    return taken


def port_base(environ: Mapping[str, str]) -> int:
    """PORT_BASE, checked: the six ports must all be valid unprivileged ports."""
    raw = environ.get("PORT_BASE", "8000")
    highest = 65536 - len(PROCESSES)
    if not (raw.isascii() and raw.isdigit()) or not 1024 <= int(raw) <= highest:
        raise SystemExit(f"PORT_BASE must be a number from 1024 to {highest}, not {raw!r}.")
    return int(raw)


RUN_DIR = PROJECT_ROOT / "var"


def _local_logging(environ: Mapping[str, str]) -> dict[str, str]:
    """Readable lines at a terminal unless asked otherwise (JSON, the default elsewhere, is for a collector)."""
    prefixes = [name.upper() for name in PROCESSES]
    return {f"{prefix}_LOG_FORMAT": environ.get(f"{prefix}_LOG_FORMAT", "text") for prefix in prefixes}


def sandbox_offset(state_file: Path, asked: str | None, *, real_today: date) -> int:
    """Days business time runs from the real date: SANDBOX_TODAY's, else where the sandbox was left, else 0.

    The sandbox only moves forward: a date before the one it was left at is refused (`make clean` starts over).
    """
    kept = json.loads(state_file.read_text())["offset_days"] if state_file.exists() else None
    if not asked:
        return kept or 0
    offset = (date.fromisoformat(asked) - real_today).days
    if kept is not None and offset < kept:
        left_at = real_today + timedelta(days=kept)
        raise SystemExit(
            f"The sandbox is at {left_at}; its clock only moves forward. `make clean` starts it over at {asked}."
        )
    return offset


def main() -> int:
    ports = ports_from(port_base(os.environ))
    taken = ports_taken("127.0.0.1", ports)
    if taken:
        print(
            f"Cannot start: port {', '.join(taken)} is taken (another `make run`?). Stop it, or start this one on "
            f"other ports, e.g. PORT_BASE=9000 RUN_DIR=var/second make run",
            file=sys.stderr,
        )
        return 1
    # RUN_DIR keeps this suite's databases, keys and sandbox date: a second suite beside the first takes another.
    run_dir = Path(os.environ.get("RUN_DIR") or RUN_DIR).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    state_file = run_dir / "sandbox-clock.json"
    offset = sandbox_offset(state_file, os.environ.get("SANDBOX_TODAY"), real_today=datetime.now(UTC).date())
    state_file.write_text(json.dumps({"offset_days": offset}))
    suite = Suite(
        ports=ports,
        database_urls={
            service: f"sqlite+aiosqlite:///{run_dir / f'{service}.db'}"
            for service in SERVICES
            if not os.environ.get(f"{service.upper()}_DATABASE_URL")
        },
        keys_dir=run_dir / "keys",
        migrate_on_start=True,
        sandbox_offset_days=offset,
        sandbox_state_file=state_file,
        extra_env=_local_logging(os.environ),
    )
    print(f"Starting; each service migrates its SQLite database under {run_dir.name}/ first ...", flush=True)
    suite.start()
    try:
        seconds = suite.wait_ready(timeout=90)  # a first start migrates four databases, on a busy laptop too
    except (RuntimeError, TimeoutError) as exc:
        print(f"The suite did not start: {exc}", file=sys.stderr)
        suite.stop()
        return 1
    gateway = suite.url("gateway")
    print(f"\ncredit-claims is ready in {seconds:.1f} s")
    print(f"  gateway   {gateway}")
    print(f"  API docs  {gateway}/docs")
    if ports["gateway"] != 8000:
        print(f"  demo      GATEWAY_URL={gateway} make demo   (and so for make fuzz)")
    sandbox_today = datetime.now(UTC).date() + timedelta(days=offset)
    print(f"  sandbox   today is {sandbox_today}; an admin moves it forward: POST {gateway}/v1/sandbox/clock")
    print("  services  " + "  ".join(f"{name} {suite.url(name)}" for name in SERVICES))
    print(f"\n  back office  {suite.url('backoffice')}  (log in as <login>, password <login>-password)")
    for login, role in DEMO_PEOPLE.items():
        print(f"    {login:<18} {role}")
    print("\nDemo clients (client_credentials at POST /oauth/token; secret = <client id>-secret):")
    for client, role in DEMO_CREDENTIALS.items():
        print(f"  {client:<20} {role}")
    print(
        f"\n  curl -s -d grant_type=client_credentials -d client_id=demo-underwriter "
        f"-d client_secret=demo-underwriter-secret {gateway}/oauth/token\n\nCtrl-C stops all six processes.",
        flush=True,
    )
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    while not stopping:
        for name, process in suite.processes.items():
            if process.poll() is not None:
                print(f"{name} exited with code {process.returncode}; stopping the suite.", file=sys.stderr)
                stopping, code = True, 1
                break
        time.sleep(0.2)
    suite.stop()
    print("Stopped.")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
