"""Property-based requests generated from the OpenAPI spec, judged by every schemathesis check:
the server never answers 5xx, and every status, content type and body it answers is documented.

Every operation is covered, the multipart upload included (schemathesis generates its form
fields and random ``file`` bytes, which must be refused with a 4xx). Half the cases carry a valid
user key (given as the caller's own credentials, so the auth checks also try without it and with
a wrong one) and a real session id, so the routes reach their handlers, not only 401 or 404.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from api_helpers import upload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, positive_data_acceptance
from schemathesis.core.failures import FailureGroup

from live_server import serving
from videolens.api.security import KeyStore
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec

EXAMPLES_PER_OPERATION = 40
# A schema cannot say "bytes that decode as a video" or "a live source that answers": random
# schema-valid uploads and stream URLs are rightly refused (415, 422), which this check reads as
# a failure. Every other check runs.
NOT_APPLICABLE = {positive_data_acceptance}


def test_generated_requests_get_only_documented_answers(
    settings: Settings, text_clip: ClipSpec
) -> None:
    _, key = KeyStore(settings.data_dir / "keys.json").create("schemathesis")
    with serving(settings.model_copy(update={"rate_limit_per_minute": 100_000})) as api:
        with api.client(key) as client:
            session_id = upload(client, text_clip.path).json()["session_id"]
        failures = _run_generated(api.url, key, session_id)
    assert failures == Counter(), "\n".join(f"{n} x {what}" for what, n in failures.items())


def _run_generated(url: str, key: str, session_id: str) -> Counter[str]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    checks = [check for check in CHECKS.get_all() if check not in NOT_APPLICABLE]
    failures: Counter[str] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9

    for operation in operations:

        @given(case=operation.as_strategy(), known=st.booleans())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case, known: bool) -> None:
            headers = None
            if known:
                headers = {"Authorization": f"Bearer {key}"}
                if case.path_parameters and "session_id" in case.path_parameters:
                    case.path_parameters["session_id"] = session_id
            try:
                case.call_and_validate(base_url=url, headers=headers, checks=checks, timeout=30)
            except FailureGroup as group:  # one per distinct failed check
                for failure in group.exceptions:
                    failures[f"{case.operation.label}: {_title(failure)}"] += 1
            except (AssertionError, OSError) as failure:  # OSError: a response cut short
                failures[f"{case.operation.label}: {_title(failure)}"] += 1

        check()
    return failures


def _title(failure: BaseException) -> str:
    """The failure's first lines: the check's title and what it received."""
    return " | ".join(line.strip() for line in str(failure).splitlines()[:3] if line.strip())
