"""``create_app(settings)``: the FastAPI app, its routers, and the resources its lifespan opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from videolens import __version__
from videolens.api.deps import Services
from videolens.api.errors import install_error_handlers
from videolens.api.ratelimit import MEDIA_ALLOWANCE, RateLimiter
from videolens.api.routes import chat, events, health, sessions, videos
from videolens.api.security import KeyStore, check_exposure, local_mode_allowed
from videolens.api.static import mount_web_ui
from videolens.chat.retrieval import Retriever
from videolens.config import Settings
from videolens.pipeline.temporal_server import temporal_client
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore


def create_app(settings: Settings, *, run_workers: bool = False) -> FastAPI:
    """The app for ``settings``; ``settings.api_host`` is the address it is served on.

    ``run_workers`` (``videolens up``) runs the CPU and vision workers in this process too.
    """
    keys = KeyStore(settings.data_dir / "keys.json")
    # Checked here as well as at startup, so a misconfigured server never binds its port.
    check_exposure(settings.api_host, settings.environment, keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(temporal_client(settings))
            if run_workers:
                await stack.enter_async_context(running_workers(client, settings, Queue.ALL))
            app.state.services = Services(
                settings=settings,
                store=SessionStore(settings.sessions_dir),
                keys=keys,
                limiter=RateLimiter(settings.rate_limit_per_minute),
                media_limiter=RateLimiter(settings.rate_limit_per_minute * MEDIA_ALLOWANCE),
                client=client,
                local_mode=local_mode_allowed(settings.api_host, settings.environment),
                retriever=Retriever(),
            )
            yield

    app = FastAPI(
        title="videolens",
        version=__version__,
        description="Upload videos, follow their analysis live, read the analysed moments.",
        lifespan=lifespan,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Range"],
            expose_headers=["Content-Range", "Accept-Ranges", "Retry-After", "Location"],
        )
    install_error_handlers(app)
    for router in (health.router, videos.router, sessions.router, events.router, chat.router):
        app.include_router(router)
    mount_web_ui(app)
    return app
