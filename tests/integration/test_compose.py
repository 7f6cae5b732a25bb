"""docker-compose.yml agrees with the settings the code reads (Docker does not run here)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from backoffice.config import BackofficeSettings
from backoffice.users import load_people
from gateway.config import GatewaySettings
from services.claims.config import ClaimsSettings
from services.debtors.config import DebtorsSettings
from services.kit.secrets import secret_matches
from services.kit.settings import PROJECT_ROOT
from services.policies.config import PoliciesSettings
from services.webhooks.config import WebhooksSettings

SETTINGS = {
    "policies": PoliciesSettings,
    "debtors": DebtorsSettings,
    "claims": ClaimsSettings,
    "webhooks": WebhooksSettings,
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())


def port_of(command: list[str]) -> int:
    return int(command[command.index("--port") + 1])


def env_names(settings: type) -> set[str]:
    prefix = settings.model_config["env_prefix"]
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


def test_every_service_has_its_own_database_and_known_settings(compose: dict[str, Any]) -> None:
    services = compose["services"]
    init_sql = (Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "init.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+);", init_sql))
    for name, settings in SETTINGS.items():
        environment = services[name]["environment"]
        assert set(environment) <= env_names(settings), f"{name} sets variables its settings do not read"
        url = make_url(environment[f"{name.upper()}_DATABASE_URL"])
        assert url.host == "postgres" and url.database == name and url.database in created
        assert (
            services["migrate"]["environment"][f"{name.upper()}_DATABASE_URL"]
            == environment[f"{name.upper()}_DATABASE_URL"]
        )
        assert f"alembic -n {name} upgrade head" in services["migrate"]["command"][-1]
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert str(port_of(services[name]["command"])) in services[name]["healthcheck"]["test"][-1]


def test_gateway_points_at_each_service_port_and_waits_for_it(compose: dict[str, Any]) -> None:
    services = compose["services"]
    gateway = services["gateway"]
    assert set(gateway["environment"]) <= env_names(GatewaySettings)
    assert gateway["ports"] == ["8000:8000"] and port_of(gateway["command"]) == 8000
    for name in SETTINGS:
        url = make_url(gateway["environment"][f"GATEWAY_{name.upper()}_URL"])
        assert (url.host, url.port) == (name, port_of(services[name]["command"]))
        assert gateway["depends_on"][name]["condition"] == "service_healthy"


def test_the_back_office_reaches_the_suite_through_the_gateway_only_as_a_registered_client(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    backoffice = services["backoffice"]
    environment = backoffice["environment"]
    assert set(environment) <= env_names(BackofficeSettings)
    url = make_url(environment["BACKOFFICE_GATEWAY_URL"])
    assert (url.host, url.port) == ("gateway", port_of(services["gateway"]["command"]))
    assert backoffice["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert str(port_of(backoffice["command"])) in backoffice["healthcheck"]["test"][-1]
    root = Path(__file__).resolve().parents[2]

    def in_image(path: str) -> Path:
        return root / path.removeprefix("/app/")

    clients = json.loads(in_image(services["gateway"]["environment"]["GATEWAY_CLIENTS_FILE"]).read_text())
    registered = next(client for client in clients if client["client_id"] == environment["BACKOFFICE_CLIENT_ID"])
    assert secret_matches(environment["BACKOFFICE_CLIENT_SECRET"], registered["secret_hash"])
    assert registered["roles"] == [] and "insured" not in registered["acts_for"]
    assert load_people(in_image(environment["BACKOFFICE_USERS_FILE"]))


def test_events_flow_to_a_service_that_listens_with_the_same_token(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for sender in ("debtors", "claims"):
        environment = services[sender]["environment"]
        prefix = sender.upper()
        assert make_url(environment[f"{prefix}_POLICIES_URL"]).port == port_of(services["policies"]["command"])
        for destinations in json.loads(environment[f"{prefix}_SUBSCRIBERS"]).values():
            for destination in destinations:
                url = make_url(destination)
                assert port_of(services[url.host]["command"]) == url.port
                receiver = services[url.host]["environment"]
                assert receiver[f"{url.host.upper()}_INTERNAL_TOKEN"] == environment[f"{prefix}_INTERNAL_TOKEN"]


def test_one_image_runs_every_process(compose: dict[str, Any]) -> None:
    images = {service.get("image") for name, service in compose["services"].items() if name != "postgres"}
    assert images == {"credit-claims:dev"}
    dockerfile = (Path(__file__).resolve().parents[2] / "deploy" / "Dockerfile").read_text()
    for needed in ("services", "gateway", "backoffice", "migrations", "alembic.ini", "constraints.txt"):
        assert needed in dockerfile


def compose_cli() -> list[str]:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    standalone = shutil.which("docker-compose")
    assert standalone, (
        "docker compose (or docker-compose) checks the file: `make test` installs Debian's docker-compose"
    )
    return [standalone]


def test_docker_compose_accepts_the_file() -> None:
    checked = subprocess.run(
        [*compose_cli(), "-f", str(PROJECT_ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert checked.returncode == 0, checked.stderr
