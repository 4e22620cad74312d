"""Commands: clip (an MP4 around a moment) and sheet (a contact sheet); registered in ``app.py``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer

from videolens.cli.errors import EXIT_BAD_INPUT, fail, user_errors
from videolens.config import Settings
from videolens.store import SessionStore
from videolens.video.clips import (
    CLIPS_DIR,
    DEFAULT_AFTER_S,
    DEFAULT_BEFORE_S,
    Clip,
    ClipRequestError,
    clip_of,
    clock,
    parse_clip_time,
    session_video,
)
from videolens.video.contact_sheet import (
    DEFAULT_TILES,
    MAX_TILES,
    SheetError,
    check_tiles,
    encode_sheet,
    session_sheet,
    sheet_format,
)

SessionArg = Annotated[str, typer.Argument(help="A session id from `videolens sessions`.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Where to write it.")
]
_METHODS = {
    "copy": "a stream copy from the keyframe at or before the asked start",
    "transcode": "re-encoded from the picture on screen at the asked start",
}


def clip(
    session_id: SessionArg,
    at: Annotated[
        str,
        typer.Argument(
            metavar="TIME", help="The moment: seconds (83), mm:ss (1:23) or h:mm:ss (1:01:23)."
        ),
    ],
    before: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="Seconds before the moment."),
    ] = DEFAULT_BEFORE_S,
    after: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="Seconds after the moment."),
    ] = DEFAULT_AFTER_S,
    output: OutputOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Cut an MP4 around a moment (at most 120 s in all).

    A stream copy from the keyframe before it when the video allows, else re-encoded. Prints
    where it wrote the clip, where the clip really starts and how long it lasts.
    [default FILE: SESSION-TIME.mp4 here]"""
    with user_errors():
        try:
            at_s = parse_clip_time(at)
            store = SessionStore(Settings().sessions_dir)
            document = store.get(session_id)
            made = clip_of(
                session_video(document),
                store.session_dir(session_id) / CLIPS_DIR,
                at_s,
                before,
                after,
            )
        except ClipRequestError as err:
            fail(str(err), EXIT_BAD_INPUT)
    target = output or Path(f"{session_id}-{_time_name(at_s)}.mp4")
    try:
        shutil.copyfile(made.path, target)
    except OSError as err:
        fail(f"cannot write {target}: {err.strerror}", EXIT_BAD_INPUT)
    if as_json:
        typer.echo(json.dumps({**made.as_dict(), "path": str(target)}, indent=2))
        return
    typer.echo(_describe(made, target))


def _time_name(seconds: float) -> str:
    """``01m23s`` (``1h01m23s`` past an hour): a time that can be part of a file name."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{minutes:02d}m{secs:02d}s"
    return f"{hours}h{text}" if hours else text


def _describe(made: Clip, target: Path) -> str:
    asked = made.window
    return (
        f"wrote {target}: starts at {clock(made.start_s, 2)}, lasts {made.duration_s:.2f} s "
        f"({_METHODS[made.method]}; asked {clock(asked.start_s, 2)} to {clock(asked.end_s, 2)})"
    )


def sheet(
    session_id: SessionArg,
    count: Annotated[
        int,
        typer.Option("--count", "-n", metavar="N", help=f"Thumbnails (1 to {MAX_TILES})."),
    ] = DEFAULT_TILES,
    output: OutputOption = None,
) -> None:
    """Write a contact sheet: one image of N thumbnails.

    The thumbnails show the analysed moments (or frames of the video) with their times; the
    image is .jpg or .png by FILE's name. [default FILE: SESSION-sheet.jpg here]"""
    target = output or Path(f"{session_id}-sheet.jpg")
    with user_errors():
        try:
            fmt = sheet_format(target)
            check_tiles(count)
        except SheetError as err:
            fail(str(err), EXIT_BAD_INPUT)
        store = SessionStore(Settings().sessions_dir)
        document = store.get(session_id)
        made = session_sheet(document, store.frames_dir(session_id), count)
    try:
        target.write_bytes(encode_sheet(made.image, fmt))
    except OSError as err:
        fail(f"cannot write {target}: {err.strerror}", EXIT_BAD_INPUT)
    what = "analysed moments" if made.source == "moments" else "frames of the video"
    height, width = made.image.shape[:2]
    typer.echo(
        f"wrote {target} ({width}x{height}): {len(made.times_s)} {what} from "
        f"{clock(made.times_s[0])} to {clock(made.times_s[-1])}"
    )
