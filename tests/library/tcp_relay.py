"""A TCP relay on a port of the tests' choosing: a database that "comes back" on the port a
server was configured with, without stopping or starting the real (shared) PostgreSQL."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Pass ``source``'s bytes to ``sink`` until either side closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextmanager
def relay(port: int, target: tuple[str, int]) -> Iterator[list[socket.socket]]:
    """Accept on 127.0.0.1:``port`` and pass each connection both ways to ``target`` while
    the block runs; yields the connections accepted so far (the clients' ends)."""
    server = socket.create_server(("127.0.0.1", port))
    accepted: list[socket.socket] = []
    opened: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # the listening socket was shut down: the block has ended
                return
            upstream = socket.create_connection(target, timeout=10)
            upstream.settimeout(None)
            accepted.append(client)
            opened.extend((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield accepted
    finally:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()
        acceptor.join(10)
        for connection in opened:
            connection.close()
