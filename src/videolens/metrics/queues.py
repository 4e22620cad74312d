"""Backlog and pollers of this deployment's task queues, from Temporal's DescribeTaskQueue.

``report_stats`` asks the server for the queue's approximate backlog (tasks waiting for a
worker) and the age of its oldest task; ``pollers`` lists the workers that polled it in the last
few minutes. The server refreshes these figures every few seconds, so they trail by as much.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from videolens.config import Settings

DESCRIBE_TIMEOUT = timedelta(seconds=3)

_TYPES = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}


@dataclass
class QueueFigures:
    """One task queue's workflow or activity side, as Temporal reports it."""

    task_queue: str
    role: str  # cpu, vision or cloud: which of this deployment's queues
    kind: str  # workflow or activity
    pollers: int
    backlog: int
    backlog_age_s: float
    poller_identities: list[str]


def watched_queues(settings: Settings) -> list[tuple[str, str, str]]:
    """(task queue, role, kind) for each queue side this deployment's workers poll.

    The CPU queue carries workflow tasks and CPU activities; vision (and cloud, when bursting to
    the cloud is on) carry activities only, so their workflow side has no pollers by design.
    """
    queues = [
        (settings.cpu_task_queue, "cpu", "workflow"),
        (settings.cpu_task_queue, "cpu", "activity"),
        (settings.vision_task_queue, "vision", "activity"),
    ]
    if settings.burst_to_cloud:
        queues.append((settings.cloud_task_queue, "cloud", "activity"))
    return queues


async def describe_queue(
    client: Client, task_queue: str, role: str, kind: str, namespace: str
) -> QueueFigures:
    """One queue side's pollers and backlog; raises the RPC's error when Temporal fails."""
    request = DescribeTaskQueueRequest(
        namespace=namespace,
        task_queue=TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
        task_queue_type=_TYPES[kind],
        report_stats=True,
    )
    response = await client.workflow_service.describe_task_queue(
        request, retry=False, timeout=DESCRIBE_TIMEOUT
    )
    stats = response.stats
    return QueueFigures(
        task_queue=task_queue,
        role=role,
        kind=kind,
        pollers=len(response.pollers),
        backlog=int(stats.approximate_backlog_count),
        backlog_age_s=stats.approximate_backlog_age.ToTimedelta().total_seconds(),
        poller_identities=sorted(poller.identity for poller in response.pollers),
    )


async def describe_queues(client: Client, settings: Settings) -> list[QueueFigures]:
    """``describe_queue`` for each of ``watched_queues(settings)``, concurrently."""
    return list(
        await asyncio.gather(
            *(
                describe_queue(client, name, role, kind, settings.temporal_namespace)
                for name, role, kind in watched_queues(settings)
            )
        )
    )
