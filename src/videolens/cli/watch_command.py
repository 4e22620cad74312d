"""``videolens watch URL``: watch a live source, printing described frames, what was said
(``said: "…"``), events and gaps with their wall-clock times as they come; Ctrl-C (or
``--for``) stops the stream cleanly.

Like ``analyze``, it runs embedded when no Temporal address is set: the dev server of the data
dir and in-process workers. The stream's workflow does the work; this command only starts it,
prints what lands in the store, and asks it to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from typing import Annotated, Any

import typer
from rich.text import Text
from temporalio.client import Client, WorkflowFailureError
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError

from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr, user_errors
from videolens.cli.progress import count_of
from videolens.config import Settings
from videolens.errors import TemporalUnavailableError
from videolens.pipeline.stream_client import (
    StreamRequest,
    create_stream,
    request_stop,
    start_stream,
    stream_progress,
)
from videolens.pipeline.stream_shared import StreamConfig
from videolens.pipeline.temporal_server import temporal_client
from videolens.pipeline.worker import Queue, running_workers
from videolens.streams.errors import InvalidRuleError, UnknownSchemeError
from videolens.streams.store import StreamStore
from videolens.timeline.model import StreamSpeechState

POLL_S = 0.3
# The speech states in which nothing said will print.
_WHY_SILENT = ("none", "off", "unavailable")


def watch(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            help="rtsp://, rtmp://, http(s):// (HLS), srt://, udp:// or rtp:// (MPEG-TS), "
            "or a capture device (/dev/video0, device:NAME).",
        ),
    ],
    rule: Annotated[
        list[str] | None,
        typer.Option(
            "--rule",
            metavar="RULE",
            help="Raise an event: a label (person, car), word:TEXT (on screen or spoken), "
            "or shot. Repeatable.",
        ),
    ] = None,
    retention_hours: Annotated[
        float | None,
        typer.Option(min=0.0001, metavar="HOURS", help="Keep frames and events this long."),
    ] = None,
    for_s: Annotated[
        float | None,
        typer.Option("--for", min=0.1, metavar="SECONDS", help="Stop after this long."),
    ] = None,
    record: Annotated[bool, typer.Option(help="Record the stream in segments.")] = False,
    name: Annotated[str | None, typer.Option(metavar="NAME", help="A name to show.")] = None,
    webhook_url: Annotated[
        str | None, typer.Option(metavar="URL", help="POST each event here.")
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(metavar="SECRET", help="Sign webhook bodies (HMAC-SHA256) with this."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object a line (frame, event, gap).")
    ] = False,
) -> None:
    """Watch a live stream until Ctrl-C (or --for).

    The frames described, what is said and the events raised print as they come."""
    with user_errors():
        settings = Settings()
        request = StreamRequest(
            url=url,
            name=name or "",
            rules=rule or [],
            retention_s=retention_hours * 3600 if retention_hours else None,
            record=record,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
        )
        try:
            document, config = create_stream(settings, request)
        except (UnknownSchemeError, InvalidRuleError, ValueError) as err:
            fail(str(err), EXIT_BAD_INPUT)
        stream_id = document.stream_id
        stderr.print(
            Text(f"watching {document.url} as stream {stream_id}; Ctrl-C stops it"),
            soft_wrap=True,
        )
        _quiet_temporal_logs()
        printer = _Printer(StreamStore(settings.streams_dir), stream_id, as_json)
        try:
            asyncio.run(_run(settings, config, printer, for_s))
        except RPCError as err:
            raise TemporalUnavailableError(f"Temporal stopped answering ({err.message})") from err
        final = StreamStore(settings.streams_dir).document(stream_id)
        printer.show_new()
    if final.status == "failed":
        fail(f"the stream failed: {final.error}")
    counts = ", ".join(
        count_of(number, noun)
        for number, noun in (
            (final.frames_total, "frame"),
            (final.events_total, "event"),
            (len(final.gaps), "gap"),
        )
    )
    # Kept in the data dir: `videolens up` on it serves them (GET /v1/streams/ID, the web UI).
    stderr.print(f"stopped: {counts}; kept as stream {stream_id}", soft_wrap=True)


async def _run(
    settings: Settings, config: StreamConfig, printer: _Printer, for_s: float | None
) -> None:
    async with temporal_client(settings) as client:
        if settings.temporal_address:
            await _watch(client, config, printer, for_s)
        else:
            # Embedded mode: this process is the worker too.
            async with running_workers(client, settings, Queue.ALL):
                await _watch(client, config, printer, for_s)


async def _watch(
    client: Client, config: StreamConfig, printer: _Printer, for_s: float | None
) -> None:
    handle = await start_stream(client, config)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if for_s is not None:
        loop.call_later(for_s, stop.set)
    result = asyncio.ensure_future(handle.result())
    state = ""
    try:
        while not result.done():
            if stop.is_set():
                stop.clear()
                stderr.print("stopping after the current window…")
                await request_stop(client, config.stream_id)
            printer.show_new()
            progress = await stream_progress(client, config.stream_id)
            if progress is not None and progress.state != state:
                state = progress.state
                if state in ("connecting", "reconnecting"):
                    stderr.print(Text(f"{state}: {progress.source_error}"), soft_wrap=True)
                elif state == "live":
                    stderr.print("live")
            await asyncio.wait({result}, timeout=POLL_S)
        with contextlib.suppress(WorkflowFailureError):
            result.result()  # a failure is in the stream document, reported by the caller
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if not result.done():
            result.cancel()


class _Printer:
    """Prints what is new in the store: frames, events, speech, gaps; each kind in order."""

    def __init__(self, store: StreamStore, stream_id: str, as_json: bool) -> None:
        self.store, self.stream_id, self.as_json = store, stream_id, as_json
        self.last_window = self.last_events = self.last_speech = self.last_speech_events = ""
        self.gaps_shown: set[float] = set()
        self.speech_status = ""

    def show_new(self) -> None:
        for name in self.store.window_names(self.stream_id):
            if name > self.last_window:
                self.last_window = name
                for frame in self.store.window_moments(self.stream_id, name):
                    text = f"[{frame.reason}] {frame.description}"
                    self._line("frame", frame.as_json(), frame.at or 0.0, text)
        for name in self.store.event_names(self.stream_id):
            if name > self.last_events:
                self.last_events = name
                for event in self.store.window_stream_events(self.stream_id, name):
                    text = f"EVENT {event.rule}: {event.match} (frame {event.seq})"
                    self._line("event", event.as_json(), event.at, text)
        self._show_speech()
        document = self.store.document(self.stream_id)
        self._show_speech_status(document.speech)
        for gap in document.gaps:
            if gap.start_at not in self.gaps_shown:
                self.gaps_shown.add(gap.start_at)
                gap_at = {**gap.as_json(), "at": gap.end_at}
                text = f"GAP of {gap.seconds or 0.0:.1f} s: {gap.reason}"
                self._line("gap", gap_at, gap.end_at, text)

    def _show_speech(self) -> None:
        # Speech is transcribed behind the frames, so it is followed on its own.
        for name in self.store.names(self.stream_id, "speech"):
            if name > self.last_speech:
                self.last_speech = name
                for segment in self.store.window_speech(self.stream_id, name):
                    said = {**segment.as_json(), "at": segment.start_at}
                    self._line("speech", said, segment.start_at, f'said: "{segment.text}"')
        for name in self.store.names(self.stream_id, "speech_events"):
            if name > self.last_speech_events:
                self.last_speech_events = name
                for event in self.store.window_speech_events(self.stream_id, name):
                    text = f"EVENT {event.rule}: {event.match}"
                    self._line("event", event.as_json(), event.at, text)

    def _show_speech_status(self, speech: StreamSpeechState | None) -> None:
        """Say once why nothing said will print (no audio, speech off or unavailable)."""
        status = speech.status if speech is not None else ""
        if speech is not None and status != self.speech_status and status in _WHY_SILENT:
            stderr.print(Text(f"speech: {status} ({speech.reason})"), soft_wrap=True)
        self.speech_status = status

    def _line(self, kind: str, item: dict[str, Any], at: float, text: str) -> None:
        """One line: ``item`` as the JSON printed (``--json``), else its time and ``text``."""
        if self.as_json:
            shown = {k: v for k, v in item.items() if k != "image"}
            typer.echo(json.dumps({"type": kind, **shown}, ensure_ascii=False))
            return
        clock = time.strftime("%H:%M:%S", time.localtime(at))
        typer.echo(f"{clock}  {text}")


def _quiet_temporal_logs() -> None:
    """Keep the SDK's retry warnings off the terminal; failures are reported in one line."""
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    with contextlib.suppress(RuntimeError):
        quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=quiet)))
