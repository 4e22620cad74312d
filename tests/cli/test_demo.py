"""`videolens demo`, the README's main command: real footage where it is installed, else a
generated clip; either way a completed analysis printed as a timeline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from real_media import opencv_data_file
from videolens.cli.demo_footage import demo_video
from videolens.pipeline.temporal_server import free_port

VIDEOLENS = str(Path(sys.executable).parent / "videolens")


def test_real_footage_is_preferred_where_installed(tmp_path: Path) -> None:
    megamind = opencv_data_file("Megamind.avi")
    chosen = demo_video(tmp_path, candidates=(tmp_path / "absent.avi", megamind))
    assert chosen.path == megamind
    assert "real footage" in chosen.about
    assert not (tmp_path / "demo").exists(), "nothing generated when real footage is there"


def test_without_real_footage_a_clip_is_generated_and_the_hint_says_how(tmp_path: Path) -> None:
    chosen = demo_video(tmp_path, candidates=(tmp_path / "absent.avi",))
    assert chosen.path == tmp_path / "demo" / "demo.mp4" and chosen.path.is_file()
    assert "apt-get install opencv-doc" in chosen.about


@pytest.mark.timeout(300)
def test_the_demo_command_completes_and_prints_the_timeline(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIDEOLENS_")}
    env.update(
        VIDEOLENS_DATA_DIR=str(tmp_path / "data"),
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()),
    )
    done = subprocess.run(
        [VIDEOLENS, "demo"], env=env, capture_output=True, text=True, timeout=280,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("demo: ")
    first = done.stdout.splitlines()[0]
    assert first.startswith("session ") and " completed " in first
    assert "coverage: " in done.stdout and "speech: " in done.stdout
    assert "Traceback" not in done.stderr
