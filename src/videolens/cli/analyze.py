"""``videolens analyze``: validate, create the session, run the workflow, follow it live.

A full disk ends the run with one sentence: the activity that meets it removes the session's
partial files (so Temporal's database, when it shares that disk, can record the failure) and
the workflow marks the session failed. Should the run stall, or Temporal stop answering, while the
disk holding the session or Temporal's database is full, this process fails the session itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.text import Text
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError

from videolens.backends import backend_class
from videolens.cli.errors import EXIT_INTERRUPTED, fail, stderr
from videolens.cli.progress import AnalysisProgressBar
from videolens.config import Settings
from videolens.errors import InvalidVideoError, TemporalUnavailableError
from videolens.library.indexing import indexed_session_store
from videolens.pipeline.client import (
    analysis_input,
    follow,
    recorded_options,
    sampling_options,
    start_analysis,
)
from videolens.pipeline.embedded_server import restart_if_dead
from videolens.pipeline.reconcile import reconcile_session
from videolens.pipeline.shared import AnalysisProgress, AnalysisSummary, AnalyzeVideoInput
from videolens.pipeline.temporal_server import client_address, temporal_client
from videolens.pipeline.worker import Queue, running_workers
from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus
from videolens.store.space import check_space, free_bytes, out_of_space
from videolens.timeline.model import SessionDocument
from videolens.video.decode import fit_size
from videolens.video.probe import probe_video
from videolens.video.segments import estimate_frames
from videolens.video.types import VideoInfo

NEARLY_FULL_BYTES = 1_000_000
"""Less free than this where the session or Temporal's database lives: the disk is full."""
TERMINATE_TIMEOUT_S = 10.0
STALL_S = 30.0
"""No progress for this long with Temporal's disk full: the run cannot go on."""
DISK_CHECK_S = 1.0


@dataclass
class _Run:
    settings: Settings
    store: SessionStore
    session_id: str
    video_path: str
    started: bool = False  # the workflow exists: from now on it owns the session's status
    out_of_space: str = ""  # set when this process failed the session for a full disk


def analyze_file(settings: Settings, video: Path) -> SessionDocument:
    """Analyse ``video`` and return the session document; errors exit with a one-line message."""
    path = video.expanduser().resolve()
    if not path.exists():
        # The path as the user wrote it: the probe's messages name only the file.
        raise InvalidVideoError(f"{video} does not exist; check the path.")
    # Checked here, before a session exists, so bad input leaves nothing behind.
    info = probe_video(path)
    backend_class(settings.backend)
    _warn_when_short_of_space(settings, info)
    # Indexed as the API's store is: the session is listed from the moment it is created.
    store = indexed_session_store(settings)
    session_id = store.new_session_id()
    store.create(str(path), recorded_options(settings), session_id=session_id)
    run = _Run(settings, store, session_id, str(path))
    _quiet_temporal_logs()
    try:
        interrupted = asyncio.run(_run(run))
    except TemporalUnavailableError as err:
        fail(_out_of_space_message(run) or _unavailable_message(run, err))
    document = store.document(session_id)
    if document.status == SessionStatus.FAILED.value:
        # Our workers have stopped now: nothing a cancelled activity wrote late stays behind.
        store.remove_partial_files(session_id)
    if interrupted:
        stderr.print(f"cancelled: session {session_id} keeps what was described so far")
        raise typer.Exit(EXIT_INTERRUPTED)
    if document.status != "completed":
        fail(f"analysis failed: {document.error or document.status}")
    return document


def _warn_when_short_of_space(settings: Settings, info: VideoInfo) -> None:
    """Say before the run when its frames will probably not fit on the data dir's disk."""
    options = sampling_options(settings)
    width, height = fit_size(info.width, info.height, options.max_side)
    check = check_space(settings.sessions_dir, estimate_frames(info, options), max(width, height))
    if not check.fits:
        stderr.print(Text.assemble(("warning:", "yellow"), " ", check.warning()), soft_wrap=True)


def _quiet_temporal_logs() -> None:
    """Keep the SDK's retry warnings and activity tracebacks off the terminal.

    Outages are reported in one line, and a failed activity's reason in the session.
    """
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    with contextlib.suppress(RuntimeError):
        quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=quiet)))


def _fail_if_disk_full(run: _Run) -> str:
    """When the session's disk or Temporal's is full, fail the session, freeing its files.

    Returns the reason, or "" when both have room (the outage has another cause).
    """
    places = [(run.store.session_dir(run.session_id), "VIDEOLENS_DATA_DIR")]
    if not run.settings.temporal_address:
        places.append((run.settings.temporal_db_path, "VIDEOLENS_TEMPORAL_DB_FILE"))
    for where, setting in places:
        if free_bytes(where) < NEARLY_FULL_BYTES:
            reason = str(out_of_space(where, setting))
            with contextlib.suppress(Exception):  # the reason is reported either way
                run.store.fail(run.session_id, reason)
            run.out_of_space = reason
            return reason
    return ""


def _out_of_space_message(run: _Run) -> str:
    """The sentence for a run that Temporal gave up on because a disk was full ("" if not)."""
    reason = run.out_of_space or _fail_if_disk_full(run)
    return f"{reason}; session {run.session_id} was marked failed" if reason else ""


