"""The alerts a snapshot can judge, and GPU figures from NVML (absent without it).

No GPU here: NVML is exercised through a stand-in ``pynvml`` module with the real package's
functions and shapes (nvidia-ml-py's API), put on ``sys.path`` for the test.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from metrics_helpers import parse, value
from prometheus_client import CollectorRegistry, generate_latest

from videolens.metrics.collect import (
    BACKLOG_AGE_ALERT_S,
    Figures,
    evaluate_alerts,
)
from videolens.metrics.gpu import GpuCollector, GpuFigures, read_gpus
from videolens.metrics.queues import QueueFigures


def _figures(**overrides: object) -> Figures:
    base: dict[str, object] = {
        "temporal": "t:7233",
        "temporal_reachable": True,
        "queues": [QueueFigures("q-vision", "vision", "activity", 1, 0, 0.0, ["w"])],
        "sessions": {"running": 0},
        "running": [],
        "gpus": [],
        "collected_at": 0.0,
    }
    base.update(overrides)
    return Figures(**base)  # type: ignore[arg-type]


def test_healthy_figures_raise_nothing() -> None:
    steady = QueueFigures("q-vision", "vision", "activity", 2, 30, BACKLOG_AGE_ALERT_S - 60, [])
    gpu = GpuFigures(0, "H200", 90, 100, 0.8)
    assert evaluate_alerts(_figures(queues=[steady], gpus=[gpu])) == []


def test_old_backlog_and_full_gpu_are_warnings_after_the_critical_ones() -> None:
    stuck = QueueFigures("q-vision", "vision", "activity", 1, 12, BACKLOG_AGE_ALERT_S + 60, [])
    orphan = QueueFigures("q-cpu", "cpu", "workflow", 0, 0, 0.0, [])
    full = GpuFigures(1, "H200", 97, 100, 1.0)
    alerts = evaluate_alerts(_figures(queues=[stuck, orphan], gpus=[full]))
    assert [(a.name, a.severity) for a in alerts] == [
        ("VideolensNoPoller", "critical"),
        ("VideolensBacklogGrowing", "warning"),
        ("VideolensGpuMemoryNearFull", "warning"),
    ]
    assert "12 activity tasks wait on q-vision, the oldest for 11 min" in alerts[1].message
    assert "GPU 1 (H200) memory is 97% full" in alerts[2].message


def test_no_nvml_means_no_gpu_figures_and_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # an import of it raises ImportError
    assert read_gpus() == []
    registry = CollectorRegistry()
    registry.register(GpuCollector())
    samples = parse(generate_latest(registry).decode())
    assert not [name for name, _ in samples if name.startswith("videolens_gpu")]


FAKE_PYNVML = """
    class NVMLError(Exception):
        pass

    class _Memory:
        def __init__(self, used, total):
            self.used, self.total = used, total

    class _Rates:
        def __init__(self, gpu, memory):
            self.gpu, self.memory = gpu, memory

    _GPUS = [("NVIDIA H200", 120 * 2**30, 140 * 2**30, 87), ("NVIDIA L4", 1 * 2**30, 24 * 2**30, 3)]
    initialised = 0

    def nvmlInit():
        global initialised
        initialised += 1

    def nvmlShutdown():
        global initialised
        initialised -= 1

    def nvmlDeviceGetCount():
        return len(_GPUS)

    def nvmlDeviceGetHandleByIndex(index):
        return index

    def nvmlDeviceGetName(handle):
        return _GPUS[handle][0]

    def nvmlDeviceGetMemoryInfo(handle):
        return _Memory(_GPUS[handle][1], _GPUS[handle][2])

    def nvmlDeviceGetUtilizationRates(handle):
        return _Rates(_GPUS[handle][3], 0)
"""


def test_nvml_figures_become_gauges_per_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pynvml.py").write_text(textwrap.dedent(FAKE_PYNVML))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)

    gpus = read_gpus()
    assert [(g.index, g.name, round(g.memory_used_ratio, 2)) for g in gpus] == [
        (0, "NVIDIA H200", 0.86),
        (1, "NVIDIA L4", 0.04),
    ]
    assert sys.modules["pynvml"].initialised == 0, "NVML was left initialised"

    registry = CollectorRegistry()
    registry.register(GpuCollector())
    samples = parse(generate_latest(registry).decode())
    h200 = {"gpu": "0", "name": "NVIDIA H200"}
    assert value(samples, "videolens_gpu_memory_used_bytes", **h200) == 120 * 2**30
    assert value(samples, "videolens_gpu_memory_total_bytes", **h200) == 140 * 2**30
    assert value(samples, "videolens_gpu_utilization_ratio", **h200) == pytest.approx(0.87)
    assert value(samples, "videolens_gpu_utilization_ratio", gpu="1") == pytest.approx(0.03)
