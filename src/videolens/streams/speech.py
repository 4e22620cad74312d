"""A live stream's audio, captured while its frames are read, and handed on as WAV files.

The reader passes every demuxed packet of a connection to ``AudioCapture``, which decodes the
first audio stream to 16 kHz mono (what Whisper expects) and places it on the wall clock: an
audio packet's media time plus the offset (wall clock minus media time) of the latest video
frame, since both streams of a live source share one media clock. At the end of each window
the audio decoded during it is written as 16-bit WAV files under the stream's ``audio/`` folder
(``<first sample's ms>.wav``); only ``StreamAudioRef``s (path and wall-clock span) leave the
reading worker, never samples. Consecutive windows' files tile the timeline: the capture keeps
its place between windows, so the next file starts where the previous one ended.
"""

from __future__ import annotations

import itertools
import logging
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from videolens.speech.audio import SAMPLE_RATE, Samples
from videolens.store.atomic import replacing
from videolens.streams.store import StreamStore, first_at, first_seq
from videolens.streams.types import StreamAudioRef
from videolens.video.decode import av_reason

log = logging.getLogger(__name__)

# Audio arriving within this much of where the current run expects it continues the run (the
# video clock's small corrections are not allowed to chop the audio up).
JOIN_S = 0.2
# A larger hole, up to this long, becomes silence inside the run; a longer one starts a new file.
FILL_S = 1.0
# Audio whose media time is this far from the latest video frame's waits for the next video
# frame (after a jump in the source's clock, the old offset would misplace it).
CLOCK_STEP_S = 2.0
# Audio decoded before any video frame gave the clock waits at most this long, then is dropped.
MAX_WAITING_S = 10.0
# This many packets failing to decode, with none decoded, means the audio cannot be decoded.
UNDECODABLE_AFTER = 20


@dataclass
class _Run:
    start_at: float
    chunks: list[Samples]
    samples: int = 0

    @property
    def end_at(self) -> float:
        return self.start_at + self.samples / SAMPLE_RATE


