"""Benchmark: live 1080p30 streams with the basic backend — the delay from a frame being sent
to its description being stored (p50/p95), CPU per stream, and how many streams one machine
sustains; against the CPU of just decoding the same stream.

    .venv/bin/python bench/bench_stream.py [--seconds 40] [--max-streams 6] [--window 4]
                                           [--vision-concurrency 1]

Needs ``ffmpeg`` and the DejaVu fonts (fonts-dejavu-core). The source is built once under
``bench/out/``: a generated 60 s 1080p30 H.264 MPEG-TS (5 Mbit/s, a keyframe a second, no
B-frames, like a camera): six 10 s shots of a colour and a word, a moving test pattern, and the
frame number burned in at the top left. Each stream is ``ffmpeg -re -stream_loop -1 -c copy`` of
it over UDP to 127.0.0.1 (copying: a sender costs next to nothing), watched by ``videolens up``
(embedded Temporal, in-process workers) in a subprocess, started with ``POST /v1/streams``.

Delay: the mtime of a frame's window file (its description is readable through the API from
then) minus when the frame was sent: the sender's clock (from ffmpeg's progress reports) + the
burned-in frame number / 30, where the analyzer's OCR read it; also minus the frame's own ``at``
(the reader's wall-clock time).
CPU: user + system time of ``videolens up`` and its children (the embedded Temporal server) per
second; the machine's other CPU use is shown, as other work skews the figures. The worker's
/metrics give the time spent describing windows. Streams run 1, 2, 3… at once; a level keeps up
while its delay does not grow over the run by more than a window (a backlog), the vision
worker's slots are busy < 90 % of the time (at 100 % a backlog can only grow), its p95 stays
within 3x one stream's, and its frames are described at >= 80 % of one stream's rate.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import av
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from cached_media import cached
from videolens.config import Settings
from videolens.pipeline.client import sampling_options
from videolens.pipeline.temporal_server import free_port
from videolens.streams.reader import StreamReader
from videolens.streams.source import SourceLimits, check_url

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
FPS, CLIP_S = 30, 60
SHOTS = ["0x1e3250:HARBOR", "0x6a2020:EXIT", "0x205a30:PLATFORM", "0x505050:", "0x20406a:SUNRISE"]
SHOTS.append("0x5a4a20:")
COUNTER = re.compile(r"^\d{6}$")
BUSY_LIMIT = 0.9


def clip() -> Path:
    """The cached 60 s 1080p30 MPEG-TS with the frame number burned in (built on first run)."""
    text = f"drawtext=fontfile={FONT}:fontsize=120:fontcolor=white:x=(w-tw)/2:y=180"
    shots = "".join(
        f"color=c={spec.split(':')[0]}:s=1920x1080:r={FPS}:d={CLIP_S // len(SHOTS)},"
        f"{text}:text='{spec.split(':')[1]}'[s{i}];"
        for i, spec in enumerate(SHOTS)
    )
    graph = (
        f"{shots}{''.join(f'[s{i}]' for i in range(len(SHOTS)))}concat=n={len(SHOTS)}[bg];"
        f"testsrc2=s=480x270:r={FPS}:d={CLIP_S}[obj];"
        "[bg][obj]overlay=x='mod(t*160,1440)':y=640,"
        f"drawtext=fontfile={FONT}:text='%{{eif\\:n\\:d\\:6}}':fontsize=110:fontcolor=white:"
        "box=1:boxcolor=black:boxborderw=16:x=40:y=40,format=yuv420p[v]"
    )

    def build(partial: Path) -> None:
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph,
             "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "5M",
             "-maxrate", "5M", "-bufsize", "5M", "-g", str(FPS), "-bf", "0", "-f", "mpegts",
             str(partial)], check=True,
        )  # fmt: skip

    return cached("stream_1080p30.ts", "the 60 s 1080p30 source clip", build)


@dataclass
class Sender:
    """ffmpeg playing the clip in real time, looped, to a UDP port on 127.0.0.1.

    Its send clock comes from its own progress reports (media time sent so far, 10 a second):
    ``clock`` is the earliest wall time minus media time seen, as reading a report only adds lag.
    """

    source: Path
    port: int = field(default_factory=free_port)
    clock: float = float("inf")
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"udp://127.0.0.1:{self.port}"

    def __enter__(self) -> Sender:
        self.process = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
             "-stats_period", "0.1", "-re", "-stream_loop", "-1", "-i", str(self.source),
             "-c", "copy", "-f", "mpegts", f"{self.url}?pkt_size=1316"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._follow, args=(self.process.stdout,), daemon=True).start()
        return self

    def _follow(self, reports: IO[str]) -> None:
        for line in reports:
            if line.startswith("out_time_us=") and line[12:].strip().isdigit():
                self.clock = min(self.clock, time.time() - int(line[12:]) / 1e6)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)

    def sent_at(self, frame_number: int, at: float) -> float:
        """When clip frame ``frame_number`` was sent in the loop nearest to ``at``."""
        offset = frame_number / FPS
        loop = round((at - self.clock - offset) / CLIP_S)
        return self.clock + loop * CLIP_S + offset


def tree_cpu(process: psutil.Process) -> float:
    """CPU seconds (user + system) of ``process``, its reaped children and its live ones."""
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total


def pyav_decode(url: str, seconds: float) -> None:
    """Decode only, with PyAV threaded as the stream reader decodes."""
    with av.open(url, timeout=(10, 5)) as container:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        end = time.monotonic() + seconds
        for _ in container.decode(video):
            if time.monotonic() > end:
                break


def read_and_sample(url: str, seconds: float) -> None:
    """The stream reader itself: decode, adaptive sampling, JPEGs written; nothing described."""
    options = sampling_options(Settings(_env_file=None, backend="basic"))  # type: ignore[call-arg]
    with tempfile.TemporaryDirectory() as folder:
        reader = StreamReader(check_url(url), SourceLimits(), options, Path(folder))
        reader.read_window(seconds, 0, None, lambda ref: None)
        reader.close()


def decode_baseline(source: Path, seconds: float) -> dict[str, float]:
    """Cores one live stream takes just to be decoded (ffmpeg, PyAV), and to be decoded and
    sampled by the stream reader (the ingest half of the pipeline, without describing)."""
    ffmpeg = ["ffmpeg", "-loglevel", "fatal", "-i", "", "-t", str(seconds), "-f", "null", "-"]
    ways: dict[str, Callable[[str], object]] = {
        "decode only, ffmpeg -f null": lambda url: subprocess.run(
            [url if a == "" else a for a in ffmpeg], check=True
        ),
        "decode only, PyAV (threaded)": lambda url: pyav_decode(url, seconds),
        "decode + sample + JPEGs (StreamReader)": lambda url: read_and_sample(url, seconds),
    }
    cores = {}
    for name, way in ways.items():
        with Sender(source) as sender:
            # This process's CPU (PyAV's threads too) and its reaped children's (ffmpeg), read
            # before the sender is reaped.
            before = time.process_time() + children_cpu()
            way(sender.url)
            cores[name] = (time.process_time() + children_cpu() - before) / seconds
    return cores


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Level:
    """What ``streams`` streams at once gave over ``seconds`` (cores: CPU s per wall s)."""

    streams: int
    seconds: float
    server_cores: float
    source_cores: float
    busy_cores: float  # the whole machine's, other users included
    frames: int = 0
    delays_at: list[float] = field(default_factory=list)
    sent: list[tuple[float, float, float]] = field(default_factory=list)  # sent, delay, at lag
    gaps: list[str] = field(default_factory=list)  # their reasons
    failed: int = 0
    describe_busy: float = 0.0  # describe_stream_window seconds per wall second
    windows: float = 0.0  # windows described

    @property
    def delays(self) -> list[float]:
        return [delay for _, delay, _ in self.sent]

    @property
    def rate(self) -> float:
        """Frames described per stream per second."""
        return self.frames / self.streams / self.seconds

    def growth(self) -> float:
        """Median burned-in delay of the last third of the frames minus the first third's: a
        backlog that builds up shows here before it shows in the p95."""
        ordered = [delay for _, delay, _ in sorted(self.sent)]
        third = len(ordered) // 3
        return statistics.median(ordered[-third:]) - statistics.median(ordered[:third])


def pct(values: list[float], q: int) -> float:
    """The ``q``th percentile (within the values seen: few frames make a short list)."""
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Server:
    """``videolens up`` (embedded Temporal, in-process workers) on a free port."""

    def __init__(self, data_dir: Path, window_s: float, vision_concurrency: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
        env.update(
            VIDEOLENS_DATA_DIR=str(data_dir), VIDEOLENS_BACKEND="basic", VIDEOLENS_SPEECH="off",
            VIDEOLENS_STREAM_WINDOW_S=str(window_s), VIDEOLENS_RATE_LIMIT_PER_MINUTE="100000",
            VIDEOLENS_VISION_CONCURRENCY=str(vision_concurrency),
        )  # fmt: skip
        self.streams_dir, port = data_dir / "streams", free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = (data_dir.parent / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "videolens"), "up", "--port", str(port)],
            env=env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        self.ps = psutil.Process(self.process.pid)
        poll(self._ready, 90, "videolens up to be ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise SystemExit(f"videolens up exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def document(self, stream_id: str) -> dict[str, Any]:
        return dict(json.loads((self.streams_dir / stream_id / "stream.json").read_text()))

    def describing(self) -> tuple[float, float]:
        """(describe activities, their seconds) so far, from the worker metrics on /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=30).text
        found = dict.fromkeys(("_count", "_sum"), 0.0)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                suffix = sample.name.removeprefix("videolens_batch_duration_seconds")
                if suffix in found:
                    found[suffix] += sample.value
        return found["_count"], found["_sum"]

    def windows(self, stream_id: str) -> list[Path]:
        return sorted((self.streams_dir / stream_id / "windows").glob("*.json"))

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(60)
        self.log.close()


