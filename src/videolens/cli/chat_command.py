"""Commands: chat, ask, search, export (registered on the main app in ``cli/app.py``, imported
when one runs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from videolens.chat.answer import Answer, chat_model_configured, prepare_answer, run_answer
from videolens.chat.live_timeline import AskedRange
from videolens.chat.retrieval import Retriever
from videolens.chat.search import search_session, search_sessions, search_stream
from videolens.chat.sources import SessionSource, Source, StreamSource
from videolens.chat.wall_clock import parse_instant
from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr, user_errors
from videolens.cli.options import JsonOption, print_json
from videolens.config import Settings
from videolens.errors import SessionNotFoundError, VideoLensError
from videolens.exports import EXPORT_FORMATS, export_format, export_session
from videolens.store import SessionStore
from videolens.streams.store import StreamStore
from videolens.timeline.clock import InvalidTimeError, Zone, resolve_zone

SessionArg = Annotated[str, typer.Argument(help="A session id from `videolens sessions`.")]
TargetArg = Annotated[
    str, typer.Argument(help="A session id (`videolens sessions`) or a live stream's id.")
]
TimeZoneOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        help="For a stream: the zone of times in the question and the answer (Europe/Berlin, "
        "+02:00); default: VIDEOLENS_TIME_ZONE, else this machine's. With --all: the zone of "
        "the days a question names ('yesterday'); default: UTC.",
    ),
]
# Follow-up questions in `videolens chat` see this many earlier turns.
CHAT_HISTORY_TURNS = 3


def is_stream(settings: Settings, target_id: str) -> bool:
    """Whether ``target_id`` names a stream (a session of that id wins); neither: an error."""
    if SessionStore(settings.sessions_dir).exists(target_id):
        return False
    if StreamStore(settings.streams_dir).exists(target_id):
        return True
    raise SessionNotFoundError(f"no session or stream {target_id!r}")


def _zone(settings: Settings, tz: str | None) -> Zone:
    """The zone for ``--tz`` (else the setting, else this machine's); a bad one ends the
    command."""
    try:
        return resolve_zone(tz, settings.time_zone)
    except InvalidTimeError as err:
        fail(str(err), EXIT_BAD_INPUT)


def _source(settings: Settings, target_id: str, question: str, zone: Zone | None) -> Source:
    """What ``question`` is answered over: the session, or (with a ``zone``) the stream's range
    the question names."""
    if zone is None:
        return SessionSource.load(SessionStore(settings.sessions_dir), target_id)
    return StreamSource.load(
        StreamStore(settings.streams_dir), target_id, question, AskedRange(zone)
    )


def _answer(
    settings: Settings,
    source: Source,
    question: str,
    *,
    as_json: bool = False,
    retriever: Retriever | None = None,
    history_turns: int = 0,
) -> None:
    """Answer one question: the text streams to stdout (or the answer's JSON at the end), then
    a note on a cached answer and a warning per citation that is no evidence."""
    prepared = prepare_answer(
        settings, source, question, retriever=retriever, history_turns=history_turns
    )
    answer = None
    for event in run_answer(settings, prepared):
        if event.answer is not None:
            answer = event.answer
        elif not as_json:
            typer.echo(event.text, nl=False)
    if answer is None:  # pragma: no cover - run_answer always ends with an answer
        fail("the chat ended without an answer")
    if as_json:
        print_json(answer.as_dict())
        return
    typer.echo("")
    if answer.cached:
        stderr.print("(cached answer)", style="dim")
    _report_citations(answer)


def _report_citations(answer: Answer) -> None:
    """Flag citations that match no analysed moment (a stream's: frame): they are no evidence."""
    what = "frame" if answer.scope is not None else "moment"
    for citation in answer.citations:
        if not citation.valid:
            stderr.print(
                f"[yellow]warning:[/yellow] [{citation.text}] matches no analysed {what}",
                highlight=False,
                markup=True,
            )


def ask(
    session_id: TargetArg,
    question: Annotated[str, typer.Argument(help="The question about the video.")],
    as_json: JsonOption = False,
    tz: TimeZoneOption = None,
) -> None:
    """Ask one question about a session or a live stream.

    The answer streams, citing [mm:ss] moments (a stream's: local wall-clock [14:05:12], and
    "in the last 10 minutes" works)."""
    with user_errors():
        settings = Settings()
        zone = _zone(settings, tz) if is_stream(settings, session_id) else None
        try:
            _answer(settings, _source(settings, session_id, question, zone), question,
                    as_json=as_json)  # fmt: skip
        except InvalidTimeError as err:
            fail(str(err), EXIT_BAD_INPUT)


def chat(session_id: TargetArg, tz: TimeZoneOption = None) -> None:
    """Chat about a session or a live stream in the terminal.

    An empty line, `exit` or Ctrl-D leaves."""
    with user_errors():
        settings = Settings()
        zone = _zone(settings, tz) if is_stream(settings, session_id) else None
    if not chat_model_configured(settings):
        stderr.print(
            "No chat model configured (set NEBIUS_API_KEY, or VIDEOLENS_CHAT_BASE_URL for a local "
            "server): answers come from the analysed moments — summary, counts, what is seen, "
            "on-screen text and speech — without a language model.",
            style="yellow",
        )
    retriever = Retriever()
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if question.lower() in ("", "exit", "quit", ":q"):
            return
        try:
            source = _source(settings, session_id, question, zone)
            _answer(settings, source, question, retriever=retriever,
                    history_turns=CHAT_HISTORY_TURNS)  # fmt: skip
        except VideoLensError as err:
            # One failed answer ends the answer, not the conversation.
            stderr.print(Text.assemble(("error:", "red"), " ", str(err)), soft_wrap=True)


def search(
    words: Annotated[
        list[str],
        typer.Argument(
            help="Words to look for (descriptions, on-screen text); a session or stream id "
            "first searches only that one.",
            metavar="[ID] QUERY",
        ),
    ],
    session_id: Annotated[
        str | None,
        typer.Option("--session", metavar="ID", help="Search only this session (or stream)."),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=500, metavar="N", help="Most moments shown.")
    ] = 10,
    as_json: JsonOption = False,
    since: Annotated[
        str | None,
        typer.Option(metavar="TIME", help="For a stream: from this time (14:05, ISO 8601, Unix)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="TIME", help="For a stream: up to this time.")
    ] = None,
    tz: TimeZoneOption = None,
) -> None:
    """Find the moments that match QUERY.

    It searches all sessions, or only the session or stream whose ID comes first (or
    --session)."""
    with user_errors():
        settings = Settings()
        store = SessionStore(settings.sessions_dir)
        if session_id is None and len(words) > 1 and _names_one(settings, words[0]):
            session_id, words = words[0], words[1:]
        query = " ".join(words)
        if session_id is not None and is_stream(settings, session_id):
            _search_stream(settings, session_id, query, (since, until), tz, limit, as_json)
            return
        if session_id is not None:
            hits = search_session(store.document(session_id), query, limit)
        else:
            ids = [s.session_id for s in store.list_sessions()]
            hits = search_sessions((store.document(i) for i in ids), query, limit)
    if as_json:
        print_json([hit.as_dict() for hit in hits])
        return
    if not hits:
        typer.echo("no matching moments")
    for hit in hits:
        text = f"  text: {', '.join(hit.text)}" if hit.text else ""
        typer.echo(
            f"{hit.session_id}  [{hit.timestamp}]  {hit.score:6.2f}  {hit.description}{text}"
        )


def _search_stream(
    settings: Settings,
    stream_id: str,
    query: str,
    bounds: tuple[str | None, str | None],
    tz: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Print the frames of a stream that best match ``query`` in the range."""
    zone, now = _zone(settings, tz), time.time()
    try:
        since_at, until_at = (parse_instant(value, zone, now) for value in bounds)
        asked = AskedRange(zone, now, since_at, until_at)
        found = search_stream(
            StreamStore(settings.streams_dir), stream_id, query, asked, limit=limit
        )
    except InvalidTimeError as err:
        fail(str(err), EXIT_BAD_INPUT)
    if as_json:
        print_json([hit.as_dict() for hit in found.hits])
        return
    if not found.hits:
        typer.echo(f"no matching frames{' ' + found.range_label if found.range_label else ''}")
    for hit in found.hits:
        text = f"  text: {', '.join(hit.text)}" if hit.text else ""
        typer.echo(f"{stream_id}  [{hit.time}]  {hit.score:6.2f}  {hit.description}{text}")


def _names_one(settings: Settings, word: str) -> bool:
    """Whether ``word`` is the id of a session or a stream (else it is part of the query)."""
    try:
        is_stream(settings, word)
    except VideoLensError:
        return False
    return True


def export(
    session_id: SessionArg,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help=f"One of: {', '.join(EXPORT_FORMATS)}."
        ),
    ] = "markdown",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Export a session as a document, subtitles or chapters.

    FORMAT: json, markdown, srt/vtt (subtitles of the speech), moments-srt/vtt (the described
    moments), youtube (chapters) or csv."""
    with user_errors():
        export_format(fmt)  # an unknown format fails before the session is read
        store = SessionStore(Settings().sessions_dir)
        document = store.document(session_id)
        relative_to = (
            output.resolve().parent if output is not None else store.session_dir(session_id)
        )
        text = export_session(document, fmt, relative_to=relative_to)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        fail(f"cannot write {output}: {err.strerror}", EXIT_BAD_INPUT)
    stderr.print(f"wrote {output}", style="dim")
