"""Offline answers about a whole stretch: a summary (a session's stored or made summary and
chapters; a stream range's frames, peak counts, text and the events its rules raised), and what
is known about a stream range in which nothing was analysed.
"""

from __future__ import annotations

from videolens.chat.facts import ordered_frames, seconds, structured_counts, text_lines
from videolens.chat.live_timeline import StreamTimeline, at_of
from videolens.chat.offline.evidence import PREFIX, Evidence
from videolens.chat.summary import summarize
from videolens.chat.vocabulary import FACE, counted
from videolens.timeline.model import SessionDocument


def summary_answer(evidence: Evidence) -> str:
    """A session's summary and chapters, or what a stream's range held."""
    if evidence.stream is not None:
        return _stream_summary(evidence.stream)
    assert evidence.document is not None, "a session's evidence holds its document"
    return _session_summary(evidence, evidence.document)


def _session_summary(evidence: Evidence, document: SessionDocument) -> str:
    summary = (document.summary or "").strip()
    chapters = list(document.chapters)
    stored = bool(summary)
    if not stored:
        made = summarize(document, None)
        summary, chapters = made.summary, made.chapters
    frames = ordered_frames(document)
    lines = [f"{PREFIX}. The video's {'stored ' if stored else ''}summary:", summary]
    cited = []
    for chapter in chapters:
        start = chapter.start_s
        frame = next((f for f in frames if seconds(f) >= start - 0.05), None)
        if frame is not None:
            cited.append(f"- {evidence.stamp(seconds(frame))} {chapter.title}")
    if cited:
        lines += ["", "Chapters (each cites its first analysed moment):", *cited]
    return "\n".join(lines)


def _stream_summary(timeline: StreamTimeline) -> str:
    frames, ts = timeline.frames, timeline.stamp
    first, last = at_of(frames[0]), at_of(frames[-1])
    where = timeline.where() or " in this stream"
    lines = [f"{PREFIX}. {len(frames)} analysed frames{where}, from {ts(first)} to {ts(last)}."]
    peaks: dict[str, tuple[int, float]] = {}
    for frame in frames:
        for label, count in structured_counts(frame).items():
            if count and label != FACE and count >= peaks.get(label, (0, 0.0))[0]:
                peaks[label] = (count, at_of(frame))
    if peaks:
        top = sorted(peaks, key=lambda label: (label != "person", -peaks[label][0], label))[:6]
        seen = [f"{counted(label, peaks[label][0])} {ts(peaks[label][1])}" for label in top]
        lines.append("Seen, at most at once: " + "; ".join(seen) + ".")
    texts = text_lines(frames)
    if texts:
        shown = ", ".join(f'"{t.text}" {ts(t.first_s)}' for t in texts[:6])
        lines.append(f"On-screen text: {shown}.")
    events = timeline.event_counts(6)
    if events:
        lines.append("Events: " + ", ".join(events) + ".")
    lines.append(f"The newest: {timeline.line(frames[-1])}")
    return "\n".join(lines)


def nothing_seen(timeline: StreamTimeline) -> str:
    """The answer for a range without an analysed frame: what is known instead, no citation."""
    where = timeline.where() or " in this stream"
    lines = [f"Nothing was analysed{where}, so there is nothing to answer from."]
    latest = timeline.stream.latest
    newest = (latest.at if latest is not None else None) or timeline.stream.last_frame_at
    if newest is not None:
        # Named, not cited: it lies outside the range, so it is no evidence for the answer.
        shown = timeline.zone.clock(float(newest), True)
        lines.append(f"The stream's newest analysed frame is from {shown}.")
    for gap in timeline.gaps()[:3]:
        lines.append(
            f"The source was not watched from {timeline.zone.clock(gap.start_at, True)} "
            f"to {timeline.zone.clock(gap.end_at, True)} ({gap.reason or 'down'})."
        )
    status = timeline.stream.status
    if status in ("stopped", "failed"):
        lines.append(f"The stream is {status}.")
    return " ".join(lines)
