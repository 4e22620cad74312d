"""The library database in the deployments: Compose and Kubernetes both run PostgreSQL for the
library index, point every videolens service at it (VIDEOLENS_DATABASE_URL) and apply its
migrations with `videolens db upgrade` before the API and workers use it."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import pytest
from deploy_files import DEPLOY, OVERLAYS, kustomize, settings_from_env
from test_deploy_compose import VIDEOLENS_SERVICES, _command, _env, compose  # noqa: F401


def test_compose_runs_the_library_database_and_migrates_it_first(
    compose: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose["services"]
    database = services["library-db"]
    assert database["image"].startswith("postgres:")
    migrate = services["library-migrate"]
    assert _command(migrate) == ["db", "upgrade"]
    assert migrate["depends_on"]["library-db"]["condition"] == "service_healthy"
    for name in (*VIDEOLENS_SERVICES, "library-migrate"):
        settings = settings_from_env(_env(services[name]), monkeypatch)
        assert settings.database_url is not None, name
        url = urlsplit(settings.database_url.get_secret_value())
        assert (url.hostname, url.port, url.path) == ("library-db", 5432, "/videolens"), name
        assert url.password == _env(database)["POSTGRES_PASSWORD"], name
        if name != "library-migrate":
            assert services[name]["depends_on"]["library-migrate"]["condition"] == (
                "service_completed_successfully"
            ), name
    assert "library-db" in compose["volumes"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_runs_the_library_database_and_its_migration_job(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = kustomize(DEPLOY / "k8s" / "overlays" / overlay)
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    database = by_kind[("StatefulSet", "videolens-library-db")]
    service = by_kind[("Service", "videolens-library-db")]
    assert service["spec"]["selector"] == database["spec"]["selector"]["matchLabels"]
    secrets = [d for d in docs if d["kind"] == "Secret"]
    env: dict[str, str] = {}
    for secret in secrets:
        env.update(secret.get("stringData", {}))
        env.update({k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()})
    url = env.get("VIDEOLENS_DATABASE_URL")
    assert url, "no VIDEOLENS_DATABASE_URL in the secrets"
    settings = settings_from_env({"VIDEOLENS_DATABASE_URL": url}, monkeypatch)
    assert settings.database_url is not None
    parts = urlsplit(settings.database_url.get_secret_value())
    assert (parts.hostname, parts.port) == ("videolens-library-db", 5432)
    assert parts.password == env["POSTGRES_PASSWORD"]
    job = by_kind[("Job", "videolens-db-upgrade")]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["db", "upgrade"]
