"""A live stream's speech, transcribed batch by batch without cutting sentences at window edges.

A batch is the audio of one or more windows (``StreamAudioRef`` WAV files). A sentence that
is still being spoken when a window ends would be cut in two if each batch were final, and a
word split at the edge would be misheard twice. So the tail of a batch that may still be
speech is *carried forward* instead of committed: the last stretch Silero VAD hears that
reaches within ``TAIL_S`` of the batch's end, together with every Whisper segment that
overlaps it or ends that near the end, is held back; the next batch is transcribed from where
the held part begins (``carry_from``), with the new audio after it, so the sentence comes out
once and whole. Carrying rather than overlapping windows means nothing is transcribed twice
into the store and no duplicates need reconciling: a committed segment is final. The cost is
latency (held speech is committed one batch later) and re-transcribing the held part, which
``MAX_CARRY_S`` bounds for speech that never pauses. The last batch of a stream holds nothing.
"""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videolens.speech.audio import SAMPLE_RATE, Samples
from videolens.speech.transcriber import Transcriber
from videolens.speech.vad import speech_stretches
from videolens.streams.speech import FILL_S, read_wav
from videolens.streams.store import iso
from videolens.streams.types import StreamAudioRef
from videolens.timeline.model import StreamSpeechSegment

log = logging.getLogger(__name__)

TAIL_S = 0.6
"""Speech ending this close to a batch's end may go on in the next window: it is held back."""
PAD_S = 0.2
"""Held audio starts this much before the held speech (never inside committed speech)."""
MAX_CARRY_S = 20.0
"""Speech held longer than this (no pause at all) is committed but for its last segment."""


@dataclass(frozen=True)
class SpokenSegment:
    """A stretch of recognised speech on the wall clock (Unix seconds)."""

    start_at: float
    end_at: float
    text: str

    def as_segment(self) -> StreamSpeechSegment:
        """The stored form (``speech/<name>.json``)."""
        return StreamSpeechSegment(
            start_at=self.start_at,
            end_at=self.end_at,
            start_iso=iso(self.start_at),
            end_iso=iso(self.end_at),
            text=self.text,
        )


@dataclass
class BatchSpeech:
    """What a batch committed, and what it carries to the next batch (nothing: ``None``)."""

    segments: list[SpokenSegment]
    carry_from: float | None
    carry: list[StreamAudioRef]


@dataclass
class _Run:
    """Contiguous audio (holes up to ``FILL_S`` filled with silence) from ``start_at``."""

    start_at: float
    samples: Samples

    @property
    def end_at(self) -> float:
        return self.start_at + self.samples.size / SAMPLE_RATE


def transcribe_batch(
    refs: list[StreamAudioRef],
    from_at: float | None,
    transcriber: Transcriber,
    *,
    final: bool = False,
) -> BatchSpeech:
    """Transcribe the audio of ``refs`` from ``from_at`` on (``None``: all of it).

    Runs of audio separated by more than ``FILL_S`` (the source dropped) are transcribed on
    their own; only the last run's tail can be held back, and none when ``final``. Files that
    are gone (pruned meanwhile) are skipped; one that is not a WAV the capture wrote raises
    ``ValueError``.
    """
    runs = _runs(refs, from_at)
    segments: list[SpokenSegment] = []
    carry_from: float | None = None
    for number, run in enumerate(runs):
        found = [
            SpokenSegment(
                round(run.start_at + s.start_s, 3), round(run.start_at + s.end_s, 3), s.text
            )
            for s in transcriber.iter_segments(run.samples, 0.0)
            if s.text.strip()
        ]
        if final or number < len(runs) - 1:
            segments += found
            continue
        cut = _held_from(run, found)
        kept = [s for s in found if s.start_at < cut]
        segments += kept
        if cut < run.end_at:
            carry_from = round(max(cut - PAD_S, kept[-1].end_at if kept else 0, run.start_at), 3)
    carry = [r for r in refs if carry_from is not None and r.end_at > carry_from]
    return BatchSpeech(segments, carry_from, carry)


def _held_from(run: _Run, found: list[SpokenSegment]) -> float:
    """Where the part of ``run`` to hold back starts (``run.end_at``: hold nothing)."""
    end_at = run.end_at
    cut = end_at
    stretches = speech_stretches(run.samples, min_silence_ms=300)
    if stretches and (run.samples.size - stretches[-1][1]) / SAMPLE_RATE < TAIL_S:
        cut = run.start_at + stretches[-1][0] / SAMPLE_RATE
    for segment in reversed(found):
        if segment.end_at > cut - 0.05 or end_at - segment.end_at < TAIL_S:
            cut = min(cut, segment.start_at)
        else:
            break
    if end_at - cut > MAX_CARRY_S:
        last = found[-1].start_at if found else end_at
        cut = last if end_at - last <= MAX_CARRY_S else end_at
    return cut


def _runs(refs: list[StreamAudioRef], from_at: float | None) -> list[_Run]:
    runs: list[_Run] = []
    for ref in sorted(refs, key=lambda r: r.start_at):
        try:
            samples = read_wav(Path(ref.path))
        except FileNotFoundError:
            log.warning("%s is gone (pruned); its speech is skipped", Path(ref.path).name)
            continue
        except (wave.Error, EOFError) as err:
            raise ValueError(f"{Path(ref.path).name} is not a readable WAV file ({err})") from err
        start_at = ref.start_at
        if from_at is not None and from_at > start_at:
            skip = round((from_at - start_at) * SAMPLE_RATE)
            samples, start_at = samples[skip:], start_at + skip / SAMPLE_RATE
        if not samples.size:
            continue
        if runs:
            hole = start_at - runs[-1].end_at
            if hole <= FILL_S:
                # Files of one capture tile the timeline (holes and overlaps are rounding);
                # a larger hole is silence, audio overlapping what is there is dropped.
                skip = round(-hole * SAMPLE_RATE) if hole < 0 else 0
                silence = np.zeros(round(max(0.0, hole) * SAMPLE_RATE), np.float32)
                runs[-1].samples = np.concatenate([runs[-1].samples, silence, samples[skip:]])
                continue
        runs.append(_Run(start_at, samples))
    return runs
