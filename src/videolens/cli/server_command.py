"""``videolens serve`` (the API against a configured Temporal) and ``videolens up`` (embedded
Temporal dev server + API, and the workers in a child process the API starts and watches). Both
stop cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from videolens.api import create_app
from videolens.api.serving import server_options
from videolens.cli.errors import stderr
from videolens.config import Settings
from videolens.errors import ConfigurationError
from videolens.pipeline.temporal_tls import temporal_connection
from videolens.tls import check_server_tls

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Uvicorn re-raises a captured SIGTERM after its graceful shutdown, which would end the
        # process with the signal's status; a clean stop exits 0 instead.
        with super().capture_signals():
            yield
            self._captured_signals.clear()


def _run(app: FastAPI, settings: Settings) -> None:
    host, port = settings.api_host, settings.api_port
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        **server_options(settings),
    )
    server = _Server(config)
    server.run()
    if not server.started:
        raise ConfigurationError(f"the server could not start on {host}:{port}; see the log above")


def _checked(settings: Settings) -> str:
    """The URL scheme; refuses TLS files or Temporal security settings that cannot work, before
    anything starts (an error inside the app's startup would come with a traceback)."""
    https = check_server_tls(settings.ssl_certfile, settings.ssl_keyfile)
    temporal_connection(settings)
    return "https" if https else "http"


def _banner(headline: str, details: str) -> None:
    # The address on a line of its own, and never wrapped by Rich (soft_wrap): on a narrow
    # terminal a URL cut in two cannot be clicked or copied.
    stderr.print(headline, soft_wrap=True, markup=False)
    stderr.print(details, soft_wrap=True, markup=False, style="dim")


def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, settings: Settings | None = None
) -> None:
    """Serve the API; workers run elsewhere, on the Temporal cluster in settings."""
    settings = (settings or Settings()).model_copy(update={"api_host": host, "api_port": port})
    scheme = _checked(settings)
    if not settings.temporal_address:
        raise ConfigurationError(
            "`videolens serve` needs VIDEOLENS_TEMPORAL_ADDRESS (a Temporal server with workers); "
            "run `videolens up` for the all-in-one embedded mode"
        )
    app = create_app(settings)
    temporal = settings.temporal_address
    _banner(f"videolens API on {scheme}://{host}:{port}", f"API docs: /docs · Temporal: {temporal}")
    _run(app, settings)


def up(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, settings: Settings | None = None
) -> None:
    """Everything in one command: Temporal (embedded unless configured), the API, and the
    workers in a child process of their own (so analyses never hold the API's interpreter)."""
    settings = (settings or Settings()).model_copy(update={"api_host": host, "api_port": port})
    scheme = _checked(settings)
    app = create_app(settings, worker_process=True)
    where = settings.temporal_address or f"embedded, serving {settings.data_dir}"
    _banner(f"videolens is up: {scheme}://{host}:{port}", f"API docs: /docs · Temporal: {where}")
    _run(app, settings)
