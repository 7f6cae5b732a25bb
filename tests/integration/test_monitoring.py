"""deploy/monitoring: the alert rules parse and fire on what they name (promtool), and the alerts and the Grafana
dashboard ask only for metrics the code exposes, in PromQL Prometheus accepts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.kit.observability import Metrics
from services.kit.settings import PROJECT_ROOT

MONITORING = PROJECT_ROOT / "deploy" / "monitoring"
FUNCTIONS = {"histogram_quantile", "label_values"}


def promtool(*args: str, cwd: Path = MONITORING) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool checks the alert rules: `make tools` installs it (Debian's prometheus package)"
    return subprocess.run([tool, *args], capture_output=True, text=True, cwd=cwd)


def exposed() -> set[str]:
    """Every sample name the suite's processes expose (the kit's collectors, as Prometheus names them)."""
    names = set()
    for family in Metrics("any").registry.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(family.type, [""])
        names.update(f"{family.name}{suffix}" for suffix in suffixes)
    return names


def metrics_in(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (label names, functions and strings aside)."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", "", bare)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    return {token for token in re.findall(r"[a-z][a-z0-9_]*", bare) if "_" in token} - FUNCTIONS


def alert_rules() -> list[dict[str, Any]]:
    return [
        rule for group in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"] for rule in group["rules"]
    ]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_alert_rules_are_valid_and_each_fires_on_its_trouble_and_not_on_a_healthy_suite() -> None:
    checked = promtool("check", "rules", "alerts.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tested_alerts = set(re.findall(r"alertname: (\w+)", (MONITORING / "alerts.test.yaml").read_text()))
    assert tested_alerts == {rule["alert"] for rule in alert_rules()}, "every alert has its promtool test"


def test_every_dashboard_query_is_promql_prometheus_accepts(tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:panel_{n}", "expr": expr.replace("$service", ".*")}
                    for n, expr in enumerate(dashboard_exprs())
                ],
            }
        ]
    }
    (tmp_path / "dashboard-rules.yaml").write_text(yaml.safe_dump(rules))
    checked = promtool("check", "rules", "dashboard-rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_alerts_and_dashboard_read_only_metrics_the_suite_exposes(source: str) -> None:
    exprs = [rule["expr"] for rule in alert_rules()] if source == "alerts" else dashboard_exprs()
    asked = set().union(*(metrics_in(expr) for expr in exprs))
    assert asked, source
    assert asked <= exposed(), f"{source} asks for {sorted(asked - exposed())}, which no process exposes"
