"""deploy/prometheus and deploy/grafana checked with the real tools: promtool checks the rules
and the scrape config and runs the rules' unit tests; every metric the rules and the dashboard
query is one that videolens exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from videolens.metrics.api_metrics import ApiMetrics

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "videolens-dashboard.json"
OUR_METRIC = re.compile(r"\bvideolens_[a-z0-9_]+")


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus; CI has it)")
    return found


def _run(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_rules_pass_promtool_check() -> None:
    done = _run(_promtool(), "check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def test_every_alert_has_unit_tests_that_pass() -> None:
    done = _run(_promtool(), "test", "rules", "alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    tested = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    quiet = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if not case.get("exp_alerts")
    }
    assert tested == set(_alerts()), "an alert has no test that makes it fire"
    assert quiet == set(_alerts()), "an alert is never shown to stay quiet"


def test_unit_tests_fail_when_a_rule_changes(tmp_path: Path) -> None:
    """The tests pin the rules: a changed threshold makes promtool fail."""
    promtool = _promtool()
    text = (PROMETHEUS / "alerts.yml").read_text()
    assert "> 0.95" in text
    (tmp_path / "alerts.yml").write_text(text.replace("> 0.95", "> 0.99"))
    shutil.copy(PROMETHEUS / "alerts_test.yml", tmp_path)
    done = _run(promtool, "test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert done.returncode != 0
    assert "VideolensGpuMemoryNearFull" in done.stdout + done.stderr


def test_compose_scrape_config_passes_promtool_check(tmp_path: Path) -> None:
    promtool = _promtool()
    # The API key file lives beside the config in the container; here a stand-in path.
    key = tmp_path / "api-key"
    key.write_text("vl_example\n")
    config = (PROMETHEUS / "prometheus.yml").read_text()
    assert "/etc/prometheus/api-key" in config
    (tmp_path / "prometheus.yml").write_text(config.replace("/etc/prometheus/api-key", str(key)))
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path)
    done = _run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_and_dashboard_query_only_metrics_that_exist() -> None:
    exposed = ApiMetrics(with_workers=True).metric_names()
    rule_names = {
        name
        for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
        for name in OUR_METRIC.findall(rule["expr"])
    }
    assert rule_names and rule_names <= exposed, rule_names - exposed

    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["title"] and dashboard["uid"]
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    assert len(expressions) >= 10
    panel_names = {name for expr in expressions for name in OUR_METRIC.findall(expr)}
    assert panel_names <= exposed, panel_names - exposed
    # The figures that matter to an operator each have a panel.
    for wanted in (
        "videolens_frames_described_total",
        "videolens_task_queue_backlog",
        "videolens_task_queue_pollers",
        "videolens_gpu_memory_used_bytes",
        "videolens_http_request_duration_seconds_count",
    ):
        assert wanted in panel_names, wanted


def _alerts() -> list[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]
