"""Keep the session store truthful about workflows that ended without saying so.

A workflow normally writes its session's final status itself (the ``finalize_session``
activity). When it cannot (terminated by an operator, timed out, its history lost, or ended
before finalizing), the session would say ``running`` for ever. Reconciling asks Temporal how
the session's workflow stands and, when it has closed, moves the session to ``failed`` (or
``cancelled``) with the reason, removing partial results as ``finalize_session`` does for a
failed run.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistoryEventFilterType
from temporalio.service import RPCError, RPCStatusCode

from videolens.errors import SessionNotFoundError
from videolens.pipeline.client import workflow_id
from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus
from videolens.timeline.model import Moment, SessionDocument

NOT_FOUND_GRACE_S = 120.0
"""A session younger than this may not have started its workflow yet (the CLI creates the
session, then starts Temporal, then the workflow): a missing workflow is not yet a lost one."""
REASON_TIMEOUT_S = 5.0
RECLEAN_WINDOW_S = 120.0
"""An activity of a terminated workflow may still write a file until its next heartbeat tells
it the workflow is gone; a failed session is cleaned again for this long after settling."""

_STILL_RUNNING = {WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW}


@dataclass(frozen=True)
class Verdict:
    """The final status a session should have, and why."""

    status: SessionStatus
    reason: str


def discard_partial_results(store: SessionStore, session_id: str) -> None:
    """Remove the frames, batches and speech of a failed run (its document and reason stay)."""
    directory = store.session_dir(session_id)
    for name in ("frames", "batches", "speech"):
        shutil.rmtree(directory / name, ignore_errors=True)


async def workflow_verdict(
    client: Client, session_id: str, created_at: str | None = None
) -> Verdict | None:
    """How the session should end, judging by its workflow; None while it may still run.

    None also when Temporal cannot be asked right now: an outage proves nothing.
    """
    handle = client.get_workflow_handle(workflow_id(session_id))
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND or _age_s(created_at) < NOT_FOUND_GRACE_S:
            return None
        return Verdict(
            SessionStatus.FAILED,
            "its workflow is unknown to Temporal (its history was lost or has expired); "
            "analyse the video again",
        )
    status = description.status
    if status is None or status in _STILL_RUNNING:
        return None
    detail = await _closing_detail(client, session_id)
    if status is WorkflowExecutionStatus.CANCELED:
        return Verdict(SessionStatus.CANCELLED, "cancelled before the session was finalized")
    if status is WorkflowExecutionStatus.TERMINATED:
        why = f": {detail}" if detail else ""
        return Verdict(SessionStatus.FAILED, f"the analysis was terminated in Temporal{why}")
    if status is WorkflowExecutionStatus.TIMED_OUT:
        return Verdict(SessionStatus.FAILED, "the analysis timed out in Temporal")
    if status is WorkflowExecutionStatus.FAILED:
        why = f": {detail}" if detail else ""
        return Verdict(SessionStatus.FAILED, f"the analysis failed before finalizing{why}")
    return Verdict(SessionStatus.FAILED, "the analysis ended without recording its result")


async def _closing_detail(client: Client, session_id: str) -> str:
    """The message a closed workflow ended with (a termination's reason, a failure's message)."""
    handle = client.get_workflow_handle(workflow_id(session_id))
    events = handle.fetch_history_events(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT,
        rpc_timeout=timedelta(seconds=REASON_TIMEOUT_S),
    )
    try:
        async for event in events:
            if event.HasField("workflow_execution_terminated_event_attributes"):
                return str(event.workflow_execution_terminated_event_attributes.reason)
            if event.HasField("workflow_execution_failed_event_attributes"):
                return str(event.workflow_execution_failed_event_attributes.failure.message)
    except RPCError:
        return ""
    return ""


def _age_s(created_at: str | None) -> float:
    if not created_at:
        return float("inf")
    try:
        created = datetime.fromisoformat(created_at)
    except ValueError:
        return float("inf")
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - created).total_seconds()


def settle(store: SessionStore, session_id: str, verdict: Verdict) -> SessionDocument:
    """Give a still-running session its final status; returns the (new) document.

    Read again first: the workflow may have finalized the session while Temporal was asked.
    """
    document = store.document(session_id)
    if document.status != SessionStatus.RUNNING.value:
        return document
    frames: list[Moment] = []
    if verdict.status is SessionStatus.FAILED:
        discard_partial_results(store, session_id)
    else:
        frames = store.moments(session_id)
    return store.finish(session_id, verdict.status, error=verdict.reason, frames=frames)


async def reconcile_session(
    client: Client, store: SessionStore, document: SessionDocument
) -> SessionDocument:
    """``document``, or its corrected version when it says running but its workflow has ended."""
    settled = await _settled(
        client, store, document.session_id, document.status, document.created_at
    )
    return settled or document


async def _settled(
    client: Client, store: SessionStore, session_id: str, status: str, created_at: str | None
) -> SessionDocument | None:
    """The corrected document of a session that says running but whose workflow has ended."""
    if status != SessionStatus.RUNNING.value:
        return None
    verdict = await workflow_verdict(client, session_id, created_at)
    if verdict is None:
        return None
    try:
        return settle(store, session_id, verdict)
    except SessionNotFoundError:  # deleted meanwhile
        return None


@dataclass
class Sweeper:
    """Reconciles every running session of a store, and cleans recently failed ones again."""

    client: Client
    store: SessionStore

    async def sweep(self) -> list[str]:
        """Reconcile each running session; returns the ids whose status was corrected."""
        corrected = []
        for summary in self.store.list_sessions():
            session_id = summary.session_id
            if summary.status == SessionStatus.FAILED.value:
                if _age_s(summary.updated_at) < RECLEAN_WINDOW_S:
                    with contextlib.suppress(SessionNotFoundError, OSError):
                        discard_partial_results(self.store, session_id)
                await self._end_orphan_workflow(session_id, summary.error or "")
                continue
            updated = await _settled(
                self.client, self.store, session_id, summary.status, summary.created_at
            )
            if updated is not None and updated.status != SessionStatus.RUNNING.value:
                corrected.append(session_id)
        return corrected

    async def _end_orphan_workflow(self, session_id: str, reason: str) -> None:
        """A session failed outside its workflow (the CLI gave up while Temporal's disk was
        full) may leave the workflow running; it must not resume into the failed session."""
        handle = self.client.get_workflow_handle(workflow_id(session_id))
        with contextlib.suppress(RPCError):
            description = await handle.describe()
            if description.status in _STILL_RUNNING:
                await handle.terminate(reason=f"its session already failed: {reason}"[:500])