def _unavailable_message(run: _Run, err: TemporalUnavailableError) -> str:
    if not run.started:
        # No workflow will ever write this session: say so in it as well.
        with contextlib.suppress(Exception):
            run.store.finish(run.session_id, SessionStatus.FAILED, error=str(err))
        return f"{err}; nothing was analysed"
    where = (
        "it goes on in Temporal if its workers are up; `videolens show` tells"
        if run.settings.temporal_address
        else "it resumes the next time `videolens up` or `videolens analyze` runs on this data dir"
    )
    return f"{err}; session {run.session_id} was left unfinished: {where}"


async def _run(run: _Run) -> bool:
    """Run the workflow to its end; True when the user interrupted it (then it is cancelled)."""
    settings, store = run.settings, run.store
    request = analysis_input(
        settings, run.session_id, run.video_path, str(store.frames_dir(run.session_id))
    )
    try:
        async with temporal_client(settings) as client:
            recover = None if settings.temporal_address else _restarter(settings, client)
            if settings.temporal_address:
                interrupted = await _start_and_follow(run, client, request, recover)
            else:
                # Embedded mode: this process is the worker too.
                async with running_workers(client, settings, Queue.ALL):
                    interrupted = await _start_and_follow(run, client, request, recover)
            # A workflow that ended without finalizing (terminated, lost) leaves the session
            # running: give it its true status before reporting.
            await reconcile_session(client, store, store.document(run.session_id))
            return interrupted
    except RPCError as err:
        raise TemporalUnavailableError(f"Temporal stopped answering ({err.message})") from err


def _restarter(settings: Settings, client: Client) -> Callable[[], Awaitable[None]]:
    """Embedded mode: bring this data dir's server back on the port our client and worker use."""
    port = int(client_address(client).rsplit(":", 1)[1])

    async def recover() -> None:
        restarted = await asyncio.to_thread(
            restart_if_dead, settings.data_dir, settings.temporal_db_path, port
        )
        if restarted:
            stderr.print("the embedded Temporal server stopped; restarted it, following on")

    return recover


async def _start_and_follow(
    run: _Run,
    client: Client,
    request: AnalyzeVideoInput,
    recover: Callable[[], Awaitable[None]] | None,
) -> bool:
    handle = await start_analysis(client, request)
    run.started = True
    try:
        return await _follow_until_done(run, handle, recover)
    except TemporalUnavailableError:
        await _fail_for_full_disk(run, handle)
        raise


async def _fail_for_full_disk(run: _Run, handle: WorkflowHandle[object, AnalysisSummary]) -> None:
    """When a disk is full, fail the session and try to end its workflow."""
    reason = _fail_if_disk_full(run)
    if reason:
        # With the session's files gone Temporal may write again: end the workflow, so that
        # it never resumes into a session already failed.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handle.terminate(reason), TERMINATE_TIMEOUT_S)


class _StallWatch:
    """Tells a run that no longer moves because the embedded Temporal's disk is full.

    Temporal still answers queries then, but cannot record any step. (A full disk under the
    session is met by the activities themselves, which fail the run.)
    """

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._last: tuple[object, ...] = ()
        self._since = time.monotonic()

    def seen(self, progress: AnalysisProgress) -> None:
        moved = (
            progress.stage,
            progress.frames_sampled,
            progress.frames_described,
            progress.speech_ranges_done,
        )
        if moved != self._last:
            self._last, self._since = moved, time.monotonic()

    async def stalled_on_full_disk(self) -> None:
        """Return once the run has not moved for ``STALL_S`` and Temporal's disk is full."""
        if self._run.settings.temporal_address:
            await asyncio.Event().wait()  # a cluster's disks are not ours to watch
        database = self._run.settings.temporal_db_path
        while True:
            await asyncio.sleep(DISK_CHECK_S)
            if time.monotonic() - self._since >= STALL_S and (
                free_bytes(database) < NEARLY_FULL_BYTES
            ):
                return


async def _follow_until_done(
    run: _Run,
    handle: WorkflowHandle[object, AnalysisSummary],
    recover: Callable[[], Awaitable[None]] | None,
) -> bool:
    loop = asyncio.get_running_loop()
    interrupt = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, interrupt.set)
    loop.add_signal_handler(signal.SIGTERM, interrupt.set)
    try:
        with AnalysisProgressBar(stderr) as bar:
            watch = _StallWatch(run)

            def update(progress: AnalysisProgress) -> None:
                bar.update(progress)
                watch.seen(progress)

            following = asyncio.ensure_future(follow(handle, update, recover=recover))
            stop = asyncio.ensure_future(interrupt.wait())
            stalled = asyncio.ensure_future(watch.stalled_on_full_disk())
            await asyncio.wait({following, stop, stalled}, return_when=asyncio.FIRST_COMPLETED)
            for waiter in (following, stop, stalled):
                if not waiter.done():
                    waiter.cancel()
            if following.done() and not following.cancelled():
                try:
                    summary = following.result()
                except WorkflowFailureError:
                    return False  # the session document holds the reason
                bar.finish(summary.frames)
                return False
            if stalled.done() and not stalled.cancelled():
                await _fail_for_full_disk(run, handle)  # the session now holds the reason
                return False
        stderr.print("interrupted: cancelling the analysis…")
        await handle.cancel()
        # Expected: the workflow ends cancelled once it has marked the session.
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
        return True
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
