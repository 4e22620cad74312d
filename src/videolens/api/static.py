"""The web UI: static files from ``videolens/web/static`` at ``/``, when that folder exists."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


def mount_web_ui(app: FastAPI, directory: Path = WEB_DIR) -> None:
    """Serve ``directory`` at ``/`` (``index.html`` for ``GET /``); else ``/`` goes to the docs.

    Mounted after every route, so ``/v1``, ``/docs`` and the health checks take precedence.
    """
    if (directory / "index.html").is_file():
        # The UI is native ES modules, which browsers refuse unless served as JavaScript; the
        # platform's MIME table (a Windows registry, a bare container) may map .js otherwise.
        mimetypes.add_type("text/javascript", ".js")
        app.mount("/", StaticFiles(directory=directory, html=True), name="web")
        return

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")
