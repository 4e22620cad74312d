"""Live sources read with PyAV: which URLs are accepted, how each protocol is opened with
timeouts, how failures are classified, and how frames get wall-clock times.

Accepted: ``rtsp[s]://``, ``rtmp[s]://``, ``http[s]://`` (HLS playlists, or any live HTTP
stream), ``srt://``, ``udp://`` and ``rtp://`` (MPEG-TS), and a local capture device
(``/dev/video0`` or ``device:NAME``). Credentials in a URL are never shown: ``display`` masks them.
"""

from __future__ import annotations

import errno
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import av

from videolens.streams.errors import (
    CredentialsRefusedError,
    SourceDroppedError,
    SourceError,
    SourceUnreachableError,
    UnknownSchemeError,
)
from videolens.streams.outbound import OutboundPolicy, PrivateDestinationError
from videolens.streams.outbound_proxy import OutboundProxy
from videolens.video.decode import av_reason

NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "srt", "udp", "rtp")
DEVICE_PREFIX = "device:"
# A frame whose media time jumps back, or forward by more than this, starts a new epoch (the
# sender restarted within the read timeout, or its clock jumped): the sampler starts over.
MAX_MEDIA_STEP_S = 2.0
# Wall-clock times never lag the moment a frame arrived by more than this (a source whose clock
# runs slow, or one that stalled and resumed with continuous timestamps).
MAX_LAG_S = 2.0


@dataclass(frozen=True)
class SourceUrl:
    """A checked source: what PyAV opens (``url``, ``format``) and what users see (``display``)."""

    url: str
    scheme: str
    display: str
    format: str | None = None
    # Where a URL a user gave through the API may connect; None: anywhere (the local CLI).
    outbound: OutboundPolicy | None = None

    @property
    def is_device(self) -> bool:
        return self.scheme == "device"


@dataclass(frozen=True)
class SourceLimits:
    """Timeouts for opening and reading a source, and the reconnect backoff's cap (seconds)."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect_max_s: float = 10.0


def check_url(url: str, outbound: OutboundPolicy | None = None) -> SourceUrl:
    """Parse ``url``; raise ``UnknownSchemeError`` for anything videolens cannot read live, and
    :class:`PrivateDestinationError` for a host ``outbound`` does not allow."""
    url = url.strip()
    if url.startswith(DEVICE_PREFIX) or url.startswith("/dev/"):
        name = url.removeprefix(DEVICE_PREFIX)
        if not name:
            raise UnknownSchemeError("`device:` needs a device name, e.g. device:/dev/video0")
        return SourceUrl(url=name, scheme="device", display=url, format=_device_format())
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in NETWORK_SCHEMES:
        shown = f"{scheme}://" if scheme else "a URL without a scheme"
        accepted = ", ".join(f"{s}://" for s in NETWORK_SCHEMES)
        raise UnknownSchemeError(
            f"{shown} is not a live source videolens reads; use {accepted}, "
            "or a capture device (/dev/video0, device:NAME)"
        )
    if not parts.hostname and scheme not in ("udp", "rtp"):
        raise UnknownSchemeError(f"{redact(url)} names no host")
    if outbound is not None:
        outbound.check(url, "url")
    return SourceUrl(url=url, scheme=scheme, display=redact(url), outbound=outbound)


def redact(url: str) -> str:
    """``url`` with its password (and any query, which may carry tokens) masked."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = "***" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _device_format() -> str:
    if sys.platform == "darwin":
        return "avfoundation"
    if sys.platform.startswith("win"):
        return "dshow"
    return "v4l2"


