"""Gateway overhead: the same GET direct to the service, through our gateway, and through nginx, side by side.

wrk (Debian's package) loads each path in alternating rounds at fixed concurrency; CPU time per request is
read from /proc for the gateway and for the service. nginx runs as a plain reverse proxy with keep-alive
to the same service, as the reference a gateway is compared with.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import httpx

from bench.harness import BenchDatabases, Figure, Report, WrkRun, cpu_seconds, parse_wrk
from deploy.local import DEV_CLIENTS, SERVICES, Suite
from tests.shared.builders import policy_body
from tests.shared.ports import free_port, free_ports

ROUNDS = 2
SECONDS = 3
CONCURRENCY = (8, 32)
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    upstream policies {{ server 127.0.0.1:{service_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://policies;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def wrk(url: str, *, concurrency: int, authorization: str) -> WrkRun:
    """One wrk round: throughput, latency percentiles, and the answers that were not 2xx."""
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{concurrency}",
            f"-d{SECONDS}s",
            "--latency",
            "-H",
            f"Authorization: {authorization}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(output)


async def run(report: Report, *, backend: str, workdir: Path) -> None:
    if not shutil.which("wrk") or not shutil.which("nginx"):
        raise SystemExit("wrk and nginx are needed: `apt-get install wrk nginx` (make bench installs them)")
    databases = BenchDatabases(backend, workdir)
    suite = Suite(
        ports=free_ports((*SERVICES, "gateway")),
        database_urls={service: await databases.new(service) for service in SERVICES},
        keys_dir=workdir / "keys",
        clients_file=DEV_CLIENTS,
        log_dir=workdir,
    )
    try:
        await asyncio.to_thread(_measure, report, backend, suite, workdir)
    finally:
        await databases.drop()


def _measure(report: Report, backend: str, suite: Suite, workdir: Path) -> None:
    nginx_dir = Path(tempfile.mkdtemp(prefix="nginx-", dir=workdir))
    nginx_port = free_port()
    (nginx_dir / "nginx.conf").write_text(
        NGINX_CONF.format(workdir=nginx_dir, service_port=suite.ports["policies"], port=nginx_port)
    )
    nginx = None
    try:
        suite.migrate()
        suite.start()
        suite.wait_ready(timeout=30)
        nginx = subprocess.Popen(["nginx", "-c", str(nginx_dir / "nginx.conf")], stderr=subprocess.DEVNULL)
        with httpx.Client(base_url=suite.url("gateway"), timeout=10) as gateway:
            form = {"grant_type": "client_credentials", "client_id": "demo-admin", "client_secret": "demo-admin-secret"}
            authorization = f"Bearer {gateway.post('/oauth/token', data=form).json()['access_token']}"
            created = gateway.post("/v1/policies", json=policy_body(), headers={"Authorization": authorization})
            assert created.status_code == 201, created.text
        path = f"/v1/policies/{created.json()['id']}"
        urls = {
            "direct": f"{suite.url('policies')}{path}",
            "gateway": f"{suite.url('gateway')}{path}",
            "nginx": f"http://127.0.0.1:{nginx_port}{path}",
        }
        service_pid, gateway_pid = suite.processes["policies"].pid, suite.processes["gateway"].pid
        for concurrency in CONCURRENCY:
            rounds: dict[str, list[WrkRun]] = {name: [] for name in urls}
            cpu: dict[str, list[float]] = {"service per direct request": [], "gateway per proxied request": []}
            for _ in range(ROUNDS):
                for name, url in urls.items():
                    before = {pid: cpu_seconds(pid) for pid in (service_pid, gateway_pid)}
                    result = wrk(url, concurrency=concurrency, authorization=authorization)
                    rounds[name].append(result)
                    used = {pid: cpu_seconds(pid) - before[pid] for pid in before}
                    if name == "direct":
                        cpu["service per direct request"].append(used[service_pid] / result.requests)
                    elif name == "gateway":
                        cpu["gateway per proxied request"].append(used[gateway_pid] / result.requests)
            _report(report, backend, concurrency, rounds, cpu)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        suite.stop()


def _report(
    report: Report, backend: str, concurrency: int, rounds: dict[str, list[WrkRun]], cpu: dict[str, list[float]]
) -> None:
    def med(name: str, attribute: str) -> float:
        return statistics.median(getattr(result, attribute) for result in rounds[name])

    scenario = f"gateway c={concurrency}"
    errors = sum(result.errors for results in rounds.values() for result in results)
    report.add(Figure(scenario, backend, "errors (all paths)", errors, "", "0", errors == 0))
    for name in ("direct", "gateway", "nginx"):
        report.add(Figure(scenario, backend, f"{name} throughput", med(name, "requests_per_second"), "req/s", "", None))
    ratio = med("gateway", "requests_per_second") / med("direct", "requests_per_second")
    report.add(Figure(scenario, backend, "gateway ÷ direct throughput", ratio, "", "≥ 0.40", ratio >= 0.40))
    nginx_ratio = med("nginx", "requests_per_second") / med("direct", "requests_per_second")
    report.add(Figure(scenario, backend, "nginx ÷ direct throughput (reference)", nginx_ratio, "", "", None))
    for percentile, target in (("p50", 3.0), ("p99", 6.0)):
        for proxy in ("gateway", "nginx"):
            added = med(proxy, f"{percentile}_ms") - med("direct", f"{percentile}_ms")
            checked = proxy == "gateway" and concurrency == 8
            report.add(
                Figure(
                    scenario,
                    backend,
                    f"{proxy} added {percentile} latency",
                    added,
                    "ms",
                    f"≤ {target:g} ms" if checked else "",
                    added <= target if checked else None,
                )
            )
    per_proxied = statistics.median(cpu["gateway per proxied request"])
    per_direct = statistics.median(cpu["service per direct request"])
    cpu_ratio = per_proxied / per_direct
    report.add(
        Figure(scenario, backend, "gateway CPU ÷ service CPU per request", cpu_ratio, "", "≤ 2.5", cpu_ratio <= 2.5)
    )
