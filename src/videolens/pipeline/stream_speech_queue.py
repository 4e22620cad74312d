"""The speech side of ``StreamWorkflow`` (workflow code: deterministic, no I/O of its own).

Speech runs beside the frames' chain, one transcription at a time, because each batch may carry
the held tail of a sentence into the next (``videolens.streams.speech_batches``). Each window's
audio (WAV files ingest wrote) joins a queue; the next ``transcribe_stream_window`` takes all
that waits, so a transcriber slower than real time catches up with bigger batches, and beyond
``MAX_SPEECH_BATCH_S`` the oldest audio is skipped (and counted). Speech never fails the
stream: a failure is recorded in the stream's ``speech``; one no retry can mend (no transcriber
on the worker, undecodable audio) turns speech off for the rest of the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from videolens.pipeline.retries import STREAM_RETRY_POLICY, failure_reason, non_retryable
    from videolens.pipeline.stream_shared import (
        IngestResult,
        StreamState,
        TranscribeStreamInput,
        TranscribeStreamResult,
    )
    from videolens.streams.types import StreamAudioRef

TRANSCRIBE_TIMEOUT = timedelta(minutes=10)
MAX_SPEECH_BATCH_S = 30.0
"""Audio waiting beyond this is skipped, oldest first: speech that far behind never catches up."""

OnEvent = Callable[[str, str], None]


class SpeechQueue:
    """Queues a stream's audio and transcribes it in order; its state lives in ``StreamState``
    (``speech*`` fields), so it survives continue-as-new. ``on_event(name, event_id)`` is called
    for each event a transcription raised."""

    def __init__(self, state: StreamState, on_event: OnEvent) -> None:
        self._state, self._on_event = state, on_event
        self.task: asyncio.Future[None] | None = None
        self._inflight: list[StreamAudioRef] = []

    def note(self, result: IngestResult) -> None:
        """The speech status from what a window heard; its audio queued for transcription."""
        state = self._state
        speech = state.speech
        if speech.status == "unavailable":
            return
        if result.audio_status:  # "": the window had no connection, nothing is known
            speech.status, speech.reason = result.audio_status, result.audio_reason
        if result.audio and speech.status == "ok":
            state.speech_pending.extend(result.audio)
            state.audio_end_at = result.audio[-1].end_at
            if self.task is None or self.task.done():
                self.task = asyncio.ensure_future(self._transcribe_pending(final=False))

    async def drain(self, final: bool) -> None:
        """Wait for what waits to be transcribed; ``final``: commit the held tail too."""
        if self.task is not None:
            await self.task
        if final:
            await self._transcribe_pending(final=True)

    def needed_from(self) -> float | None:
        """Where the audio still to be transcribed starts: older WAV files may go."""
        state = self._state
        needed = [*self._inflight, *state.speech_carry, *state.speech_pending]
        return min(r.start_at for r in needed) if needed else state.audio_end_at

    async def _transcribe_pending(self, final: bool) -> None:
        state = self._state
        while state.speech_pending or (final and state.speech_carry):
            if state.speech.status == "unavailable":
                state.speech_pending.clear()
                return
            batch, state.speech_pending = state.speech_pending, []
            while len(batch) > 1 and _seconds(batch) > MAX_SPEECH_BATCH_S:
                state.speech.skipped_s = round(state.speech.skipped_s + _seconds(batch[:1]), 3)
                state.speech.error = "transcription fell behind the stream; audio was skipped"
                batch.pop(0)
            await self._transcribe(batch, final and not state.speech_pending)

    async def _transcribe(self, batch: list[StreamAudioRef], final: bool) -> None:
        config, state = self._state.config, self._state
        speech = state.speech
        audio = [*state.speech_carry, *batch]
        state.speech_batches += 1
        self._inflight = audio
        try:
            result: TranscribeStreamResult = await workflow.execute_activity(
                "transcribe_stream_window",
                TranscribeStreamInput(
                    stream_id=config.stream_id,
                    batch=state.speech_batches,
                    audio=audio,
                    from_at=state.speech_carry_from,
                    final=final,
                    rules=config.rules,
                    rule_last_match=dict(state.speech_last_match),
                    rearm_s=config.rearm_s,
                ),
                result_type=TranscribeStreamResult,
                task_queue=config.cpu_task_queue,
                start_to_close_timeout=TRANSCRIBE_TIMEOUT,
                heartbeat_timeout=timedelta(seconds=config.heartbeat_timeout_s),
                retry_policy=STREAM_RETRY_POLICY,
            )
        except ActivityError as err:
            speech.error = failure_reason(err)
            if non_retryable(err):
                speech.status, speech.reason = "unavailable", speech.error
                state.speech_pending.clear()
            state.speech_carry, state.speech_carry_from = [], None
            return
        finally:
            self._inflight = []
        state.speech_carry, state.speech_carry_from = result.carry, result.carry_from
        state.speech_last_match = result.rule_last_match
        speech.segments += result.segments
        speech.model = result.model or speech.model
        state.events += len(result.event_ids)
        for event_id in result.event_ids:
            self._on_event(result.name, event_id)


def _seconds(refs: list[StreamAudioRef]) -> float:
    return sum(r.end_at - r.start_at for r in refs)
