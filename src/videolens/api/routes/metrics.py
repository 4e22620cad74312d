"""``GET /metrics``: the API's Prometheus metrics (see ``videolens.metrics.api_metrics``)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from videolens.api.deps import AdminPrincipal, ServicesDep
from videolens.metrics.api_metrics import ApiMetrics, RequestMetricsMiddleware

router = APIRouter(tags=["metrics"])


# Out of the OpenAPI schema: it is for Prometheus, not for API clients.
@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, found: ServicesDep, caller: AdminPrincipal) -> Response:
    """Prometheus text format. Needs an admin key whenever keys exist (give Prometheus its own)."""
    api_metrics: ApiMetrics = request.app.state.metrics
    body = await api_metrics.exposition(found.settings, found.store, found.client)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, metrics: ApiMetrics) -> None:
    """Serve ``metrics`` at /metrics and time every request.

    Call it after the other middleware, so that this one is outermost and sees every response
    (CORS preflights included), and before the web UI's catch-all mount at ``/``.
    """
    app.state.metrics = metrics
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.include_router(router)
