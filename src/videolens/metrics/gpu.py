"""GPU memory and utilisation from NVML (the ``nvidia-ml-py`` package), read at scrape time.

Without the package, a driver or a GPU there is nothing to report: the figures are absent, which
is not an error (CPU workers, CI).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

GPU_MEMORY_USED = "videolens_gpu_memory_used_bytes"
GPU_MEMORY_TOTAL = "videolens_gpu_memory_total_bytes"
GPU_UTILIZATION = "videolens_gpu_utilization_ratio"


@dataclass
class GpuFigures:
    """One GPU as NVML sees it now."""

    index: int
    name: str
    memory_used_bytes: int
    memory_total_bytes: int
    utilization_ratio: float

    @property
    def memory_used_ratio(self) -> float:
        return self.memory_used_bytes / self.memory_total_bytes if self.memory_total_bytes else 0.0


def _nvml() -> ModuleType | None:
    try:  # nvidia-ml-py ships no type information; imported by name so mypy treats it as Any
        return importlib.import_module("pynvml")
    except ImportError:
        return None


def read_gpus() -> list[GpuFigures]:
    """Every GPU NVML can see; empty without nvidia-ml-py, a driver or a GPU."""
    pynvml = _nvml()
    if pynvml is None:
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver, no GPU
        return []
    try:
        gpus = []
        for index in range(int(pynvml.nvmlDeviceGetCount())):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            gpus.append(
                GpuFigures(
                    index=index,
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    memory_used_bytes=int(memory.used),
                    memory_total_bytes=int(memory.total),
                    utilization_ratio=int(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu) / 100,
                )
            )
        return gpus
    except pynvml.NVMLError:
        return []
    finally:
        pynvml.nvmlShutdown()


class GpuCollector(Collector):
    """Prometheus gauges of ``read_gpus()`` at each scrape, labelled by GPU index and name."""

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return self._families()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self._families(read_gpus())

    @staticmethod
    def _families(gpus: list[GpuFigures] | None = None) -> list[GaugeMetricFamily]:
        labels = ["gpu", "name"]
        used = GaugeMetricFamily(GPU_MEMORY_USED, "GPU memory in use (NVML).", labels=labels)
        total = GaugeMetricFamily(GPU_MEMORY_TOTAL, "GPU memory in all (NVML).", labels=labels)
        busy = GaugeMetricFamily(
            GPU_UTILIZATION,
            "Share of the last sample period the GPU was busy, 0 to 1 (NVML).",
            labels=labels,
        )
        for gpu in gpus or []:
            values = [str(gpu.index), gpu.name]
            used.add_metric(values, gpu.memory_used_bytes)
            total.add_metric(values, gpu.memory_total_bytes)
            busy.add_metric(values, gpu.utilization_ratio)
        return [used, total, busy]
