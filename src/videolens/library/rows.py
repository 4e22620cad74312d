"""A session's or a stream's timeline as library rows: what of each moment is searched."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from videolens.library.records import (
    LABEL_SEPARATOR,
    LOCAL_OWNER,
    LibraryMoment,
    LibraryVideo,
    VideoKind,
)
from videolens.store import SessionListing
from videolens.timeline.model import (
    COLOUR_NAMES,
    Moment,
    Record,
    SessionDocument,
    SpeechSegment,
    StreamDocument,
    StreamSpeechSegment,
    Track,
)

LISTED_LABELS = 5  # the labels a listed video shows: those seen in most frames
# Beside a listing entry's own fields in the index: the labels an ended session showed.
LISTED_LABELS_KEY = "labels"


def session_video(document: SessionDocument) -> LibraryVideo:
    """The library's entry for a session: titled by its file name (else its id). An ended
    session's listing entry keeps its ``frame_labels`` (its frames are all there now)."""
    ended = document.status != "running"
    return _video(document, document.session_id, "file", document.filename,
                  source=document.filename or "", listed=SessionListing.of(document),
                  duration_s=document.video.duration_s,
                  labels=frame_labels(document.frames) if ended else None)  # fmt: skip


def stream_video(document: StreamDocument) -> LibraryVideo:
    """The library's entry for a live stream: titled by its name (else its id)."""
    return _video(document, document.stream_id, "stream", document.name,
                  source=document.url or "", listed=document)  # fmt: skip


def _video(
    document: SessionDocument | StreamDocument,
    video_id: str,
    kind: VideoKind,
    name: str | None,
    *,
    source: str,
    listed: Record,
    duration_s: float | None = None,
    labels: list[str] | None = None,
) -> LibraryVideo:
    """``listed``: what a listing of sessions or streams shows of the video (its JSON is kept,
    with ``labels`` beside it when they are known: ``LISTED_LABELS_KEY``)."""
    kept = listed.as_json()
    if labels is not None:
        kept[LISTED_LABELS_KEY] = labels
    return LibraryVideo(
        video_id=video_id,
        kind=kind,
        title=name or video_id,
        owner=document.owner or LOCAL_OWNER,
        status=document.status,
        created_at=document.created_at,
        source=source,
        duration_s=duration_s,
        listing=json.dumps(kept, ensure_ascii=False),
    )


def labels_of(moment: Moment) -> str:
    """The detected labels, each also with its colour ("white car"), and the notable objects,
    each once: "white car, person" (``LABEL_SEPARATOR`` keeps "white car" one label)."""
    words: list[str] = []
    for detection in moment.detections or []:
        words.append(
            f"{detection.colour} {detection.label}" if detection.colour else detection.label
        )
    words += moment.objects
    if moment.faces:
        words.append("face")
    return LABEL_SEPARATOR.join(dict.fromkeys(words))


def labels_in(labels: str) -> list[str]:
    """The labels of a moment row's ``labels``."""
    return [label for label in labels.split(LABEL_SEPARATOR) if label]


def most_seen(counted: Iterable[tuple[str, int]]) -> list[str]:
    """The ``LISTED_LABELS`` things seen in most frames, most first (ties by name), from (a
    moment row's ``labels``, how many frames had them): each without its colour ("white car"
    is a car)."""
    frames: Counter[str] = Counter()
    for labels, count in counted:
        for label in dict.fromkeys(_uncoloured(label) for label in labels_in(labels)):
            frames[label] += count
    ranked = sorted(frames.items(), key=lambda item: (-item[1], item[0]))
    return [label for label, _ in ranked[:LISTED_LABELS]]


def frame_labels(frames: Iterable[Moment]) -> list[str]:
    """``most_seen`` of these frames."""
    return most_seen((labels_of(frame), 1) for frame in frames)


def _uncoloured(label: str) -> str:
    colour, _, thing = label.partition(" ")
    return thing if colour in COLOUR_NAMES and thing else label


def _described(moment: Moment) -> str:
    parts = [moment.description, *moment.actions, *moment.people]
    parts += [colour.name for colour in moment.colours or []]
    return " ".join(part for part in parts if part)


def frame_row(video_id: str, moment: Moment, happened_at: str) -> LibraryMoment:
    """A session's frame (``index``, ``timestamp_s``) or a stream's (``seq``, ``at``)."""
    is_stream = moment.at is not None
    return LibraryMoment(
        video_id=video_id,
        kind="frame",
        position=(moment.seq if is_stream else moment.index) or 0,
        at_s=(moment.at if is_stream else moment.timestamp_s) or 0.0,
        happened_at=moment.at_iso or happened_at,
        description=_described(moment),
        labels=labels_of(moment),
        text="\n".join(moment.text),  # one line each, as read
        image=moment.image,
    )


def speech_rows(
    video_id: str, segments: Sequence[SpeechSegment], happened_at: str
) -> list[LibraryMoment]:
    """A session's speech; a segment's position is its start in milliseconds (unique, stable)."""
    return [
        LibraryMoment(video_id=video_id, kind="speech", position=round(s.start_s * 1000),
                      at_s=s.start_s, end_s=s.end_s, happened_at=happened_at, speech=s.text)
        for s in segments
    ]  # fmt: skip


def stream_speech_rows(
    video_id: str, segments: Sequence[StreamSpeechSegment]
) -> list[LibraryMoment]:
    """A stream's speech, on the wall clock."""
    return [
        LibraryMoment(video_id=video_id, kind="speech", position=round(s.start_at * 1000),
                      at_s=s.start_at, end_s=s.end_at, happened_at=iso_of(s.start_at),
                      speech=s.text)
        for s in segments
    ]  # fmt: skip


def track_rows(video_id: str, tracks: Iterable[Track], happened_at: str) -> list[LibraryMoment]:
    """One row per track: "white car, entered left, exited right, moving left to right"."""
    rows = []
    for track in tracks:
        label = f"{track.colour} {track.label}" if track.colour else track.label
        said = [label]
        if track.entered:
            said.append(f"entered {track.entered}")
        if track.exited:
            said.append(f"exited {track.exited}")
        if track.direction:
            said.append(f"moving {track.direction}")
        rows.append(
            LibraryMoment(video_id=video_id, kind="track", position=track.track_id,
                          at_s=track.first_s, end_s=track.last_s, happened_at=happened_at,
                          description=", ".join(said), labels=label)
        )  # fmt: skip
    return rows


def session_rows(
    document: SessionDocument, frames: Sequence[Moment], speech: Sequence[SpeechSegment]
) -> list[LibraryMoment]:
    """Every row of a session: its frames, its speech and its tracks."""
    at = document.created_at
    rows = [frame_row(document.session_id, m, at) for m in frames]
    rows += speech_rows(document.session_id, speech, at)
    rows += track_rows(document.session_id, document.tracks or [], at)
    return rows


def iso_of(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds")