def open_options(source: SourceUrl, limits: SourceLimits) -> dict[str, str]:
    """FFmpeg options for ``source``: socket timeouts per protocol, and a short probe.

    PyAV's own ``timeout`` (an interrupt callback) bounds every blocking call; these make the
    protocols themselves give up too, so a dead socket never outlives the activity's heartbeat.
    """
    micros = str(int(limits.read_timeout_s * 1_000_000))
    # A second of probing is enough for a live stream and keeps reconnects quick.
    options = {"analyzeduration": "1000000", "probesize": "1000000"}
    if source.scheme in ("udp", "rtp"):
        # fifo_size counts 188-byte packets (~9 MB): room for the pause between two windows.
        # A receiver that falls behind loses packets rather than the connection.
        options.update(timeout=micros, fifo_size="50000", overrun_nonfatal="1")
    elif source.scheme in ("rtsp", "rtsps"):
        # TCP interleaving passes firewalls and NAT, and loses no packets on a busy host.
        options.update(rtsp_transport="tcp", timeout=micros)
    elif source.scheme in ("http", "https"):
        # HLS: start at the newest segment (live, not three segments back).
        options.update(rw_timeout=micros, live_start_index="-1")
    elif source.scheme in ("rtmp", "rtmps", "srt"):
        options.update(rw_timeout=micros)
    return options


def classify(err: BaseException, source: SourceUrl, limits: SourceLimits) -> SourceError:
    """One sentence for a PyAV/OS failure opening or reading ``source``."""
    if isinstance(err, SourceError):
        return err
    where = source.display
    if isinstance(err, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError) or (
        isinstance(err, OSError) and err.errno in (errno.EACCES, errno.EPERM)
    ):
        return CredentialsRefusedError(
            f"{where} refused the credentials ({av_reason(err)}); check the user name and "
            "password in the URL"
        )
    if isinstance(err, av.error.ProtocolNotFoundError):
        return UnknownSchemeError(
            f"this FFmpeg build (PyAV {av.__version__}) cannot read {source.scheme}:// sources"
        )
    if isinstance(err, av.error.HTTPNotFoundError):
        return SourceUnreachableError(f"{where} does not exist (HTTP 404 Not Found)")
    if isinstance(err, ConnectionRefusedError):
        return SourceUnreachableError(f"nothing listens at {where} (connection refused)")
    silent = isinstance(err, OSError) and (
        err.errno == errno.ETIMEDOUT
        # UDP's own timeout surfaces as an I/O error: no datagram came.
        or (err.errno == errno.EIO and source.scheme in ("udp", "rtp"))
    )
    if silent or isinstance(err, av.error.ExitError | TimeoutError | av.error.EOFError):
        return SourceUnreachableError(
            f"{where} sent no video within {limits.read_timeout_s:g} s; check that the "
            "source is streaming to this address"
        )
    if isinstance(err, FileNotFoundError) and source.is_device:
        return SourceUnreachableError(f"no capture device {source.url}")
    return SourceUnreachableError(f"{where} cannot be read ({av_reason(err)})")


class Backoff:
    """Capped exponential delays between reconnect attempts: 0.5 s, 1 s, 2 s, ... ``max_s``."""

    def __init__(self, max_s: float, initial_s: float = 0.5) -> None:
        self.initial_s, self.max_s = initial_s, max_s
        self.next_s = initial_s

    def delay(self) -> float:
        """The delay to wait now; the next one doubles, up to the cap."""
        current = self.next_s
        self.next_s = min(self.next_s * 2, self.max_s)
        return min(current, self.max_s)

    def reset(self) -> None:
        self.next_s = self.initial_s


@dataclass
class LiveFrame:
    """A decoded frame: media time within its epoch, wall-clock time, epoch number, the frame."""

    t: float
    at: float
    epoch: int
    frame: Any


