"""The Kubernetes manifests as `kubectl apply -k` would send them: valid against the API schemas
(kubernetes-validate), and wired together: GPU limits, probes, the shared RWX volume, settings,
the autoscaler's task queue, shutdown grace, non-root pods."""

from __future__ import annotations

import re
from typing import Any

import pytest
from deploy_files import DEPLOY, ROOT, kustomize, settings_fields, settings_from_env

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="pip install kubernetes-validate (the test extra has it)"
)

# The oldest Kubernetes these manifests are meant for, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.28.0", kubernetes_validate.utils.latest_version())
# Kinds the Kubernetes schemas do not cover (CRDs); each is checked by the tests below instead.
CUSTOM_KINDS = {"ScaledObject"}
# The trigger metadata KEDA's temporal scaler reads (pkg/scalers/temporal_scaler.go).
KEDA_TEMPORAL_KEYS = {
    "endpoint", "endpointFromEnv", "namespace", "namespaceFromEnv", "activationTargetQueueSize",
    "targetQueueSize", "taskQueue", "taskQueueFromEnv", "queueTypes", "buildId",
    "workerDeploymentName", "workerDeploymentBuildId", "selectAllActive", "selectUnversioned",
    "minConnectTimeout", "unsafeSsl", "tlsServerName",
}  # fmt: skip
WORKERS = ("videolens-cpu-worker", "videolens-vision-worker")

Manifests = list[dict[str, Any]]


def _one(docs: Manifests, kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _deployments(docs: Manifests) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == "Deployment"]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    container: dict[str, Any] = containers[0]
    return container


def _pod_env(docs: Manifests, deployment: dict[str, Any]) -> dict[str, str]:
    """The environment a pod of ``deployment`` gets: its ConfigMap/Secret, then its own env."""
    env: dict[str, str] = {}
    container = _container(deployment)
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(_one(docs, "ConfigMap", source["configMapRef"]["name"]).get("data", {}))
        if "secretRef" in source:
            secret = _one(docs, "Secret", source["secretRef"]["name"])
            env.update(secret.get("stringData", {}))
            env.update({key: "<secret>" for key in secret.get("data", {})})
    env.update({item["name"]: item["value"] for item in container.get("env", [])})
    return env


def test_every_manifest_is_valid_for_kubernetes(overlay: tuple[str, Manifests]) -> None:
    name, docs = overlay
    unchecked = set()
    for doc in docs:
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                unchecked.add(doc["kind"])
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{name}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")
    assert unchecked <= CUSTOM_KINDS, f"no schema for {unchecked - CUSTOM_KINDS}"
    kinds = {doc["kind"] for doc in docs}
    assert {
        "Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment", "Service",
        "Ingress", "PodDisruptionBudget", "ScaledObject",
    } <= kinds  # fmt: skip