def poll(check: Callable[[], object], deadline_s: float, what: str) -> None:
    deadline = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {deadline_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def busy_cpu() -> float:
    """CPU seconds the whole machine has spent not idle."""
    times = psutil.cpu_times()  # guest time is counted in user time already
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq",
                                                       "steal"))  # fmt: skip


def run_level(server: Server, source: Path, streams: int, seconds: float) -> Level:
    """``streams`` senders and streams at once, measured from when each has a window stored."""
    with contextlib.ExitStack() as stack:
        senders = [stack.enter_context(Sender(source)) for _ in range(streams)]
        ids = []
        for sender in senders:
            created = httpx.post(f"{server.url}/v1/streams", json={"url": sender.url}, timeout=30)
            created.raise_for_status()
            ids.append(str(created.json()["stream_id"]))
        poll(lambda: all(server.windows(i) for i in ids), 90, "every stream's first window")
        sources = [psutil.Process(s.process.pid) for s in senders if s.process]

        def cpu() -> tuple[float, float, float]:
            return tree_cpu(server.ps), sum(map(tree_cpu, sources)), busy_cpu()

        before, described, started = cpu(), server.describing(), time.time()
        time.sleep(seconds)  # the measurement itself
        used, ended = [b - a for a, b in zip(before, cpu(), strict=True)], time.time()
        windows, busy = (b - a for a, b in zip(described, server.describing(), strict=True))
        for stream_id in ids:
            httpx.post(f"{server.url}/v1/streams/{stream_id}/stop", timeout=30).raise_for_status()
        stopped = ("stopped", "failed")
        poll(lambda: all(server.document(i)["status"] in stopped for i in ids), 120, "stops")
    wall = ended - started
    level = Level(streams, wall, *(u / wall for u in used))
    level.windows, level.describe_busy = windows, busy / wall
    for stream_id, sender in zip(ids, senders, strict=True):
        document = server.document(stream_id)
        level.gaps += [str(gap["reason"]) for gap in document.get("gaps") or []]
        level.failed += document["status"] == "failed"
        for window in server.windows(stream_id):
            stored = window.stat().st_mtime  # written once, atomically, when described
            frames = [f for f in json.loads(window.read_text()) if started <= f["at"] <= ended]
            level.frames += len(frames)
            level.delays_at += [stored - f["at"] for f in frames]
            level.sent += burned_in_delays(frames, sender, stored)
    return level


