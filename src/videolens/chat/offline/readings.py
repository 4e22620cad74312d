"""Offline answers about what was read and heard: the on-screen text lines, and the speech (a
session's transcript, filtered by the topic asked about; a stream's speech on its frames).
"""

from __future__ import annotations

from videolens.chat.facts import speech_absence, speech_track, text_lines
from videolens.chat.intents import Intent
from videolens.chat.live_timeline import at_of
from videolens.chat.offline.evidence import PREFIX, Evidence
from videolens.chat.timeline_text import as_list, speech_line, text_tokens

MAX_SEGMENTS = 12
MAX_TEXT_LINES = 15


def text_answer(evidence: Evidence) -> str:
    """The distinct on-screen text lines, in order of first appearance."""
    found, where, unit = text_lines(evidence.frames), evidence.where, evidence.unit
    if not found:
        among = "the analysed moments"
        if evidence.live:
            among = f"the {len(evidence.frames)} analysed frames"
        return f"{PREFIX}. No on-screen text was read in {among}{where}."
    lines = [f"{PREFIX}. On-screen text read{where}, in order of first appearance:"]
    since = "at" if evidence.live else "from"
    for line in found[:MAX_TEXT_LINES]:
        until = (
            f", until {evidence.clock.format(line.last_s)}" if line.last_s > line.first_s else ""
        )
        seen = f"{line.frames} {unit}{'s' if line.frames > 1 else ''}"
        lines.append(f'- "{line.text}" {since} {evidence.stamp(line.first_s)} ({seen}{until})')
    if len(found) > MAX_TEXT_LINES:
        lines.append(f"- … and {len(found) - MAX_TEXT_LINES} more lines")
    return "\n".join(lines)


def speech_answer(evidence: Evidence, intent: Intent) -> str:
    """What is said: a session's transcript (about ``intent.topic``, if one is asked about), or
    the speech transcribed on a stream's frames."""
    if evidence.document is None:
        return _frame_speech(evidence)
    track = speech_track(evidence.document)
    absence = speech_absence(track)
    if absence is not None:
        return f"{PREFIX}. {absence}"
    where, window = evidence.where, evidence.window
    segments = list(track.segments)
    if window is not None:
        segments = [s for s in segments if s.end_s >= window[0] and s.start_s <= window[1]]
    if intent.topic:
        wanted = set(text_tokens(intent.topic))
        scored = [(len(wanted & set(text_tokens(s.text))), s) for s in segments]
        segments = [s for n, s in sorted(scored, key=lambda x: (-x[0], x[1].start_s)) if n]
        if not segments:
            total = len(track.segments)
            return (
                f"{PREFIX}. Nothing in the transcript{where} mentions "
                f"\u201c{intent.topic}\u201d ({total} segments transcribed)."
            )
        segments.sort(key=lambda s: s.start_s)
        head = f"What is said about \u201c{intent.topic}\u201d{where} (from the transcript):"
    else:
        if not segments:
            return f"{PREFIX}. Nothing was said{where} (no transcribed speech there)."
        head = f"What is said{where} (the transcript, {len(segments)} segments):"
    lines = [f"{PREFIX}. {head}"]
    lines += [f"- {speech_line(s)}" for s in segments[:MAX_SEGMENTS]]
    if len(segments) > MAX_SEGMENTS:
        last = segments[-1]
        lines.append(f"- … and {len(segments) - MAX_SEGMENTS} more segments, the last at "
                     f"{evidence.stamp(last.start_s)}")  # fmt: skip
    return "\n".join(lines)


def _frame_speech(evidence: Evidence) -> str:
    # Speech on a stream's frames is a field the session model does not declare.
    said = [(at_of(f), s) for f in evidence.frames for s in as_list(getattr(f, "speech", None))]
    if not said:
        return f"{PREFIX}. No speech was transcribed in the analysed frames{evidence.where}."
    lines = [f"{PREFIX}. What is said{evidence.where}:"]
    lines += [f'- {evidence.stamp(at)} "{text}"' for at, text in said[:MAX_TEXT_LINES]]
    return "\n".join(lines)
