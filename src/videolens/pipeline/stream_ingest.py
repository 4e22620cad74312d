"""The ingest activity: read one window of a live source on the worker that keeps it open.

A worker keeps one ``StreamReader`` per stream between windows, and answers on a task queue of
its own (``reader_queue``) so the workflow can send it the next window. Readers nobody has used
for ``IDLE_CLOSE_S`` are closed by a sweeper thread: the workflow moved on (to another worker, or
it stopped), and an open UDP socket would keep the port from whoever reads the stream now.

Unless this worker's settings turn speech off, the reader also decodes the source's audio and
each window returns WAV files of it (references; the transcription runs as its own activity, so
the frames go on to be described without waiting for it). Audio is not checkpointed: a window
whose attempt died loses its audio, as the time since its last checkpoint is a gap.
"""

from __future__ import annotations

import threading
import time

from temporalio import activity
from temporalio.converter import value_to_type
from temporalio.exceptions import ApplicationError

from videolens.pipeline.heartbeat import heartbeating, previous_detail
from videolens.pipeline.stream_shared import (
    SOURCE_FAILED,
    STREAM_GONE,
    CloseReaderInput,
    IngestCheckpoint,
    IngestInput,
    IngestResult,
)
from videolens.pipeline.tracking_activities import OVERLAP_S
from videolens.streams.errors import SourceError
from videolens.streams.outbound import outbound_policy
from videolens.streams.pass_clip import PassClipWriter
from videolens.streams.reader import StreamReader
from videolens.streams.retention import remove_numbered
from videolens.streams.source import SourceLimits, check_url
from videolens.streams.store import StreamStore
from videolens.streams.tracks import clips_dir
from videolens.streams.types import StreamFrameRef

IDLE_CLOSE_S = 30.0
SWEEP_EVERY_S = 5.0
SPEECH_OFF = "speech recognition is off in the reading worker's settings (VIDEOLENS_SPEECH=off)"


class StreamIngestActivities:
    """Ingest windows of live streams; holds the open readers of this worker process."""

    def __init__(self, store: StreamStore, reader_queue: str, speech: bool = True) -> None:
        self._store = store
        self.reader_queue = reader_queue
        self._speech = speech
        self._readers: dict[str, StreamReader] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sweeper: threading.Thread | None = None

    @activity.defn(name="ingest_stream_window")
    def ingest(self, request: IngestInput) -> IngestResult:
        """Read one window; a retry (or a resume after a dead worker) keeps the frames already
        written by the earlier attempt and numbers new ones after them."""
        stream_id = request.stream_id
        if not self._store.exists(stream_id):
            raise ApplicationError(
                f"stream {stream_id} was deleted", type=STREAM_GONE, non_retryable=True
            )
        checkpoint = previous_detail(IngestCheckpoint)
        if checkpoint is None and request.resume:
            checkpoint = value_to_type(IngestCheckpoint, request.resume)
        checkpoint = checkpoint or IngestCheckpoint()
        done = checkpoint.frames
        next_seq = done[-1].seq + 1 if done else request.next_seq
        last_at = done[-1].at if done else request.last_at
        reader, fresh = self._reader(request)
        if not reader.lock.acquire(blocking=False):
            raise ApplicationError(f"stream {stream_id} is being read by another window here")
        outcome = IngestResult(
            frames=list(done), gaps=list(checkpoint.gaps), reader_queue=self.reader_queue
        )
        speech = self._speech and request.speech
        reader.audio_dir = self._store.audio_dir(stream_id) if speech else None
        try:
            if fresh or activity.info().attempt > 1 or request.resume:
                # A dead attempt may have written frames after its last checkpoint: they were
                # never reported, and their numbers are about to be used again.
                remove_numbered(self._store.frames_dir(stream_id), ".jpg", from_seq=next_seq)
                if not fresh:  # this reader read them: the time since the checkpoint is a gap
                    reader.rewind(last_at)
            with heartbeating() as beater:

                def checkpoint_now(_: StreamFrameRef | None = None) -> None:
                    beater.update(IngestCheckpoint(list(outcome.frames), list(outcome.gaps)))

                checkpoint_now()  # a retry keeps the frames resumed from, even if none come
                reader.read_window(request.window_s, next_seq, last_at, checkpoint_now, outcome)
        except SourceError as err:
            self._discard(stream_id)
            raise ApplicationError(
                str(err), err.kind, type=SOURCE_FAILED, non_retryable=True
            ) from err
        finally:
            reader.lock.release()
        if not self._speech:
            outcome.audio_status, outcome.audio_reason = "off", SPEECH_OFF
        return outcome

    @activity.defn(name="close_stream_reader")
    def close_reader(self, request: CloseReaderInput) -> None:
        """Close this worker's connection to a stream that stopped."""
        self._discard(request.stream_id)

    def _reader(self, request: IngestInput) -> tuple[StreamReader, bool]:
        """This worker's reader of the stream, and whether it was made just now."""
        with self._lock:
            self._start_sweeper()
            reader = self._readers.get(request.stream_id)
            if reader is not None:
                return reader, False
            private = self._store.private(request.stream_id)
            try:
                source = check_url(str(private["url"]), outbound_policy(private))
            except SourceError as err:
                raise ApplicationError(
                    str(err), err.kind, type=SOURCE_FAILED, non_retryable=True
                ) from err
            reader = StreamReader(
                source,
                SourceLimits(
                    request.connect_timeout_s, request.read_timeout_s, request.reconnect_max_s
                ),
                request.options,
                self._store.frames_dir(request.stream_id),
                self._store.recordings_dir(request.stream_id) if request.record else None,
                request.record_segment_s,
                pass_clips=_pass_clips(self._store, request),
            )
            self._readers[request.stream_id] = reader
            return reader, True

    def _discard(self, stream_id: str) -> None:
        with self._lock:
            reader = self._readers.pop(stream_id, None)
        if reader is not None:
            reader.close()

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = threading.Thread(target=self._sweep, name="stream-readers", daemon=True)
            self._sweeper.start()

    def _sweep(self) -> None:
        while not self._stopped.wait(SWEEP_EVERY_S):
            now = time.monotonic()
            with self._lock:
                idle = [
                    stream_id
                    for stream_id, reader in self._readers.items()
                    if now - reader.last_used > IDLE_CLOSE_S and not reader.lock.locked()
                ]
            for stream_id in idle:
                self._discard(stream_id)

    def close(self) -> None:
        """Close every reader and stop the sweeper (the worker is shutting down)."""
        self._stopped.set()
        if self._sweeper is not None:
            self._sweeper.join()
        with self._lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()


def _pass_clips(store: StreamStore, request: IngestInput) -> PassClipWriter | None:
    """Where the reader keeps the detection pass's frames (None: the stream has no tracks)."""
    if not request.tracking_fps:
        return None
    return PassClipWriter(clips_dir(store, request.stream_id), request.tracking_fps, OVERLAP_S)
