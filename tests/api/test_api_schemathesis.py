"""Property-based requests generated from the OpenAPI spec: the server never answers 5xx.

Every operation is covered, the multipart upload included (schemathesis generates its form
fields and random ``file`` bytes, which must be refused with a 4xx). Half the cases carry a valid
key and a real session id, so the routes reach their handlers, not only 401 or 404.
"""

from __future__ import annotations

import schemathesis
from api_helpers import upload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_server import serving
from videolens.api.security import KeyStore
from videolens.config import Settings
from videolens.video.synthetic import ClipSpec

EXAMPLES_PER_OPERATION = 40


def test_generated_requests_never_get_a_server_error(
    settings: Settings, text_clip: ClipSpec
) -> None:
    _, key = KeyStore(settings.data_dir / "keys.json").create("schemathesis")
    with serving(settings.model_copy(update={"rate_limit_per_minute": 100_000})) as api:
        with api.client(key) as client:
            session_id = upload(client, text_clip.path).json()["session_id"]
        _run_generated(api.url, key, session_id)


def _run_generated(url: str, key: str, session_id: str) -> None:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
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
            # Half the cases use the real key and session, to get past auth and lookups.
            if known:
                case.headers["Authorization"] = f"Bearer {key}"
                if case.path_parameters and "session_id" in case.path_parameters:
                    case.path_parameters["session_id"] = session_id
            response = case.call(base_url=url, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            assert response.status_code < 500

        check()
    assert failures == []
