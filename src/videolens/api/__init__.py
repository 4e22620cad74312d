"""The HTTP API: FastAPI app, routes per resource, streaming uploads, keys and limits."""

from videolens.api.main import create_app

__all__ = ["create_app"]
