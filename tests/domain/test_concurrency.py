"""Concurrent requests against a real server: moderators racing on one item, first replies racing on one article."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from service.settings import Settings
from tests.conftest import add_moderator
from tests.replies import POLITE, reply


def test_racing_moderators_never_both_win(live_server: str, settings: Settings, admin_headers: dict[str, str]) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        http.put("/api/v1/articles/race", json={"status": "premoderated"}, headers=admin_headers)
        created = http.post("/api/v1/articles/race/comments", json=reply(POLITE[0])).json()
    tokens = [add_moderator(settings, f"racer{n}") for n in range(6)]

    def decide(index: int) -> int:
        action: dict[str, Any] = {"action": "approve"} if index % 2 else {"action": "reject", "reason": "spam"}
        with httpx.Client(base_url=live_server, timeout=30) as http:
            response = http.post(
                f"/api/v1/moderation/comments/{created['id']}/decision",
                json={**action, "expected_status": "pending"},
                headers={"Authorization": f"Bearer {tokens[index]}"},
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(decide, range(6)))
    assert codes == [200, 409, 409, 409, 409, 409]
    with httpx.Client(base_url=live_server, timeout=30) as http:
        detail = http.get(f"/api/v1/moderation/comments/{created['id']}", headers=admin_headers).json()
    assert len([d for d in detail["decisions"] if d["actor"] == "moderator"]) == 1


def test_concurrent_submissions_are_all_stored_and_counted(live_server: str) -> None:
    def submit(index: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server, timeout=30) as http:
            body = f"{POLITE[index % 5]} (concurrent {index})"
            response = http.post("/api/v1/articles/burst/comments", json=reply(body))
            return response.status_code, response.json().get("status", "")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(submit, range(24)))
    assert [code for code, _ in answers] == [201] * 24
    published = sum(status == "published" for _, status in answers)
    assert published >= 20
    with httpx.Client(base_url=live_server, timeout=30) as http:
        assert http.get("/api/v1/articles/burst/comments/count").json()["count"] == published
