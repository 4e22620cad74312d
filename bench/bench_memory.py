"""Peak memory is flat in video length: `videolens analyze` on a 10- vs a 60-minute 720p clip.

Each analysis runs as its own `videolens analyze` process (embedded mode: it starts its own
Temporal dev server and an in-process worker that decodes, samples and describes). Its peak RSS is
the kernel's high-water mark (VmHWM in /proc/PID/status), read until the process exits, so no
short peak is missed between reads. The dev server is a separate process and is not counted.

    .venv/bin/python bench/bench_memory.py [--short-min 10] [--long-min 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import av

from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import Shot, write_clip

OUT = Path(__file__).resolve().parent / "out"
VIDEOLENS = Path(sys.executable).parent / "videolens"


def clip_of(minutes: int) -> Path:
    """A 720p clip of ``minutes`` with a cut every 20 s, cached under bench/out/.

    One minute is encoded (three 20 s shots) and its packets are repeated with shifted
    timestamps: encoding an hour of 720p on two cores takes most of an hour, remuxing seconds,
    and the decoder still has every frame of the hour to decode.
    """
    path = OUT / f"clip-720p-{minutes}min.mp4"
    if path.exists():
        return path
    minute = OUT / "clip-720p-1min.mp4"
    if not minute.exists():
        shots = [
            Shot(20.0, ((53 * i + 40) % 256, (97 * i) % 256, (191 * i) % 256), f"PART {i}")
            for i in range(3)
        ]
        write_clip(minute, shots, fps=25, width=1280, height=720)
    started = time.perf_counter()
    _repeat(minute, path.with_suffix(".tmp.mp4"), minutes)
    path.with_suffix(".tmp.mp4").rename(path)
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def _repeat(source: Path, target: Path, times: int) -> None:
    """``source`` played ``times`` in a row, by copying its packets (no re-encoding)."""
    with av.open(str(source)) as reader:
        stream = reader.streams.video[0]
        span = int(stream.duration or 0) or round(
            float(reader.duration or 0) / 1e6 / stream.time_base
        )
    with av.open(str(target), "w") as writer:
        out_stream = None
        for repeat in range(times):
            # Demuxed anew each time: muxing hands a packet's data over to the muxer.
            with av.open(str(source)) as reader:
                in_stream = reader.streams.video[0]
                if out_stream is None:
                    out_stream = writer.add_stream_from_template(in_stream)
                for packet in reader.demux(in_stream):
                    if packet.dts is None:
                        continue  # the demuxer's final empty packet
                    packet.pts = int(packet.pts or 0) + span * repeat
                    packet.dts = int(packet.dts) + span * repeat
                    packet.stream = out_stream
                    writer.mux(packet)


def analyse(video: Path, data_dir: Path) -> tuple[float, float]:
    """Run `videolens analyze` on ``video``; returns (peak RSS in MiB, wall seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
    env.update(VIDEOLENS_DATA_DIR=str(data_dir), VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()))
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(VIDEOLENS), "analyze", str(video), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak_kib = 0
    while process.poll() is None:
        peak_kib = max(peak_kib, _high_water_mark_kib(process.pid))
        time.sleep(0.2)
    if process.returncode != 0:
        raise SystemExit(f"videolens analyze failed on {video}")
    return peak_kib / 1024, time.perf_counter() - started


def _high_water_mark_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass  # the process has just exited
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short-min", type=int, default=10)
    parser.add_argument("--long-min", type=int, default=60)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    short, long = clip_of(args.short_min), clip_of(args.long_min)
    short_rss, short_s = analyse(short, OUT / "data-memory")
    long_rss, long_s = analyse(long, OUT / "data-memory")
    print(f"{args.short_min:>3}-minute 720p: peak RSS {short_rss:7.1f} MiB, {short_s:6.1f} s")
    print(f"{args.long_min:>3}-minute 720p: peak RSS {long_rss:7.1f} MiB, {long_s:6.1f} s")
    print(f"ratio long/short: {long_rss / short_rss:.3f} (target <= 1.2)")


if __name__ == "__main__":
    main()
