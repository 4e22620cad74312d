"""probe_video on generated clips, and a one-line InvalidVideoError for every kind of bad input."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from videolens.errors import InvalidVideoError
from videolens.video.probe import probe_video
from videolens.video.synthetic import ClipSpec, Shot, write_clip

SHOTS = (Shot(1.5, (200, 40, 40), "ONE"), Shot(1.5, (30, 120, 200), "TWO"))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ClipSpec]:
    folder = tmp_path_factory.mktemp("probe")
    return {
        "silent": write_clip(folder / "silent.mp4", SHOTS, width=320, height=180),
        "audio": write_clip(folder / "audio.mp4", SHOTS, width=320, height=180, with_audio=True),
    }


@pytest.mark.parametrize("kind", ["silent", "audio"])
def test_probe_fields(clips: dict[str, ClipSpec], kind: str) -> None:
    spec = clips[kind]
    info = probe_video(spec.path)
    assert info.path == str(spec.path.resolve())
    assert info.duration_s == pytest.approx(spec.duration_s, abs=0.1)
    assert info.fps == pytest.approx(25.0)
    assert info.frame_count == sum(round(shot.duration_s * 25) for shot in SHOTS)
    assert (info.width, info.height) == (320, 180)
    assert info.codec == "h264"
    assert info.rotation == 0
    assert info.has_audio is (kind == "audio")
    assert "mp4" in info.container
    assert info.size_bytes == spec.path.stat().st_size


def test_probe_reads_display_rotation(tmp_path: Path) -> None:
    path = tmp_path / "portrait.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.set_display_rotation(90)
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((180, 320, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    assert probe_video(path).rotation == 90


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 64_000, dtype=np.uint8).tobytes())


def _text(path: Path) -> None:
    path.write_text("this is a shopping list, not a video\n" * 50)


def _png(path: Path) -> None:
    assert cv2.imwrite(str(path), np.full((120, 160, 3), 90, np.uint8))


def _jpeg(path: Path) -> None:
    assert cv2.imwrite(str(path), np.full((120, 160, 3), 90, np.uint8))


def _audio_only(path: Path) -> None:
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("aac", rate=16000)
        stream.layout = "mono"
        for i in range(30):
            chunk = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts, chunk.time_base = 16000, i * 1024, Fraction(1, 16000)
            container.mux(stream.encode(chunk))
        container.mux(stream.encode())


def _truncated_mp4(path: Path) -> None:
    full = path.with_name("full.mp4")
    write_clip(full, SHOTS, width=320, height=180)
    data = full.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.3)])  # the moov atom (at the end) is gone


def _scrambled_ts(path: Path) -> None:
    """A transport stream whose streams are declared but whose video payload is garbage."""
    full = path.with_name("full.ts")
    write_clip(full, SHOTS, width=320, height=180)
    data = bytearray(full.read_bytes())
    rng = np.random.default_rng(3)
    for start in range(0, len(data) - 188, 188):
        pid = ((data[start + 1] & 0x1F) << 8) | data[start + 2]
        if pid >= 0x100:  # elementary stream packets (PAT/PMT/SDT keep their low PIDs)
            data[start + 24 : start + 188] = rng.integers(0, 256, 164, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


BAD_INPUTS: dict[str, tuple[str, Callable[[Path], None] | None, str]] = {
    "missing": ("missing.mp4", None, "does not exist"),
    "empty": ("empty.mp4", _empty, "empty"),
    "random": ("random.mp4", _random_bytes, "not a video file"),
    "text": ("notes.txt", _text, "text file"),
    "png": ("still.png", _png, "still image"),
    "jpeg": ("photo.jpg", _jpeg, "still image"),
    "audio": ("song.m4a", _audio_only, "no video stream"),
    "truncated": ("cut.mp4", _truncated_mp4, "truncated"),
    "scrambled": ("scrambled.ts", _scrambled_ts, "decodable"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_one_clear_sentence(tmp_path: Path, case: str) -> None:
    name, write, expected = BAD_INPUTS[case]
    path = tmp_path / name
    if write is not None:
        write(path)
    with pytest.raises(InvalidVideoError) as caught:
        probe_video(path)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(name)
    assert "\n" not in message and message.endswith(".")
    assert str(tmp_path) not in message  # the file's name, never the server-side path
