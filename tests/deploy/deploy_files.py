"""Readers for the deployment files: the rendered Kubernetes overlays and settings as a
pod or container would read them from its environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from videolens.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("gpu", "cpu-only")


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIRECTORY``: the manifests `kubectl apply -k` would send."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it renders the kustomize overlays)")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def settings_from_env(env: Mapping[str, str | None], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings exactly as videolens reads them from ``env`` (and nothing else around it)."""
    with monkeypatch.context() as patch:
        for key in list(_environ_keys()):
            patch.delenv(key)
        for key, value in env.items():
            if value is not None:
                patch.setenv(key, str(value))
        return Settings(_env_file=None)


def _environ_keys() -> Iterator[str]:
    for key in os.environ:
        if key.startswith("VIDEOLENS_") or key == "NEBIUS_API_KEY":
            yield key


def settings_fields() -> set[str]:
    """The VIDEOLENS_* names Settings reads."""
    return {f"VIDEOLENS_{name.upper()}" for name in Settings.model_fields}
