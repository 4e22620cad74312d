"""Whether Temporal answers, as ``/readyz`` reports it: a slow answer under load is not an outage.

While the server analyses many videos a health check can take longer than its timeout without
anything being wrong. A failed check therefore counts only once Temporal has not answered for
``GRACE_S``: a real outage is reported within that, a busy moment never.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client

CHECK_TIMEOUT_S = 2.0
GRACE_S = 30.0


@dataclass
class TemporalHealth:
    """The last moment Temporal answered a health check (monotonic seconds)."""

    last_answer: float | None = None

    async def reachable(self, client: Client) -> bool:
        """Check now; False only when Temporal has not answered for ``GRACE_S``."""
        try:
            answered = await client.service_client.check_health(
                timeout=timedelta(seconds=CHECK_TIMEOUT_S)
            )
        except Exception:  # any failure means "no answer"; the reason is not a client's business
            answered = False
        now = time.monotonic()
        if answered:
            self.last_answer = now
            return True
        return self.last_answer is not None and now - self.last_answer < GRACE_S
