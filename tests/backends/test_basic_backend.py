"""The offline analyzer against generated frames: real OCR, the real face cascade, real k-means."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sampled_frames import frames_at

from videolens.backends import (
    FrameDescription,
    FrameInput,
    available_backends,
    backend_class,
)
from videolens.backends.basic import BasicBackend
from videolens.backends.basic.colours import colour_name
from videolens.config import Settings
from videolens.video.synthetic import write_clip

RGB = tuple[int, int, int]


@pytest.fixture(scope="module")
def backend() -> Iterator[BasicBackend]:
    instance = BasicBackend()
    yield instance
    instance.close()


def _plain(width: int, height: int, colour: RGB) -> np.ndarray:
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = colour
    return frame


def _caption(frame: np.ndarray, text: str, centre: tuple[float, float] = (0.5, 0.5)) -> None:
    """Black letters on a white plate, drawn like ``videolens.video.synthetic`` does."""
    height, width = frame.shape[:2]
    scale = height / 160
    thickness = max(2, int(scale * 2.5))
    (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    origin = (int(width * centre[0]) - text_w // 2, int(height * centre[1]) + text_h // 2)
    pad = int(text_h * 0.6)
    top_left = (origin[0] - pad, origin[1] - text_h - pad)
    bottom_right = (origin[0] + text_w + pad, origin[1] + pad)
    cv2.rectangle(frame, top_left, bottom_right, (255, 255, 255), thickness=-1)
    cv2.putText(
        frame, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA
    )


def _write(path: Path, rgb: np.ndarray) -> str:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return str(path)


def _describe_one(backend: BasicBackend, path: str) -> FrameDescription:
    (description,) = backend.describe([FrameInput(index=0, timestamp_s=0.0, path=path)])
    return description


@pytest.mark.parametrize(
    ("word", "size", "colour"),
    [
        ("HARBOR", (640, 360), (30, 120, 200)),
        ("HARBOR", (1280, 720), (30, 120, 200)),
        ("SUNRISE", (640, 360), (240, 220, 60)),
        ("SUNRISE", (1280, 720), (240, 220, 60)),
        ("WELCOME", (640, 360), (200, 40, 40)),
        ("WELCOME", (1920, 1080), (200, 40, 40)),
        ("THE END", (640, 360), (40, 160, 80)),
    ],
)
def test_reads_on_screen_words(
    backend: BasicBackend, tmp_path: Path, word: str, size: tuple[int, int], colour: RGB
) -> None:
    frame = _plain(*size, colour)
    _caption(frame, word)

    result = _describe_one(backend, _write(tmp_path / "frame.jpg", frame))

    assert result.text == [word]
    assert f'"{word}"' in result.description


def test_text_comes_in_reading_order(backend: BasicBackend, tmp_path: Path) -> None:
    frame = _plain(1280, 720, (60, 60, 60))
    for word, centre in [
        ("SOUTH", (0.5, 0.85)),
        ("EAST", (0.85, 0.5)),
        ("NORTH", (0.5, 0.15)),
        ("WEST", (0.15, 0.5)),
    ]:
        _caption(frame, word, centre)

    result = _describe_one(backend, _write(tmp_path / "compass.jpg", frame))

    assert result.text == ["NORTH", "WEST", "EAST", "SOUTH"]


def test_mostly_blue_frame_is_named_blue(backend: BasicBackend, tmp_path: Path) -> None:
    frame = _plain(640, 360, (0, 0, 255))
    _caption(frame, "SEA")

    result = _describe_one(backend, _write(tmp_path / "blue.jpg", frame))

    colours = result.extra["colours"]
    assert colours[0]["name"] == "blue"
    assert colours[0]["share"] > 0.7
    assert colours[0]["hex"].startswith("#") and len(colours[0]["hex"]) == 7
    assert {c["name"] for c in colours} >= {"blue", "white"}
    assert sum(c["share"] for c in colours) <= 1.0 + 1e-6
    assert "dominated by blue" in result.description


def test_black_frame_is_dark_and_black(backend: BasicBackend, tmp_path: Path) -> None:
    result = _describe_one(backend, _write(tmp_path / "black.jpg", _plain(640, 360, (0, 0, 0))))

    assert result.extra["brightness"] < 5
    assert result.extra["brightness_label"] == "dark"
    assert [c["name"] for c in result.extra["colours"]] == ["black"]
    assert result.text == []
    assert result.description.startswith("A dark frame dominated by black")


def test_white_frame_is_bright(backend: BasicBackend, tmp_path: Path) -> None:
    frame = _plain(640, 360, (250, 250, 250))
    result = _describe_one(backend, _write(tmp_path / "white.jpg", frame))

    assert result.extra["brightness_label"] == "bright"
    assert result.extra["colours"][0]["name"] == "white"


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((10, 10, 10), "black"),
        ((250, 250, 250), "white"),
        ((128, 128, 128), "grey"),
        ((220, 20, 20), "red"),
        ((255, 140, 0), "orange"),
        ((240, 220, 60), "yellow"),
        ((40, 160, 80), "green"),
        ((0, 220, 220), "cyan"),
        ((30, 120, 200), "blue"),
        ((120, 40, 200), "purple"),
        ((255, 105, 180), "pink"),
        ((139, 69, 19), "brown"),
    ],
)
def test_colour_names(rgb: RGB, name: str) -> None:
    assert colour_name(rgb) == name


def test_frames_without_faces_or_people_say_nothing_of_them(
    backend: BasicBackend, tmp_path: Path
) -> None:
    frame = _plain(1280, 720, (200, 40, 40))
    _caption(frame, "WELCOME")
    paths = [
        _write(tmp_path / "caption.jpg", frame),
        _write(tmp_path / "grey.jpg", _plain(640, 360, (128, 128, 128))),
    ]

    results = backend.describe([FrameInput(i, float(i), p) for i, p in enumerate(paths)])

    for result in results:
        assert result.extra["faces"] == [] and result.extra["face_count"] == 0
        assert result.extra["detections"] == [] and result.extra["people_count"] == 0
        assert result.people == [] and result.objects == []
        # Zero counts live in the fields; the description states no negative facts.
        assert "face" not in result.description and "no " not in result.description


def test_demo_clip_title_cards_have_no_faces(tmp_path: Path) -> None:
    """Regression: the ``default`` cascade took the WELCOME and HARBOR plates' letters for a face.

    Frames are decoded and saved the way the sampler does (768 px long side, JPEG quality 85),
    at the start, middle and end of every shot of the demo clip, at two encode sizes.
    """
    backend = BasicBackend(ocr=False)
    frames: list[FrameInput] = []
    shots_seen: set[str] = set()
    for width, height in ((640, 360), (1280, 720)):
        spec = write_clip(tmp_path / f"demo_{width}.mp4", width=width, height=height)
        wanted, start = [], 0.0
        for shot in spec.shots:
            wanted += [start + 0.1, start + shot.duration_s / 2, start + shot.duration_s - 0.2]
            start += shot.duration_s
        decoded = frames_at(spec.path, wanted, tmp_path, first_index=len(frames))
        frames += decoded
        shots_seen |= {spec.shot_at(frame.timestamp_s).text or "dark" for frame in decoded}

    results = backend.describe(frames)

    assert shots_seen == {"WELCOME", "HARBOR", "dark", "SUNRISE", "THE END"}
    assert len(results) == 30
    with_faces = [
        (f.timestamp_s, r.extra["faces"]) for f, r in zip(frames, results, strict=True) if r.people
    ]
    assert with_faces == []
    assert all(r.extra["face_count"] == 0 for r in results)
    assert all(r.extra["people_count"] == 0 and r.people == [] for r in results)
    assert all("face" not in r.description for r in results)


def _schematic_face(frame: np.ndarray, centre: tuple[int, int], size: int) -> None:
    """A drawn face (head, eye sockets, nose bridge, mouth) the Haar cascade responds to.

    No face photograph ships offline, so this checks the detection path and the box maths, not
    how well the cascade does on real people.
    """
    cx, cy = centre
    cv2.ellipse(frame, centre, (int(size * 0.75), size), 0, 0, 360, (170, 170, 170), -1)
    cv2.ellipse(
        frame, (cx, cy - int(size * 0.9)), (int(size * 0.8), int(size * 0.4)), 0, 180, 360,
        (40, 40, 40), -1,
    )  # fmt: skip
    for side in (-1, 1):
        eye = (cx + side * int(size * 0.33), cy - int(size * 0.15))
        cv2.ellipse(frame, eye, (int(size * 0.25), int(size * 0.13)), 0, 0, 360, (70, 70, 70), -1)
        cv2.circle(frame, eye, int(size * 0.07), (20, 20, 20), -1)
    cv2.rectangle(
        frame, (cx - int(size * 0.07), cy - int(size * 0.3)),
        (cx + int(size * 0.07), cy + int(size * 0.2)), (210, 210, 210), -1,
    )  # fmt: skip
    cv2.ellipse(
        frame, (cx, cy + int(size * 0.25)), (int(size * 0.15), int(size * 0.06)), 0, 0, 360,
        (90, 90, 90), -1,
    )  # fmt: skip
    cv2.ellipse(
        frame, (cx, cy + int(size * 0.52)), (int(size * 0.3), int(size * 0.08)), 0, 0, 360,
        (60, 60, 60), -1,
    )  # fmt: skip


def test_schematic_face_is_found_with_a_normalised_box(
    backend: BasicBackend, tmp_path: Path
) -> None:
    frame = _plain(768, 432, (120, 120, 120))
    _schematic_face(frame, (384, 216), 100)
    frame = cv2.GaussianBlur(frame, (0, 0), 2)

    result = _describe_one(backend, _write(tmp_path / "face.jpg", frame))

    assert result.extra["face_count"] == 1
    (box,) = result.extra["faces"]
    assert set(box) == {"x", "y", "w", "h"}
    assert abs(box["x"] + box["w"] / 2 - 0.5) < 0.1
    assert abs(box["y"] + box["h"] / 2 - 0.5) < 0.15
    assert 0.1 < box["w"] < 0.5
    assert result.description.startswith("A face visible;")


def test_batch_keeps_order_and_survives_unreadable_frames(
    backend: BasicBackend, tmp_path: Path
) -> None:
    harbor = _plain(640, 360, (30, 120, 200))
    _caption(harbor, "HARBOR")
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not a jpeg at all")
    frames = [
        FrameInput(7, 1.0, _write(tmp_path / "a.jpg", harbor), motion=0.2, shot_start=True),
        FrameInput(3, 2.0, str(tmp_path / "missing.jpg")),
        FrameInput(11, 3.0, _write(tmp_path / "b.jpg", _plain(640, 360, (0, 0, 0))), motion=20),
        FrameInput(5, 4.0, str(garbage)),
        FrameInput(2, 5.0, _write(tmp_path / "c.jpg", _plain(640, 360, (0, 0, 0))), motion=0.3),
    ]

    results = backend.describe(frames)

    assert [r.index for r in results] == [7, 3, 11, 5, 2]
    assert all(r.model == "basic" for r in results)
    assert results[0].text == ["HARBOR"]
    assert results[0].description.endswith(". New shot.")
    assert results[0].actions == ["camera/scene change"]
    assert results[0].extra["shot_change"] is True
    assert results[0].extra["motion_label"] == "cut"
    for unreadable in (results[1], results[3]):
        assert unreadable.description == "frame image could not be read"
        assert unreadable.text == [] and unreadable.extra == {"readable": False}
    assert results[2].extra["motion_label"] == "high"
    assert "a lot of motion" in results[2].description
    assert results[2].actions == [] and results[2].extra["shot_change"] is False
    assert results[4].extra["motion_label"] == "static"
    assert "little motion" in results[4].description
    assert all(r.objects == [] for r in results)


def test_empty_batch(backend: BasicBackend) -> None:
    assert backend.describe([]) == []
    assert backend.preferred_batch_size == 8


def test_descriptions_are_deterministic(backend: BasicBackend, tmp_path: Path) -> None:
    frame = _plain(768, 432, (240, 220, 60))
    _caption(frame, "SUNRISE")
    path = _write(tmp_path / "sunrise.jpg", frame)

    first, second = backend.describe([FrameInput(0, 0.0, path), FrameInput(1, 0.0, path)])

    assert first.description == second.description
    assert first.extra == second.extra


def test_without_ocr_says_text_was_not_read(tmp_path: Path) -> None:
    frame = _plain(640, 360, (30, 120, 200))
    _caption(frame, "HARBOR")
    backend = BasicBackend(ocr=False)

    result = _describe_one(backend, _write(tmp_path / "harbor.jpg", frame))

    assert result.text == []
    assert result.extra["text_read"] is False
    assert "on-screen text not read" in result.description


def test_close_then_describe_again(tmp_path: Path) -> None:
    frame = _plain(640, 360, (200, 40, 40))
    _caption(frame, "WELCOME")
    path = _write(tmp_path / "welcome.jpg", frame)
    backend = BasicBackend()

    before = _describe_one(backend, path)
    backend.close()
    after = _describe_one(backend, path)

    assert before.text == after.text == ["WELCOME"]


def test_registered_and_available() -> None:
    assert backend_class("basic") is BasicBackend
    availability = available_backends(Settings(_env_file=None))["basic"]
    assert availability.available
    assert availability.reason == ""  # rapidocr-onnxruntime is a dependency of the package
