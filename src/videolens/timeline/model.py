"""The typed model of what videolens stores and serves: a moment, a session's result, a stream.

These describe the JSON that the store writes (``session.json``, batch files, stream windows)
exactly, so one model serves the store, the API's ``response_model`` and the CLI's ``--json``.
Every model allows unknown fields: a document written by an older or newer videolens loads and
dumps again with nothing lost. Dump with ``as_json()`` (unset fields stay absent) so a loaded
document comes back field for field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

COLOUR_NAMES = (
    "black", "white", "grey", "red", "orange", "yellow",
    "green", "cyan", "blue", "purple", "pink", "brown",
)  # fmt: skip
"""The colour vocabulary of ``Detection.colour``, ``Track.colour`` and ``Colour.name``."""


class Record(BaseModel):
    """A stored JSON object: known fields typed, unknown ones kept as they are."""

    model_config = ConfigDict(extra="allow")

    def as_json(self) -> dict[str, Any]:
        """The JSON object: the fields it was loaded or built with, and no defaults added."""
        return self.model_dump(mode="json", exclude_unset=True)


class Detection(Record):
    """An object the detector found (the basic analyzer's ``detections``)."""

    label: str = Field(description="What it is (a COCO class name, e.g. ``person``).")
    score: float = Field(description="Detector confidence, 0..1.")
    box: list[float] = Field(
        min_length=4,
        max_length=4,
        description="``[x0, y0, x1, y1]`` normalised to the frame: 0..1 from the top left.",
    )
    colour: str | None = Field(
        default=None, description="Its own colour, from a small vocabulary (``red``, ``white``…)."
    )
    track_id: int | None = Field(default=None, description="The track it belongs to, if any.")


class TrackPoint(Record):
    """Where a track was at one moment of the detection pass."""

    t: float = Field(description="Seconds from the video's start (streams: wall clock, Unix s).")
    box: list[float] = Field(min_length=4, max_length=4, description="As ``Detection.box``.")


class Track(Record):
    """One object followed across frames by the tracker: the same person, car or dog.

    Times are seconds from the video's start for a session, wall-clock Unix seconds for a
    stream. ``entered``/``exited`` name the frame edge it crossed (``left``, ``right``, ``top``,
    ``bottom``), or ``inside`` when it was already there at the start (or still there at the
    end) or appeared/vanished away from the edges.
    """

    track_id: int
    label: str = Field(description="A COCO class name, e.g. ``person``.")
    first_s: float = Field(description="First seen.")
    last_s: float = Field(description="Last seen.")
    colour: str | None = Field(default=None, description="Its most frequent colour.")
    entered: str | None = None
    exited: str | None = None
    direction: str | None = Field(
        default=None, description="Overall heading, e.g. ``left to right``; None if it stayed."
    )
    detections: int = Field(default=0, description="Detections the track confirmed.")
    score: float | None = Field(default=None, description="Mean detector confidence.")
    path: list[TrackPoint] = Field(default_factory=list, description="Sampled positions.")


class Tracking(Record):
    """How the detection pass that made the tracks ran."""

    fps: float = Field(description="Frames per second the detector saw.")
    frames: int = Field(description="Frames the detector saw.")
    detector: str
    tracker: str
    tiled: bool | None = Field(default=None, description="Whether frames were tiled.")
    seconds: float | None = Field(default=None, description="Wall time of the pass.")


class FaceBox(Record):
    """A frontal face, normalised to the frame (0..1 from the top left)."""

    x: float
    y: float
    w: float
    h: float


class Colour(Record):
    """One dominant colour of a frame."""

    name: str = Field(description="A plain colour name, e.g. ``black``.")
    hex: str = Field(description="``#rrggbb``.")
    share: float = Field(description="Share of the frame's pixels, 0..1.")


class Moment(Record):
    """A described frame: when it is, why it was sampled, and what the vision model saw.

    A video's frame has ``index`` and ``timestamp_s``; a live stream's has ``seq``, ``at``,
    ``at_iso`` and ``window`` instead. The API serves ``image_url`` in place of ``image``.
    """

    index: int | None = Field(default=None, description="Frame number in the video.")
    timestamp_s: float | None = Field(default=None, description="Seconds from the video's start.")
    seq: int | None = Field(default=None, description="Stream frames: sequence number.")
    at: float | None = Field(default=None, description="Stream frames: wall clock, Unix seconds.")
    at_iso: str | None = Field(default=None, description="Stream frames: ``at`` in ISO 8601 UTC.")
    window: str | None = Field(default=None, description="Stream frames: the ingest window.")
    image: str | None = Field(
        default=None, description="Path of the stored JPEG on the server (not served by the API)."
    )
    image_url: str | None = Field(default=None, description="API responses: the frame's JPEG.")
    width: int | None = Field(default=None, description="Width of the stored frame, pixels.")
    height: int | None = Field(default=None, description="Height of the stored frame, pixels.")
    reason: str | None = Field(
        default=None, description="Why the frame was sampled: ``shot``, ``floor``, ``interval``…"
    )
    shot_start: bool | None = Field(default=None, description="The first frame of a new shot.")
    motion: float | None = Field(default=None, description="Motion score against the last frame.")
    description: str = Field(default="", description="One or two sentences about the scene.")
    objects: list[str] = Field(default_factory=list, description="Notable objects.")
    people: list[str] = Field(default_factory=list, description="Each person visible, briefly.")
    text: list[str] = Field(default_factory=list, description="Text read in the frame, verbatim.")
    actions: list[str] = Field(default_factory=list, description="What is happening.")
    model: str = Field(default="", description="The model (or backend) that described it.")
    # The basic analyzer's measurements; other backends leave them out.
    brightness: float | None = Field(default=None, description="Mean brightness, 0..255.")
    brightness_label: str | None = None
    colours: list[Colour] | None = Field(default=None, description="Dominant colours.")
    faces: list[FaceBox] | None = Field(default=None, description="Frontal faces.")
    face_count: int | None = None
    motion_label: str | None = None
    shot_change: bool | None = None
    text_read: bool | None = Field(default=None, description="Whether text recognition ran.")
    objects_detected: bool | None = Field(default=None, description="Whether detection ran.")
    detections: list[Detection] | None = None
    people_count: int | None = None
    # What model backends add when a reply was not fully usable.
    readable: bool | None = Field(default=None, description="False: the frame was unreadable.")
    problems: list[str] | None = Field(
        default=None, description="What had to be fixed or dropped in the model's reply."
    )
    fallback_reason: str | None = Field(
        default=None, description="Why another backend than the preferred one described it."
    )
    unstructured_reply: bool | None = None


class SpeechSegment(Record):
    """A stretch of recognised speech in a video."""

    start_s: float
    end_s: float
    text: str


class Speech(Record):
    """What is said in the video: transcribed (``ok``) or why not."""

    status: str = Field(description="``ok``, ``none`` (no audio), ``off`` or ``unavailable``.")
    reason: str | None = Field(default=None, description="Why speech is not ``ok``.")
    language: str | None = None
    model: str | None = None
    segments: list[SpeechSegment] = Field(default_factory=list)


class Coverage(Record):
    """How well the analysed frames cover the video."""

    frames: int
    frames_per_min: float
    max_gap_s: float = Field(description="Longest stretch without a frame, ends included.")
    floor_s: float = Field(default=0.0, description="The floor interval the sampler worked to.")


class Shots(Record):
    """The shots the sampler found."""

    count: int
    starts_s: list[float] = Field(default_factory=list, description="Start of each shot.")


class Chapter(Record):
    """A chapter of the summary."""

    start_s: float
    title: str


class VideoInfo(Record):
    """What probing learnt about the video; only ``path`` until probed."""

    path: str | None = Field(default=None, description="The video on the server (not served).")
    filename: str | None = Field(default=None, description="API responses: the file's name.")
    duration_s: float | None = None
    fps: float | None = None
    frame_count: int | None = None
    width: int | None = Field(default=None, description="Displayed width, pixels.")
    height: int | None = Field(default=None, description="Displayed height, pixels.")
    codec: str | None = None
    rotation: int | None = None
    has_audio: bool | None = None
    container: str | None = None
    size_bytes: int | None = None
    coded_width: int | None = None
    coded_height: int | None = None
    sample_aspect_ratio: float | None = None
    header_note: str | None = Field(
        default=None, description="Where the file's header was wrong and what was used instead."
    )


class SessionOptions(Record):
    """The analysis options the session ran with."""

    strategy: str | None = None
    interval_s: float | None = None
    max_frames: int | None = None
    backend: str | None = None
    prompt: str | None = None


SessionStatusName = Literal["running", "completed", "failed", "cancelled"]


class SessionHeader(Record):
    """What a list of sessions shows of each: who, when, what state, how many frames so far."""

    session_id: str
    status: SessionStatusName
    created_at: str
    updated_at: str | None = None
    filename: str | None = None
    title: str | None = Field(default=None, description="A name given to the session.")
    duration_s: float | None = None
    frames: int = Field(default=0, description="How many frames are described (so far).")
    error: str | None = None


class SessionDocument(Record):
    """A session's result: its video, every described moment, coverage, speech and summary.

    While running, ``frames`` holds the batches described so far; ``summary``, ``chapters``,
    ``speech`` and ``shots`` are written when the analysis completes.
    """

    session_id: str
    status: SessionStatusName
    created_at: str = Field(description="ISO 8601.")
    updated_at: str | None = None
    finished_at: str | None = None
    owner: str | None = None
    filename: str | None = None
    title: str | None = Field(default=None, description="A name given to the session.")
    options: SessionOptions = Field(default_factory=SessionOptions)
    video: VideoInfo = Field(default_factory=VideoInfo)
    frames: list[Moment] = Field(default_factory=list, description="Described moments, by time.")
    coverage: Coverage | None = None
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    routing: dict[str, Any] | None = None
    shots: Shots | None = None
    speech: Speech | None = None
    summary: str | None = None
    chapters: list[Chapter] = Field(default_factory=list)
    tracks: list[Track] | None = Field(
        default=None, description="Objects followed across frames; None: no tracking pass ran."
    )
    tracking: Tracking | None = None
    summary_mode: str | None = Field(default=None, description="``llm`` or ``shots``.")
    error: str | None = Field(default=None, description="Why the session failed.")


class WallSpan(Record):
    """A stretch of a stream's wall clock: Unix seconds, and the same as ISO 8601 UTC."""

    start_at: float
    end_at: float
    start_iso: str | None = None
    end_iso: str | None = None


class StreamGap(WallSpan):
    """A stretch the stream could not be read."""

    seconds: float | None = None
    reason: str | None = None


class StreamSpeechSegment(WallSpan):
    """A stretch of recognised speech on the wall clock."""

    text: str


class StreamSpeechState(Record):
    """Speech recognition of a stream so far."""

    status: str = Field(description="``pending``, ``ok``, ``none``, ``off`` or ``unavailable``.")
    reason: str | None = None
    model: str | None = None
    segments: int | None = None
    error: str | None = None
    skipped_s: float | None = None


class StreamOptions(Record):
    """How the stream is watched."""

    rules: list[str] = Field(default_factory=list)
    retention_s: float | None = None
    record: bool | None = None
    window_s: float | None = None
    backend: str | None = None
    floor_interval_s: float | None = None


class StreamWebhook(Record):
    """Where events are posted (the URL without its query)."""

    url: str
    signed: bool


class StreamDocument(Record):
    """A live stream: settings, status, counters, the latest frame and recent gaps."""

    stream_id: str
    status: str = Field(description="``starting``, ``live``, ``reconnecting``, ``stopped``…")
    created_at: str
    updated_at: str | None = None
    name: str | None = None
    url: str | None = Field(default=None, description="The source without its credentials.")
    owner: str | None = None
    options: StreamOptions | None = None
    webhook: StreamWebhook | None = None
    frames_total: int = 0
    events_total: int = 0
    latest: Moment | None = Field(default=None, description="The newest described frame.")
    last_frame_at: float | None = None
    gaps: list[StreamGap] = Field(default_factory=list)
    source_error: str | None = None
    error: str | None = None
    speech: StreamSpeechState | None = None
    latest_speech: StreamSpeechSegment | None = None


class StreamDelivery(Record):
    """The outcome of posting one event to the stream's webhook."""

    status: str = Field(description="``delivered``, ``retrying`` or ``failed``.")
    attempts: int | None = None
    updated_at: str | None = None
    http_status: int | None = None
    error: str | None = None


class StreamEvent(Record):
    """An event a rule raised: from a described frame, or (``source: "speech"``) from speech.

    Event ids are ``<seq>-<rule>`` for frames and ``s<batch>-<n>`` for speech; ``window`` names
    the window (or speech batch) file that holds it.
    """

    event_id: str
    rule: str = Field(default="", description="Canonical text: ``label:person``, ``word:exit``…")
    kind: str = Field(default="", description="``label``, ``word`` or ``shot``.")
    match: str = Field(default="", description="What matched, in words.")
    at: float = Field(description="Wall clock, Unix seconds.")
    at_iso: str | None = None
    seq: int | None = Field(default=None, description="The frame on screen, if any.")
    description: str = ""
    source: str | None = Field(default=None, description="``speech`` for spoken words.")
    end_at: float | None = Field(default=None, description="Speech: the segment's end.")
    text: str | None = Field(default=None, description="Speech: what was said.")
    stream_id: str | None = None
    window: str | None = None
    image: str | None = Field(default=None, description="The frame's JPEG on the server.")
    webhook: StreamDelivery | None = Field(default=None, description="Webhook delivery state.")
