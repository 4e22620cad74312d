"""``videolens ask`` and ``videolens search`` on a live stream (``cli/chat_command.py`` sends a
stream id here): answers and hits cite local wall-clock times (``[14:05:12]``)."""

from __future__ import annotations

import json
import time
from typing import Any

import typer

from videolens.chat.retrieval import Retriever
from videolens.chat.stream_answer import (
    StreamAnswer,
    prepare_stream_answer,
    run_stream_answer,
)
from videolens.chat.stream_search import search_stream
from videolens.chat.stream_zone import InvalidTimeError, Zone, resolve_zone
from videolens.chat.wall_clock import parse_instant
from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr
from videolens.config import Settings
from videolens.errors import SessionNotFoundError
from videolens.store import SessionStore
from videolens.streams.store import StreamStore


def is_stream(settings: Settings, target_id: str) -> bool:
    """Whether ``target_id`` names a stream (a session of that id wins); neither: an error."""
    if SessionStore(settings.sessions_dir).exists(target_id):
        return False
    if StreamStore(settings.streams_dir).exists(target_id):
        return True
    raise SessionNotFoundError(f"no session or stream {target_id!r}")


def stream_zone(settings: Settings, tz: str | None) -> Zone:
    """The zone for ``--tz`` (else the setting, else this machine's); a bad one ends the
    command."""
    try:
        return resolve_zone(tz, settings.time_zone)
    except InvalidTimeError as err:
        fail(str(err), EXIT_BAD_INPUT)


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _warn_invalid(answer: StreamAnswer) -> None:
    """Flag citations that match no stored frame: they are not evidence."""
    for citation in answer.citations:
        if not citation.valid:
            stderr.print(
                f"[yellow]warning:[/yellow] [{citation.text}] matches no analysed frame",
                highlight=False,
                markup=True,
            )


def ask_stream_command(
    settings: Settings, stream_id: str, question: str, tz: str | None, as_json: bool
) -> None:
    """Answer one question about a stream, streaming the answer unless ``as_json``."""
    zone = stream_zone(settings, tz)
    try:
        _answer(settings, stream_id, question, zone, Retriever(), 0, as_json)
    except InvalidTimeError as err:
        fail(str(err), EXIT_BAD_INPUT)


def stream_turn(
    settings: Settings,
    stream_id: str,
    question: str,
    zone: Zone,
    retriever: Retriever,
    history_turns: int,
) -> None:
    """One turn of ``videolens chat`` on a stream (errors are the caller's to show)."""
    _answer(settings, stream_id, question, zone, retriever, history_turns, False)


def _answer(
    settings: Settings,
    stream_id: str,
    question: str,
    zone: Zone,
    retriever: Retriever,
    history_turns: int,
    as_json: bool,
) -> None:
    store = StreamStore(settings.streams_dir)
    prepared = prepare_stream_answer(
        settings, store, stream_id, question,
        zone=zone, retriever=retriever, history_turns=history_turns,
    )  # fmt: skip
    answer = None
    for event in run_stream_answer(settings, store, prepared):
        if event.answer is not None:
            answer = event.answer
        elif not as_json:
            typer.echo(event.text, nl=False)
    if answer is None:  # pragma: no cover - run_stream_answer always ends with an answer
        fail("the chat ended without an answer")
    if as_json:
        _print_json(answer.as_dict())
        return
    typer.echo("")
    _warn_invalid(answer)


def search_stream_command(
    settings: Settings,
    stream_id: str,
    query: str,
    *,
    since: str | None,
    until: str | None,
    tz: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Print the frames of a stream that best match ``query`` in the range."""
    zone, now = stream_zone(settings, tz), time.time()
    try:
        since_at, until_at = parse_instant(since, zone, now), parse_instant(until, zone, now)
    except InvalidTimeError as err:
        fail(str(err), EXIT_BAD_INPUT)
    try:
        found = search_stream(
            StreamStore(settings.streams_dir), stream_id, query, zone=zone, now=now,
            since_at=since_at, until_at=until_at, limit=limit,
        )  # fmt: skip
    except InvalidTimeError as err:
        fail(str(err), EXIT_BAD_INPUT)
    if as_json:
        _print_json([hit.as_dict() for hit in found.hits])
        return
    if not found.hits:
        typer.echo(f"no matching frames{' ' + found.range_label if found.range_label else ''}")
    for hit in found.hits:
        text = f"  text: {', '.join(hit.text)}" if hit.text else ""
        typer.echo(f"{stream_id}  [{hit.time}]  {hit.score:6.2f}  {hit.description}{text}")
