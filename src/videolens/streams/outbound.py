"""Where the server may connect on a user's behalf: no loopback, link-local or private address.

A stream URL or a webhook URL given through the API makes the server open a connection; without
this check an API user could make it call inside its own network (a cloud metadata service at
169.254.169.254, an admin port on 127.0.0.1). A host is checked by every address it resolves to,
when the URL is submitted and again right before each connection (DNS can change in between);
HTTP(S) sources and webhooks then connect through ``outbound_proxy.py``, which checks the
address of every connection they make (redirects, HLS segments) as it makes it.
A camera on the LAN is a real use: ``VIDEOLENS_ALLOWED_URL_NETWORKS`` names the networks that may
be reached (``["192.168.1.0/24"]``), ``VIDEOLENS_ALLOW_PRIVATE_URLS=true`` allows them all.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from videolens.config import Settings
from videolens.streams.errors import SourceError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateDestinationError(SourceError):
    """A URL resolves to an address inside the server's network, and no setting allows it."""

    kind = "private_address"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OutboundPolicy:
    """Which inside addresses user-given URLs may reach: all (``allow_private``) or these
    networks; every public address is always allowed."""

    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls(settings.allow_private_urls, tuple(settings.allowed_url_networks))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboundPolicy:
        return cls(bool(data.get("allow_private")), tuple(data.get("allowed_networks", ())))

    def as_json(self) -> dict[str, Any]:
        return {
            "allow_private": self.allow_private,
            "allowed_networks": list(self.allowed_networks),
        }

    def check(self, url: str, field: str) -> None:
        """Raise :class:`PrivateDestinationError` when ``url``'s host resolves to an address
        this policy does not allow. A host that does not resolve passes: connecting fails."""
        host = urlsplit(url).hostname
        # Without a host (udp://@:1234 listens here) it connects nowhere.
        if host and not self.allow_private:
            self.addresses(host, field)

    def addresses(self, host: str, field: str) -> list[Address]:
        """Every address ``host`` resolves to, once each is known to be allowed (raises
        :class:`PrivateDestinationError` otherwise); [] for a host that does not resolve."""
        found = _addresses(host)
        if self.allow_private:
            return found
        for address in found:
            kind = _inside_kind(address)
            if kind and not self._allowed(address):
                named = host if host == str(address) else f"{host} ({address})"
                raise PrivateDestinationError(
                    f"{field} names {named}, a {kind} address: the server does not connect "
                    "inside its own network for a user; an operator can allow it with "
                    'VIDEOLENS_ALLOWED_URL_NETWORKS (e.g. ["192.168.1.0/24"]) or '
                    "VIDEOLENS_ALLOW_PRIVATE_URLS=true",
                    field,
                )
        return found

    def _allowed(self, address: Address) -> bool:
        return any(
            address in ipaddress.ip_network(network, strict=False)
            for network in self.allowed_networks
        )


def outbound_policy(private: dict[str, Any]) -> OutboundPolicy | None:
    """The policy a stream's private record keeps for its URLs; None for a local CLI stream."""
    recorded = private.get("outbound")
    return OutboundPolicy.from_json(recorded) if isinstance(recorded, dict) else None


def _addresses(host: str) -> list[Address]:
    try:
        return [_unmapped(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    # An IPv6 address may carry a zone ("fe80::1%eth0"); the address is what counts.
    return [_unmapped(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos]


def _unmapped(address: Address) -> Address:
    """``::ffff:127.0.0.1`` is 127.0.0.1."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _inside_kind(address: Address) -> str:
    """What kind of inside address ``address`` is; "" for a public (or multicast) one."""
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_global or address.is_multicast:
        return ""
    return "private"
