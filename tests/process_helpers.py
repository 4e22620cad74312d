"""Real ``videolens`` processes for the tests: an environment of their own, started, read while
they run, stopped with a signal, and never left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec, Shot, write_clip

VIDEOLENS = str(Path(sys.executable).parent / "videolens")


def videolens_env(**settings: str) -> dict[str, str]:
    """This process's environment without its ``VIDEOLENS_*`` settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
    env.update(settings)
    return env


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start ``args`` with no stdin and its output in pipes, as text."""
    return subprocess.Popen(
        args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def running(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """``spawn`` for the block; killed on the way out if the block left it running."""
    process = spawn(args, env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(
    process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout_s: float = 60
) -> tuple[int, Any]:
    """Send ``sig`` (unless it has exited) and wait; killed if it outlives ``timeout_s``.
    Returns (exit code, what it wrote on stderr)."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return process.returncode, stderr


@contextmanager
def stdout_lines(process: subprocess.Popen[str]) -> Iterator[list[str]]:
    """The lines ``process`` prints, collected by a thread while the block runs."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        yield lines
    finally:
        reader.join(10)


def ready(url: str, path: str = "/readyz", timeout_s: float = 2) -> bool:
    """Whether the server at ``url`` answers ``path`` (the API's readiness by default) with 200."""
    try:
        return httpx.get(f"{url}{path}", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def run_videolens(
    args: list[str], env: dict[str, str], *, timeout_s: float = 240, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``videolens ARGS`` run to its end with no stdin, its output captured as text."""
    return subprocess.run(
        [VIDEOLENS, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
    )


def run_on(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``run_videolens`` on ``data_dir``, with no other ``VIDEOLENS_*`` settings than ``env``."""
    return run_videolens(args, videolens_env(VIDEOLENS_DATA_DIR=str(data_dir), **env))


@dataclass
class EmbeddedRun:
    """One ``videolens analyze --json`` that ran in embedded mode, starting and stopping its own
    Temporal, on a generated clip of two shots with words on screen: HARBOR, then SUNRISE."""

    data_dir: Path
    clip: ClipSpec
    document: dict[str, Any]
    stderr: str
    temporal_port: int


def analyze_embedded(root: Path, *args: str, shot_s: float = 2.0) -> EmbeddedRun:
    """Write the clip (shots of ``shot_s``) under ``root`` and analyse it there, with ``args``
    added to the command; the run must succeed."""
    clip = write_clip(
        root / "clip.mp4",
        [Shot(shot_s, (30, 120, 200), "HARBOR"), Shot(shot_s, (240, 220, 60), "SUNRISE")],
    )
    data_dir, port = root / "data", free_port()
    result = run_on(
        ["analyze", str(clip.path), "--json", *args],
        data_dir,
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(port),
    )
    assert result.returncode == 0, result.stderr
    return EmbeddedRun(data_dir, clip, json.loads(result.stdout), result.stderr, port)


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``videolens worker`` process serving ``settings``' data dir, Temporal
    and task queues (plus ``extra``)."""
    return videolens_env(
        VIDEOLENS_DATA_DIR=str(settings.data_dir),
        VIDEOLENS_TEMPORAL_ADDRESS=str(settings.temporal_address),
        VIDEOLENS_CPU_TASK_QUEUE=settings.cpu_task_queue,
        VIDEOLENS_VISION_TASK_QUEUE=settings.vision_task_queue,
        **extra,
    )


def listening(port: int) -> bool:
    """Whether something on 127.0.0.1:``port`` accepts connections (an HTTP error still counts)."""
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.ConnectError:
        return False
    except httpx.HTTPError:
        pass
    return True
