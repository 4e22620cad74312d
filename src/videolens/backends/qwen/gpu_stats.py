"""GPU memory and utilisation for a worker's progress: NVML when available, else torch's counters.

Returns None on a machine without a CUDA GPU, so callers can report it unconditionally.
"""

from __future__ import annotations

import importlib
from typing import Any

MIB = 1024**2


def gpu_stats(device_index: int = 0) -> dict[str, Any] | None:
    """``{"gpu_memory_used_mib", "gpu_memory_total_mib", "gpu_utilization_pct"?, "source"}``.

    Utilisation needs NVML (the ``nvidia-ml-py`` package); torch knows memory only.
    """
    stats = _nvml_stats(device_index)
    return stats if stats is not None else _torch_stats(device_index)


def _nvml_stats(device_index: int) -> dict[str, Any] | None:
    try:  # nvidia-ml-py ships no type information; imported by name so mypy treats it as Any
        pynvml = importlib.import_module("pynvml")
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver, no GPU
        return None
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(device_index)
        memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
        utilization = pynvml.nvmlDeviceGetUtilizationRates(handle)
        return {
            "gpu_memory_used_mib": int(memory.used) // MIB,
            "gpu_memory_total_mib": int(memory.total) // MIB,
            "gpu_utilization_pct": int(utilization.gpu),
            "source": "nvml",
        }
    except pynvml.NVMLError:
        return None
    finally:
        pynvml.nvmlShutdown()


def _torch_stats(device_index: int) -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    free, total = torch.cuda.mem_get_info(device_index)
    return {
        "gpu_memory_used_mib": (total - free) // MIB,
        "gpu_memory_total_mib": total // MIB,
        "source": "torch",
    }
