"""deploy/kubernetes: each overlay renders, every object is valid against the Kubernetes API's schemas (offline),
and the manifests keep the suite's rules: probes, limits, hardened pods, secrets by reference, who reaches whom."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest
import yaml

from backoffice.config import BackofficeSettings
from deploy.local import Suite
from gateway.config import GatewaySettings
from services.claims.config import ClaimsSettings
from services.debtors.config import DebtorsSettings
from services.kit.settings import PROJECT_ROOT
from services.policies.config import PoliciesSettings
from services.webhooks.config import WebhooksSettings

KUBERNETES = PROJECT_ROOT / "deploy" / "kubernetes"
OVERLAYS = ("local", "production")
SETTINGS: dict[str, type[Any]] = {
    "policies": PoliciesSettings,
    "debtors": DebtorsSettings,
    "claims": ClaimsSettings,
    "webhooks": WebhooksSettings,
    "gateway": GatewaySettings,
    "backoffice": BackofficeSettings,
}
SERVICES = ("policies", "debtors", "claims", "webhooks")
SERVER_SETTINGS = {"FORWARDED_ALLOW_IPS"}  # uvicorn's own
# Who may open a connection to each process (besides Prometheus): the gateway is the only door to the services;
# the services call each other's /internal routes and post events.
REACHED_BY = {
    "gateway": {"backoffice", "ingress"},
    "backoffice": {"ingress"},
    "policies": {"gateway", "debtors", "claims"},
    "debtors": {"gateway", "claims"},
    "claims": {"gateway", "debtors"},
    "webhooks": {"gateway", "claims", "debtors"},
}
SCHEMA_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())  # the oldest supported release we aim at, newest


def kustomize(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "the manifests are rendered with `kubectl kustomize`: install kubectl (1.27 or newer)"
    rendered = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES / "overlays" / overlay)], capture_output=True, text=True, check=True
    ).stdout
    return [document for document in yaml.safe_load_all(rendered) if document]


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return kustomize(request.param)


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def containers(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, pod spec, container) of every Deployment and Job."""
    for item in objects:
        if item["kind"] in {"Deployment", "Job"}:
            pod = item["spec"]["template"]["spec"]
            for container in pod["containers"]:
                yield item["metadata"]["name"], pod, container


def test_every_object_is_valid_against_the_kubernetes_schemas(objects: list[dict[str, Any]]) -> None:
    for item in objects:
        for version in SCHEMA_VERSIONS:
            kubernetes_validate.validate(item, version, strict=True)  # raises on an unknown or mistyped field


def test_each_process_has_a_deployment_service_autoscaler_and_disruption_budget(objects: list[dict[str, Any]]) -> None:
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert set(of_kind(objects, kind)) == set(SETTINGS), kind
    for name, autoscaler in of_kind(objects, "HorizontalPodAutoscaler").items():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == name
        assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
    for name, deployment in of_kind(objects, "Deployment").items():
        assert "replicas" not in deployment["spec"], f"{name}: its autoscaler sets the replicas"


def test_every_pod_is_probed_bounded_and_hardened(objects: list[dict[str, Any]]) -> None:
    for name, pod, container in containers(objects):
        image = container["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        hardened = container["securityContext"]
        assert hardened["readOnlyRootFilesystem"] is True and hardened["allowPrivilegeEscalation"] is False
        assert hardened["capabilities"]["drop"] == ["ALL"] and not hardened.get("privileged")
    for name, deployment in of_kind(objects, "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        command = container["command"]
        assert command[command.index("--port") + 1] == str(container["ports"][0]["containerPort"])
        module = f"{name}.main:create_app" if name in {"gateway", "backoffice"} else f"services.{name}.main:create_app"
        assert module in command, name


def receivers(subscribers: dict[str, list[str]]) -> dict[str, set[tuple[str, str]]]:
    """Event type → (process, path) of each receiver: by host name in a cluster, by port on loopback."""
    local = {str(port): name for name, port in Suite().ports.items()}

    def process(url: str) -> str:
        host, port = url.split("/")[2].split(":")
        return local[port] if host == "127.0.0.1" else host

    return {event: {(process(url), url.split("/", 3)[3]) for url in urls} for event, urls in subscribers.items()}


def test_every_variable_is_a_setting_its_process_reads_and_secrets_come_from_secrets(
    objects: list[dict[str, Any]],
) -> None:
    services = of_kind(objects, "Service")
    for name, deployment in of_kind(objects, "Deployment").items():
        settings = SETTINGS[name]
        prefix = settings.model_config["env_prefix"]
        known = {f"{prefix}{field}".upper() for field in settings.model_fields} | SERVER_SETTINGS
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        for variable in container["env"]:
            assert variable["name"] in known, f"{name} sets {variable['name']}, which it does not read"
            if variable["name"].endswith(("DATABASE_URL", "INTERNAL_TOKEN", "SECRET", "_KEY")):
                assert "secretKeyRef" in variable["valueFrom"], f"{name}: {variable['name']} written in a manifest"
            value = variable.get("value", "")
            if value.startswith("http://"):  # an upstream: a Service of the suite, on its port
                host, port = value.removeprefix("http://").split(":")
                assert services[host]["spec"]["ports"][0]["port"] == int(port), value
            if variable["name"].endswith("_SUBSCRIBERS"):
                routed = receivers(json.loads(value))
                assert routed == receivers(Suite().subscribers(name)), f"{name}: events not routed as `make run` does"
                assert {host for targets in routed.values() for host, _ in targets} <= set(services)
    assert not of_kind(objects, "Secret"), "no secret in a manifest: the operator creates them"
    assert "sqlite" not in json.dumps(objects).lower(), "PostgreSQL in Kubernetes, never SQLite"


def test_each_service_is_migrated_by_a_job_that_knows_only_its_own_database(objects: list[dict[str, Any]]) -> None:
    jobs = of_kind(objects, "Job")
    assert set(jobs) == {f"migrate-{service}" for service in SERVICES}
    for service in SERVICES:
        [container] = jobs[f"migrate-{service}"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["alembic", "-n", service, "upgrade", "head"]
        [variable] = container["env"]
        assert variable["name"] == f"{service.upper()}_DATABASE_URL"
        assert variable["valueFrom"]["secretKeyRef"]["key"] == f"{service}-url"


def reached_by(policy: dict[str, Any]) -> set[str]:
    """Who a NetworkPolicy lets in: pods by name, 'ingress' for the ingress controller's namespace."""
    sources = set()
    for rule in policy["spec"].get("ingress", []):
        for peer in rule["from"]:
            if "podSelector" in peer:
                sources.add(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
            namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
            if namespace == "ingress-nginx":
                sources.add("ingress")
    return sources


def test_only_the_gateway_reaches_the_services_and_only_the_fronts_are_exposed(objects: list[dict[str, Any]]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    deny = policies.pop("default-deny-ingress")
    assert deny["spec"]["podSelector"] == {} and deny["spec"]["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny["spec"]
    by_target = {
        policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: policy for policy in policies.values()
    }
    assert set(by_target) == set(REACHED_BY)
    for target, policy in by_target.items():
        assert reached_by(policy) == REACHED_BY[target], target
    backends = {
        path["backend"]["service"]["name"]
        for ingress in of_kind(objects, "Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway", "backoffice"}
