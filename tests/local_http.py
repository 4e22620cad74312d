"""A local HTTP server in a thread, for the tests that need a real endpoint to talk to (a webhook
receiver, a source of files)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler


@contextmanager
def local_http_server(handler: Callable[..., BaseRequestHandler]) -> Iterator[str]:
    """``handler`` (a request handler class, or a partial of one) answering on a free port of
    127.0.0.1 until the block exits; yields the base URL (``http://127.0.0.1:PORT``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
