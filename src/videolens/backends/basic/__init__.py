"""The ``basic`` backend: an offline, CPU-only frame analyzer that downloads nothing."""

from videolens.backends.basic.backend import BasicBackend

__all__ = ["BasicBackend"]
