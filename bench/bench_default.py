"""Benchmark: the whole default analysis (frames + OCR + objects + faces + speech) of a
10-minute real 720p clip with speech, against the video's duration and ``ffmpeg -f null``.

Run with ``.venv/bin/python bench/bench_default.py`` (needs ``ffmpeg`` and ``espeak-ng``, and
Debian's ``opencv-doc`` for the footage: ``apt-get download opencv-doc``; the script fetches it
into ``test-artifacts/real-media`` like the tests do). The clip is built once under
``bench/out/``: vtest.avi (a real street scene) looped to 10 minutes and scaled to 1280x720
H.264, with espeak-ng sentences spoken every 20 s as its AAC track.

Prints:
- the end-to-end wall time of ``videolens analyze`` (embedded Temporal, in-process worker, the
  default settings) as a ratio to the video's duration (goal: <= 0.2) and to a plain decode;
- the CPU time of each stage run on its own (sampling, describing the sampled frames with the
  offline analyzer split into OCR / objects / faces, speech), which says what dominates;
- whether speech overlapped sampling, from the workflow's own history (activity start and close
  times of ``transcribe_range`` vs ``sample_segment``);
- the detection pass (tracks, on by default): its tracks and its share of the run, wall
  (the chunks' own timings and the ``track_segment`` span) and CPU (run alone over the clip).

``--no-tracking`` runs the same analysis with ``VIDEOLENS_TRACKING=false`` (the basic backend
then detects on each sampled JPEG, and looks for faces in every frame) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cached_media import cached

REPO = Path(__file__).resolve().parent.parent
MEDIA = REPO / "test-artifacts" / "real-media" / "usr/share/doc/opencv-doc/examples/data"
DURATION_S = 600.0
SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "please bring the red box to the kitchen table",
    "the train to the city leaves from platform four at noon",
    "we walked along the river until the sun went down",
]
T = TypeVar("T")


def cpu_seconds() -> float:
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def measured(what: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall s, CPU s of this process and its children)."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    result = what()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def footage() -> Path:
    vtest = MEDIA / "vtest.avi"
    if not vtest.is_file():
        target = REPO / "test-artifacts" / "real-media"
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "opencv-doc"], cwd=target, check=True)
        deb = sorted(target.glob("opencv-doc_*.deb"))[-1]
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
        deb.unlink()
    return vtest


def speech_track(folder: Path) -> Path:
    """DURATION_S of audio: a sentence every 20 s, silence between."""
    parts = []
    for number in range(int(DURATION_S // 20)):
        wav = folder / f"s{number}.wav"
        subprocess.run(
            ["espeak-ng", "-w", str(wav), SENTENCES[number % len(SENTENCES)]], check=True
        )
        parts.append(wav)
    concat = folder / "parts.txt"
    silence = folder / "silence.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "anullsrc=r=22050:cl=mono", "-t", "16", str(silence)], check=True,
    )  # fmt: skip
    concat.write_text("".join(f"file '{p}'\nfile '{silence}'\n" for p in parts))
    track = folder / "speech.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(concat),
         "-af", "apad", "-t", str(DURATION_S), str(track)], check=True,
    )  # fmt: skip
    return track


def clip() -> Path:
    """The cached 10-minute 720p clip with speech (built on the first run)."""

    def build(partial: Path) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            audio = speech_track(Path(scratch))
            subprocess.run(
                ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(footage()),
                 "-i", str(audio), "-map", "0:v", "-map", "1:a", "-t", str(DURATION_S),
                 "-vf", "scale=1280:720,fps=25", "-c:v", "libx264", "-preset", "veryfast",
                 "-crf", "26", "-g", "50", "-c:a", "aac", "-b:a", "64k", str(partial)],
                check=True,
            )  # fmt: skip

    return cached("default_720p_speech.mp4", "the 10-minute 720p clip with speech", build)


def ffmpeg_decode(video: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-threads", "2", "-i", str(video), "-f", "null", "-"],
        check=True,
    )


def analyse(video: Path, data_dir: Path, tracking: bool = True) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOLENS_")}
    env["VIDEOLENS_DATA_DIR"] = str(data_dir)
    env["VIDEOLENS_TRACKING"] = "true" if tracking else "false"
    videolens = str(Path(sys.executable).parent / "videolens")
    done = subprocess.run(
        [videolens, "analyze", str(video), "--json"], env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"videolens analyze failed ({done.returncode}): {done.stderr[-3000:]}")
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def stage_costs(video: Path, document: dict[str, Any]) -> dict[str, float]:
    """CPU seconds of each stage run on its own, on the same frames and audio."""
    from videolens.backends.basic.backend import _read_bounded
    from videolens.backends.basic.faces import FaceFinder
    from videolens.backends.basic.objects import ObjectDetector
    from videolens.backends.basic.ocr import TextReader
    from videolens.config import Settings
    from videolens.speech import audio_track, transcribe_range, transcriber_from_settings
    from videolens.video.sampling import sample_video
    from videolens.video.types import SamplingOptions

    costs: dict[str, float] = {}
    floor = float(document["coverage"].get("floor_s") or 2.0)
    with tempfile.TemporaryDirectory() as scratch:
        options = SamplingOptions(floor_interval_s=floor, max_frames=300)
        _, _, costs["sampling"] = measured(lambda: sample_video(video, options, Path(scratch)))
    images = [_read_bounded(f["image"], 960) for f in document["frames"]]
    frames = [image for image in images if image is not None]
    if len(frames) != len(images):
        raise RuntimeError(f"{len(images) - len(frames)} sampled frames could not be read")
    reader, detector, faces = TextReader(), ObjectDetector(), FaceFinder()
    _, _, costs["ocr"] = measured(lambda: [reader.read(image) for image in frames])
    if document.get("tracking"):
        costs["detection pass"] = detection_pass_cpu(video, float(document["tracking"]["fps"]))
        # Faces are looked for only inside the people the pass saw.
        people = [
            [d["box"] for d in frame.get("detections") or [] if d["label"] == "person"]
            for frame in document["frames"]
        ]
        pairs = list(zip(frames, people, strict=True))
        _, _, costs["faces"] = measured(lambda: [faces.find(i, within=p) for i, p in pairs])
    else:
        _, _, costs["objects"] = measured(lambda: [detector.detect(image) for image in frames])
        _, _, costs["faces"] = measured(lambda: [faces.find(image) for image in frames])
    transcriber = transcriber_from_settings(Settings())
    duration = audio_track(video).duration_s
    _, _, costs["speech"] = measured(
        lambda: transcribe_range(video, 0.0, duration, transcriber, duration_s=duration)
    )
    return costs


def detection_pass_cpu(video: Path, fps: float) -> float:
    """CPU seconds of the detection pass over the whole clip in 60 s chunks, as the pipeline
    runs it (decode, detect, track, stitch)."""
    from videolens.tracking import ChunkRequest, FrameDetector, SsdNetwork, run_chunk, stitch

    detector = FrameDetector(SsdNetwork())

    def run() -> None:
        chunks, start = [], 0.0
        while start < DURATION_S:
            end = min(DURATION_S, start + 60.0)
            request = ChunkRequest(str(video), len(chunks), start, end, max(0.0, start - 2), fps)
            chunks.append(run_chunk(request, detector))
            start = end
        stitch(chunks)

    _, _, cpu = measured(run)
    return cpu


async def activity_spans(data_dir: Path, session_id: str) -> dict[str, tuple[float, float]]:
    """(first start, last close) in seconds since the workflow started, per activity type, read
    from the workflow history on the embedded server (started again on the same database)."""
    from temporalio.api.enums.v1 import EventType

    from videolens.config import Settings
    from videolens.pipeline.client import workflow_id
    from videolens.pipeline.temporal_server import temporal_client

    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    spans: dict[str, list[float]] = {}
    async with temporal_client(settings) as client:
        history = await client.get_workflow_handle(workflow_id(session_id)).fetch_history()
    origin = history.events[0].event_time.ToDatetime().timestamp()
    names: dict[int, str] = {}
    for event in history.events:
        at = event.event_time.ToDatetime().timestamp() - origin
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            names[event.event_id] = scheduled.activity_type.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            name = names[event.activity_task_started_event_attributes.scheduled_event_id]
            span = spans.setdefault(name, [at, at])
            span[0] = min(span[0], at)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            name = names[event.activity_task_completed_event_attributes.scheduled_event_id]
            span = spans.setdefault(name, [at, at])
            span[1] = max(span[1], at)
    return {name: (span[0], span[1]) for name, span in spans.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-stages", action="store_true", help="only the end-to-end run")
    parser.add_argument("--no-tracking", action="store_true", help="without the detection pass")
    args = parser.parse_args()
    video = clip()
    _, decode_s, decode_cpu = measured(lambda: ffmpeg_decode(video))
    print(f"clip: {video.name}, {DURATION_S:.0f} s, 1280x720 H.264 + AAC speech")
    print(f"ffmpeg -f null decode: {decode_s:.1f} s wall, {decode_cpu:.1f} s CPU")
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        document, wall, cpu = measured(
            lambda: analyse(video, data_dir, tracking=not args.no_tracking)
        )
        spans = asyncio.run(activity_spans(data_dir, document["session_id"]))
        report(document, wall, cpu, decode_s, spans)
        if not args.skip_stages:
            # While the session's frames are still on disk.
            report_stages(stage_costs(video, document))


def report(
    document: dict[str, Any],
    wall: float,
    cpu: float,
    decode_s: float,
    spans: dict[str, tuple[float, float]],
) -> None:
    speech = document.get("speech") or {}
    print(
        f"videolens analyze: {wall:.1f} s wall ({cpu:.1f} s CPU) = {wall / DURATION_S:.3f}x the "
        f"video's duration (goal <= 0.2), {wall / decode_s:.2f}x ffmpeg decode"
    )
    print(
        f"  {len(document['frames'])} frames, largest gap {document['coverage']['max_gap_s']} s;"
        f" speech {speech.get('status')}: {len(speech.get('segments') or [])} segments;"
        f" people in {sum(1 for f in document['frames'] if f.get('people_count'))} frames"
    )
    tracking = document.get("tracking")
    if tracking:
        tracks = document.get("tracks") or []
        people = sum(1 for track in tracks if track["label"] == "person")
        print(
            f"  detection pass: {tracking['frames']} frames at {tracking['fps']} fps"
            f" (tiled: {tracking['tiled']}), {len(tracks)} tracks ({people} people);"
            f" {tracking['seconds']:.1f} s of chunk wall time in all"
            f" ({tracking['seconds'] / wall:.0%} of the run's wall time, chunks overlap)"
        )
    for name, (start, end) in sorted(spans.items(), key=lambda item: item[1][0]):
        print(f"  {name:<18} {start:7.1f} s -> {end:7.1f} s (since the workflow started)")
    if "transcribe_range" in spans and "sample_segment" in spans:
        speech_span, sample_span = spans["transcribe_range"], spans["sample_segment"]
        overlap = min(speech_span[1], sample_span[1]) - max(speech_span[0], sample_span[0])
        print(f"  speech overlapped sampling for {max(0.0, overlap):.1f} s")


def report_stages(costs: dict[str, float]) -> None:
    total = sum(costs.values())
    print("CPU time per stage, each run alone on the same frames/audio:")
    for name, seconds in sorted(costs.items(), key=lambda item: -item[1]):
        print(f"  {name:<9} {seconds:7.1f} s  ({100 * seconds / total:4.1f} %)")


if __name__ == "__main__":
    main()
