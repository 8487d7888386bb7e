"""Schemathesis against the service's own OpenAPI schema, on a real server: no generated request gets a 5xx."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.core.result import Ok

EXAMPLES_PER_OPERATION = 40


def test_no_server_errors_for_any_generated_request(live_server: str, moderator_headers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server}/schema/openapi.json")
    failures: list[str] = []
    cases = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an invalid operation: {result}"
        operation = result.ok()

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            nonlocal cases
            cases += 1
            response = case.call(base_url=live_server, headers=moderator_headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        check()
    print(f"schemathesis: {cases} generated requests, {len(failures)} server errors")
    assert cases >= 200
    assert failures == []
