"""The deployment tests' fixtures: each Kubernetes overlay, rendered once per module."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_files import DEPLOY, OVERLAYS, kustomize


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    """(name, rendered manifests) of each overlay in deploy/k8s/overlays."""
    name: str = request.param
    return name, kustomize(DEPLOY / "k8s" / "overlays" / name)
