"""Speech on the timeline: a video's audio track, decoded in ranges and turned into timed text.

A plain library (no Temporal, HTTP or terminal)::

    track = audio_track(path)                       # "ok" | "none" | "unavailable"
    transcriber = transcriber_from_settings(settings)
    ranges = plan_speech_ranges(track.duration_s, settings.speech_range_s)
    parts = [transcribe_range(path, r.start_s, r.end_s, transcriber,
                              duration_s=track.duration_s) for r in ranges]
    segments = merge_segments(parts)
"""

from videolens.speech.audio import SAMPLE_RATE, audio_track, decode_audio
from videolens.speech.factory import (
    TranscriberStatus,
    transcriber_from_settings,
    transcriber_status,
)
from videolens.speech.openai_asr import OpenAITranscriber
from videolens.speech.ranges import (
    CUT_WINDOW_S,
    merge_segments,
    plan_speech_ranges,
    speech_cut_s,
    transcribe_range,
)
from videolens.speech.transcriber import Transcriber
from videolens.speech.types import (
    AudioTrack,
    AudioUnavailableError,
    SpeechError,
    SpeechRange,
    SpeechSegment,
    TranscriberUnavailableError,
    dominant_language,
)
from videolens.speech.whisper import WhisperTranscriber

__all__ = [
    "CUT_WINDOW_S",
    "SAMPLE_RATE",
    "AudioTrack",
    "AudioUnavailableError",
    "OpenAITranscriber",
    "SpeechError",
    "SpeechRange",
    "SpeechSegment",
    "Transcriber",
    "TranscriberStatus",
    "TranscriberUnavailableError",
    "WhisperTranscriber",
    "audio_track",
    "decode_audio",
    "dominant_language",
    "merge_segments",
    "plan_speech_ranges",
    "speech_cut_s",
    "transcribe_range",
    "transcriber_from_settings",
    "transcriber_status",
]
