"""Long audio in ranges: the unit of work of one activity, and how ranges join without seams.

A video's audio is planned as ranges of a few minutes (``plan_speech_ranges``). Each range is
transcribed on its own (``transcribe_range``), in any order or in parallel, and the results are
joined with ``merge_segments``.

Words at a boundary are neither lost nor duplicated because no range is ever cut inside speech:
each planned boundary is moved to the middle of the pause nearest to it (``speech_cut_s``, within
``CUT_WINDOW_S`` either side), found by Silero VAD on the audio around the boundary. Both
neighbouring ranges compute the same cut independently, since they decode the same window with
the same seek and run the same VAD on it; so the ranges tile the timeline exactly, with no overlap
to reconcile. Only where speech fills the whole window without a pause is the cut made at the
quietest 20 ms inside it.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from videolens.speech.audio import SAMPLE_RATE, Samples, audio_track, decode_audio
from videolens.speech.transcriber import Transcriber
from videolens.speech.types import AudioUnavailableError, SpeechRange, SpeechSegment
from videolens.speech.vad import speech_stretches

CUT_WINDOW_S = 5.0
"""How far a boundary may move, either side, to land in a pause."""
_FRAME = SAMPLE_RATE // 50  # 20 ms, for the quietest-point fallback


def plan_speech_ranges(duration_s: float, range_s: float) -> list[SpeechRange]:
    """Equal ranges of at most ``range_s`` covering ``[0, duration_s)`` (none for no audio).

    Boundaries are nominal: ``transcribe_range`` moves each inner one into the nearest pause.
    """
    if range_s < 4 * CUT_WINDOW_S:
        raise ValueError(f"range_s must be at least {4 * CUT_WINDOW_S:g} s, got {range_s}")
    if duration_s <= 0:
        return []
    count = max(1, math.ceil(duration_s / range_s))
    edges = [round(duration_s * i / count, 3) for i in range(count + 1)]
    return [SpeechRange(start_s=a, end_s=b) for a, b in itertools.pairwise(edges)]


def transcribe_range(
    video_path: str | os.PathLike[str],
    start_s: float,
    end_s: float,
    transcriber: Transcriber,
    on_progress: Callable[[float], None] | None = None,
    *,
    duration_s: float | None = None,
) -> list[SpeechSegment]:
    """The speech of one planned range, times absolute on the video's timeline.

    ``start_s``/``end_s`` come from ``plan_speech_ranges`` (with ``duration_s`` being the
    ``audio_track`` duration it was planned with; looked up when not given). A boundary at 0 or
    at the end of the track stays put; inner ones move into the nearest pause (module docs).
    ``on_progress(done_until_s)`` is called as segments come out and once at the end.
    Raises ``AudioUnavailableError`` when the audio cannot be decoded.
    """
    if not 0 <= start_s < end_s:
        raise ValueError(f"bad speech range [{start_s}, {end_s})")
    if duration_s is None:
        track = audio_track(video_path)
        if track.status != "ok":
            raise AudioUnavailableError(track.reason)
        duration_s = track.duration_s
    begin = speech_cut_s(video_path, start_s) if start_s > 0 else 0.0
    final = end_s >= duration_s - 1e-3
    # The last range reads to the end of the track, whatever the container said its length is.
    finish = None if final else speech_cut_s(video_path, end_s)
    samples = decode_audio(video_path, begin, finish)
    segments: list[SpeechSegment] = []
    for segment in transcriber.iter_segments(samples, begin):
        if finish is not None and segment.start_s >= finish:
            break
        segments.append(segment)
        if on_progress is not None:
            on_progress(segment.end_s)
    if on_progress is not None:
        on_progress(max(end_s if finish is None else finish, begin))
    return segments


def speech_cut_s(video_path: str | os.PathLike[str], boundary_s: float) -> float:
    """Where to cut the audio near ``boundary_s``: the middle of the nearest pause.

    Deterministic for a given file, so neighbouring ranges agree on it.
    """
    first = max(0.0, boundary_s - CUT_WINDOW_S)
    window = decode_audio(video_path, first, boundary_s + CUT_WINDOW_S)
    if window.size == 0:
        return boundary_s
    return round(first + _cut_in(window, boundary_s - first), 3)


def _cut_in(window: Samples, target: float) -> float:
    speech = speech_stretches(window, min_silence_ms=100)
    if not speech:
        return target
    edges = [0, *(x for stretch in speech for x in stretch), window.size]
    pauses = [
        (a / SAMPLE_RATE, b / SAMPLE_RATE)
        for a, b in zip(edges[::2], edges[1::2], strict=True)
        if b - a >= SAMPLE_RATE // 10
    ]
    if pauses:
        middles = [(a + b) / 2 for a, b in pauses]
        return min(middles, key=lambda m: (abs(m - target), m))
    return _quietest(window, target)


def _quietest(window: Samples, target: float) -> float:
    """The centre of the quietest 20 ms frame (ties: nearest the target)."""
    frames = window[: window.size // _FRAME * _FRAME].reshape(-1, _FRAME)
    if frames.size == 0:
        return target
    energy = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    centres = (np.arange(len(energy)) + 0.5) * _FRAME / SAMPLE_RATE
    order = np.lexsort((np.abs(centres - target), energy))
    return float(centres[int(order[0])])


def merge_segments(ranges: Iterable[Sequence[SpeechSegment]]) -> list[SpeechSegment]:
    """The segments of all ranges in time order, each once (a range stored twice after a retry
    adds nothing), without empty ones."""
    seen: set[tuple[float, float, str]] = set()
    merged: list[SpeechSegment] = []
    for segments in ranges:
        for segment in segments:
            key = (segment.start_s, segment.end_s, segment.text)
            if segment.text.strip() and key not in seen:
                seen.add(key)
                merged.append(segment)
    return sorted(merged, key=lambda s: (s.start_s, s.end_s))