def test_base_renders_and_validates() -> None:
    docs = kustomize(DEPLOY / "k8s" / "base")
    for doc in docs:
        if doc["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)
    assert {d["metadata"]["name"] for d in _deployments(docs)} == {"videolens-api", *WORKERS}


def test_only_vision_workers_ask_for_a_gpu(overlay: tuple[str, Manifests]) -> None:
    name, docs = overlay
    for deployment in _deployments(docs):
        resources = _container(deployment).get("resources", {})
        gpus = resources.get("limits", {}).get("nvidia.com/gpu")
        if name == "gpu" and deployment["metadata"]["name"] == "videolens-vision-worker":
            assert str(gpus) == "1"
            assert "nvidia.com/gpu" not in resources.get("requests", {}) or str(
                resources["requests"]["nvidia.com/gpu"]
            ) == str(gpus)
            assert _container(deployment)["image"].split(":")[0].endswith("videolens-gpu")
            tolerations = deployment["spec"]["template"]["spec"]["tolerations"]
            assert any(t["key"] == "nvidia.com/gpu" for t in tolerations)
        else:
            assert gpus is None, f"{name}: {deployment['metadata']['name']} asks for a GPU"
            assert not _container(deployment)["image"].split(":")[0].endswith("-gpu")


def test_api_probes_service_and_tls_ingress(overlay: tuple[str, Manifests]) -> None:
    _, docs = overlay
    api = _one(docs, "Deployment", "videolens-api")
    container = _container(api)
    assert container["args"][:1] == ["serve"] and "0.0.0.0" in container["args"]
    port = int(container["args"][container["args"].index("--port") + 1])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == port
    live, ready = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
    assert (live["path"], ready["path"]) == ("/healthz", "/readyz")
    assert live["port"] in ("http", port) and ready["port"] in ("http", port)

    service = _one(docs, "Service", "videolens-api")
    assert (
        service["spec"]["selector"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    )
    assert service["spec"]["ports"][0]["targetPort"] in ("http", port)

    ingress = _one(docs, "Ingress", "videolens")
    tls_hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
    assert all(tls.get("secretName") for tls in ingress["spec"]["tls"])
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in tls_hosts, f"{rule['host']} would be served without TLS"
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "videolens-api"
            assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_all_pods_share_one_read_write_many_data_volume(
    overlay: tuple[str, Manifests], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, docs = overlay
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert len(claims) == 1 and claims[0]["spec"]["accessModes"] == ["ReadWriteMany"]
    claim = claims[0]["metadata"]["name"]
    for deployment in _deployments(docs):
        pod = deployment["spec"]["template"]["spec"]
        volumes = {
            v["name"]
            for v in pod["volumes"]
            if v.get("persistentVolumeClaim", {}).get("claimName") == claim
        }
        mounts = {m["mountPath"] for m in _container(deployment)["volumeMounts"]
                  if m["name"] in volumes}  # fmt: skip
        data_dir = settings_from_env(_pod_env(docs, deployment), monkeypatch).data_dir
        assert mounts == {str(data_dir)}, deployment["metadata"]["name"]


def test_settings_come_from_the_config_map_and_secret(
    overlay: tuple[str, Manifests], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, docs = overlay
    known = settings_fields() | {"HF_HOME"}
    for deployment in _deployments(docs):
        refs = _container(deployment)["envFrom"]
        config_maps = [r["configMapRef"]["name"] for r in refs if "configMapRef" in r]
        secrets = [r["secretRef"]["name"] for r in refs if "secretRef" in r]
        assert config_maps and secrets, deployment["metadata"]["name"]
        env = _pod_env(docs, deployment)  # also fails when a referenced object is missing
        assert set(env) <= known, f"unknown settings: {set(env) - known}"
        settings = settings_from_env(env, monkeypatch)
        assert settings.temporal_address and settings.environment == "production"


def test_autoscaler_watches_the_vision_workers_queue(
    overlay: tuple[str, Manifests], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, docs = overlay
    scaled = _one(docs, "ScaledObject", "videolens-vision-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    target = scaled["spec"]["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment"
    worker = _one(docs, "Deployment", target["name"])
    # The autoscaler owns the replica count; a fixed one would be reset on every apply.
    assert "replicas" not in worker["spec"]
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    args = _container(worker)["args"]
    assert args[:1] == ["worker"] and args[args.index("--queue") + 1] == "vision"

    settings = settings_from_env(_pod_env(docs, worker), monkeypatch)
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "temporal"
    metadata = trigger["metadata"]
    assert set(metadata) <= KEDA_TEMPORAL_KEYS, set(metadata) - KEDA_TEMPORAL_KEYS
    assert all(isinstance(value, str) for value in metadata.values())
    assert metadata["taskQueue"] == settings.vision_task_queue
    assert metadata["taskQueue"] == f"videolens-vision-{settings.deployment}"
    assert metadata["endpoint"] == settings.temporal_address
    assert metadata["namespace"] == settings.temporal_namespace
    assert metadata["queueTypes"] == "activity"
    assert int(metadata["targetQueueSize"]) >= 1


def test_workers_get_longer_than_their_shutdown_grace(
    overlay: tuple[str, Manifests], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, docs = overlay
    for name in WORKERS:
        worker = _one(docs, "Deployment", name)
        settings = settings_from_env(_pod_env(docs, worker), monkeypatch)
        grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        # Room after the activities' grace for the worker to report and exit.
        assert grace >= settings.worker_shutdown_grace_s + 20, name
        assert settings.worker_shutdown_grace_s >= 60, "shorter than a batch on a slow GPU"


def test_pods_run_as_the_images_non_root_user(overlay: tuple[str, Manifests]) -> None:
    _, docs = overlay
    dockerfile = (ROOT / "Dockerfile").read_text()
    image_users = set(re.findall(r"^USER\s+(\d+)", dockerfile, flags=re.MULTILINE))
    for deployment in _deployments(docs):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        uid = pod["securityContext"]["runAsUser"]
        assert uid != 0 and {str(uid)} == image_users
        security = _container(deployment)["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        if security.get("readOnlyRootFilesystem"):
            mounts = {m["mountPath"] for m in _container(deployment)["volumeMounts"]}
            assert {"/tmp", "/home/videolens"} <= mounts


def test_disruption_budgets_cover_each_deployment(overlay: tuple[str, Manifests]) -> None:
    _, docs = overlay
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for deployment in _deployments(docs):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(matching) == 1, deployment["metadata"]["name"]
        spec = matching[0]["spec"]
        if "minAvailable" in spec:
            assert spec["minAvailable"] < deployment["spec"].get("replicas", 1), (
                "a budget no pod can satisfy blocks every drain"
            )
        else:
            assert spec["maxUnavailable"] >= 1
