"""A worker's own metrics: batches and frames described, batch time, backend errors, model load.

A ``WorkerMetrics`` lives on the worker (one per process), never in a module global: it
registers into the registry it is given, which ``serve_worker_metrics`` serves over HTTP for
``videolens worker``, or which the API's /metrics shares when the workers run inside the API
process (``videolens up``).
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import start_wsgi_server
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric

from videolens.errors import ConfigurationError
from videolens.metrics.gpu import GpuCollector

FRAMES_DESCRIBED = "videolens_frames_described_total"
BATCHES = "videolens_batches_total"
BATCH_DURATION = "videolens_batch_duration_seconds"
BATCHES_IN_PROGRESS = "videolens_batches_in_progress"
BACKEND_ERRORS = "videolens_backend_errors_total"
FRAMES_PER_SECOND = "videolens_frames_per_second"
MODEL_LOAD = "videolens_model_load_seconds"

# A batch is 8 frames by default: well under a second on the offline analyzer, tens of seconds
# for a 7B model on a small GPU, minutes on a CPU; 30 min is the batch's schedule-to-close.
BATCH_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

_QUEUE_BACKEND = ("task_queue", "backend")
# Name: (help, label names) of the counters and the gauges; the one histogram has buckets too.
_COUNTERS = {
    FRAMES_DESCRIBED: ("Frames described by this worker's vision backend.", _QUEUE_BACKEND),
    BATCHES: (
        "Batches this worker finished, by outcome (ok, failed).",
        (*_QUEUE_BACKEND, "outcome"),
    ),
    BACKEND_ERRORS: (
        "Exceptions the vision backend raised, by exception type.",
        ("backend", "error"),
    ),
}
_GAUGES = {
    BATCHES_IN_PROGRESS: ("Batches this worker is describing now.", ("task_queue",)),
    FRAMES_PER_SECOND: ("Frames per second of the backend's last describe call.", _QUEUE_BACKEND),
    MODEL_LOAD: ("Seconds the backend took to load its model, last time it loaded.", ("backend",)),
}

_SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
}


def exposed_names(families: Iterable[Metric]) -> set[str]:
    """The names of the series ``families`` put on a scrape (``_total``, ``_bucket``, ...)."""
    return {
        family.name + suffix
        for family in families
        for suffix in _SAMPLE_SUFFIXES.get(family.type, ("",))
    }


class WorkerMetrics:
    """The vision worker's counters, histograms and gauges, plus the GPU's figures at scrape."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # A private registry by default: in-process workers (`videolens analyze`) count into
        # one that nobody serves, so the activities never need to ask whether metrics are on.
        self.registry = registry if registry is not None else CollectorRegistry()
        counters = {
            name: Counter(name, doc, labels, registry=self.registry)
            for name, (doc, labels) in _COUNTERS.items()
        }
        gauges = {
            name: Gauge(name, doc, labels, registry=self.registry)
            for name, (doc, labels) in _GAUGES.items()
        }
        self.batch_duration = Histogram(
            BATCH_DURATION,
            "Seconds one describe_batch activity took, retries counted separately.",
            _QUEUE_BACKEND,
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.frames_described = counters[FRAMES_DESCRIBED]
        self.batches = counters[BATCHES]
        self.backend_errors = counters[BACKEND_ERRORS]
        self.in_progress = gauges[BATCHES_IN_PROGRESS]
        self.frames_per_second = gauges[FRAMES_PER_SECOND]
        self.model_load = gauges[MODEL_LOAD]
        self.gpu = GpuCollector()
        self.registry.register(self.gpu)
        self._own: list[MetricWrapperBase] = [
            *counters.values(),
            *gauges.values(),
            self.batch_duration,
        ]

    def metric_names(self) -> set[str]:
        """Every series name this worker may expose (the GPU's too, whether or not one is here)."""
        families = [family for metric in self._own for family in metric.describe()]
        return exposed_names([*families, *self.gpu.describe()])

    def expect(self, task_queue: str, backend: str) -> None:
        """Expose the counters of ``task_queue`` and ``backend`` at 0 before the first batch, so
        that Prometheus sees them rise (a counter that appears at 8 loses its first increase)."""
        self.frames_described.labels(task_queue, backend)
        for outcome in ("ok", "failed"):
            self.batches.labels(task_queue, backend, outcome)
        self.in_progress.labels(task_queue)

    @contextmanager
    def batch(self, task_queue: str, backend: str) -> Iterator[BatchObservation]:
        """Time one batch and count its outcome; describe calls are observed inside it."""
        observation = BatchObservation(self, task_queue, backend)
        self.in_progress.labels(task_queue).inc()
        started = time.perf_counter()
        outcome = "failed"
        try:
            yield observation
            outcome = "ok"
        finally:
            self.in_progress.labels(task_queue).dec()
            self.batch_duration.labels(task_queue, backend).observe(time.perf_counter() - started)
            self.batches.labels(task_queue, backend, outcome).inc()

    def model_loaded(self, backend: str, seconds: float) -> None:
        """Record how long ``backend`` took to load its model."""
        self.model_load.labels(backend).set(seconds)


class BatchObservation:
    """What ``WorkerMetrics.batch`` yields: wraps each call into the backend."""

    def __init__(self, metrics: WorkerMetrics, task_queue: str, backend: str) -> None:
        self._metrics = metrics
        self._task_queue = task_queue
        self._backend = backend

    @contextmanager
    def backend_call(self, frames: int) -> Iterator[None]:
        """One ``describe`` call on ``frames`` frames: counted when it returns, its exception's
        type counted when it raises."""
        started = time.perf_counter()
        try:
            yield
        except Exception as err:
            self._metrics.backend_errors.labels(self._backend, type(err).__name__).inc()
            raise
        seconds = time.perf_counter() - started
        labels = (self._task_queue, self._backend)
        self._metrics.frames_described.labels(*labels).inc(frames)
        if seconds > 0 and frames:
            self._metrics.frames_per_second.labels(*labels).set(frames / seconds)


@contextmanager
def serve_worker_metrics(metrics: WorkerMetrics, port: int, host: str = "") -> Iterator[int]:
    """Serve ``metrics`` at http://HOST:PORT/metrics until the block exits; yields the port.

    ``host`` "" listens on every interface, as Prometheus must reach the worker from elsewhere.
    A port in use raises ``ConfigurationError`` naming the option that picks another.
    """
    try:
        server, thread = start_wsgi_server(port, addr=host or "0.0.0.0", registry=metrics.registry)
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise
        raise _port_in_use(port) from err
    try:
        yield int(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        with contextlib.suppress(RuntimeError):
            thread.join(timeout=5)


def check_metrics_port_free(port: int, host: str = "") -> None:
    """Raise ``ConfigurationError`` now if ``port`` cannot be listened on.

    The worker serves its metrics only once its workers poll; checked only then, a taken port
    would stop a worker that has already connected to Temporal and started polling, which is
    slow to say a one-line error and (with the Temporal core's threads still winding down at
    exit) not always a clean exit. The check binds as the server will (address reuse on), so a
    port in TIME_WAIT is not called taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or "0.0.0.0", port))
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise
            raise _port_in_use(port) from err


def _port_in_use(port: int) -> ConfigurationError:
    return ConfigurationError(
        f"the worker metrics port {port} is in use (another worker on this host?); pass "
        "`--metrics-port` with a free port, or 0 to serve no metrics "
        "(VIDEOLENS_WORKER_METRICS_PORT)"
    )
