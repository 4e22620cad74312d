"""A stream's reader: one live connection kept across windows, reconnecting when it drops.

A worker keeps one ``StreamReader`` per stream between ingest windows, so the connection (and
the packets the OS buffers between two windows) survives; the workflow sends the next window to
the same worker. A reader that is new while the stream already has frames (the worker that read
it died, or the stream moved) reports the stretch since the last stored frame as a gap.

With an ``audio_dir``, the source's audio is decoded too, as it arrives beside the frames
(``videolens.streams.speech``), and each window hands back WAV files of what was heard during it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

from videolens.streams.errors import (
    CredentialsRefusedError,
    SourceDroppedError,
    SourceError,
    UnknownSchemeError,
)
from videolens.streams.outbound import PrivateDestinationError
from videolens.streams.pass_clip import PassClipWriter
from videolens.streams.recorder import SegmentRecorder
from videolens.streams.source import Backoff, LiveConnection, LiveFrame, SourceLimits, SourceUrl
from videolens.streams.speech import AudioCapture
from videolens.streams.types import StreamFrameRef, StreamGap, WindowOutcome
from videolens.streams.window import LiveSampler
from videolens.video.decode import sample_aspect_ratio
from videolens.video.selection import Choice
from videolens.video.types import SamplingOptions

GAP_MIN_S = 1.0
"""A pause between two decoded frames longer than this is reported as a gap."""

OnFrame = Callable[[StreamFrameRef], None]


class StreamReader:
    """Reads one stream window by window; not thread-safe (one ingest at a time holds it)."""

    def __init__(
        self,
        source: SourceUrl,
        limits: SourceLimits,
        options: SamplingOptions,
        frames_dir: Path,
        recordings_dir: Path | None = None,
        record_segment_s: float = 60.0,
        audio_dir: Path | None = None,
        pass_clips: PassClipWriter | None = None,
    ) -> None:
        self.source, self.limits, self.options = source, limits, options
        self.frames_dir, self.recordings_dir = frames_dir, recordings_dir
        self.record_segment_s = record_segment_s
        # Where each window's audio is written; None: the audio is not decoded.
        self.audio_dir = audio_dir
        # Where the detection pass's frames are kept (None: no tracking).
        self.pass_clips = pass_clips
        self._audio = AudioCapture()
        self.lock = threading.Lock()
        self.last_used = time.monotonic()
        self._connection: LiveConnection | None = None
        self._recorder: SegmentRecorder | None = None
        self._frames: Iterator[LiveFrame] | None = None
        self._sampler: LiveSampler | None = None
        self._epoch = -1
        self._backoff = Backoff(limits.reconnect_max_s)
        self._retry_at = 0.0
        self._started = time.monotonic()
        self._ever_connected = False
        # Why no frames came (a drop, a restart); the next gap is reported with this reason.
        self._pause_reason = "the worker reading the stream restarted"
        self._last_at: float | None = None
        self.source_error = ""

    def read_window(
        self,
        window_s: float,
        next_seq: int,
        last_at: float | None,
        on_frame: OnFrame,
        outcome: WindowOutcome | None = None,
    ) -> WindowOutcome:
        """Read for ``window_s`` seconds of wall time; frames are numbered from ``next_seq``.

        ``last_at`` is the stream's last stored frame; a pause since then is reported as a gap.
        Frames and gaps are added to ``outcome`` as they come (``on_frame`` sees both so far).
        Raises ``SourceError`` when the source refuses us, or never answered from the start.
        """
        self.last_used = time.monotonic()
        if self._last_at is None or (last_at is not None and last_at > self._last_at):
            self._last_at = last_at
        outcome = outcome if outcome is not None else WindowOutcome()
        seq = [next_seq]

        def write(at: float, frame: object, choice: Choice) -> StreamFrameRef:
            assert self._sampler is not None
            path = self.frames_dir / f"{seq[0]:010d}.jpg"
            size = self._sampler.save(frame, path)
            ref = StreamFrameRef.of(choice.frame_ref(seq[0], at, path, size))
            seq[0] += 1
            return ref

        self.frames_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + window_s
        while time.monotonic() < deadline:
            live = self._next_frame(deadline)
            if live is None:
                continue
            self._note_gap(live, outcome)
            assert self._connection is not None
            if self.audio_dir is not None:
                time_base = self._connection.video.time_base or Fraction(1, 90000)
                self._audio.clock(float(live.frame.pts * time_base), live.at)
            if live.epoch != self._epoch or self._sampler is None:
                fps = float(self._connection.video.average_rate or 25)
                self._sampler = LiveSampler(self.options, fps, self._connection.video)
                self._epoch = live.epoch
            for ref in self._sampler.offer(live.t, live.at, live.frame, write):
                outcome.frames.append(ref)
                on_frame(ref)
            if self.pass_clips is not None:
                aspect = sample_aspect_ratio(self._connection.video)
                self.pass_clips.offer(live.at, live.frame, aspect)
        if self.pass_clips is not None:
            outcome.pass_clip = self.pass_clips.finish()
        outcome.live = self._connection is not None
        outcome.source_error = "" if outcome.live else self.source_error
        if self.audio_dir is not None:
            outcome.audio += self._audio.take(self.audio_dir)
            outcome.audio_status, outcome.audio_reason = self._audio.status, self._audio.reason
        else:
            self._audio.discard()
        self.last_used = time.monotonic()
        return outcome

    def rewind(self, last_at: float | None) -> None:
        """Forget what was read after ``last_at``: an attempt that read it was lost (its worker
        or Temporal went away before it was reported), so that stretch is a gap."""
        self._last_at = last_at
        self._pause_reason = "what was read then was lost with the attempt reading it"
        self._audio.discard()
        if self.pass_clips is not None:
            self.pass_clips.discard()

    def _next_frame(self, deadline: float) -> LiveFrame | None:
        """The next decoded frame, or None after a drop or a wait for the next reconnect."""
        if self._frames is None and not self._connect(deadline):
            return None
        assert self._frames is not None
        try:
            return next(self._frames)
        except SourceDroppedError as err:
            self._drop(f"the source dropped ({err})")
            return None

    def _note_gap(self, live: LiveFrame, outcome: WindowOutcome) -> None:
        if self._epoch >= 0 and live.epoch != self._epoch:
            self._pause_reason = "the source restarted (its timestamps started over)"
        if self._last_at is not None and live.at - self._last_at > GAP_MIN_S:
            outcome.gaps.append(StreamGap(round(self._last_at, 3), live.at, self._pause_reason))
        self._pause_reason = "the source paused"
        self._last_at = live.at

    def _connect(self, deadline: float) -> bool:
        """Try to (re)connect once the backoff allows; False when not connected now."""
        now = time.monotonic()
        if now < self._retry_at:
            time.sleep(max(0.0, min(self._retry_at, deadline) - now))
            return False
        # ``record`` makes the connection demux every stream, not only the video: the recorder
        # and the audio capture both need them.
        every_stream = self.recordings_dir is not None or self.audio_dir is not None
        try:
            connection = LiveConnection(self.source, self.limits, record=every_stream)
        except (CredentialsRefusedError, UnknownSchemeError, PrivateDestinationError):
            raise
        except SourceError as err:
            never = not self._ever_connected and self._last_at is None
            waited = time.monotonic() - self._started
            if never and waited >= self.limits.connect_timeout_s:
                # Nothing ever came: the URL is wrong, not a source that dropped.
                raise type(err)(f"{err} (gave up after {waited:.0f} s)") from err
            # While reconnecting, say why the source went away and what the last try met.
            dropped = self._ever_connected or self._last_at is not None
            self.source_error = str(err)
            if dropped:
                self.source_error = f"{self._pause_reason}; reconnecting: {err}"
            self._retry_at = time.monotonic() + self._backoff.delay()
            return False
        self._connection, self._frames = connection, connection.frames()
        self._epoch, self._sampler = -1, None
        self._ever_connected, self.source_error = True, ""
        self._backoff.reset()
        self._audio.connect(connection.container)
        if self.recordings_dir is not None:
            self._recorder = SegmentRecorder(
                self.recordings_dir, connection.container, self.record_segment_s
            )
        if every_stream:
            connection.packet_listener = self._on_packet
        return True

    def _on_packet(self, packet: object) -> None:
        # Audio first: muxing a packet into the recording rescales its timestamps in place.
        if self.audio_dir is not None:
            self._audio.on_packet(packet)
        if self._recorder is not None:
            self._recorder.on_packet(packet)

    def _drop(self, reason: str) -> None:
        self.close()
        self.source_error = self._pause_reason = reason
        self._retry_at = time.monotonic() + self._backoff.delay()

    def close(self) -> None:
        """Close the connection and the recording; the reader may connect again later."""
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
        if self._connection is not None:
            self._connection.close()
        if self.pass_clips is not None:
            self.pass_clips.discard()
        self._connection = self._frames = self._sampler = None
