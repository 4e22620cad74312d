"""The sweep ends a workflow still running for a session that already failed outside it (the
CLI gives up while Temporal's disk is full): it must not resume into the failed session."""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus

from analysis_sessions import submit
from videolens.config import Settings
from videolens.pipeline.reconcile import Sweeper
from videolens.store import SessionStatus
from videolens.video.synthetic import ClipSpec


def test_a_failed_sessions_running_workflow_is_terminated(
    settings: Settings, text_clip: ClipSpec
) -> None:
    async def scenario() -> tuple[WorkflowExecutionStatus | None, str]:
        assert settings.temporal_address
        client = await Client.connect(settings.temporal_address)
        # No worker: the workflow stays running, as one whose server's disk is full.
        store, session_id, handle = await submit(client, settings, text_clip.path)
        store.finish(session_id, SessionStatus.FAILED, error="out of disk space")
        await Sweeper(client, store).sweep()
        description = await handle.describe()
        return description.status, store.get(session_id)["status"]

    status, session_status = asyncio.run(scenario())
    assert status == WorkflowExecutionStatus.TERMINATED
    assert session_status == "failed"
