"""A forward proxy on loopback through which FFmpeg reaches an HTTP(S) source a user gave.

FFmpeg follows HTTP redirects and fetches each HLS segment from whatever host its playlist
names, resolving each host itself: checking the URL the user gave (``outbound.py``) says
nothing about those connections, and DNS may answer differently by the time FFmpeg connects.
Given this proxy (its ``http_proxy`` option), FFmpeg sends every request here — plain HTTP as
``GET http://host/…``, HTTPS as ``CONNECT host:443`` — and the proxy resolves the host, checks
every address against the policy, and connects to an address it checked. A refused connection
is answered 403, and the reason is kept for the caller to report.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from urllib.parse import urlsplit

from videolens.streams.outbound import OutboundPolicy, PrivateDestinationError

logger = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
"""The most bytes of request line and headers read before a request is refused."""
IO_TIMEOUT_S = 30.0
"""A client or an upstream silent this long is dropped (FFmpeg's own read timeout is shorter)."""
CHUNK = 64 * 1024


class OutboundProxy:
    """Listens on 127.0.0.1 (an ephemeral port) while open; one thread per connection."""

    def __init__(self, policy: OutboundPolicy, field: str = "url") -> None:
        self.policy, self.field = policy, field
        self.refusal: str | None = None
        """Why the last connection refused was refused (None: none was)."""
        self._server = socket.create_server(("127.0.0.1", 0))
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="outbound-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        """What to give FFmpeg as ``http_proxy``."""
        host, port = self._server.getsockname()[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._server.close()

    def __enter__(self) -> OutboundProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(IO_TIMEOUT_S)
        with client:
            head = _read_head(client)
            if head is None:
                return _answer(client, 400, "Bad Request")
            method, target, request, extra = head
            tunnel = method == "CONNECT"
            host, port, path = _destination(method, target)
            if not host:
                return _answer(client, 400, "Bad Request")
            try:
                upstream = self._connect(host, port)
            except PrivateDestinationError as err:
                self.refusal = str(err)
                logger.warning("refused a connection for a stream source: %s", err)
                return _answer(client, 403, "Forbidden")
            except OSError:
                return _answer(client, 502, "Bad Gateway")
            with upstream:
                if tunnel:
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    upstream.sendall(extra)
                else:
                    # Origin form for the server (``GET /path``): not every server accepts the
                    # absolute form a proxy is sent.
                    upstream.sendall(f"{method} {path} ".encode() + request + extra)
                _relay_both(client, upstream)

    def _connect(self, host: str, port: int) -> socket.socket:
        """A connection to an address of ``host`` that the policy allows (checked here, at the
        moment of connecting: what FFmpeg would have resolved is never used)."""
        addresses = self.policy.addresses(host, self.field)
        if not addresses:
            raise OSError(f"{host} does not resolve")
        error: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((str(address), port), timeout=IO_TIMEOUT_S)
            except OSError as err:
                error = err
        assert error is not None
        raise error


def _read_head(client: socket.socket) -> tuple[str, str, bytes, bytes] | None:
    """The request's method, its target, the rest of its head (the HTTP version and the
    headers, to the blank line), and any bytes the client sent after the head."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = client.recv(4096)
        except OSError:
            return None
        if not chunk or len(data) + len(chunk) > HEAD_LIMIT:
            return None
        data += chunk
    head_end = data.index(b"\r\n\r\n") + 4
    line_end = data.index(b"\r\n")
    parts = data[:line_end].split(b" ", 2)
    if len(parts) != 3:
        return None
    method, target = parts[0].decode("latin-1"), parts[1].decode("latin-1")
    return method, target, parts[2] + data[line_end:head_end], data[head_end:]


def _destination(method: str, target: str) -> tuple[str, int, str]:
    """Host, port and origin-form path of a proxy request; ("", 0, "") if it names none."""
    if method == "CONNECT":
        host, _, port_text = target.rpartition(":")
        host = host.strip("[]")
        return (host, int(port_text), "") if host and port_text.isdigit() else ("", 0, "")
    parts = urlsplit(target)
    if parts.scheme != "http" or not parts.hostname:
        return "", 0, ""
    try:
        port = parts.port or 80
    except ValueError:
        return "", 0, ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def _answer(client: socket.socket, status: int, reason: str) -> None:
    with contextlib.suppress(OSError):
        client.sendall(
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )


def _relay_both(client: socket.socket, upstream: socket.socket) -> None:
    upstream.settimeout(IO_TIMEOUT_S)
    back = threading.Thread(target=_relay, args=(upstream, client), daemon=True)
    back.start()
    _relay(client, upstream)
    back.join(IO_TIMEOUT_S)


def _relay(source: socket.socket, sink: socket.socket) -> None:
    """Copy until ``source`` ends, then end ``sink``'s sending side."""
    try:
        while chunk := source.recv(CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
