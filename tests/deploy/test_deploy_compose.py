"""deploy/compose.yaml as Compose itself reads it (`docker compose config`, or Debian's
docker-compose): the seed's services, GPU reservations, the shared data volume, settings and
stop grace periods that let a worker finish its batch."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from deploy_files import DEPLOY, settings_fields, settings_from_env

COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
VIDEOLENS_SERVICES = ("api", "cpu-worker", "vision-worker", "vision-worker-cpu")
WORKERS = ("cpu-worker", "vision-worker", "vision-worker-cpu")


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30
        ).returncode
        == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.skip("neither `docker compose` nor docker-compose is installed (apt: docker-compose)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The resolved configuration with both vision profiles and .env.example's values."""
    result = subprocess.run(
        [
            *_compose_command(), "-f", str(COMPOSE_FILE), "--env-file", str(ENV_EXAMPLE),
            "--profile", "gpu", "--profile", "cpu-only", "config",
        ],
        capture_output=True, text=True, timeout=60, cwd=DEPLOY,
    )  # fmt: skip
    assert result.returncode == 0, f"compose config failed:\n{result.stderr}"
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def _seconds(duration: str | int) -> float:
    """A Compose duration (``150s``, ``2m30s``, ``1m``) in seconds."""
    if isinstance(duration, int):
        return float(duration)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _env(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: None if value is None else str(value) for key, value in env.items()}


def test_temporal_with_postgresql_and_its_ui(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgresql"]["image"].startswith("postgres:")
    temporal = services["temporal"]
    assert temporal["image"].startswith("temporalio/auto-setup:")
    env = _env(temporal)
    assert env["DB"] == "postgres12" and env["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_PWD"] == _env(services["postgresql"])["POSTGRES_PASSWORD"]
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert _env(services["temporal-ui"])["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_videolens_services_share_one_cluster_volume_and_deployment(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = compose["services"]
    assert set(VIDEOLENS_SERVICES) <= set(services)
    queues = set()
    for name in VIDEOLENS_SERVICES:
        service = services[name]
        env = _env(service)
        assert set(env) <= settings_fields() | {"HF_HOME"}, f"{name}: unknown settings"
        settings = settings_from_env(env, monkeypatch)
        host, _, port = (settings.temporal_address or "").partition(":")
        assert host == "temporal" and port == "7233", name
        mounts = [
            volume for volume in service["volumes"]
            if (volume["source"] if isinstance(volume, dict) else volume.split(":")[0]) == "data"
        ]  # fmt: skip
        targets = {m["target"] if isinstance(m, dict) else m.split(":")[1] for m in mounts}
        assert targets == {str(settings.data_dir)}, name
        queues.add((settings.cpu_task_queue, settings.vision_task_queue))
    assert len(queues) == 1, f"services disagree on task queues: {queues}"
    assert "data" in compose["volumes"]


def test_api_serves_off_loopback_with_a_healthcheck(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    command = _command(api)
    assert command[:1] == ["serve"] and command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    published = api["ports"][0]
    target = (
        str(published["target"])
        if isinstance(published, dict)
        else (published.split(":")[-1].split("/")[0])
    )
    assert target == port
    # The image's HEALTHCHECK (on /healthz) applies: the API must not turn it off.
    assert "healthcheck" not in api or not api["healthcheck"].get("disable")


def test_workers_and_gpu_reservations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in WORKERS:
        command = _command(services[name])
        queue = command[command.index("--queue") + 1]
        assert command[0] == "worker" and queue == ("cpu" if name == "cpu-worker" else "vision")
        assert int(services[name]["deploy"]["replicas"]) >= 1

    gpu = services["vision-worker"]
    assert gpu["profiles"] == ["gpu"] and gpu["build"]["target"] == "gpu"
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert int(device["count"]) == 1

    cpu_only = services["vision-worker-cpu"]
    assert cpu_only["profiles"] == ["cpu-only"] and cpu_only["build"]["target"] == "cpu"
    assert "resources" not in cpu_only.get("deploy", {})
    for name, service in services.items():
        if name != "vision-worker":
            assert "reservations" not in service.get("deploy", {}).get("resources", {}), name


def test_workers_stop_grace_outlasts_their_shutdown_grace(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in WORKERS:
        service = compose["services"][name]
        settings = settings_from_env(_env(service), monkeypatch)
        stop_grace = _seconds(service["stop_grace_period"])
        assert stop_grace >= settings.worker_shutdown_grace_s + 20, name


def test_env_example_names_only_variables_compose_uses() -> None:
    text = COMPOSE_FILE.read_text()
    interpolated = set(re.findall(r"\$\{(\w+)", text))
    passed_through = set(re.findall(r"^\s+(VIDEOLENS_\w+):\s*$", text, flags=re.MULTILINE))
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE)
    assert len(names) >= 10, ".env.example names too few variables"
    for name in names:
        assert name in interpolated | passed_through | {"COMPOSE_PROFILES"}, (
            f"{name} in .env.example is not used by compose.yaml"
        )
    assert passed_through <= settings_fields(), passed_through - settings_fields()
