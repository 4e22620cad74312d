"""A summary of a session and chapter titles with start times.

With a chat model it is built hierarchically so any length fits the budget: the timeline is cut
into groups that fit, each group is summarised, summaries are grouped and summarised again until
they fit, then one last call writes the video summary and the chapters as JSON; the timeline it
reads holds the frames (with their detections) and the transcribed speech. Without a model,
chapters follow the shots and the changes in what is in view (``chapters``), and the summary is
extractive (and says so).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from videolens.chat.chapters import make_chapters
from videolens.chat.extractive import extractive_summary
from videolens.chat.facts import ordered_frames, seconds, speech_absence, speech_track
from videolens.chat.retrieval import estimate_tokens
from videolens.chat.timeline_text import moment_line, speech_line, tracks_text
from videolens.chat.timeparse import format_timestamp, parse_time
from videolens.openai_compat import OpenAICompatClient
from videolens.timeline.model import Chapter, Moment, SessionDocument

__all__ = ["Summary", "extractive_summary", "make_chapters", "summarize", "summarize_session"]

MAX_LEVELS = 6
GROUP_PROMPT = (
    "Summarise this part of a video's analysed timeline in 2-4 sentences. Mention the key "
    "moments with their [mm:ss] timestamps. Reply with the summary only."
)
FINAL_PROMPT = """You are given summaries of consecutive parts of one video, in order.
Reply with JSON only, in this shape:
{"summary": "<3-6 sentences about the whole video>",
 "chapters": [{"start": "mm:ss", "title": "<2-6 words>"}]}
Chapters follow the video's structure (its shots, and what changes: who or what arrives or \
leaves), in time order, each titled with what is new in it, never with a count over the whole \
video; the first starts at 00:00; at most %d."""


@dataclass(frozen=True)
class Summary:
    """A session's summary and chapters, and how they were made: ``llm`` (by the chat model)
    or ``shots`` (chapters from the shots, an extractive summary)."""

    summary: str
    chapters: list[Chapter]
    mode: Literal["llm", "shots"]

    def as_dict(self) -> dict[str, Any]:
        """``{"summary", "chapters": [{"start_s", "title"}], "mode"}`` (the JSON stored)."""
        chapters = [chapter.as_json() for chapter in self.chapters]
        return {"summary": self.summary, "chapters": chapters, "mode": self.mode}


def summarize_session(
    document: SessionDocument,
    client: OpenAICompatClient | None = None,
    *,
    budget_tokens: int = 3000,
    max_chapters: int = 12,
) -> dict[str, Any]:
    """``summarize`` as JSON: ``{"summary", "chapters": [{"start_s", "title"}], "mode"}``."""
    made = summarize(document, client, budget_tokens=budget_tokens, max_chapters=max_chapters)
    return made.as_dict()


def summarize(
    document: SessionDocument,
    client: OpenAICompatClient | None = None,
    *,
    budget_tokens: int = 3000,
    max_chapters: int = 12,
) -> Summary:
    """The summary and chapters of ``document``.

    ``client`` None means no chat model: shot-based chapters and an extractive summary.
    Endpoint errors propagate (the caller's activity retries them).
    """
    frames = ordered_frames(document)
    duration = _duration(document, frames)
    shot_chapters = make_chapters(document, max_chapters)
    if client is None or not frames:
        return Summary(extractive_summary(document, shot_chapters), shot_chapters, "shots")
    lines = _distinct_lines(frames, document)
    level = 0
    while estimate_tokens("\n".join(lines)) > budget_tokens and level < MAX_LEVELS:
        groups = _groups(lines, budget_tokens)
        with ThreadPoolExecutor(max_workers=4) as pool:
            lines = list(pool.map(lambda group: _summarise_group(client, group), groups))
        level += 1
    shots = ", ".join(format_timestamp(c.start_s) for c in shot_chapters)
    reply = client.chat(
        [
            {"role": "system", "content": FINAL_PROMPT % max_chapters},
            {
                "role": "user",
                "content": f"Video length {format_timestamp(duration)}. "
                f"Cuts and changes at: {shots}."
                + _speech_note(document)
                + (f"\n{tracks_text(document)}" if document.tracks is not None else "")
                + "\n\n"
                + "\n".join(lines),
            },
        ],
        response_format={"type": "json_object"},
    )
    parsed = _parse_json(reply)
    summary = str(parsed.get("summary") or "").strip() if parsed else reply.strip()
    chapters = _clean_chapters(parsed.get("chapters") if parsed else None, duration, max_chapters)
    return Summary(summary, chapters or shot_chapters, "llm")


def _duration(document: SessionDocument, frames: list[Moment]) -> float:
    duration = document.video.duration_s or 0.0
    return max(duration, seconds(frames[-1]) if frames else 0.0)


def _distinct_lines(frames: list[Moment], document: SessionDocument) -> list[str]:
    """Timeline lines in time order, frames that repeat the previous one's content skipped,
    the transcribed speech interleaved."""
    timed: list[tuple[float, str]] = []
    previous = None
    for frame in frames:
        line = moment_line(frame)
        body = line.split("] ", 1)[-1]
        if body != previous:
            timed.append((seconds(frame), line))
        previous = body
    timed += [(s.start_s, speech_line(s)) for s in speech_track(document).segments]
    timed.sort(key=lambda item: item[0])  # stable: a frame comes before speech at its time
    return [line for _, line in timed]


def _speech_note(document: SessionDocument) -> str:
    """Why the timeline has no speech lines, when it has none (else nothing)."""
    track = speech_track(document)
    absence = speech_absence(track)
    return f" Speech: {absence}" if absence and track.status is not None else ""


def _groups(lines: list[str], budget_tokens: int) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    used = 0
    for line in lines:
        cost = estimate_tokens(line)
        if groups[-1] and used + cost > budget_tokens:
            groups.append([])
            used = 0
        groups[-1].append(line)
        used += cost
    return groups


def _summarise_group(client: OpenAICompatClient, group: list[str]) -> str:
    span = f"{_first_time(group[0])}–{_first_time(group[-1])}"
    reply = client.chat(
        [{"role": "system", "content": GROUP_PROMPT}, {"role": "user", "content": "\n".join(group)}]
    )
    return f"[{span}] {reply.strip()}"


def _first_time(line: str) -> str:
    match = re.match(r"\[([0-9:]+)", line)
    return match.group(1) if match else "?"


def _parse_json(reply: str) -> dict[str, Any] | None:
    """The JSON object in ``reply`` (code fences and chatter around it tolerated)."""
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(reply[start : end + 1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _clean_chapters(raw: Any, duration: float, max_chapters: int) -> list[Chapter]:
    """Valid, ordered, de-duplicated chapters starting at 0 (what players and YouTube need)."""
    if not isinstance(raw, list):
        return []
    chapters: dict[float, str] = {}
    for item in raw:
        if not isinstance(item, dict):
            continue
        start = item.get("start", item.get("start_s"))
        seconds = float(start) if isinstance(start, (int, float)) else parse_time(str(start))
        title = " ".join(str(item.get("title") or "").split())[:80]
        if seconds is None or not title or seconds < 0 or (duration and seconds > duration):
            continue
        chapters.setdefault(float(int(seconds)), title)
    ordered = sorted(chapters.items())[:max_chapters]
    if ordered and ordered[0][0] != 0.0:
        ordered[0] = (0.0, ordered[0][1])
    return [Chapter(start_s=start, title=title) for start, title in ordered]