class AudioCapture:
    """Decodes one source's audio and keeps it, on the wall clock, until the window ends.

    Used by one thread (the reader's). ``connect`` is called for every new connection,
    ``on_packet`` with each demuxed packet, ``clock`` with each decoded video frame, and
    ``take`` at the end of a window.
    """

    def __init__(self) -> None:
        self._stream: Any = None
        self._resampler: Any = None
        self._offset: float | None = None
        self._video_media_s = 0.0
        self._waiting: list[tuple[float, Samples]] = []
        self._done: list[_Run] = []
        self._run: _Run | None = None
        self._decoded = self._failed = 0
        self.status = ""
        self.reason = ""

    def connect(self, container: Any) -> None:
        """Follow a new connection's first audio stream (status ``none`` when it has none)."""
        self._close_run()
        self._offset, self._waiting = None, []
        self._decoded = self._failed = 0
        audio = list(container.streams.audio)
        if not audio:
            self._stream = None
            self.status, self.reason = "none", "the source sends no audio"
            return
        self._stream = audio[0]
        if self._stream.codec_context is None:
            self._stream = None
            self.status = "unavailable"
            self.reason = "the source's audio uses a codec this FFmpeg build cannot decode"
            return
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        self.status, self.reason = "ok", ""

    def on_packet(self, packet: Any) -> None:
        """Decode ``packet`` if it belongs to the audio stream followed."""
        stream = self._stream
        if stream is None or packet.stream.index != stream.index or packet.size == 0:
            return
        try:
            frames = list(packet.decode())
        except (av.FFmpegError, ValueError) as err:
            self._failed += 1
            if self._failed >= UNDECODABLE_AFTER and not self._decoded:
                self.status = "unavailable"
                self.reason = f"the source's {stream.codec_context.name} audio cannot be decoded"
                self.reason += f" ({av_reason(err)})"
                self._stream = None
            return
        time_base = float(stream.time_base or 1 / 90000)
        for frame in frames:
            if frame.pts is None:
                continue
            self._decoded += 1
            chunks = [
                np.asarray(out.to_ndarray(), np.float32).reshape(-1)
                for out in self._resampler.resample(frame)
            ]
            if chunks:
                self._place(frame.pts * time_base, np.concatenate(chunks))

    def clock(self, media_s: float, at: float) -> None:
        """A video frame of media time ``media_s`` was shown at wall-clock ``at``."""
        self._offset, self._video_media_s = at - media_s, media_s
        waiting, self._waiting = self._waiting, []
        for waiting_media_s, samples in waiting:
            self._place(waiting_media_s, samples)

    def take(self, folder: Path) -> list[StreamAudioRef]:
        """Write the audio kept since the last ``take`` as WAV files; the capture goes on."""
        runs = self._done
        self._done = []
        if self._run is not None:
            runs.append(self._run)
            # The next window's audio continues exactly where this file ends.
            self._run = _Run(self._run.end_at, [])
        refs = []
        for run in runs:
            if run.samples:
                path = folder / f"{int(run.start_at * 1000):013d}.wav"
                write_wav(path, np.concatenate(run.chunks))
                refs.append(StreamAudioRef(str(path), round(run.start_at, 3), round(run.end_at, 3)))
        return refs

    def discard(self) -> None:
        """Forget the audio kept so far (the attempt that read it was lost)."""
        self._done, self._run, self._waiting = [], None, []

    def _place(self, media_s: float, samples: Samples) -> None:
        if self._offset is None or abs(media_s - self._video_media_s) > CLOCK_STEP_S:
            self._waiting.append((media_s, samples))
            while sum(s.size for _, s in self._waiting) > MAX_WAITING_S * SAMPLE_RATE:
                self._waiting.pop(0)
            return
        at = media_s + self._offset
        run = self._run
        if run is not None:
            hole = at - run.end_at
            if hole < -JOIN_S:  # overlaps what is kept: keep only what is new
                samples = samples[round(-hole * SAMPLE_RATE) :]
                hole = 0.0
            if abs(hole) <= JOIN_S:
                self._append(run, samples)
                return
            if hole <= FILL_S:
                self._append(run, np.zeros(round(hole * SAMPLE_RATE), np.float32))
                self._append(run, samples)
                return
            self._close_run()
        self._run = _Run(at, [])
        self._append(self._run, samples)

    @staticmethod
    def _append(run: _Run, samples: Samples) -> None:
        if samples.size:
            run.chunks.append(samples)
            run.samples += samples.size

    def _close_run(self) -> None:
        if self._run is not None and self._run.samples:
            self._done.append(self._run)
        self._run = None


def write_wav(path: Path, samples: Samples) -> None:
    """Write float samples as a 16-bit mono WAV at ``SAMPLE_RATE``, atomically."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with replacing(path, "wb") as handle, wave.open(handle, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())


def read_wav(path: Path) -> Samples:
    """The samples of a WAV ``write_wav`` wrote; ``ValueError`` for any other format."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
            raise ValueError(f"{path.name} is not 16-bit mono {SAMPLE_RATE} Hz audio")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def prune_speech(
    store: StreamStore, stream_id: str, before_at: float, audio_before_at: float | None
) -> int:
    """Remove speech older than ``before_at`` and what no transcription needs any more.

    As with windows, a speech file goes when the next one starts at or before ``before_at``;
    its events and their webhook deliveries go with it. WAV files starting more than a second
    before ``audio_before_at`` (the oldest audio still to be transcribed; ``None``: keep all)
    are done with. Returns how many speech files went.
    """
    folder = store.stream_dir(stream_id)
    names = store.names(stream_id, "speech")
    removed = 0
    for name, following in itertools.pairwise(names):
        if first_at(following) > before_at:
            break
        (folder / "speech" / f"{name}.json").unlink(missing_ok=True)
        (folder / "speech_events" / f"{name}.json").unlink(missing_ok=True)
        removed += 1
    if removed:
        oldest_batch = first_seq(names[removed])
        for path in (folder / "deliveries").glob("s*.json"):
            batch = path.name[1:10]
            if batch.isdigit() and int(batch) < oldest_batch:
                path.unlink(missing_ok=True)
    if audio_before_at is not None:
        for path in store.audio_dir(stream_id).glob("*.wav"):
            if path.stem.isdigit() and int(path.stem) / 1000 < audio_before_at - 1.0:
                path.unlink(missing_ok=True)
    return removed
