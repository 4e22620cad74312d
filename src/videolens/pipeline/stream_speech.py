"""``transcribe_stream_window`` (CPU queue): a live stream's audio → speech and the events that
word rules raise on it.

It runs beside the frames' chain (describe → commit), never in it: a slow or failing
transcriber does not delay frames being described, nor the events they raise. The audio comes
as references to the WAV files ingest wrote; the speech is written to the store here, and only
counts, names and references go back. Idempotent: the speech file is named after the batch
number and its first segment, so a retry rewrites the same file with the same content.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from videolens.errors import OutOfSpaceError
from videolens.openai_compat import EndpointAuthError
from videolens.pipeline.heartbeat import heartbeating
from videolens.pipeline.shared import OUT_OF_SPACE, SPEECH_UNAVAILABLE
from videolens.pipeline.stream_activities import require_stream
from videolens.pipeline.stream_shared import TranscribeStreamInput, TranscribeStreamResult
from videolens.speech import SpeechError, Transcriber
from videolens.streams.rules import evaluate_speech, parse_rules
from videolens.streams.speech_batches import transcribe_batch
from videolens.streams.store import StreamStore
from videolens.streams.types import window_name
from videolens.timeline.model import StreamEvent

# A speech event shows the frame described at (or up to this long before) the moment said.
FRAME_BEFORE_S = 30.0


class StreamSpeechActivities:
    """Transcribe streams' audio with the worker's one transcriber (shared with files)."""

    def __init__(self, store: StreamStore, transcriber: Callable[[], Transcriber]) -> None:
        self._store, self._transcriber = store, transcriber

    @activity.defn(name="transcribe_stream_window")
    def transcribe(self, request: TranscribeStreamInput) -> TranscribeStreamResult:
        """Transcribe one batch of a stream's audio and store what it committed."""
        stream_id = request.stream_id
        require_stream(self._store, stream_id)
        folder = self._store.audio_dir(stream_id).resolve()
        for ref in request.audio:
            if Path(ref.path).resolve().parent != folder:
                raise ApplicationError(
                    f"{ref.path} is not audio of stream {stream_id}",
                    type=SPEECH_UNAVAILABLE,
                    non_retryable=True,
                )
        with heartbeating():
            try:
                transcriber = self._transcriber()
                batch = transcribe_batch(
                    request.audio, request.from_at, transcriber, final=request.final
                )
            except (SpeechError, EndpointAuthError, ValueError) as err:
                raise ApplicationError(
                    str(err), type=SPEECH_UNAVAILABLE, non_retryable=True
                ) from err
        last_match = dict(request.rule_last_match)
        segments = [segment.as_segment() for segment in batch.segments]
        name = window_name(segments[0].start_at, request.batch) if segments else ""
        events: list[StreamEvent] = []
        if segments:
            rules = parse_rules(request.rules)
            raised = evaluate_speech(rules, segments, last_match, request.batch, request.rearm_s)
            events = [self._placed(stream_id, name, event) for event in raised]
            try:
                self._store.write_speech(stream_id, name, segments, events)
            except OutOfSpaceError as err:
                raise ApplicationError(str(err), type=OUT_OF_SPACE, non_retryable=True) from err
        return TranscribeStreamResult(
            name=name,
            segments=len(segments),
            event_ids=[e.event_id for e in events],
            carry=batch.carry,
            carry_from=batch.carry_from,
            rule_last_match=last_match,
            model=transcriber.model,
        )

    def _placed(self, stream_id: str, name: str, event: StreamEvent) -> StreamEvent:
        """``event`` with its stream, batch and the frame on screen when it was said: the last
        described at or before (none when no frame was described yet)."""
        frames = self._store.moments(stream_id, event.at - FRAME_BEFORE_S, event.at + 0.001)
        frame = frames[-1] if frames else None
        seq, image = (frame.seq, frame.image) if frame else (None, None)
        return event.model_copy(
            update={"stream_id": stream_id, "window": name, "seq": seq, "image": image}
        )
