"""Webhooks: one signed POST per event. Temporal retries failed deliveries; this module never does.

The body is the event as compact JSON. With a shared secret, ``X-Videolens-Signature`` carries
``sha256=<hex>``, the HMAC-SHA256 of the exact body bytes under the secret; a receiver recomputes
it over the raw body and compares in constant time (``verify`` does exactly that). The event id
travels in ``X-Videolens-Event`` so a receiver can drop a delivery it has already seen (a retry
after a timeout may deliver twice).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from videolens import __version__
from videolens.streams.errors import StreamError
from videolens.streams.outbound import OutboundPolicy, PrivateDestinationError
from videolens.streams.outbound_proxy import OutboundProxy

SIGNATURE_HEADER = "X-Videolens-Signature"
EVENT_HEADER = "X-Videolens-Event"
TIMEOUT_S = 10.0


class WebhookError(StreamError):
    """A delivery failed; worth retrying (a timeout, a refused connection, a 5xx, 408 or 429)."""


class WebhookRejectedError(WebhookError):
    """The receiver refused the event for good (a 4xx other than 408 and 429)."""


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (for receivers)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def deliver(
    url: str,
    event: dict[str, Any],
    secret: str | None,
    *,
    timeout_s: float = TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
    outbound: OutboundPolicy | None = None,
) -> int:
    """POST ``event`` to ``url``; returns the 2xx status, or raises ``WebhookError``.

    With ``outbound``, a host that now resolves inside the server's network is refused for good
    (``WebhookRejectedError``) before connecting.
    """
    if outbound is not None:
        try:
            outbound.check(url, "webhook_url")
        except PrivateDestinationError as err:
            raise WebhookRejectedError(str(err)) from err
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"videolens/{__version__}",
        EVENT_HEADER: str(event.get("event_id", "")),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    guard = None
    if outbound is not None and not outbound.allow_private and transport is None:
        # Connected through the proxy, which checks the address it connects to: the name is
        # not resolved a second time, differently, between the check above and the connect.
        guard = OutboundProxy(outbound, "webhook_url")
    try:
        with httpx.Client(
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
            proxy=guard.url if guard else None,
            trust_env=guard is None,  # no HTTP(S)_PROXY from the environment around the guard
        ) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as err:
        raise WebhookError(f"webhook {_host(url)} unreachable ({type(err).__name__})") from err
    finally:
        if guard is not None:
            guard.close()
    if guard is not None and guard.refusal is not None:
        raise WebhookRejectedError(guard.refusal)
    status = response.status_code
    if 200 <= status < 300:
        return status
    message = f"webhook {_host(url)} answered {status}"
    if 400 <= status < 500 and status not in (408, 429):
        raise WebhookRejectedError(message)
    raise WebhookError(message)


def _host(url: str) -> str:
    """The URL without its path or query (which may hold a token), for messages."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")


def check_webhook_url(url: str, outbound: OutboundPolicy | None = None) -> str:
    """``url`` if it is an http(s) URL with a host; else ``ValueError`` with the reason, or
    :class:`PrivateDestinationError` for a host ``outbound`` does not allow."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as err:
        raise ValueError(f"webhook_url is not a URL ({err})") from err
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("webhook_url must be an http:// or https:// URL with a host")
    if outbound is not None:
        outbound.check(url, "webhook_url")
    return url
