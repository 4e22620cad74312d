"""Generated test media for speech: espeak-ng speech, noise and tones, muxed with PyAV into a
video (grey H.264 frames + an AAC track) at known offsets. Nothing here uses videolens code."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

Audio = NDArray[np.float32]
RATE = 16000


def espeak(text: str, folder: Path, *, speed: int = 150) -> Audio:
    """``text`` spoken by espeak-ng, as float32 mono at 16 kHz (skip when espeak-ng is absent)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"speech-{abs(hash((text, speed)))}.wav"
    subprocess.run(
        ["espeak-ng", "-s", str(speed), "-w", str(path), text], check=True, capture_output=True
    )
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return resample(pcm.astype(np.float32) / 32768.0, rate, RATE)


def resample(samples: Audio, rate: int, to_rate: int) -> Audio:
    """Linear-interpolation resampling (good enough for test speech)."""
    if rate == to_rate:
        return samples
    count = round(samples.size * to_rate / rate)
    times = np.arange(count) / to_rate
    return np.interp(times, np.arange(samples.size) / rate, samples).astype(np.float32)


def noise(seconds: float, level: float = 0.05, seed: int = 0) -> Audio:
    """White noise."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(round(seconds * RATE)) * level).astype(np.float32)


def tones(seconds: float, seed: int = 1) -> Audio:
    """A music-like sequence: 0.25 s notes of a pentatonic scale with two harmonics."""
    rng = np.random.default_rng(seed)
    scale = [261.6, 293.7, 329.6, 392.0, 440.0, 523.3]
    note = round(0.25 * RATE)
    t = np.arange(note) / RATE
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) * 40)
    notes = []
    for _ in range(round(seconds / 0.25)):
        f = scale[rng.integers(len(scale))]
        wave_ = np.sin(2 * np.pi * f * t) + 0.4 * np.sin(4 * np.pi * f * t)
        notes.append(0.2 * envelope * wave_)
    return np.concatenate(notes).astype(np.float32)


def track(duration_s: float, placements: Sequence[tuple[float, Audio]]) -> Audio:
    """Silence of ``duration_s`` with each audio placed at its offset (seconds)."""
    out = np.zeros(round(duration_s * RATE), dtype=np.float32)
    for offset, audio in placements:
        start = round(offset * RATE)
        end = min(out.size, start + audio.size)
        out[start:end] += audio[: end - start]
    return out


def write_video(
    path: Path,
    audio: Audio | None,
    duration_s: float,
    *,
    audio_rate: int = 48000,
    layout: str = "stereo",
    fps: int = 10,
    audio_start_s: float = 0.0,
) -> Path:
    """A grey 160x120 H.264 video of ``duration_s`` with ``audio`` (16 kHz) as its AAC track,
    stored at ``audio_rate`` in ``layout`` so that decoding has to resample and downmix.
    ``audio_start_s`` delays the whole audio stream (its first packet's timestamp)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("h264", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=audio_rate)
            sound.layout = layout
        grey = np.full((120, 160, 3), 90, dtype=np.uint8)
        for _ in range(round(duration_s * fps)):
            container.mux(video.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")))
        container.mux(video.encode())
        if sound is not None and audio is not None:
            samples = resample(audio, RATE, audio_rate)
            delay = round(audio_start_s * audio_rate)
            _encode_audio(container, sound, samples, audio_rate, layout, delay)
    return path


def _encode_audio(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    audio: Audio,
    rate: int,
    layout: str,
    delay: int = 0,
) -> None:
    channels = 2 if layout == "stereo" else 1
    chunk = 1024
    for pts in range(0, audio.size, chunk):
        block = audio[pts : pts + chunk]
        planes = np.repeat(block[np.newaxis, :], channels, axis=0)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(planes), format="fltp", layout=layout
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, delay + pts, Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def write_corrupt_audio_video(path: Path, seconds: float = 3.0) -> Path:
    """H.264 video with an AAC track whose packets are random bytes (no decoder accepts them)."""
    rng = np.random.default_rng(7)
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("h264", rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        sound = container.add_stream("aac", rate=16000)
        sound.layout = "mono"
        grey = np.full((120, 160, 3), 90, dtype=np.uint8)
        for _ in range(round(seconds * 10)):
            container.mux(video.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")))
        container.mux(video.encode())
        for index in range(round(seconds * 16000 / 1024)):
            packet = av.Packet(rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
            packet.stream = sound
            packet.pts = packet.dts = index * 1024
            packet.duration = 1024
            packet.time_base = Fraction(1, 16000)
            container.mux(packet)
    return path


def write_unknown_codec_avi(path: Path) -> Path:
    """An AVI whose audio stream declares a format tag (0x5A5A) no decoder knows.

    ffmpeg writes PCM audio, then the WAVEFORMATEX tag of the audio stream header is rewritten:
    the file stays well-formed, but its audio codec is unknown (what a player without the right
    decoder meets).
    """
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    pcm = path.with_suffix(".pcm.avi")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "3",
         "-c:v", "mpeg4", "-c:a", "pcm_s16le", str(pcm)],
        check=True, capture_output=True,
    )  # fmt: skip
    data = bytearray(pcm.read_bytes())
    header = data.find(b"auds")
    strf = data.find(b"strf", header)
    assert header > 0 and strf > header, "no audio stream header in ffmpeg's AVI"
    assert data[strf + 8 : strf + 10] == (1).to_bytes(2, "little"), "expected PCM's tag 0x0001"
    data[strf + 8 : strf + 10] = (0x5A5A).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def words(text: str) -> list[str]:
    """Lower-case words without punctuation (what WER compares)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by word-level Levenshtein."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(
                previous[j] + 1,  # deletion
                current[j - 1] + 1,  # insertion
                previous[j - 1] + (ref_word != hyp_word),  # substitution or match
            )
        previous = current
    return previous[-1] / max(1, len(ref))


def sounding(audio: Audio, threshold: float = 0.01) -> tuple[float, float]:
    """First and last second where ``audio`` rises above ``threshold`` (where speech really is)."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return float(loud[0] / RATE), float(loud[-1] / RATE)


@dataclass(frozen=True)
class SpeechClip:
    """A generated video and where its speech is: (text, first sound s, last sound s)."""

    path: Path
    duration_s: float
    speech: tuple[tuple[str, float, float], ...]

    @property
    def text(self) -> str:
        return " ".join(text for text, _, _ in self.speech)


def make_clip(path: Path, duration_s: float, lines: list[tuple[float, str]]) -> SpeechClip:
    placements, speech = [], []
    for offset, text in lines:
        audio = espeak(text, path.parent / "wav")
        first, last = sounding(audio)
        placements.append((offset, audio))
        speech.append((text, offset + first, offset + last))
    write_video(path, track(duration_s, placements), duration_s)
    return SpeechClip(path, duration_s, tuple(speech))
