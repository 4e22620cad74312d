"""`videolens watch` as a user runs it (embedded Temporal and workers in the process): described
frames and events print live with wall-clock times; Ctrl-C stops the stream cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from stream_helpers import poll
from stream_media import WORD, udp_sender

from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec

VIDEOLENS = str(Path(sys.executable).parent / "videolens")
CLOCK = r"\d\d:\d\d:\d\d"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
    env.update(
        VIDEOLENS_DATA_DIR=str(data_dir),
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()),
        VIDEOLENS_BACKEND="basic",
        VIDEOLENS_SPEECH="off",
        VIDEOLENS_STREAM_WINDOW_S="2",
    )
    return env


@pytest.mark.timeout(150)
def test_watch_prints_frames_and_events_and_stops_on_ctrl_c(clip: ClipSpec, tmp_path: Path) -> None:
    lines: list[str] = []
    with udp_sender(clip) as (_, url):
        watch = subprocess.Popen(
            [VIDEOLENS, "watch", url, "--rule", f"word:{WORD}", "--for", "90"],
            env=_env(tmp_path / "data"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        reader = threading.Thread(target=lambda: lines.extend(watch.stdout or []), daemon=True)
        reader.start()
        try:
            poll(
                lambda: any("EVENT" in line for line in lines) or watch.poll() is not None,
                100,
                "an event printed",
            )
            watch.send_signal(signal.SIGINT)
            _, stderr = watch.communicate(timeout=40)
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.communicate()
        reader.join(10)
    assert watch.returncode == 0, stderr
    assert "Traceback" not in stderr
    frames = [
        line
        for line in lines
        if re.match(rf"{CLOCK}  \[(start|shot|floor|change|motion|fade)\] ", line)
    ]
    assert frames, lines
    assert any(f'"{WORD}" on screen' in line for line in frames)
    assert any(
        re.match(rf"{CLOCK}  EVENT word:exit: '{WORD}' on screen \(frame \d+\)", line)
        for line in lines
    )
    assert re.search(r"watching udp://127\.0\.0\.1:\d+ as stream [a-z0-9]{12}", stderr)
    assert re.search(r"stopped: \d+ frames?, [1-9]\d* events?, 0 gaps; kept as stream \w+", stderr)
    [stream] = list((tmp_path / "data" / "streams").iterdir())
    assert json.loads((stream / "stream.json").read_text())["status"] == "stopped"


def test_watch_refuses_a_bad_url_or_rule_before_anything_starts(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    for args, message in (
        (["ftp://cam.local/live"], "ftp:// is not a live source"),
        (["udp://127.0.0.1:5000", "--rule", "colour:red"], "rule 'colour:red' is not understood"),
    ):
        done = subprocess.run(
            [VIDEOLENS, "watch", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: ") and message in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "streams").exists()
