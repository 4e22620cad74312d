"""``/healthz`` (the process answers) and ``/readyz`` (Temporal reachable, store writable; the
library index answering, or the server degraded without it)."""

from __future__ import annotations

import secrets
from typing import Any

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from videolens.api.deps import ServicesDep
from videolens.api.errors import error_body
from videolens.api.routes.library import ConnectionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the server process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
async def readyz(found: ServicesDep, library: ConnectionDep) -> JSONResponse:
    """Readiness: Temporal answers (a slow answer under load is not an outage: see
    ``api.readiness``) and the data dir takes writes. The library index is checked too, but
    the server serves without it (listings from the folders, analyses complete): an index
    that does not answer makes it ``degraded``, still ready."""
    checks: dict[str, Any] = {"temporal": False, "store": False}
    checks["temporal"] = await found.temporal_health.reachable(found.client)
    checks["store"] = await anyio.to_thread.run_sync(_store_writable, found)
    required = all(checks.values())
    checks["library"] = await anyio.to_thread.run_sync(library.answers)
    if required:
        status = "ready" if checks["library"] else "degraded"
        return JSONResponse({"status": status, "checks": checks})
    failed = ", ".join(name for name, ok in checks.items() if not ok)
    body = error_body("not_ready", f"not ready: {failed}")
    body["checks"] = checks
    return JSONResponse(body, status_code=503)


def _store_writable(found: Any) -> bool:
    probe = found.settings.data_dir / f".ready-{secrets.token_hex(4)}"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError:
        return False
    return True
