"""The live progress bar (stderr) and the plain-text timeline (stdout).

Times on the timeline are truncated, as players show them and as chat citations read them:
``[00:15]`` is the second 15.0–15.99 s. Moments that fall in one second show the fraction too,
truncated alike, to as many decimals as tell them apart (``[00:15.8]``, ``[00:15.9]``), so no
two lines look doubled and each time still reads as its second; so do speech segments among
themselves (a ``said:`` line never looks like a moment). Durations are rounded to a tenth
(``largest gap 2.0 s`` for 1.961 s).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from videolens.pipeline.shared import AnalysisProgress
from videolens.timeline.clock import format_timestamp
from videolens.timeline.model import SessionDocument, Speech

MOST_DECIMALS = 3


def _eta_text(progress: AnalysisProgress) -> str:
    return f"ETA {format_timestamp(progress.eta_s)}" if progress.eta_s is not None else "ETA --:--"


class AnalysisProgressBar:
    """A rich progress bar fed with ``AnalysisProgress`` snapshots."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.fields[stage]:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("frames"),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task(
            "analysis", total=None, stage="starting", detail="", eta=""
        )

    def __enter__(self) -> AnalysisProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, progress: AnalysisProgress) -> None:
        detail = (
            f"segments {progress.segments_done}/{progress.segments_total} "
            f"sampled {progress.frames_sampled} · speech {_speech_progress(progress)}"
        )
        fields: dict[str, Any] = {
            "stage": progress.stage,
            "detail": detail,
            "eta": _eta_text(progress),
        }
        total = progress.frames_planned or None
        self._progress.update(
            self._task, total=total, completed=progress.frames_described, **fields
        )

    def finish(self, frames: int) -> None:
        self._progress.update(self._task, total=frames, completed=frames, stage="completed", eta="")


def _speech_progress(progress: AnalysisProgress) -> str:
    if progress.speech_status == "transcribing" and progress.speech_ranges_total:
        return f"{progress.speech_ranges_done}/{progress.speech_ranges_total}"
    return progress.speech_status


def render_timeline(document: SessionDocument) -> str:
    """A readable summary of a session document: header, coverage, one line per frame."""
    video = document.video
    lines = [f"session {document.session_id}  {document.status}  {video.path or ''}"]
    if video.duration_s is not None:
        lines.append(
            f"video: {format_timestamp(video.duration_s)} · {video.width}x"
            f"{video.height} · {video.fps or 0:.2f} fps · {video.codec or ''}"
        )
    if document.error:
        lines.append(f"error: {document.error}")
    coverage = document.coverage
    if coverage is not None:
        lines.append(
            f"coverage: {count_of(coverage.frames, 'frame')}, "
            f"{coverage.frames_per_min} per minute, "
            f"largest gap {coverage.max_gap_s:.1f} s"
        )
    if document.summary:
        lines += ["", f"summary: {document.summary}"]
    if document.chapters:
        lines += ["", "chapters:"]
        lines += [f"  {format_timestamp(c.start_s)} {c.title}" for c in document.chapters]
    speech = document.speech
    if speech is not None:
        lines.append(_speech_line(speech))
    lines.append("")
    # Moments and what is said, in time order; at equal times the moment comes first.
    moments = [(m.timestamp_s or 0.0, m.description) for m in document.frames]
    said = [
        (s.start_s, f'said: "{s.text}"') for s in (speech.segments if speech is not None else [])
    ]
    entries = [
        (at, kind, f"{stamp} {text}")
        for kind, lines_of_kind in enumerate((moments, said))
        for (at, text), stamp in zip(
            lines_of_kind, timeline_stamps([at for at, _ in lines_of_kind]), strict=True
        )
    ]
    lines += [line for _, _, line in sorted(entries, key=lambda e: (e[0], e[1]))]
    return "\n".join(lines)


def timeline_stamps(times: Sequence[float]) -> list[str]:
    """``[mm:ss]`` for each time; where different times share a second, each shows the fewest
    decimals (up to ``MOST_DECIMALS``) that tell them apart, truncated like the second."""
    in_second: dict[str, set[float]] = defaultdict(set)
    for at in times:
        in_second[format_timestamp(at)].add(at)
    decimals = {second: _decimals_apart(shared) for second, shared in in_second.items()}
    return [f"[{format_timestamp(at, decimals[format_timestamp(at)])}]" for at in times]


def _decimals_apart(times: set[float]) -> int:
    """0 for one time; else the fewest decimals at which every time reads differently."""
    if len(times) == 1:
        return 0
    for decimals in range(1, MOST_DECIMALS):
        if len({format_timestamp(at, decimals) for at in times}) == len(times):
            return decimals
    return MOST_DECIMALS


def count_of(count: int, noun: str) -> str:
    """``1 frame``, ``2 frames``: the count with the noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _speech_line(speech: Speech) -> str:
    status = speech.status
    if status == "ok":
        count = len(speech.segments)
        details = ", ".join(str(v) for v in (speech.model, speech.language) if v)
        said = f"{count} segment{'s' if count != 1 else ''}" if count else "none recognised"
        return f"speech: {said}" + (f" ({details})" if details else "")
    if status == "off":
        return "speech: off"
    reason = speech.reason or ("no audio track" if status == "none" else "")
    return f"speech: {status}" + (f" — {reason}" if reason else "")
