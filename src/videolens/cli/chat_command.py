"""Commands: chat, ask, search, export (registered on the main app in ``cli/app.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from videolens.chat.answer import Answer, chat_model_configured, stream_answer
from videolens.chat.retrieval import Retriever
from videolens.chat.search import search_session, search_sessions
from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr, user_errors
from videolens.cli.stream_chat_command import (
    ask_stream_command,
    is_stream,
    search_stream_command,
    stream_turn,
    stream_zone,
)
from videolens.config import Settings
from videolens.errors import VideoLensError
from videolens.exports import EXPORT_FORMATS, export_format, export_session
from videolens.store import SessionStore

SessionArg = Annotated[str, typer.Argument(help="A session id from `videolens sessions`.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
TimeZoneOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        help="For a stream: the zone of times in the question and the answer (Europe/Berlin, "
        "+02:00); default: VIDEOLENS_TIME_ZONE, else this machine's.",
    ),
]
# Follow-up questions in `videolens chat` see this many earlier turns.
CHAT_HISTORY_TURNS = 3


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _report_citations(answer: Answer) -> None:
    """Flag citations that match no analysed moment: they are not evidence."""
    for citation in answer.citations:
        if not citation.valid:
            stderr.print(
                f"[yellow]warning:[/yellow] [{citation.text}] matches no analysed moment",
                highlight=False,
                markup=True,
            )


def _stream_to_stdout(
    settings: Settings, store: SessionStore, session_id: str, question: str, **options: Any
) -> Answer:
    answer = None
    for event in stream_answer(settings, store, session_id, question, **options):
        if event.kind == "delta":
            typer.echo(event.text, nl=False)
        elif event.answer is not None:
            answer = event.answer
    typer.echo("")
    if answer is None:  # pragma: no cover - stream_answer always ends with an answer
        fail("the chat ended without an answer")
    if answer.cached:
        stderr.print("(cached answer)", style="dim")
    _report_citations(answer)
    return answer


def ask(
    session_id: Annotated[
        str, typer.Argument(help="A session id (`videolens sessions`) or a live stream's id.")
    ],
    question: Annotated[str, typer.Argument(help="The question about the video.")],
    as_json: JsonOption = False,
    tz: TimeZoneOption = None,
) -> None:
    """Ask one question about a session or a live stream; the answer streams, citing [mm:ss]
    moments (a stream's: local wall-clock [14:05:12], and "in the last 10 minutes" works)."""
    with user_errors():
        settings = Settings()
        if is_stream(settings, session_id):
            ask_stream_command(settings, session_id, question, tz, as_json)
            return
        store = SessionStore(settings.sessions_dir)
        if as_json:
            answer = None
            for event in stream_answer(settings, store, session_id, question):
                answer = event.answer or answer
            if answer is not None:
                _print_json(answer.as_dict())
            return
        _stream_to_stdout(settings, store, session_id, question)


def chat(
    session_id: Annotated[
        str, typer.Argument(help="A session id (`videolens sessions`) or a live stream's id.")
    ],
    tz: TimeZoneOption = None,
) -> None:
    """Chat about a session or a live stream in the terminal (empty line, `exit` or Ctrl-D to
    leave)."""
    with user_errors():
        settings = Settings()
        store = SessionStore(settings.sessions_dir)
        stream = is_stream(settings, session_id)  # fail early on an unknown id
        zone = stream_zone(settings, tz) if stream else None
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
            if zone is not None:
                stream_turn(settings, session_id, question, zone, retriever, CHAT_HISTORY_TURNS)
                continue
            _stream_to_stdout(
                settings, store, session_id, question,
                retriever=retriever, history_turns=CHAT_HISTORY_TURNS,
            )  # fmt: skip
        except VideoLensError as err:
            # One failed answer ends the answer, not the conversation.
            stderr.print(Text.assemble(("error:", "red"), " ", str(err)), soft_wrap=True)


def search(
    words: Annotated[
        list[str],
        typer.Argument(
            help="[ID] QUERY: words to look for (descriptions, on-screen text), after a "
            "session or stream id to search only that one.",
            metavar="[ID] QUERY",
        ),
    ],
    session_id: Annotated[
        str | None, typer.Option("--session", help="Search only this session (or stream).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most moments shown.")] = 10,
    as_json: JsonOption = False,
    since: Annotated[
        str | None, typer.Option(help="For a stream: from this time (14:05, ISO 8601, Unix).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="For a stream: up to this time.")] = None,
    tz: TimeZoneOption = None,
) -> None:
    """Find the moments that match QUERY, in one session or stream, or in all sessions."""
    with user_errors():
        settings = Settings()
        store = SessionStore(settings.sessions_dir)
        if session_id is None and len(words) > 1 and _names_one(settings, words[0]):
            session_id, words = words[0], words[1:]
        query = " ".join(words)
        if session_id is not None and is_stream(settings, session_id):
            search_stream_command(
                settings,
                session_id,
                query,
                since=since,
                until=until,
                tz=tz,
                limit=limit,
                as_json=as_json,
            )
            return
        if session_id is not None:
            hits = search_session(store.get(session_id), query, limit)
        else:
            ids = [s["session_id"] for s in store.list_sessions()]
            hits = search_sessions((store.get(i) for i in ids), query, limit)
    if as_json:
        _print_json([hit.as_dict() for hit in hits])
        return
    if not hits:
        typer.echo("no matching moments")
    for hit in hits:
        text = f"  text: {', '.join(hit.text)}" if hit.text else ""
        typer.echo(
            f"{hit.session_id}  [{hit.timestamp}]  {hit.score:6.2f}  {hit.description}{text}"
        )


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
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(EXPORT_FORMATS)}.")
    ] = "markdown",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Export a session: json, markdown, srt/vtt (subtitles of the speech), moments-srt/vtt
    (the described moments), youtube (chapters) or csv."""
    with user_errors():
        export_format(fmt)  # an unknown format fails before the session is read
        store = SessionStore(Settings().sessions_dir)
        document = store.get(session_id)
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
