"""Prometheus metrics and the figures behind ``videolens status``.

- ``worker_metrics``: a vision worker's batches, frames, errors and model load time, served on
  the worker's own port (``videolens worker --metrics-port``).
- ``api_metrics``: the API's ``/metrics``: requests by route and status, uploads, and the
  figures below as gauges.
- ``collect``: ``collect_metrics()``: task queue backlog and pollers (``queues``), sessions by
  status, this host's GPUs (``gpu``), and the alerts a snapshot can judge.

Modules are imported by name (nothing here imports them), so the pipeline can use
``worker_metrics`` without pulling in the API.
"""
