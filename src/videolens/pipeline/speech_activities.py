"""Speech activities on the CPU queue: check the audio track, transcribe one range of it.

They run beside frame sampling. A range is the unit of resumption: each finished range is
stored at once (``speech/<range>.json``), so a retry redoes only the range that was in flight.
Audio that cannot be decoded, or a transcriber that cannot run here, fails for good with a
reason the workflow records as ``speech.status = "unavailable"``; the visual analysis goes on.
So does a full disk, which is not retried.
"""

from __future__ import annotations

import threading

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from videolens.config import Settings
from videolens.errors import InvalidVideoError, OutOfSpaceError
from videolens.openai_compat import EndpointAuthError
from videolens.pipeline.activities import require_own_session
from videolens.pipeline.heartbeat import heartbeating
from videolens.pipeline.shared import (
    OUT_OF_SPACE,
    SPEECH_UNAVAILABLE,
    AudioCheck,
    ProbeInput,
    TranscribeRangeInput,
    TranscribeRangeResult,
)
from videolens.speech import (
    SpeechError,
    Transcriber,
    audio_track,
    dominant_language,
    transcribe_range,
    transcriber_from_settings,
)
from videolens.store import SessionStore
from videolens.timeline.model import SpeechSegment


class SpeechActivities:
    """Holds one transcriber per worker, built on first use and kept until ``close``."""

    def __init__(self, store: SessionStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._transcriber: Transcriber | None = None
        self._lock = threading.Lock()

    def transcriber(self) -> Transcriber:
        with self._lock:
            if self._transcriber is None:
                self._transcriber = transcriber_from_settings(self._settings)
            return self._transcriber

    def close(self) -> None:
        with self._lock:
            if self._transcriber is not None:
                self._transcriber.close()
            self._transcriber = None

    @activity.defn(name="check_audio")
    def check_audio(self, request: ProbeInput) -> AudioCheck:
        """Whether the video has a decodable audio track, and its length."""
        require_own_session(self._store, request.session_id)
        try:
            track = audio_track(request.video_path)
        except InvalidVideoError as err:
            return AudioCheck(status="unavailable", reason=str(err))
        return AudioCheck(status=track.status, reason=track.reason, duration_s=track.duration_s)

    @activity.defn(name="transcribe_range")
    def transcribe(self, request: TranscribeRangeInput) -> TranscribeRangeResult:
        """Transcribe ``[start_s, end_s)`` of the audio and store its segments."""
        require_own_session(self._store, request.session_id)
        with heartbeating() as beater:
            try:
                transcriber = self.transcriber()
                segments = transcribe_range(
                    request.video_path,
                    request.start_s,
                    request.end_s,
                    transcriber,
                    on_progress=beater.update,
                    duration_s=request.audio_duration_s,
                )
            except (SpeechError, InvalidVideoError, EndpointAuthError) as err:
                raise ApplicationError(
                    str(err), type=SPEECH_UNAVAILABLE, non_retryable=True
                ) from err
        try:
            self._store.write_speech_range(
                request.session_id,
                request.range_id,
                [SpeechSegment.model_validate(s.as_dict()) for s in segments],
            )
        except OutOfSpaceError as err:
            # Not retried; the frames are not removed here: speech failing leaves the visual
            # analysis running, and it meets the full disk (and says so) on its own.
            activity.logger.warning("%s; speech is not stored", err)
            raise ApplicationError(
                str(err),
                type=OUT_OF_SPACE,
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,  # logged above, without a traceback
            ) from err
        return TranscribeRangeResult(
            segments=len(segments),
            model=transcriber.model,
            language=dominant_language(segments) or "",
        )
