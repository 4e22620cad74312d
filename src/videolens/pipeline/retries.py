"""Retry policies of the workflows (files and streams), and what they read from a failed
activity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

from videolens.pipeline.shared import NON_RETRYABLE_ERRORS
from videolens.pipeline.stream_shared import STREAM_NON_RETRYABLE


def retry_policy(
    non_retryable: Sequence[str],
    *,
    maximum_attempts: int = 3,
    maximum_interval_s: float = 100.0,
) -> RetryPolicy:
    """Attempts 1 s apart at first, twice as far each time; never for ``non_retryable`` types."""
    return RetryPolicy(
        maximum_attempts=maximum_attempts,
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=maximum_interval_s),
        non_retryable_error_types=list(non_retryable),
    )


# The seed's policy: 3 attempts, 1 s initial interval, ×2, at most 100 s apart.
RETRY_POLICY = retry_policy(NON_RETRYABLE_ERRORS)
STREAM_NON_RETRYABLE_ERRORS = NON_RETRYABLE_ERRORS + STREAM_NON_RETRYABLE
STREAM_RETRY_POLICY = retry_policy(STREAM_NON_RETRYABLE_ERRORS)
# On the shared queue an ingest is retried a while (another worker may take it); on a worker's
# own queue once only: a retry there would wait for a worker that is gone.
INGEST_RETRY = retry_policy(STREAM_NON_RETRYABLE_ERRORS, maximum_attempts=10, maximum_interval_s=30)
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
READER_SCHEDULE_TO_START = timedelta(seconds=5)


def non_retryable(err: ActivityError) -> bool:
    """Whether the activity failed for good (no retry or other worker can mend it)."""
    cause = err.cause
    return isinstance(cause, ApplicationError) and cause.non_retryable


def last_checkpoint(err: ActivityError) -> dict[str, object] | None:
    """The dead attempt's last heartbeat details, if it sent any."""
    cause = err.cause
    if isinstance(cause, ActivityTimeoutError) and cause.last_heartbeat_details:
        detail = cause.last_heartbeat_details[0]
        return detail if isinstance(detail, dict) else None
    return None


def failure_reason(err: ActivityError) -> str:
    """The sentence to record for a failed activity."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause or err)