def burned_in_delays(
    frames: list[dict[str, Any]], sender: Sender, stored: float
) -> list[tuple[float, float, float]]:
    """(sent, stored - sent, at - sent) of the frames whose burned-in number OCR read; a misread
    digit shows as a send time off the window's median by more than a second: left out."""
    read = []  # (at, sent)
    for frame in frames:
        numbers = [int(t) for t in frame.get("text") or [] if COUNTER.match(str(t))]
        if numbers:
            read.append((frame["at"], sender.sent_at(numbers[0], frame["at"])))
    middle = statistics.median(at - sent for at, sent in read) if read else 0.0
    return [(sent, stored - sent, at - sent) for at, sent in read if abs(at - sent - middle) < 1]


def report(level: Level, single: Level | None, window_s: float, slots: int) -> bool:
    """Print a level's figures; whether it kept up (against the single stream's)."""
    print(
        f"{level.streams} stream(s), {level.seconds:.0f} s: {level.frames} frames described "
        f"({level.rate:.2f}/s a stream), {level.failed} failed, {len(level.gaps)} gaps"
        + (f" {sorted(set(level.gaps))}" if level.gaps else "")
    )
    delays, lags = level.delays, [lag for _, _, lag in level.sent]
    if len(delays) < 3:
        print("  too few burned-in frame numbers were read to time this level")
        return False
    print(
        f"  delay sent -> stored (burned-in number, read in {len(delays)}/{level.frames}): p50 "
        f"{pct(delays, 50):.2f} s, p95 {pct(delays, 95):.2f} s, max {max(delays):.2f} s; "
        f"growth over the run {level.growth():+.2f} s"
    )
    print(
        f"  delay at -> stored (the frame's own time): p50 {pct(level.delays_at, 50):.2f} s, "
        f"p95 {pct(level.delays_at, 95):.2f} s; `at` is {statistics.median(lags):.2f} s after "
        "the send (median)"
    )
    others = level.busy_cores - level.server_cores - level.source_cores
    print(
        f"  CPU: videolens up + its Temporal {level.server_cores:.2f} cores = "
        f"{level.server_cores / level.streams:.2f} a stream; senders {level.source_cores:.2f}; "
        f"the rest of the machine {others:.2f} (load {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  describing: {level.windows:.0f} windows, "
        f"{level.describe_busy * level.seconds / max(level.windows, 1):.2f} s each; "
        f"{level.describe_busy:.2f} of the vision worker's {slots} slot(s) busy on average"
    )
    checks = {
        f"delay growth <= {window_s:g} s (a window)": level.growth() <= window_s,
        "no stream failed": level.failed == 0,
        # Slots busy all the time: windows queue up, and the backlog only grows from there.
        f"vision slots < {BUSY_LIMIT:.0%} busy": level.describe_busy < BUSY_LIMIT * slots,
    }
    if single is None:
        busy, cpus = level.describe_busy, os.cpu_count() or 1
        print(
            f"  from one stream: describing alone fills the vision slots at ~{slots / busy:.1f} "
            f"streams; CPU alone allows ~{cpus / level.server_cores:.1f} on {cpus} CPUs "
            "(if nothing else ran)"
        )
    else:
        bound, rate = 3 * pct(single.delays, 95), single.rate
        checks[f"p95 <= {bound:.1f} s (3x one stream's)"] = pct(delays, 95) <= bound
        checks[f"rate >= 80 % of one stream's ({rate:.2f}/s)"] = level.rate >= 0.8 * rate
    missed = [name for name, ok in checks.items() if not ok]
    print(f"  kept up: {'no: ' + '; '.join(missed) if missed else 'yes'}")
    return not missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="measured time per level")
    parser.add_argument("--max-streams", type=int, default=6)
    parser.add_argument("--window", type=float, default=4.0, help="VIDEOLENS_STREAM_WINDOW_S")
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument(
        "--vision-concurrency", type=int, default=1, help="VIDEOLENS_VISION_CONCURRENCY"
    )
    args = parser.parse_args()
    source = clip()
    print(f"source: {source.name}, 1920x1080 {FPS} fps H.264 5 Mbit/s, {CLIP_S} s looped")
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    baseline = decode_baseline(source, args.baseline_seconds)
    for name, cores in baseline.items():
        print(f"baseline, {name}: {cores:.3f} cores a stream")
    with tempfile.TemporaryDirectory(prefix="vl-bench-stream-") as scratch:
        (Path(scratch) / "data").mkdir()
        server = Server(Path(scratch) / "data", args.window, args.vision_concurrency)
        try:
            idle = tree_cpu(server.ps)
            time.sleep(5)  # the measurement itself
            print(f"videolens up, idle: {(tree_cpu(server.ps) - idle) / 5:.3f} cores")
            single, sustained = None, 0
            for streams in range(1, args.max_streams + 1):
                level = run_level(server, source, streams, args.seconds)
                if not report(level, single, args.window, args.vision_concurrency):
                    break
                single, sustained = single or level, streams
        finally:
            server.close()
    print(f"sustained: {sustained} stream(s) of 1080p30 at once on this machine")
    if single is not None:
        decode = min(baseline.values())
        print(
            f"one stream: delay p50 {pct(single.delays, 50):.2f} s, p95 "
            f"{pct(single.delays, 95):.2f} s (window {args.window:g} s); "
            f"{single.server_cores:.2f} cores = {single.server_cores / decode:.1f}x decoding it"
        )


if __name__ == "__main__":
    main()