class LiveConnection:
    """One open connection to a source; ``frames`` yields decoded video frames.

    Wall-clock time: ``at`` follows the frames' own timestamps from the moment the first one
    arrived (so spacing is the source's, not that of bursty network reads), but never runs ahead
    of the moment a frame arrived (an HLS segment read in a burst), nor lags it by more than
    ``MAX_LAG_S``. A jump in media time starts a new ``epoch``.
    """

    def __init__(self, source: SourceUrl, limits: SourceLimits, *, record: bool = False) -> None:
        self.source, self.limits = source, limits
        if source.outbound is not None:
            source.outbound.check(source.url, "url")  # again: DNS may have changed meanwhile
        options = open_options(source, limits)
        self.proxy = guarding_proxy(source)
        if self.proxy is not None:
            # Every connection FFmpeg makes for this source (redirects, HLS segments on other
            # hosts) goes through the proxy, which checks the address it connects to.
            options.update(http_proxy=self.proxy.url, http_persistent="0")
        try:
            self.container: Any = av.open(
                source.url,
                mode="r",
                format=source.format,
                options=options,
                timeout=(limits.connect_timeout_s, limits.read_timeout_s),
            )
        except Exception as err:  # PyAV raises many types here; every one is classified
            self._close_proxy()
            raise self._refused() or classify(err, source, limits) from err
        if not self.container.streams.video:
            self.close()
            raise SourceUnreachableError(f"{source.display} carries no video stream")
        self.video = self.container.streams.video[0]
        self.video.thread_type = "AUTO"
        self.record = record
        self.epoch = 0
        self._anchor: float | None = None
        self._last_media: float | None = None
        self._epoch_origin = 0.0
        self._last_at = 0.0
        self.packet_listener: Any = None  # called with every packet when recording

    def frames(self) -> Iterator[LiveFrame]:
        """Decoded video frames until the source drops (then ``SourceDroppedError``)."""
        selected = () if self.record else (self.video,)
        time_base = self.video.time_base or Fraction(1, 90000)  # MPEG-TS's, when none is set
        num, den = time_base.numerator, time_base.denominator
        try:
            for packet in self.container.demux(*selected):
                is_video = packet.stream.index == self.video.index
                frames = _decode(packet) if is_video else []
                if self.packet_listener is not None:
                    # After decoding: muxing rescales the packet's timestamps in place.
                    self.packet_listener(packet)
                for frame in frames:
                    if frame.pts is not None:
                        yield self._stamp(frame.pts * num / den, frame)
        except SourceDroppedError:
            raise
        except Exception as err:
            raise self._refused() or SourceDroppedError(_drop_reason(err, self.limits)) from err
        raise self._refused() or SourceDroppedError("the source ended the stream")

    def _stamp(self, media_s: float, frame: Any) -> LiveFrame:
        now = time.time()
        last = self._last_media
        if last is not None and not (-0.001 <= media_s - last <= MAX_MEDIA_STEP_S):
            self.epoch += 1
            self._anchor = None
        if self._anchor is None:
            self._anchor, self._epoch_origin = now - media_s, media_s
        self._last_media = media_s
        at = self._anchor + media_s
        if at > now:  # read in a burst: the frame cannot have been shown after it arrived
            self._anchor -= at - now
            at = now
        elif at < now - MAX_LAG_S:
            self._anchor += now - MAX_LAG_S - at
            at = now - MAX_LAG_S
        at = max(at, self._last_at + 0.001)
        self._last_at = at
        return LiveFrame(t=media_s - self._epoch_origin, at=at, epoch=self.epoch, frame=frame)

    def close(self) -> None:
        self.container.close()
        self._close_proxy()

    def _close_proxy(self) -> None:
        if self.proxy is not None:
            self.proxy.close()

    def _refused(self) -> PrivateDestinationError | None:
        """What the proxy refused, as the error to raise: FFmpeg only saw a 403."""
        if self.proxy is None or self.proxy.refusal is None:
            return None
        return PrivateDestinationError(self.proxy.refusal, "url")


def guarding_proxy(source: SourceUrl) -> OutboundProxy | None:
    """A proxy for an HTTP(S) source whose policy limits where it may connect; None otherwise
    (a local CLI source, a policy allowing every address, or a protocol FFmpeg does not proxy)."""
    policy = source.outbound
    if policy is None or policy.allow_private or source.scheme not in ("http", "https"):
        return None
    return OutboundProxy(policy)


def _decode(packet: Any) -> list[Any]:
    try:
        return list(packet.decode())
    except (av.FFmpegError, ValueError):
        return []  # a damaged packet of a live stream: skip it, the next keyframe heals


def _drop_reason(err: BaseException, limits: SourceLimits) -> str:
    if isinstance(err, av.error.ExitError | TimeoutError):
        return f"no data for {limits.read_timeout_s:g} s"
    return av_reason(err)
