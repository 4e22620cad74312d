"""``create_app(settings)``: the FastAPI app, its routers, and the resources its lifespan opens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from temporalio.client import Client

from videolens import __version__
from videolens.api.deps import Services
from videolens.api.documented import document_errors
from videolens.api.errors import install_error_handlers
from videolens.api.headers import SecurityHeaders
from videolens.api.ratelimit import MEDIA_ALLOWANCE, RateLimiter
from videolens.api.responses import publish_schemas
from videolens.api.routes import chat, clips, events, health, sessions, stream_ws, streams, videos
from videolens.api.routes import keys as keys_routes
from videolens.api.routes import library as library_routes
from videolens.api.routes import session_edit as session_edit_routes
from videolens.api.routes import stream_chat as stream_chat_routes
from videolens.api.routes.library import TOTAL_HEADER
from videolens.api.routes.metrics import install_metrics
from videolens.api.security import KeyStore, check_exposure, local_mode_allowed
from videolens.api.static import mount_web_ui
from videolens.api.uploads import remove_stale_parts
from videolens.chat.retrieval import Retriever
from videolens.config import Settings
from videolens.errors import VideoLensError
from videolens.library.indexing import indexed_session_store
from videolens.library.opening import IndexConnection
from videolens.metrics.api_metrics import ApiMetrics
from videolens.pipeline.embedded_server import restart_if_dead
from videolens.pipeline.reconcile import Sweeper
from videolens.pipeline.temporal_server import client_address, temporal_client
from videolens.pipeline.worker import Queue, running_workers
from videolens.pipeline.worker_process import WorkerProcess
from videolens.store import SessionStore

HOUSEKEEPING_INTERVAL_S = 10.0
EXPOSED_HEADERS = ("Content-Range", "Accept-Ranges", "Retry-After", "Location")
logger = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, run_workers: bool = False, worker_process: bool = False
) -> FastAPI:
    """The app for ``settings``; ``settings.api_host`` is the address it is served on.

    ``run_workers`` runs the CPU and vision workers in this process too (the tests' live
    server); ``worker_process`` (``videolens up``) runs them in a child process it supervises.
    """
    keys = KeyStore(settings.data_dir / "keys.json")
    # Checked here as well as at startup, so a misconfigured server never binds its port.
    check_exposure(settings.api_host, settings.environment, keys)
    metrics = ApiMetrics(with_workers=run_workers)
    worker = WorkerProcess(settings) if worker_process else None
    if worker is not None:
        metrics.registry.register(worker.metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(temporal_client(settings))
            if run_workers:
                await stack.enter_async_context(
                    running_workers(client, settings, Queue.ALL, metrics=metrics.worker)
                )
            if worker is not None:  # once Temporal answers; stopped before it is left
                await stack.enter_async_context(worker.running())
            # The index is opened now if it answers, else when it does: the server starts and
            # serves with the database down (listings from the folders meanwhile).
            app.state.library = library = IndexConnection(settings)
            stack.callback(library.close)
            await anyio.to_thread.run_sync(library.available)
            store = indexed_session_store(settings, library)
            await stack.enter_async_context(_housekeeping(settings, client, store))
            app.state.services = Services(
                settings=settings,
                store=store,
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
            expose_headers=[*EXPOSED_HEADERS, TOTAL_HEADER],
        )
    app.add_middleware(SecurityHeaders)  # outermost: error and CORS answers carry them too
    install_error_handlers(app)
    publish_schemas(app)  # the result document, stream document and chat answer, by name
    for router in (health.router, videos.router, sessions.router, events.router, chat.router):
        app.include_router(router)
    app.include_router(keys_routes.router)
    app.include_router(library_routes.router)
    app.include_router(clips.router)
    app.include_router(streams.router)
    app.include_router(stream_ws.router)
    app.include_router(stream_chat_routes.router)
    app.include_router(session_edit_routes.router)
    document_errors(app)  # every route's 401/403/404/422/429 in /openapi.json
    install_metrics(app, metrics)  # after the other middleware, before the web UI's catch-all
    mount_web_ui(app)
    return app


@asynccontextmanager
async def _housekeeping(
    settings: Settings, client: Client, store: SessionStore
) -> AsyncIterator[None]:
    """Clean what a crash left, once before serving and then every few seconds while serving.

    Sessions whose workflow ended without finalizing get their true status, upload parts of a
    killed server are removed, and in embedded mode a dead Temporal server is restarted on its
    port (the client and workers reconnect by themselves).
    """
    sweeper = Sweeper(client, store)
    await _tidy(settings, client, sweeper)
    task = asyncio.create_task(_keep_tidying(settings, client, sweeper))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _keep_tidying(settings: Settings, client: Client, sweeper: Sweeper) -> None:
    while True:
        await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)
        await _tidy(settings, client, sweeper)


async def _tidy(settings: Settings, client: Client, sweeper: Sweeper) -> None:
    # A failed round is logged and tried again next time: housekeeping never stops the server.
    try:
        if not settings.temporal_address:
            port = int(client_address(client).rsplit(":", 1)[1])
            await anyio.to_thread.run_sync(
                restart_if_dead, settings.data_dir, settings.temporal_db_path, port
            )
        await anyio.to_thread.run_sync(remove_stale_parts, settings.data_dir / "uploads")
        for session_id in await sweeper.sweep():
            logger.warning("session %s: its workflow had ended; marked with the reason", session_id)
    except (VideoLensError, OSError) as err:
        logger.warning("housekeeping: %s", err)
